"""`jiadian audit`: the audit log of operators' changes (over HTTP and from this command line)."""

from __future__ import annotations

import json
from datetime import datetime

import typer
from rich.markup import escape

from jiadian.application.pagination import Page
from jiadian.container import Container
from jiadian.domain.audit import AuditEntry
from jiadian.entrypoints.cli.common import console, run, table

app = typer.Typer(help="The audit log: who changed what, when, from what to what.", no_args_is_help=True)


def _values(fields: dict[str, object]) -> str:
    return "\n".join(f"{key}: {json.dumps(value, ensure_ascii=False)}" for key, value in fields.items())


@app.command("list")
def list_entries(
    actor: str | None = typer.Option(None, help='Who: a username, or "cli:LOGIN" for this command line'),
    action: str | None = typer.Option(None, help='What: an action ("sku.price") or a kind ("sku")'),
    target: str | None = typer.Option(None, help='Of what: "sku:12", "order:ID", or a kind ("order")'),
    since: datetime | None = typer.Option(None, help="At or after (the shop's time zone unless given)"),
    until: datetime | None = typer.Option(None, help="Before (the shop's time zone unless given)"),
    page: int = typer.Option(1, min=1),
    page_size: int = typer.Option(20, min=1, max=50),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per line instead of a table"),
) -> None:
    """List the audit log, newest first."""

    async def action_(c: Container) -> Page[AuditEntry]:
        return await c.console().audit(
            actor=actor,
            action=action,
            target=target,
            since=since,
            until=until,
            page=page,
            page_size=page_size,
        )

    result = run(action_)
    if as_json:
        for entry in result.items:
            line = {
                "id": entry.id,
                "at": entry.at.isoformat(),
                "actor": entry.actor.label,
                "action": entry.action,
                "target": entry.target,
                "before": dict(entry.before),
                "after": dict(entry.after),
            }
            typer.echo(json.dumps(line, ensure_ascii=False))
        return
    rows = table(
        "id",
        "at (UTC)",
        "who",
        "action",
        "target",
        "before",
        "after",
        ids=("id", "target"),
        title=f"page {result.page}/{result.pages}",
    )
    for entry in result.items:
        rows.add_row(
            str(entry.id),
            f"{entry.at:%Y-%m-%d %H:%M:%S}",
            escape(entry.actor.label),
            entry.action,
            escape(entry.target),
            escape(_values(dict(entry.before))),
            escape(_values(dict(entry.after))),
        )
    console.print(rows)
    console.print(f"{result.total} entries")
