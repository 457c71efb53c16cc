"""`jiadian blobs`: files in the blob store, and moving them from the local directory to FastDFS."""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from jiadian.application.blobs import MigrationReport, Outcome, StoredFile
from jiadian.container import Container
from jiadian.entrypoints.cli.common import console, err, run

app = typer.Typer(help="Files in the blob store (product images, banners, avatars).", no_args_is_help=True)

_EXTENSION = re.compile(r"^[a-z0-9]{1,5}$")


class Target(StrEnum):
    FASTDFS = "fastdfs"


@app.command("put")
def put(file: Path = typer.Argument(..., exists=True, dir_okay=False, help="The file to store")) -> None:
    """Store FILE in the configured blob store; prints its file id, then its URL."""
    extension = file.suffix.removeprefix(".").lower()
    if not _EXTENSION.match(extension):
        err.print("[red]error[/red] the file name needs an extension of 1 to 5 letters or digits (.png)")
        raise typer.Exit(1)
    data = file.read_bytes()

    async def action(c: Container) -> StoredFile:
        return await c.blob_files().put(data, extension)

    stored = run(action)
    typer.echo(stored.file_id)
    typer.echo(stored.url)


@app.command("rm")
def rm(
    file_id: str = typer.Argument(..., help="A file id, as `put` printed it"),
    force: bool = typer.Option(False, "--force", help="Delete even when the shop still refers to it"),
) -> None:
    """Delete a file from the configured blob store. A file the shop still refers to is kept, unless --force."""

    async def action(c: Container) -> None:
        await c.blob_files().remove(file_id, force=force)

    run(action)
    console.print(f"deleted {file_id}")


@app.command("migrate")
def migrate(
    to: Target = typer.Option(..., "--to", help="The store to move to"),
    limit: int | None = typer.Option(None, min=1, max=2**63 - 1, help="Copy at most N files in this run"),
) -> None:
    """Copy every file the database refers to from the local directory into FastDFS.

    Every reference (category, sku and product images, banners, avatars, order lines) is rewritten to the file's FastDFS id, one file per transaction.

    Idempotent: references that are FastDFS ids already are skipped, so a second run copies nothing. Resumable: an interrupted run (Ctrl-C, an error, --limit) goes on where it stopped when run again.

    The local files are kept: delete them yourself once the shop serves from FastDFS (JIADIAN_BLOB_STORE=fastdfs).
    """

    async def action(c: Container) -> MigrationReport:
        migration = c.migration_to_fastdfs()
        columns = (
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
        )
        with Progress(*columns, console=console) as progress:
            task = progress.add_task(f"copying to {to.value}", total=None)

            def advance(file_id: str, outcome: Outcome) -> None:
                if outcome is Outcome.MISSING:
                    progress.console.print(f"[yellow]missing[/yellow] {file_id}: not in the local store")
                progress.advance(task)

            return await migration.run(
                limit=limit, on_start=lambda total: progress.update(task, total=total), on_file=advance
            )

    try:
        report = run(action)
    except KeyboardInterrupt:
        err.print("interrupted: the files copied so far are in place; run the command again to go on")
        raise typer.Exit(130) from None
    console.print(
        f"copied {report.copied}, already in {to.value} {report.skipped}, missing {len(report.missing)}, "
        f"no longer referred to {report.vanished}, left for a later run {report.pending} "
        f"(of {report.total} files referred to)"
    )
