"""The operator console's reads on SQL (`ConsoleQueries`).

Every list is a deferred join: the page's keys come from an index alone, in the index's order (a deep
page walks index entries, never rows, and nothing is sorted), then only that page's rows are read.
The indexes each filter needs are in `tables.py` (migration 0007); `bench/console_scale.py` shows the
plans (EXPLAIN) and times at 100,000 products and orders.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Select, and_, case, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncEngine

from jiadian.adapters.sql.accounts import _user, ledger_entry
from jiadian.adapters.sql.audit import audit_entry
from jiadian.adapters.sql.engine import from_db, to_db
from jiadian.adapters.sql.ordering import _ORDER_COLUMNS, LINES_OF, SKU_IMAGE, _line, _order
from jiadian.adapters.sql.tables import (
    audit_log,
    categories,
    orders,
    payments,
    products,
    skus,
    spus,
    users,
    wallet_ledger,
    wallets,
)
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
from jiadian.domain.audit import AuditEntry, AuditQuery
from jiadian.domain.catalog import Category, Sku, Spu
from jiadian.domain.money import Money
from jiadian.domain.ordering import OrderLine
from jiadian.domain.payments import PaymentState
from jiadian.domain.wallet import LedgerEntry

MAX_ID = 2**63 - 1


def _contains(column: Any, text: str) -> Any:
    """Case-insensitive substring (a scan: the operator's searches are rare, the lists' filters indexed)."""
    return func.lower(column).contains(text.lower(), autoescape=True)


def _as_id(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() and 0 < int(text) <= MAX_ID else None


# --- orders -----------------------------------------------------------------------------------


def _orders_where(where: OrderFilter) -> list[Any]:
    conditions: list[Any] = []
    if where.ref is not None:
        conditions.append(or_(orders.c.id == where.ref, orders.c.trade_no == where.ref))
    if where.status is not None:
        conditions.append(orders.c.status == where.status.value)
    if where.user_id is not None:
        conditions.append(orders.c.user_id == where.user_id)
    if where.placed_from is not None:
        conditions.append(orders.c.created_at >= to_db(where.placed_from))
    if where.placed_until is not None:
        conditions.append(orders.c.created_at < to_db(where.placed_until))
    return conditions


def orders_page(where: OrderFilter, offset: int, limit: int) -> Select[Any]:
    """Newest first. The keys come from (status|user_id…, created_at, id), whichever the filter names."""
    page = (
        select(orders.c.id, orders.c.created_at)
        .where(*_orders_where(where))
        .order_by(orders.c.created_at.desc(), orders.c.id.desc())
        .offset(offset)
        .limit(limit)
        .subquery("page")
    )
    return (
        select(*_ORDER_COLUMNS, users.c.username)
        .select_from(page.join(orders, orders.c.id == page.c.id).join(users, users.c.id == orders.c.user_id))
        .order_by(page.c.created_at.desc(), page.c.id.desc())
    )


# --- products ---------------------------------------------------------------------------------


def _products_where(where: ProductFilter) -> list[Any]:
    conditions: list[Any] = []
    if where.text is not None:
        by_name = _contains(products.c.name, where.text)
        wanted = _as_id(where.text)
        conditions.append(or_(by_name, products.c.id == wanted) if wanted else by_name)
    if where.category_id is not None:
        conditions.append(products.c.category_id == where.category_id)
    if where.on_shelf is not None:
        conditions.append(products.c.on_shelf == where.on_shelf)
    return conditions


_OF_PRODUCT = skus.c.product_id == products.c.id


def products_page(where: ProductFilter, offset: int, limit: int) -> Select[Any]:
    """Newest first (by id): the keys from (category_id, on_shelf, id), (on_shelf, id), (category_id, id)
    or the primary key."""
    page = (
        select(products.c.id)
        .where(*_products_where(where))
        .order_by(products.c.id.desc())
        .offset(offset)
        .limit(limit)
        .subquery("page")
    )
    return (
        select(
            products.c.id,
            products.c.name,
            products.c.category_id,
            spus.c.name.label("spu_name"),
            products.c.on_shelf,
            products.c.price,
            products.c.sales,
            products.c.image,
            products.c.updated_at,
            select(func.coalesce(func.sum(skus.c.stock), 0))
            .where(_OF_PRODUCT)
            .scalar_subquery()
            .label("stock"),
            select(func.count(skus.c.id)).where(_OF_PRODUCT).scalar_subquery().label("sku_count"),
        )
        .select_from(
            page.join(products, products.c.id == page.c.id).join(spus, spus.c.id == products.c.spu_id)
        )
        .order_by(page.c.id.desc())
    )


def low_stock_page(at_most: int, offset: int, limit: int) -> Select[Any]:
    """Least stock first. A scan of skus: no index may hold their stock (see `tables.skus`); the few
    that match are sorted."""
    page = (
        select(skus.c.id, skus.c.stock)
        .where(skus.c.stock <= at_most)
        .order_by(skus.c.stock, skus.c.id)
        .offset(offset)
        .limit(limit)
        .subquery("page")
    )
    return (
        select(
            *(skus.c[name] for name in ("id", "product_id", "price", "stock", "sales", "color", "size")),
            products.c.name.label("product_name"),
            products.c.on_shelf,
            SKU_IMAGE.label("image"),
        )
        .select_from(
            page.join(skus, skus.c.id == page.c.id).join(products, products.c.id == skus.c.product_id)
        )
        .order_by(page.c.stock, page.c.id)
    )


# --- users --------------------------------------------------------------------------------------


def _users_where(where: UserFilter) -> list[Any]:
    conditions: list[Any] = []
    if where.text is not None:
        by_text = or_(_contains(users.c.username, where.text), _contains(users.c.email, where.text))
        wanted = _as_id(where.text)
        conditions.append(or_(by_text, users.c.id == wanted) if wanted else by_text)
    if where.is_admin is not None:
        conditions.append(users.c.is_admin == where.is_admin)
    return conditions


def users_page(where: UserFilter, offset: int, limit: int) -> Select[Any]:
    page = (
        select(users.c.id)
        .where(*_users_where(where))
        .order_by(users.c.id.desc())
        .offset(offset)
        .limit(limit)
        .subquery("page")
    )
    return (
        select(
            users,
            wallets.c.balance,
            select(func.count()).where(orders.c.user_id == users.c.id).scalar_subquery().label("order_count"),
        )
        .select_from(
            page.join(users, users.c.id == page.c.id).outerjoin(wallets, wallets.c.user_id == users.c.id)
        )
        .order_by(page.c.id.desc())
    )


# --- the audit log ------------------------------------------------------------------------------


def _audit_where(where: AuditQuery) -> list[Any]:
    """An action or target with its separator is one ("sku.price", "sku:12"); without, a kind ("sku")."""
    conditions: list[Any] = []
    if where.actor is not None:
        conditions.append(audit_log.c.actor == where.actor)
    if where.action is not None:
        action = where.action
        conditions.append(
            audit_log.c.action == action
            if "." in action
            else audit_log.c.action.startswith(action + ".", autoescape=True)
        )
    if where.target is not None:
        name = where.target
        conditions.append(
            audit_log.c.target == name
            if ":" in name
            else audit_log.c.target.startswith(name + ":", autoescape=True)
        )
    if where.since is not None:
        conditions.append(audit_log.c.at >= to_db(where.since))
    if where.until is not None:
        conditions.append(audit_log.c.at < to_db(where.until))
    return conditions


def audit_page(where: AuditQuery, offset: int, limit: int) -> Select[Any]:
    """Newest first: the keys from (actor|action|target, at, id) or (at, id)."""
    page = (
        select(audit_log.c.id, audit_log.c.at)
        .where(*_audit_where(where))
        .order_by(audit_log.c.at.desc(), audit_log.c.id.desc())
        .offset(offset)
        .limit(limit)
        .subquery("page")
    )
    return (
        select(audit_log)
        .select_from(page.join(audit_log, audit_log.c.id == page.c.id))
        .order_by(page.c.at.desc(), page.c.id.desc())
    )


def _count(table: Any, conditions: Sequence[Any]) -> Select[Any]:
    return select(func.count()).select_from(table).where(*conditions)


class SqlConsoleQueries:
    """Each read on one pooled connection (no transaction of a writer), a fixed number of statements."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def _scalar(self, query: Select[Any]) -> Any:
        async with self._engine.connect() as conn:
            return (await conn.execute(query)).scalar_one()

    async def _rows(self, query: Select[Any]) -> list[Row[Any]]:
        async with self._engine.connect() as conn:
            return list((await conn.execute(query)).all())

    async def window(self, since: datetime, until: datetime) -> Window:
        start, end = to_db(since), to_db(until)
        paid_in = and_(orders.c.paid_at >= start, orders.c.paid_at < end)
        query = select(
            _count(orders, [orders.c.created_at >= start, orders.c.created_at < end]).scalar_subquery(),
            _count(orders, [paid_in]).scalar_subquery(),
            select(func.coalesce(func.sum(orders.c.total), 0)).where(paid_in).scalar_subquery(),
        )
        async with self._engine.connect() as conn:
            placed, paid, revenue = (await conn.execute(query)).one()
        return Window(int(placed), int(paid), Money.of(revenue))

    async def count_orders(self, where: OrderFilter) -> int:
        return int(await self._scalar(_count(orders, _orders_where(where))))

    async def orders(self, where: OrderFilter, offset: int, limit: int) -> list[OrderRow]:
        async with self._engine.connect() as conn:
            rows = (await conn.execute(orders_page(where, offset, limit))).all()
            lines: dict[str, list[OrderLine]] = {r.id: [] for r in rows}
            if rows:
                for line in await conn.execute(LINES_OF, {"order_ids": list(lines)}):
                    lines[line.order_id].append(_line(line))
        return [OrderRow(_order(r, lines[r.id]), r.username) for r in rows]

    async def order(self, order_id: str) -> OrderRow | None:
        found = await self.orders(OrderFilter(ref=order_id), 0, 2)
        return next((row for row in found if row.order.id == order_id), found[0] if found else None)

    async def count_products(self, where: ProductFilter) -> int:
        return int(await self._scalar(_count(products, _products_where(where))))

    async def products(self, where: ProductFilter, offset: int, limit: int) -> list[ProductRow]:
        return [
            ProductRow(
                id=r.id,
                name=r.name,
                category_id=r.category_id,
                spu=r.spu_name,
                on_shelf=bool(r.on_shelf),
                price=Money.of(r.price),
                stock=int(r.stock),
                sales=int(r.sales),
                skus=int(r.sku_count),
                image=r.image,
                updated_at=from_db(r.updated_at),
            )
            for r in await self._rows(products_page(where, offset, limit))
        ]

    async def count_low_stock(self, at_most: int) -> int:
        return int(await self._scalar(_count(skus, [skus.c.stock <= at_most])))

    async def low_stock(self, at_most: int, offset: int, limit: int) -> list[StockRow]:
        return [
            StockRow(
                Sku(r.id, r.product_id, Money.of(r.price), r.stock, r.sales, r.color, r.size),
                r.product_name,
                bool(r.on_shelf),
                r.image or "",
            )
            for r in await self._rows(low_stock_page(at_most, offset, limit))
        ]

    async def payment_totals(self, state: PaymentState) -> tuple[int, Money]:
        query = select(func.count(), func.coalesce(func.sum(payments.c.amount), 0)).where(
            payments.c.state == state.value
        )
        async with self._engine.connect() as conn:
            count, amount = (await conn.execute(query)).one()
        return int(count), Money.of(amount)

    async def categories(self) -> list[CategoryRow]:
        counts = (
            select(
                products.c.category_id,
                func.count().label("products"),
                func.coalesce(func.sum(case((products.c.on_shelf == true(), 1), else_=0)), 0).label(
                    "on_shelf"
                ),
            )
            .group_by(products.c.category_id)
            .subquery("counts")
        )
        query = (
            select(categories, counts.c.products, counts.c.on_shelf)
            .outerjoin(counts, counts.c.category_id == categories.c.id)
            .order_by(categories.c.id)
        )
        return [
            CategoryRow(Category(r.id, r.name, r.slug, r.image), int(r.products or 0), int(r.on_shelf or 0))
            for r in await self._rows(query)
        ]

    async def spus(self, category_id: int | None, text: str | None, limit: int) -> list[Spu]:
        query = select(spus)
        if category_id is not None:
            query = query.where(spus.c.category_id == category_id)
        if text is not None:
            query = query.where(_contains(spus.c.name, text))
        rows = await self._rows(query.order_by(spus.c.id).limit(limit))
        return [Spu(r.id, r.name, r.detail, r.category_id) for r in rows]

    async def user_id(self, username: str) -> int | None:
        rows = await self._rows(select(users.c.id).where(users.c.username == username))
        return int(rows[0].id) if rows else None

    async def count_users(self, where: UserFilter) -> int:
        return int(await self._scalar(_count(users, _users_where(where))))

    async def users(self, where: UserFilter, offset: int, limit: int) -> list[UserRow]:
        return [
            UserRow(_user(r), Money.of(r.balance if r.balance is not None else 0), int(r.order_count))
            for r in await self._rows(users_page(where, offset, limit))
        ]

    async def count_ledger(self, user_id: int) -> int:
        return int(await self._scalar(_count(wallet_ledger, [wallet_ledger.c.user_id == user_id])))

    async def ledger(self, user_id: int, offset: int, limit: int) -> list[LedgerEntry]:
        query = (
            select(wallet_ledger)
            .where(wallet_ledger.c.user_id == user_id)
            .order_by(wallet_ledger.c.id.desc())
            .offset(offset)
            .limit(limit)
        )
        return [ledger_entry(r) for r in await self._rows(query)]

    async def count_audit(self, where: AuditQuery) -> int:
        return int(await self._scalar(_count(audit_log, _audit_where(where))))

    async def audit(self, where: AuditQuery, offset: int, limit: int) -> list[AuditEntry]:
        return [audit_entry(r) for r in await self._rows(audit_page(where, offset, limit))]
