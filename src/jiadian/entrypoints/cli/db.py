"""`jiadian db`: schema migrations."""

from __future__ import annotations

import typer
from rich.progress import Progress

from jiadian.adapters.sql.migrate import current, head, upgrade
from jiadian.container import Container
from jiadian.entrypoints.cli.common import console, run

app = typer.Typer(help="Database schema (Alembic migrations).", no_args_is_help=True)


@app.command("upgrade")
def upgrade_command(revision: str = typer.Argument("head", help="Target revision")) -> None:
    """Migrate the database to REVISION (default: the newest)."""

    async def action(c: Container) -> int:
        await upgrade(c.engine(), revision)
        if revision not in ("head", head()):
            return 0
        search = c.search_admin()  # products of a shop from before search, or imported while it was older
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("indexing products for search", total=await search.product_count())
            return await search.reindex(lambda n: progress.advance(task, n), missing_only=True)

    indexed = run(action)
    console.print(f"database at revision [bold]{revision}[/bold]")
    if indexed:
        console.print(f"indexed {indexed} products for search")


@app.command("current")
def current_command() -> None:
    """Show the database's revision and the newest one available."""

    async def action(c: Container) -> str | None:
        return await current(c.engine())

    console.print(f"current: {run(action) or '(empty database)'}  head: {head()}")
