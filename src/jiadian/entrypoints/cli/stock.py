"""`jiadian stock gate`: the operator's commands for the stock gate of hot skus."""

from __future__ import annotations

import typer
from rich.table import Table

from jiadian.application.stock_gate import GateReconciliation, GateStatus
from jiadian.container import Container
from jiadian.entrypoints.cli.common import MAX_ID, console, err, run

app = typer.Typer(help="Stock: the gate for hot skus.", no_args_is_help=True)
gate = typer.Typer(
    help="The stock gate: stock tokens of hot skus, taken before checkout's transaction (MySQL stays the "
    "authority). Tokens live in Redis (JIADIAN_REDIS_URL); checkout consults them when "
    "JIADIAN_STOCK_GATE=true.",
    no_args_is_help=True,
)
app.add_typer(gate, name="gate")

SKUS = typer.Argument(..., min=1, max=MAX_ID, help="Sku ids", show_default=False)


def _notes(c: Container) -> None:
    """Say when the tokens are not what checkout uses, or live only as long as this command."""
    settings = c.settings()
    if not c.stock_gates().checkout_uses_it:
        err.print(
            "[yellow]note[/yellow] JIADIAN_STOCK_GATE is off: checkout does not consult the gate "
            "until JIADIAN_STOCK_GATE=true"
        )
    if not settings.redis_url:
        err.print(
            "[yellow]note[/yellow] JIADIAN_REDIS_URL is not set: the tokens live in this command's memory "
            "and are gone when it ends; a running shop's gate needs Redis"
        )


@gate.command("open")
def open_gate(sku_ids: list[int] = SKUS) -> None:
    """Gate these skus: their tokens are set to their MySQL stock (re-synced if already gated)."""

    async def action(c: Container) -> dict[int, int]:
        _notes(c)
        return await c.stock_gates().open(sku_ids)

    for sku_id, tokens in sorted(run(action).items()):
        console.print(f"sku {sku_id}: gate open, {tokens} tokens")


@gate.command("close")
def close_gate(sku_ids: list[int] = SKUS) -> None:
    """Stop gating these skus (checkout then asks MySQL only); tokens given back later are dropped."""

    async def action(c: Container) -> list[int]:
        _notes(c)
        return await c.stock_gates().close(sku_ids)

    closed = set(run(action))
    for sku_id in sorted(set(sku_ids)):
        console.print(f"sku {sku_id}: {'gate closed' if sku_id in closed else 'was not gated'}")


def _status_table(rows: list[GateStatus]) -> Table:
    table = Table("sku", "tokens", "MySQL stock", "drift")
    for row in rows:
        stock = "gone" if row.stock is None else str(row.stock)
        drift = "" if row.drift is None else f"{row.drift:+d}"
        table.add_row(str(row.sku_id), str(row.tokens), stock, drift)
    return table


@gate.command("status")
def status() -> None:
    """Every gated sku: its tokens beside its MySQL stock (drift > 0 over-admits, < 0 under-admits)."""

    async def action(c: Container) -> list[GateStatus]:
        _notes(c)
        return await c.stock_gates().status()

    rows = run(action)
    if not rows:
        console.print("no sku is gated")
        return
    console.print(_status_table(rows))
    console.print(f"{len(rows)} gated skus")


@gate.command("reconcile")
def reconcile() -> None:
    """Set every gated sku's tokens to its MySQL stock (also done every sweep interval when the gate is on)."""

    async def action(c: Container) -> GateReconciliation:
        _notes(c)
        return await c.stock_gates().reconcile()

    report = run(action)
    for change in report.changed:
        console.print(f"sku {change.sku_id}: tokens {change.before} → {change.after}")
    for sku_id in report.closed:
        console.print(f"sku {sku_id}: no longer exists, gate closed")
    console.print(f"{report.gated} gated skus: {len(report.changed)} re-synced, {len(report.closed)} closed")
