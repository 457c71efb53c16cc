"""`jiadian orders`: the operator's order commands, and the sweeps (also run by the worker)."""

from __future__ import annotations

from typing import Any

import typer

from jiadian.container import Container
from jiadian.domain.ordering import Order, OrderStatus
from jiadian.entrypoints.cli.common import MAX_ID, USER_HELP, console, find_user, run, table

app = typer.Typer(
    help="Orders: list, show, ship, cancel, and the expiry/shipping sweeps.", no_args_is_help=True
)


async def _user_id(c: Container, user: str | None) -> int | None:
    return None if user is None else (await find_user(c, user)).id


def shown(status: OrderStatus) -> str:
    """A status as an operator reads it: its code, name and label ("1 AWAITING_PAYMENT 待支付")."""
    return f"{status.value} {status.name} {status.label}"


def _status_code(text: str | None) -> str | None:
    """`--status` takes the code (1..5, cancelled) or the name (awaiting_payment, …)."""
    if text is None:
        return None
    by_name = OrderStatus.__members__.get(text.strip().upper())
    return by_name.value if by_name is not None else text


def _when(order: Order) -> str:
    return order.created_at.strftime("%Y-%m-%d %H:%M:%S")


@app.command("list")
def list_orders(
    status: str | None = typer.Option(
        None,
        help="1..5, cancelled, refund_requested or refunded, or a name: awaiting_payment, awaiting_shipment, "
        "shipped, received, completed",
    ),
    user: str | None = typer.Option(None, help=USER_HELP),
    page: int = typer.Option(1, min=1, max=MAX_ID),
    page_size: int = typer.Option(20, min=1, max=50),
) -> None:
    """List orders, newest first."""

    async def action(c: Container) -> Any:
        return await c.fulfilment().list(_status_code(status), await _user_id(c, user), page, page_size)

    result = run(action)
    rows = table(
        "order", "user", "status", "items", "total", "paid by", "placed (UTC)",
        ids=("order", "user", "total", "placed (UTC)"), title=f"page {result.page}/{result.pages}",
    )  # fmt: skip
    for order in result.items:
        rows.add_row(
            order.id,
            str(order.user_id),
            shown(order.status),
            str(order.total_count),
            str(order.total),
            order.pay_method or "-",
            _when(order),
        )
    console.print(rows)
    console.print(f"{result.total} orders")


@app.command("show")
def show(order_id: str) -> None:
    """Show one order with its lines."""

    async def action(c: Container) -> Order:
        return await c.fulfilment().show(order_id)

    order = run(action)
    a = order.address
    console.print(f"[bold]order {order.id}[/bold]  trade no {order.trade_no}  user {order.user_id}")
    console.print(f"status {shown(order.status)}  paid by {order.pay_method or '-'}")
    for label, moment in (
        ("placed", order.created_at),
        ("paid", order.paid_at),
        ("shipped", order.shipped_at),
        ("received", order.received_at),
        ("completed", order.completed_at),
        ("cancelled", order.cancelled_at),
    ):
        if moment is not None:
            console.print(f"{label}: {moment:%Y-%m-%d %H:%M:%S} UTC")
    if order.cancel_reason:
        console.print(f"cancel reason: {order.cancel_reason}")
    console.print(f"ship to: {a.recipient} {a.phone}, {a.province}{a.city}{a.county}{a.detail}")
    if order.mark:
        console.print(f"note: {order.mark}")
    lines = table(
        "line", "sku", "name", "spec", "count", "unit price", "total", "reviewed",
        ids=("line", "sku", "unit price", "total"),
    )  # fmt: skip
    for line in order.lines:
        lines.add_row(
            str(line.id),
            str(line.sku_id),
            line.name,
            " ".join(x for x in (line.size, line.color) if x),
            str(line.count),
            str(line.unit_price),
            str(line.line_total),
            "yes" if line.reviewed else "",
        )
    console.print(lines)
    console.print(f"amount {order.amount} + freight {order.freight} = total {order.total}")


@app.command("ship")
def ship(order_id: str) -> None:
    """Ship a paid order (status 2 → 3)."""

    async def action(c: Container) -> Order:
        return await c.fulfilment().ship(order_id)

    order = run(action)
    console.print(f"order {order.id}: {shown(order.status)}")


@app.command("cancel")
def cancel(order_id: str) -> None:
    """Cancel an unpaid order; its stock comes back."""

    async def action(c: Container) -> Order:
        return await c.fulfilment().cancel(order_id)

    order = run(action)
    console.print(f"order {order.id}: {shown(order.status)}")


@app.command("expire-unpaid")
def expire_unpaid(
    limit: int = typer.Option(500, min=1, max=100_000, help="At most this many orders per run"),
) -> None:
    """Cancel the orders still unpaid past `order_ttl_seconds` (24 h), restoring their stock. Idempotent."""

    async def action(c: Container) -> int:
        return await c.fulfilment().expire_unpaid(limit)

    console.print(f"expired {run(action)} unpaid orders")


@app.command("ship-due")
def ship_due(
    limit: int = typer.Option(500, min=1, max=100_000, help="At most this many orders per run"),
) -> None:
    """Ship the orders paid longer ago than `ship_after_seconds` (5 minutes). Idempotent."""

    async def action(c: Container) -> int:
        return await c.fulfilment().ship_due(limit)

    console.print(f"shipped {run(action)} paid orders")
