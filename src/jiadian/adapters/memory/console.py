"""The operator console's reads in memory: the same contract as the SQL adapter, by scanning the state."""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime
from typing import Any, TypeVar

from jiadian.adapters.memory.accounts import LEDGER, USERS, WALLETS
from jiadian.adapters.memory.audit import AUDIT
from jiadian.adapters.memory.catalog import CATEGORIES, IMAGES, PRODUCTS, SKUS, SPUS, image_order
from jiadian.adapters.memory.ordering import ORDERS
from jiadian.adapters.memory.payments import PAYMENTS
from jiadian.adapters.memory.state import MemoryState
from jiadian.application.console_ports import (
    CategoryRow,
    OrderFilter,
    OrderRow,
    ProductFilter,
    ProductRow,
    StockRow,
    UserFilter,
    UserRow,
    Window,
)
from jiadian.domain.accounts import User
from jiadian.domain.audit import AuditEntry, AuditQuery
from jiadian.domain.catalog import Product, Sku, Spu
from jiadian.domain.money import Money, total
from jiadian.domain.ordering import Order
from jiadian.domain.payments import Payment, PaymentState
from jiadian.domain.wallet import LedgerEntry

T = TypeVar("T")


def _has(text: str, *values: str) -> bool:
    return any(text.lower() in value.lower() for value in values)


def _is_id(text: str, value: int) -> bool:
    return text.isdigit() and int(text) == value


def _in(moment: datetime | None, since: datetime, until: datetime) -> bool:
    return moment is not None and since <= moment < until


