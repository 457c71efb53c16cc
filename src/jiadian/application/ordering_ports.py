"""Ports of checkout and orders: the order repository, stock keeping, and transaction retries."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, TypeVar

from jiadian.domain.money import Money
from jiadian.domain.ordering import LineReview, Order, OrderStatus

T = TypeVar("T")


class DuplicateOrder(Exception):
    """The order's id, trade number or (buyer, idempotency key) is already taken."""


@dataclass(frozen=True, slots=True)
class SkuForSale:
    """What an order line copies from the catalogue when the order is placed."""

    sku_id: int
    product_id: int
    name: str  # the product's name
    size: str
    color: str
    image: str  # the sku's first image (blob file id), "" when none
    price: Money
    on_shelf: bool


@dataclass(frozen=True, slots=True)
class StockLevel:
    sku_id: int
    stock: int
    version: int


class StockRepository(Protocol):
    """Stock and sales of skus, inside a unit of work.

    Every change of a sku's stock also adds to its sales (or takes back) and bumps its version.
    Callers touch skus in ascending id order, then products in ascending id order (no deadlock cycles).
    """

    async def for_sale(self, sku_ids: list[int]) -> dict[int, SkuForSale]:
        """These skus with their product's name and shelf state; unknown ids are absent."""
        ...

    async def levels(self, sku_ids: list[int], *, lock: bool) -> dict[int, StockLevel]:
        """Current stock and version; with `lock`, the rows stay locked (FOR UPDATE) until commit."""
        ...

    async def take_if_available(self, sku_id: int, count: int) -> bool:
        """Take `count` when at least that much is in stock, in one conditional step; False otherwise."""
        ...

    async def take_if_version(self, sku_id: int, count: int, version: int) -> bool:
        """Take `count` if the sku is still at `version` (and has the stock); False when it moved on."""
        ...

    async def take(self, sku_id: int, count: int) -> None:
        """Take `count` from a sku this unit of work has locked and checked."""
        ...

    async def take_all(self, counts: dict[int, int], *, versions: dict[int, int] | None = None) -> bool:
        """Take each sku's count where at least that much is in stock (and, with `versions`, the sku is
        still at that version), in sku-id order, in one round of statements. True when every count was
        taken; False when some were not (the others may have been: roll back)."""
        ...

    async def give_back(self, sku_id: int, count: int) -> None:
        """Return `count` to stock and take it off the sales (a cancelled order)."""
        ...

    async def add_product_sales(self, changes: dict[int, int]) -> None:
        """Keep products' summed sales in step: {product_id: +n or -n}, applied in product-id order."""
        ...


class OrderRepository(Protocol):
    async def add(self, order: Order, idempotency_key: str | None) -> None:
        """Write the order and its lines (their ids are set). Raises `DuplicateOrder` on a taken id,
        trade number or idempotency key."""
        ...

    async def add_many(self, orders: list[tuple[Order, str | None]]) -> None:
        """Write orders with their idempotency keys, as `add` does, in a fixed number of statements.
        Raises `DuplicateOrder` when any id, trade number or key is taken (roll back: some may be written)."""
        ...

    async def taken_keys(self, keys: list[tuple[int, str]]) -> set[tuple[int, str]]:
        """Which of these (buyer, idempotency key) pairs already name an order."""
        ...

    async def get(self, order_id: str, *, lock: bool = False) -> Order | None:
        """The order with its lines; with `lock`, its row stays locked until commit."""
        ...

    async def by_idempotency_key(self, user_id: int, key: str) -> Order | None: ...

    async def save(self, order: Order, *, expected: OrderStatus) -> bool:
        """Write status, payment and timestamps — only if the stored status is still `expected`.

        One conditional update: of two concurrent transitions from the same status, one wins.
        """
        ...

    async def add_review(self, review: LineReview) -> int:
        """Mark the line reviewed and store the review (read by the catalogue); returns the review id.

        Raises `jiadian.domain.ordering.AlreadyReviewed` when the line already has one.
        """
        ...

    async def count(self, *, user_id: int | None, status: OrderStatus | None) -> int: ...

    async def placed_before(self, status: OrderStatus, moment: datetime, limit: int) -> list[str]:
        """Ids of orders in `status` placed at or before `moment`, oldest first (the expiry sweep)."""
        ...

    async def paid_before(self, status: OrderStatus, moment: datetime, limit: int) -> list[str]:
        """Ids of orders in `status` paid at or before `moment`, oldest first (the shipping sweep)."""
        ...

    async def list(
        self, *, user_id: int | None, status: OrderStatus | None, offset: int, limit: int
    ) -> list[Order]:
        """Newest first, with their lines."""
        ...


class TransactionRetry(Protocol):
    """Run a whole transaction again when the database says it lost a race (deadlock, lock timeout).

    When retries run out, raises `jiadian.domain.errors.ServiceUnavailable` — never a raw database error.
    """

    async def run(self, attempt: Callable[[], Awaitable[T]]) -> T: ...
