"""`jiadian refunds`: the operator's refunds — decide buyers' requests, refund an order or a payment kept
as needs_refund, and ask the gateway about the refunds it has not confirmed (the worker does too)."""

from __future__ import annotations

import getpass
import json

import typer
from rich.markup import escape
from rich.table import Table

from jiadian.application.pagination import Page
from jiadian.application.refunds import SettleReport
from jiadian.container import Container
from jiadian.domain.refunds import Refund
from jiadian.entrypoints.cli.common import console, run

app = typer.Typer(
    help="Refunds: buyers' requests (approve, refuse), refund an order or a needs_refund payment, ask the "
    "gateway again. The money goes back the way it came: to the wallet, or through Alipay's refund API.",
    no_args_is_help=True,
)

OPERATOR = typer.Option(None, "--operator", help="Who decides, for the record (default: cli:<login name>)")


def _operator(name: str | None) -> str:
    if name:
        return name
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _print(refund: Refund) -> None:
    console.print(
        f"refund {refund.id} of {refund.subject} ({refund.method.value}, {refund.amount}): "
        f"{refund.state.value} {refund.state.label}"
    )


@app.command("list")
def list_refunds(
    state: str | None = typer.Option(None, help="requested, refused, pending, refunded or failed"),
    page: int = typer.Option(1, min=1),
    page_size: int = typer.Option(20, min=1, max=50),
) -> None:
    """List refunds, newest first (`--state requested`: the buyers' requests to decide)."""

    async def action(c: Container) -> Page[Refund]:
        return await c.refunds().list(state, page, page_size)

    result = run(action)
    table = Table(
        "id", "subject", "user", "method", "amount", "origin", "state", "reason", "operator", "asked (UTC)",
        title=f"page {result.page}/{result.pages}",
    )  # fmt: skip
    for refund in result.items:
        table.add_row(
            str(refund.id),
            refund.subject,
            str(refund.user_id),
            refund.method.value,
            str(refund.amount),
            refund.origin.value,
            f"{refund.state.value} {refund.state.label}",
            escape(refund.reason) or "-",
            escape(refund.operator) or "-",
            f"{refund.created_at:%Y-%m-%d %H:%M:%S}",
        )
    console.print(table)
    console.print(f"{result.total} refunds")


@app.command("show")
def show(refund_id: int) -> None:
    """One refund, with the gateway's last verified answer."""

    async def action(c: Container) -> Refund:
        return await c.refunds().show(refund_id)

    refund = run(action)
    _print(refund)
    for label, value in [
        ("order", refund.order_id),
        ("origin", refund.origin.value),
        ("reason", refund.reason),
        ("answer", refund.answer),
        ("operator", refund.operator),
        ("trade no", refund.trade_no),
        ("out request no", refund.out_request_no),
        ("payment", str(refund.payment_id or "")),
        ("asked (UTC)", f"{refund.created_at:%Y-%m-%d %H:%M:%S}"),
        ("decided (UTC)", f"{refund.decided_at:%Y-%m-%d %H:%M:%S}" if refund.decided_at else ""),
        ("refunded (UTC)", f"{refund.refunded_at:%Y-%m-%d %H:%M:%S}" if refund.refunded_at else ""),
        (
            "gateway answer",
            json.dumps(refund.gateway_answer, ensure_ascii=False) if refund.gateway_answer else "",
        ),
    ]:
        console.print(f"  {label}: {escape(value) or '-'}")


@app.command("approve")
def approve(refund_id: int, operator: str | None = OPERATOR) -> None:
    """Approve a buyer's request: the order is refunded, its stock comes back, the money goes back."""

    async def action(c: Container) -> Refund:
        return await c.refunds().approve(refund_id, operator=_operator(operator))

    _print(run(action))


@app.command("refuse")
def refuse(
    refund_id: int,
    answer: str = typer.Option(..., "--answer", help="Why not (the buyer sees it)"),
    operator: str | None = OPERATOR,
) -> None:
    """Refuse a buyer's request; the order awaits shipment again."""

    async def action(c: Container) -> Refund:
        return await c.refunds().refuse(refund_id, operator=_operator(operator), answer=answer)

    _print(run(action))


@app.command("order")
def refund_order(
    order_id: str,
    reason: str = typer.Option("", help="Why (kept with the refund)"),
    operator: str | None = OPERATOR,
) -> None:
    """Refund a paid, unshipped order in full (approving its buyer's request, if any)."""

    async def action(c: Container) -> Refund:
        return await c.refunds().refund_order(order_id, operator=_operator(operator), reason=reason)

    _print(run(action))


@app.command("payment")
def refund_payment(
    payment_id: int,
    reason: str = typer.Option("", help="Why (kept with the refund)"),
    operator: str | None = OPERATOR,
) -> None:
    """Give a needs_refund payment back through its gateway (see `jiadian payments list --needs-refund`)."""

    async def action(c: Container) -> Refund:
        return await c.refunds().refund_payment(payment_id, operator=_operator(operator), reason=reason)

    _print(run(action))


@app.command("retry")
def retry(refund_id: int, operator: str | None = OPERATOR) -> None:
    """Ask the gateway again for a refund it refused (the same out-request number: it refunds once)."""

    async def action(c: Container) -> Refund:
        return await c.refunds().retry_refund(refund_id, operator=_operator(operator))

    _print(run(action))


@app.command("mark-refunded")
def mark_refunded(refund_id: int, operator: str | None = OPERATOR) -> None:
    """Record that a refund the gateway refused was made by hand at its console."""

    async def action(c: Container) -> Refund:
        return await c.refunds().refunded_by_hand(refund_id, operator=_operator(operator))

    _print(run(action))


@app.command("settle")
def settle(limit: int = typer.Option(100, min=1, help="At most this many pending refunds per run")) -> None:
    """Ask the gateway about every pending refund now (the worker does it every sweep interval).

    Exits 2 when the gateway did not answer.
    """

    async def action(c: Container) -> SettleReport:
        return await c.refunds().settle_due(limit)

    report = run(action)
    console.print(
        f"checked {report.checked}: refunded {report.refunded}, failed {report.failed}, "
        f"unconfirmed {report.unconfirmed}, gateway unavailable {report.unavailable}"
    )
    if report.unavailable:
        raise typer.Exit(2)
