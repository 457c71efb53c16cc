"""What every CLI command shares: a container from settings, an event loop, and clean errors."""

from __future__ import annotations

import asyncio
import getpass
import os
from collections.abc import Awaitable, Callable
from typing import TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from jiadian.container import Container, build_container, shutdown
from jiadian.domain.audit import Actor
from jiadian.domain.errors import DomainError

T = TypeVar("T")
console = Console()
err = Console(stderr=True)


def run(action: Callable[[Container], Awaitable[T]], *, container: Container | None = None) -> T:
    """Run one async action against a fresh container; a domain error exits 1 with its message."""

    async def main() -> T:
        c = container or build_container()
        try:
            return await action(c)
        finally:
            await shutdown(c)

    try:
        return asyncio.run(main())
    except DomainError as exc:
        # escaped: "[not_found]" would otherwise be read as console markup and vanish
        err.print(f"[red]error[/red] {escape(f'[{exc.code}]')} {escape(exc.detail)}")
        raise typer.Exit(1) from exc


def operator() -> Actor:
    """Who runs this command, as the audit log names them: the login (the one behind sudo, if any)."""
    try:
        login = os.environ.get("SUDO_USER") or getpass.getuser()
    except (OSError, KeyError):
        login = "unknown"
    return Actor.command_line(login)
