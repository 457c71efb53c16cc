"""Orders and stock in memory: the same contract as the SQL adapter, over the shared in-memory state.

The in-memory unit of work is exclusive, so "conditional" and "locked" steps are simply checks.
Reviews go to the "reviews" table as `StoredReview`, where the in-memory catalogue reads them.
"""

from __future__ import annotations

import copy
from datetime import datetime

from jiadian.adapters.memory.accounts import USERS
from jiadian.adapters.memory.catalog import IMAGES, PRODUCTS, REVIEWS, SKUS, StoredReview, image_order
from jiadian.adapters.memory.state import MemoryState
from jiadian.application.catalog_ports import ReviewRow
from jiadian.application.ordering_ports import DuplicateOrder, SkuForSale, StockLevel
from jiadian.domain.catalog import Sku
from jiadian.domain.ordering import AlreadyReviewed, LineReview, Order, OrderStatus

ORDERS, ORDER_LINES, IDEMPOTENCY, SKU_VERSIONS = "orders", "order_lines", "order_idempotency", "sku_versions"


class MemoryStockRepository:
    def __init__(self, state: MemoryState) -> None:
        self._s = state

    def _images(self, sku_id: int) -> list[str]:
        found = sorted((i for i in self._s.table(IMAGES).values() if i.sku_id == sku_id), key=image_order)
        return [i.image for i in found]

    def _first_image(self, sku: Sku) -> str:
        images = self._images(sku.id)
        if not images:  # fall back on the product's card image (its first sku's)
            first = min(s.id for s in self._s.table(SKUS).values() if s.product_id == sku.product_id)
            images = self._images(first)
        return images[0] if images else ""

    async def for_sale(self, sku_ids: list[int]) -> dict[int, SkuForSale]:
        found = {}
        for sku_id in set(sku_ids):
            sku = self._s.table(SKUS).get(sku_id)
            if sku is None:
                continue
            product = self._s.table(PRODUCTS)[sku.product_id]
            found[sku_id] = SkuForSale(
                sku.id,
                sku.product_id,
                product.name,
                sku.size,
                sku.color,
                self._first_image(sku),
                sku.price,
                product.on_shelf,
            )
        return found

    def _version(self, sku_id: int) -> int:
        return int(self._s.table(SKU_VERSIONS).get(sku_id, 0))

    def _bump(self, sku_id: int) -> None:
        self._s.table(SKU_VERSIONS)[sku_id] = self._version(sku_id) + 1

    async def levels(self, sku_ids: list[int], *, lock: bool) -> dict[int, StockLevel]:
        skus = self._s.table(SKUS)
        return {i: StockLevel(i, skus[i].stock, self._version(i)) for i in set(sku_ids) if i in skus}

    async def take_if_available(self, sku_id: int, count: int) -> bool:
        sku: Sku | None = self._s.table(SKUS).get(sku_id)
        if sku is None or sku.stock < count:
            return False
        sku.sell(count)
        self._bump(sku_id)
        return True

    async def take_if_version(self, sku_id: int, count: int, version: int) -> bool:
        if self._version(sku_id) != version:
            return False
        return await self.take_if_available(sku_id, count)

    async def take(self, sku_id: int, count: int) -> None:
        self._s.table(SKUS)[sku_id].sell(count)
        self._bump(sku_id)

    async def take_all(self, counts: dict[int, int], *, versions: dict[int, int] | None = None) -> bool:
        taken = True
        for sku_id in sorted(counts):
            if versions is None:
                taken &= await self.take_if_available(sku_id, counts[sku_id])
            else:
                taken &= await self.take_if_version(sku_id, counts[sku_id], versions[sku_id])
        return taken

    async def give_back(self, sku_id: int, count: int) -> None:
        self._s.table(SKUS)[sku_id].restore(count)
        self._bump(sku_id)

    async def add_product_sales(self, changes: dict[int, int]) -> None:
        return None  # the in-memory catalogue sums its skus' sales when it shows a product


