"""`jiadian payments`: gateway payments for operators — list (refunds due), reconcile, the simulator."""

from __future__ import annotations

from typing import Any

import typer
from rich.markup import escape

from jiadian.application.pagination import Page
from jiadian.application.payments import PaymentOutcome, ReconcileReport
from jiadian.container import Container
from jiadian.domain.payments import Notification, Payment
from jiadian.entrypoints.cli.common import MAX_ID, console, run, table

app = typer.Typer(
    help="Gateway payments (Alipay, or the SIMULATOR): list, refunds due, reconcile, simulate a payment.",
    no_args_is_help=True,
)


@app.command("list")
def list_payments(
    needs_refund: bool = typer.Option(
        False, "--needs-refund", help="Only money received for orders that could not take it"
    ),
    state: str | None = typer.Option(
        None, help="pending, applied, needs_refund, refunding, refunded or closed"
    ),
    page: int = typer.Option(1, min=1, max=MAX_ID),
    page_size: int = typer.Option(20, min=1, max=50),
) -> None:
    """List gateway payments, newest first."""
    wanted = "needs_refund" if needs_refund else state

    async def action(c: Container) -> Page[Payment]:
        return await c.payments().list(wanted, page, page_size)

    result = run(action)
    rows = table(
        "id", "order", "user", "method", "trade no", "gateway trade no", "amount", "state", "recorded (UTC)",
        ids=("id", "order", "trade no"), title=f"page {result.page}/{result.pages}",
    )  # fmt: skip
    for payment in result.items:
        rows.add_row(
            str(payment.id),
            payment.order_id,
            str(payment.user_id),
            payment.method,
            payment.trade_no,
            payment.gateway_trade_no or "-",
            str(payment.amount),
            payment.state.value,
            f"{payment.created_at:%Y-%m-%d %H:%M:%S}",
        )
    console.print(rows)
    console.print(f"{result.total} payments")


@app.command("mark-refunded")
def mark_refunded(payment_id: int = typer.Argument(..., min=1, max=MAX_ID, show_default=False)) -> None:
    """Record that a needs_refund payment was given back by hand at the gateway's console
    (`jiadian refunds payment` refunds it through the gateway instead)."""

    async def action(c: Container) -> Payment:
        return await c.payments().mark_refunded(payment_id)

    payment = run(action)
    console.print(f"payment {payment.id} of order {payment.order_id}: {payment.state.value}")


@app.command("reconcile")
def reconcile(
    limit: int = typer.Option(200, min=1, max=100_000, help="At most this many started trades per run"),
) -> None:
    """Ask the gateway about every started (pending) trade and apply its verified answers."""

    async def action(c: Container) -> ReconcileReport:
        return await c.payments().reconcile(limit)

    report = run(action)
    console.print(
        f"checked {report.checked}: applied {report.applied}, needs refund {report.needs_refund}, "
        f"closed {report.closed}, waiting {report.waiting}, refused {report.refused}, "
        f"gateway unavailable {report.unavailable}"
    )
    if report.unavailable:
        raise typer.Exit(2)


@app.command("simulate-pay")
def simulate_pay(
    order: str = typer.Argument(..., help="An order id or trade number"),
    amount: str | None = typer.Option(None, help="What the buyer 'paid' (default: the order's total)"),
) -> None:
    """SIMULATOR only (JIADIAN_PAYMENT_GATEWAY=simulator): the buyer "paid" the order. No money moves.

    The simulator signs a notification that then goes through every check a real one does.
    """

    async def action(c: Container) -> PaymentOutcome:
        return await c.payments().simulate_pay(order, amount)

    outcome = run(action)
    answer = "success" if outcome.verdict.acknowledged else "fail"
    console.print(
        f"order {outcome.order.id}: {outcome.verdict.value} ({answer}); status {outcome.order.status.label}"
    )
    if not outcome.verdict.acknowledged:
        raise typer.Exit(1)


@app.command("notifications")
def notifications(
    trade_no: str | None = typer.Option(None, help="Only callbacks that named this trade number"),
    limit: int = typer.Option(20, min=1, max=500),
) -> None:
    """The newest gateway callbacks received (verified or not) and their verdicts."""

    async def action(c: Container) -> list[Notification]:
        return await c.payments().notifications(trade_no, limit)

    rows = table(
        "id", "received (UTC)", "gateway", "trade no", "verdict", "status", "amount", ids=("id", "trade no")
    )
    for n in run(action):
        fields: dict[str, Any] = n.fields
        rows.add_row(
            str(n.id),
            f"{n.received_at:%Y-%m-%d %H:%M:%S}",
            n.gateway,
            escape(n.trade_no),
            n.verdict,
            escape(str(fields.get("trade_status", "-"))),
            escape(str(fields.get("total_amount", "-"))),
        )
    console.print(rows)
