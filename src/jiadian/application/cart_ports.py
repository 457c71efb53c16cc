"""Ports of the cart and the browsing history.

Both are keyed by user id and live outside the database: Redis in production, memory by default.
When the store does not answer, their methods raise `jiadian.domain.errors.ServiceUnavailable`.
"""

from __future__ import annotations

from typing import Protocol


class CartStore(Protocol):
    """A user's cart: {sku_id: count}. Redis in production (one hash per user), memory by default."""

    async def add(self, user_id: int, sku_id: int, count: int, *, limit: int) -> int:
        """Add `count` to the line atomically; refuse (InsufficientStock) when the total would pass `limit`.

        Refuses a new line (CartFull) when the cart already holds `jiadian.domain.cart.MAX_LINES`.
        Returns the number of distinct lines after the add.
        """
        ...

    async def set(self, user_id: int, sku_id: int, count: int) -> bool:
        """Replace the count of a line atomically; False (nothing written) when the cart has no such line."""
        ...

    async def remove(self, user_id: int, *sku_ids: int) -> None:
        """Remove lines; lines that are not there are ignored."""
        ...

    async def lines(self, user_id: int) -> dict[int, int]: ...

    async def ping(self) -> None: ...


class BrowsingHistory(Protocol):
    """Recently viewed products per user: most recent first, no duplicates, capped."""

    async def record(self, user_id: int, product_id: int, *, keep: int) -> None:
        """Put the product first (once), keeping at most `keep` products, in one atomic step."""
        ...

    async def recent(self, user_id: int, limit: int) -> list[int]:
        """Product ids, most recently viewed first."""
        ...
