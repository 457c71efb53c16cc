"""`jiadian search`: rebuild the search index, and the brand aliases operators keep."""

from __future__ import annotations

import typer
from rich.markup import escape
from rich.progress import Progress
from rich.table import Table

from jiadian.container import Container
from jiadian.domain.errors import NotFound
from jiadian.domain.search import Alias
from jiadian.entrypoints.cli.common import console, run

app = typer.Typer(help="The search index and brand aliases.", no_args_is_help=True)
aliases = typer.Typer(help="Brand aliases: two words that find the same products (huawei ↔ 华为).")
app.add_typer(aliases, name="aliases")


@app.command("reindex")
def reindex(
    missing_only: bool = typer.Option(False, "--missing-only", help="Only products never indexed"),
) -> None:
    """Index every product again (a batch of 500 per transaction; the shop keeps serving meanwhile).

    Needed after a change of the analyzer's words, or for products written to the database by hand;
    the shop's own writes keep the index current by themselves.
    """

    async def action(c: Container) -> int:
        search = c.search_admin()
        with Progress(console=console) as progress:
            task = progress.add_task("indexing products", total=await search.product_count())
            return await search.reindex(lambda n: progress.advance(task, n), missing_only=missing_only)

    console.print(f"indexed {run(action)} products")


@aliases.command("list")
def list_aliases() -> None:
    """Every alias."""

    async def action(c: Container) -> list[Alias]:
        return await c.search_admin().aliases()

    table = Table("word", "other", title="aliases")
    for alias in run(action):
        table.add_row(escape(alias.word), escape(alias.other))
    console.print(table)


@aliases.command("add")
def add_alias(word: str, other: str) -> None:
    """Make WORD and OTHER find the same products, both ways (products holding either are indexed again)."""

    async def action(c: Container) -> bool:
        return await c.search_admin().add_alias(word, other)

    added = run(action)
    console.print(f"alias {escape(word)} ↔ {escape(other)} " + ("added" if added else "was there already"))


@aliases.command("remove")
def remove_alias(word: str, other: str) -> None:
    """Remove the alias WORD ↔ OTHER (in either order); exits 1 when there is none."""

    async def action(c: Container) -> bool:
        return await c.search_admin().remove_alias(word, other)

    if not run(action):  # one error line, like every command's refusals (cli/errors.py)
        raise NotFound(f"别名 {word} ↔ {other}", f"{word} ↔ {other}")
    console.print(f"alias {escape(word)} ↔ {escape(other)} removed")
