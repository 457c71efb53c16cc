"""`jiadian worker`: background tasks and periodic jobs."""

from __future__ import annotations

import typer


def worker(
    threads: int = typer.Option(4, min=1, help="Worker threads (tasks run on one event loop)"),
) -> None:
    """Run the background tasks (dramatiq, on JIADIAN_BROKER=redis|rabbitmq) and the periodic jobs."""
    from jiadian.entrypoints.worker import main

    main(threads=threads)
