"""`jiadian status` (the shop's health at a glance) and `jiadian settings` (the settings, documented)."""

from __future__ import annotations

from pathlib import Path

import typer

from jiadian.application.operations import OK, Health
from jiadian.container import Container
from jiadian.entrypoints.cli.common import console, run, table
from jiadian.entrypoints.cli.errors import UNAVAILABLE
from jiadian.settings import TABLE_END, TABLE_START, settings_table, with_settings_table


def status() -> None:
    """Database, cache, broker and blob store (do they answer?), the task queue's depth, the stock gate's
    drift and the gateway trades pending — what /ready and /metrics tell, at a glance.

    Exits 69 when a dependency does not answer.
    """

    async def action(c: Container) -> Health:
        return await c.operations().health()

    health = run(action)
    checks = table("dependency", "answers", ids=("dependency",))
    for name, result in health.checks.items():
        checks.add_row(name, "[green]ok[/green]" if result == OK else f"[red]{result}[/red]")
    console.print(checks)
    unknown = "unknown (no answer)"
    queue = health.queue
    console.print(
        "task queue: "
        + (
            unknown
            if queue is None
            else f"{queue.ready} ready, {queue.delayed} delayed, {queue.failed} failed"
        )
    )
    gate = health.gate
    uses = "checkout consults it" if health.gate_in_checkout else "checkout does not consult it"
    console.print(
        "stock gate: "
        + (
            unknown
            if gate is None
            else f"{gate.gated} skus gated, drift +{gate.over} / -{gate.under}; {uses}"
        )
    )
    pending = health.pending_trades
    console.print(f"pending trades: {unknown if pending is None else pending}")
    if not health.ok:
        raise typer.Exit(UNAVAILABLE)


settings_app = typer.Typer(help="The settings (JIADIAN_* variables).", no_args_is_help=True)


@settings_app.command("table")
def table_command(
    write: Path | None = typer.Option(
        None, "--write", exists=True, dir_okay=False, writable=True, help="Replace the table in this file"
    ),
) -> None:
    """The configuration table (Markdown), from the settings' descriptions; --write README.md updates the
    README between its markers (`make docs`)."""
    if write is None:
        typer.echo(settings_table())
        return
    text = write.read_text(encoding="utf-8")
    if TABLE_START not in text or TABLE_END not in text:
        raise typer.BadParameter(f"{write} has no settings table between {TABLE_START} and {TABLE_END}")
    updated = with_settings_table(text)
    if updated != text:
        write.write_text(updated, encoding="utf-8")
        console.print(f"{write}: settings table updated")
    else:
        console.print(f"{write}: settings table up to date")
