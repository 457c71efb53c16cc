"""What every CLI command shares: a container from settings, an event loop, users by id or name, tables.

Errors are not handled here: a command raises, and the root group (`errors.ShopGroup`) answers every
error in one line with a code and an exit status.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from rich.console import Console
from rich.table import Table

from jiadian.container import Container, build_container, shutdown
from jiadian.domain.accounts import User
from jiadian.domain.errors import NotFound

T = TypeVar("T")
console = Console()
err = Console(stderr=True)

# The same bounds as the HTTP API: a number past them is refused before it reaches the database.
MAX_ID = 2**63 - 1
USER_HELP = "A username, or a user id (a username made of digits wins)"


def run(action: Callable[[Container], Awaitable[T]], *, container: Container | None = None) -> T:
    """Run one async action against a fresh container, closed afterwards."""

    async def main() -> T:
        c = container or build_container()
        try:
            return await action(c)
        finally:
            await shutdown(c)

    return asyncio.run(main())


async def find_user(c: Container, ref: str) -> User:
    """A user by username, or by id when `ref` is digits and no user has that name."""
    accounts = c.accounts()
    try:
        return await accounts.by_username(ref)
    except NotFound:
        if not ref.isdigit() or int(ref) > MAX_ID:
            raise
    user, _wallet = await accounts.get(int(ref))
    return user


def table(*columns: str, ids: tuple[str, ...] = (), **options: Any) -> Table:
    """A table whose id columns are never cut nor wrapped, however narrow the terminal: the other
    columns wrap instead (an id is copied into the next command)."""
    result = Table(**options)
    for column in columns:
        if column in ids:
            result.add_column(column, no_wrap=True, overflow="ignore", min_width=len(column))
        else:
            result.add_column(column, overflow="fold")
    return result
