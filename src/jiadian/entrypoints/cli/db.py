"""`jiadian db`: schema migrations."""

from __future__ import annotations

import typer

from jiadian.adapters.sql.migrate import current, head, upgrade
from jiadian.container import Container
from jiadian.entrypoints.cli.common import console, run

app = typer.Typer(help="Database schema (Alembic migrations).", no_args_is_help=True)


@app.command("upgrade")
def upgrade_command(revision: str = typer.Argument("head", help="Target revision")) -> None:
    """Migrate the database to REVISION (default: the newest)."""

    async def action(c: Container) -> None:
        await upgrade(c.engine(), revision)

    run(action)
    console.print(f"database at revision [bold]{revision}[/bold]")


@app.command("current")
def current_command() -> None:
    """Show the database's revision and the newest one available."""

    async def action(c: Container) -> str | None:
        return await current(c.engine())

    console.print(f"current: {run(action) or '(empty database)'}  head: {head()}")
