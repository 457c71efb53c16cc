"""Ports and read models of the operator console: the lists, figures and searches behind its pages.

Reads only, outside any unit of work. Every list is a count and a page (offset, limit) in a fixed order
that an index gives: adapters must answer a deep page of 100,000 rows from the index, not by reading
and sorting the rows (see `jiadian.adapters.sql.console`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from jiadian.domain.accounts import User
from jiadian.domain.audit import AuditEntry, AuditQuery
from jiadian.domain.catalog import Category, Sku, Spu
from jiadian.domain.money import Money
from jiadian.domain.ordering import Order, OrderStatus
from jiadian.domain.payments import PaymentState
from jiadian.domain.wallet import LedgerEntry


@dataclass(frozen=True, slots=True)
class ProductFilter:
    text: str | None = None  # the name contains it (or it is the product's id)
    category_id: int | None = None
    on_shelf: bool | None = None


@dataclass(frozen=True, slots=True)
class ProductRow:
    """A product in the operator's list: newest first."""

    id: int
    name: str
    category_id: int
    spu: str
    on_shelf: bool
    price: Money  # the lowest of its skus'
    stock: int  # summed over its skus
    sales: int
    skus: int
    image: str  # its card's (file id)
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class StockRow:
    """A sku in the low-stock list: least stock first."""

    sku: Sku
    product_name: str
    on_shelf: bool
    image: str  # its first image, else its product card's


@dataclass(frozen=True, slots=True)
class CategoryRow:
    category: Category
    products: int
    on_shelf: int


@dataclass(frozen=True, slots=True)
class OrderFilter:
    status: OrderStatus | None = None
    user_id: int | None = None
    placed_from: datetime | None = None  # inclusive
    placed_until: datetime | None = None  # exclusive
    ref: str | None = None  # an order's id or its trade number


@dataclass(frozen=True, slots=True)
class OrderRow:
    """An order with its lines and its buyer's name: newest first."""

    order: Order
    username: str


@dataclass(frozen=True, slots=True)
class UserFilter:
    text: str | None = None  # in the username or e-mail (or it is the user's id)
    is_admin: bool | None = None


@dataclass(frozen=True, slots=True)
class UserRow:
    """A user with the balance of their wallet and their number of orders: newest first."""

    user: User
    balance: Money
    orders: int


@dataclass(frozen=True, slots=True)
class Window:
    """What happened in a span of time: orders placed, orders paid, and the money paid for them."""

    placed: int
    paid: int
    revenue: Money


class ConsoleQueries(Protocol):
    async def window(self, since: datetime, until: datetime) -> Window:
        """Orders placed in [since, until), and orders paid in it with the sum of their totals."""
        ...

    async def count_orders(self, where: OrderFilter) -> int: ...

    async def orders(self, where: OrderFilter, offset: int, limit: int) -> list[OrderRow]:
        """Newest first (placed, then id)."""
        ...

    async def order(self, order_id: str) -> OrderRow | None: ...

    async def count_products(self, where: ProductFilter) -> int: ...

    async def products(self, where: ProductFilter, offset: int, limit: int) -> list[ProductRow]:
        """Newest first (by id)."""
        ...

    async def count_low_stock(self, at_most: int) -> int:
        """Skus with at most this much stock."""
        ...

    async def low_stock(self, at_most: int, offset: int, limit: int) -> list[StockRow]:
        """Least stock first, then by id."""
        ...

    async def payment_totals(self, state: PaymentState) -> tuple[int, Money]:
        """How many payments are in this state, and their amounts summed."""
        ...

    async def categories(self) -> list[CategoryRow]: ...

    async def spus(self, category_id: int | None, text: str | None, limit: int) -> list[Spu]:
        """Spus (of a category) whose name contains `text`, oldest first."""
        ...

    async def user_id(self, username: str) -> int | None: ...

    async def count_users(self, where: UserFilter) -> int: ...

    async def users(self, where: UserFilter, offset: int, limit: int) -> list[UserRow]:
        """Newest first (by id)."""
        ...

    async def count_ledger(self, user_id: int) -> int: ...

    async def ledger(self, user_id: int, offset: int, limit: int) -> list[LedgerEntry]:
        """A wallet's entries, newest first."""
        ...

    async def count_audit(self, where: AuditQuery) -> int: ...

    async def audit(self, where: AuditQuery, offset: int, limit: int) -> list[AuditEntry]:
        """Newest first (at, then id)."""
        ...