def _copy(order: Order) -> Order:
    copied = copy.deepcopy(order)
    copied.events = []
    return copied


class MemoryOrderRepository:
    def __init__(self, state: MemoryState) -> None:
        self._s = state

    @property
    def _orders(self) -> dict[str, Order]:
        return self._s.table(ORDERS)

    async def add_many(self, orders: list[tuple[Order, str | None]]) -> None:
        for order, key in orders:
            await self.add(order, key)

    async def taken_keys(self, keys: list[tuple[int, str]]) -> set[tuple[int, str]]:
        return set(keys) & set(self._s.table(IDEMPOTENCY))

    async def add(self, order: Order, idempotency_key: str | None) -> None:
        keys = self._s.table(IDEMPOTENCY)
        if (
            order.id in self._orders
            or any(o.trade_no == order.trade_no for o in self._orders.values())
            or (idempotency_key is not None and (order.user_id, idempotency_key) in keys)
        ):
            raise DuplicateOrder(order.id)
        for line in order.lines:
            line.id = self._s.next_id(ORDER_LINES)
        self._orders[order.id] = _copy(order)
        if idempotency_key is not None:
            keys[order.user_id, idempotency_key] = order.id

    async def get(self, order_id: str, *, lock: bool = False) -> Order | None:
        found = self._orders.get(order_id)
        return _copy(found) if found else None

    async def by_idempotency_key(self, user_id: int, key: str) -> Order | None:
        order_id = self._s.table(IDEMPOTENCY).get((user_id, key))
        return await self.get(order_id) if order_id else None

    async def save(self, order: Order, *, expected: OrderStatus) -> bool:
        stored = self._orders.get(order.id)
        if stored is None or stored.status is not expected:
            return False
        reviewed = {line.id: line.reviewed for line in stored.lines}
        updated = _copy(order)
        for line in updated.lines:  # review flags are add_review's to set
            line.reviewed = reviewed.get(line.id, False)
        self._orders[order.id] = updated
        return True

    async def add_review(self, review: LineReview) -> int:
        stored = self._orders[review.order_id]
        line = stored.line(review.line_id)
        if line.reviewed:
            raise AlreadyReviewed(review.order_id, review.line_id)
        line.reviewed = True
        user = self._s.table(USERS).get(review.user_id)
        review_id = self._s.next_id(REVIEWS)
        row = ReviewRow(
            review_id,
            user.username if user else "",
            review.score,
            review.content,
            review.created_at,
            review.sku_id,
            review.size,
            review.color,
        )
        self._s.table(REVIEWS)[review_id] = StoredReview(
            review_id, review.product_id, review.user_id, review.line_id, row
        )
        return review_id

    def _matching(self, user_id: int | None, status: OrderStatus | None) -> list[Order]:
        return [
            o
            for o in self._orders.values()
            if (user_id is None or o.user_id == user_id) and (status is None or o.status is status)
        ]

    async def count(self, *, user_id: int | None, status: OrderStatus | None) -> int:
        return len(self._matching(user_id, status))

    async def placed_before(self, status: OrderStatus, moment: datetime, limit: int) -> list[str]:
        due = [o for o in self._matching(None, status) if o.created_at <= moment]
        return [o.id for o in sorted(due, key=lambda o: (o.created_at, o.id))][:limit]

    async def paid_before(self, status: OrderStatus, moment: datetime, limit: int) -> list[str]:
        due = [o for o in self._matching(None, status) if o.paid_at is not None and o.paid_at <= moment]
        return [o.id for o in sorted(due, key=lambda o: (o.paid_at or moment, o.id))][:limit]

    async def list(
        self, *, user_id: int | None, status: OrderStatus | None, offset: int, limit: int
    ) -> list[Order]:
        newest = sorted(self._matching(user_id, status), key=lambda o: (o.created_at, o.id), reverse=True)
        return [_copy(o) for o in newest[offset : offset + limit]]