class MemoryConsoleQueries:
    def __init__(self, state: MemoryState) -> None:
        self._s = state

    def _table(self, name: str) -> Iterable[Any]:
        return list(self._s.table(name).values())

    # --- orders ---

    def _orders(self, where: OrderFilter) -> list[Order]:
        def wanted(order: Order) -> bool:
            return (
                (where.ref is None or where.ref in (order.id, order.trade_no))
                and (where.status is None or order.status is where.status)
                and (where.user_id is None or order.user_id == where.user_id)
                and (where.placed_from is None or order.created_at >= where.placed_from)
                and (where.placed_until is None or order.created_at < where.placed_until)
            )

        found = [o for o in self._table(ORDERS) if wanted(o)]
        return sorted(found, key=lambda o: (o.created_at, o.id), reverse=True)

    def _username(self, user_id: int) -> str:
        user: User | None = self._s.table(USERS).get(user_id)
        return user.username if user else ""

    async def window(self, since: datetime, until: datetime) -> Window:
        every: list[Order] = list(self._table(ORDERS))
        paid = [o for o in every if _in(o.paid_at, since, until)]
        placed = sum(_in(o.created_at, since, until) for o in every)
        return Window(placed, len(paid), total([o.total for o in paid]))

    async def count_orders(self, where: OrderFilter) -> int:
        return len(self._orders(where))

    async def orders(self, where: OrderFilter, offset: int, limit: int) -> list[OrderRow]:
        page = self._orders(where)[offset : offset + limit]
        return [OrderRow(copy.deepcopy(o), self._username(o.user_id)) for o in page]

    async def order(self, order_id: str) -> OrderRow | None:
        found: Order | None = self._s.table(ORDERS).get(order_id)
        if found is None:
            by_trade = self._orders(OrderFilter(ref=order_id))
            found = by_trade[0] if by_trade else None
        return OrderRow(copy.deepcopy(found), self._username(found.user_id)) if found else None

    # --- the catalogue ---

    def _skus_of(self, product_id: int) -> list[Sku]:
        return sorted((s for s in self._table(SKUS) if s.product_id == product_id), key=lambda s: s.id)

    def _images_of(self, sku_id: int) -> list[str]:
        return [
            i.image for i in sorted((i for i in self._table(IMAGES) if i.sku_id == sku_id), key=image_order)
        ]

    def _products(self, where: ProductFilter) -> list[Product]:
        def wanted(product: Product) -> bool:
            text = where.text
            return (
                (text is None or _has(text, product.name) or _is_id(text, product.id))
                and (where.category_id is None or product.category_id == where.category_id)
                and (where.on_shelf is None or product.on_shelf is where.on_shelf)
            )

        return sorted((p for p in self._table(PRODUCTS) if wanted(p)), key=lambda p: p.id, reverse=True)

    def _row(self, product: Product) -> ProductRow:
        skus = self._skus_of(product.id)
        card = min(skus, key=lambda s: (s.price, s.id)) if skus else None
        images = (self._images_of(card.id) if card else []) or [
            i for s in skus for i in self._images_of(s.id)
        ]
        spu: Spu = self._s.table(SPUS)[product.spu_id]
        return ProductRow(
            id=product.id,
            name=product.name,
            category_id=product.category_id,
            spu=spu.name,
            on_shelf=product.on_shelf,
            price=card.price if card else Money.zero(),
            stock=sum(s.stock for s in skus),
            sales=sum(s.sales for s in skus),
            skus=len(skus),
            image=images[0] if images else "",
            updated_at=product.updated_at or datetime.min,
        )

    async def count_products(self, where: ProductFilter) -> int:
        return len(self._products(where))

    async def products(self, where: ProductFilter, offset: int, limit: int) -> list[ProductRow]:
        return [self._row(p) for p in self._products(where)[offset : offset + limit]]

    def _low(self, at_most: int) -> list[Sku]:
        return sorted((s for s in self._table(SKUS) if s.stock <= at_most), key=lambda s: (s.stock, s.id))

    async def count_low_stock(self, at_most: int) -> int:
        return len(self._low(at_most))

    async def low_stock(self, at_most: int, offset: int, limit: int) -> list[StockRow]:
        rows = []
        for sku in self._low(at_most)[offset : offset + limit]:
            product: Product = self._s.table(PRODUCTS)[sku.product_id]
            first = self._skus_of(product.id)[0]
            images = self._images_of(sku.id) or self._images_of(first.id)
            rows.append(StockRow(replace(sku), product.name, product.on_shelf, images[0] if images else ""))
        return rows

    async def payment_totals(self, state: PaymentState) -> tuple[int, Money]:
        chosen: list[Payment] = [p for p in self._table(PAYMENTS) if p.state is state]
        return len(chosen), total([p.amount for p in chosen])

    async def categories(self) -> list[CategoryRow]:
        every: list[Product] = list(self._table(PRODUCTS))
        return [
            CategoryRow(
                replace(c),
                sum(p.category_id == c.id for p in every),
                sum(p.category_id == c.id and p.on_shelf for p in every),
            )
            for c in sorted(self._table(CATEGORIES), key=lambda c: c.id)
        ]

    async def spus(self, category_id: int | None, text: str | None, limit: int) -> list[Spu]:
        found = [
            replace(s)
            for s in self._table(SPUS)
            if (category_id is None or s.category_id == category_id) and (text is None or _has(text, s.name))
        ]
        return sorted(found, key=lambda s: s.id)[:limit]

    # --- users ---

    async def user_id(self, username: str) -> int | None:
        return next((u.id for u in self._table(USERS) if u.username == username), None)

    def _users(self, where: UserFilter) -> list[User]:
        def wanted(user: User) -> bool:
            text = where.text
            return (text is None or _has(text, user.username, user.email) or _is_id(text, user.id)) and (
                where.is_admin is None or user.is_admin is where.is_admin
            )

        return sorted((u for u in self._table(USERS) if wanted(u)), key=lambda u: u.id, reverse=True)

    async def count_users(self, where: UserFilter) -> int:
        return len(self._users(where))

    async def users(self, where: UserFilter, offset: int, limit: int) -> list[UserRow]:
        every: list[Order] = list(self._table(ORDERS))
        return [
            UserRow(
                replace(u),
                self._s.table(WALLETS)[u.id].balance if u.id in self._s.table(WALLETS) else Money.zero(),
                sum(o.user_id == u.id for o in every),
            )
            for u in self._users(where)[offset : offset + limit]
        ]

    def _ledger(self, user_id: int) -> list[LedgerEntry]:
        entries = self._s.table(LEDGER)
        return [
            entry
            for key in sorted(entries, reverse=True)
            for owner, entry in [entries[key]]
            if owner == user_id
        ]

    async def count_ledger(self, user_id: int) -> int:
        return len(self._ledger(user_id))

    async def ledger(self, user_id: int, offset: int, limit: int) -> list[LedgerEntry]:
        return self._ledger(user_id)[offset : offset + limit]

    # --- the audit log ---

    def _audit(self, where: AuditQuery) -> list[AuditEntry]:
        def matches(value: str | None, actual: str, separator: str) -> bool:
            if value is None:
                return True
            return actual == value if separator in value else actual.startswith(value + separator)

        def wanted(entry: AuditEntry) -> bool:
            return (
                (where.actor is None or entry.actor.label == where.actor)
                and matches(where.action, entry.action, ".")
                and matches(where.target, entry.target, ":")
                and (where.since is None or entry.at >= where.since)
                and (where.until is None or entry.at < where.until)
            )

        return _newest(self._table(AUDIT), wanted, lambda e: (e.at, e.id))

    async def count_audit(self, where: AuditQuery) -> int:
        return len(self._audit(where))

    async def audit(self, where: AuditQuery, offset: int, limit: int) -> list[AuditEntry]:
        return self._audit(where)[offset : offset + limit]


def _newest(rows: Iterable[T], wanted: Callable[[T], bool], key: Callable[[T], Any]) -> list[T]:
    return sorted((row for row in rows if wanted(row)), key=key, reverse=True)
