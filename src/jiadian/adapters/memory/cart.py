"""The cart and the browsing history in memory (the embedded default): the domain's own objects, per process.

Each method runs without an `await` in between reading and writing, so on one event loop it is atomic,
like the Redis script it stands in for.
"""

from __future__ import annotations

from jiadian.domain.cart import Cart, remember


class MemoryCartStore:
    def __init__(self) -> None:
        self._carts: dict[int, Cart] = {}

    async def add(self, user_id: int, sku_id: int, count: int, *, limit: int) -> int:
        return self._carts.setdefault(user_id, Cart()).add(sku_id, count, limit=limit)

    async def set(self, user_id: int, sku_id: int, count: int) -> bool:
        cart = self._carts.get(user_id)
        if cart is None or sku_id not in cart.lines:
            return False
        # The store replaces a count; the stock was checked by the use case (as for the Redis store).
        return cart.set_count(sku_id, count, limit=count)

    async def remove(self, user_id: int, *sku_ids: int) -> None:
        cart = self._carts.get(user_id)
        if cart is not None:
            cart.remove(*sku_ids)
            if not cart.lines:
                del self._carts[user_id]

    async def lines(self, user_id: int) -> dict[int, int]:
        cart = self._carts.get(user_id)
        return dict(cart.lines) if cart else {}

    async def ping(self) -> None:
        return None


class MemoryBrowsingHistory:
    def __init__(self) -> None:
        self._viewed: dict[int, list[int]] = {}

    async def record(self, user_id: int, product_id: int, *, keep: int) -> None:
        self._viewed[user_id] = remember(self._viewed.get(user_id, []), product_id, keep=keep)

    async def recent(self, user_id: int, limit: int) -> list[int]:
        return list(self._viewed.get(user_id, [])[: max(limit, 0)])
