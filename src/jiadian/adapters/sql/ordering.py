"""Orders and stock on SQL: the order repository and the stock repository of one unit of work."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Select, and_, bindparam, case, func, insert, select, tuple_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from jiadian.adapters.sql.engine import from_db, to_db
from jiadian.adapters.sql.tables import order_lines, orders, products, reviews, sku_images, skus
from jiadian.application.ordering_ports import DuplicateOrder, SkuForSale, StockLevel
from jiadian.domain.money import Money
from jiadian.domain.ordering import (
    AlreadyReviewed,
    LineReview,
    Order,
    OrderLine,
    OrderStatus,
    ShippingAddress,
)

# --- stock ------------------------------------------------------------------------------------
#
# The statements of the checkout are built once, here: SQLAlchemy then finds their compiled form in its
# cache by identity instead of building, coercing and hashing a new statement on every call.


def _less(column: Any, count: Any) -> Any:
    """`column - count`, never below zero (sales of data loaded before orders existed)."""
    return case((column >= count, column - count), else_=0)


# A sku's first image, else its product card's: what order lines copy and cart lines show.
SKU_IMAGE = func.coalesce(
    select(sku_images.c.image)
    .where(sku_images.c.sku_id == skus.c.id)
    .order_by(sku_images.c.position, sku_images.c.id)
    .limit(1)
    .correlate(skus)
    .scalar_subquery(),
    products.c.image,
)
FOR_SALE = (
    select(
        skus.c.id,
        skus.c.product_id,
        skus.c.size,
        skus.c.color,
        skus.c.price,
        products.c.name,
        products.c.on_shelf,
        SKU_IMAGE.label("image"),
    )
    .join(products, products.c.id == skus.c.product_id)
    .where(skus.c.id.in_(bindparam("sku_ids", expanding=True)))
)
_LEVEL_COLUMNS = (skus.c.id, skus.c.stock, skus.c.version)
LEVELS = select(*_LEVEL_COLUMNS).where(skus.c.id.in_(bindparam("sku_ids", expanding=True)))
LEVEL_LOCKED = select(*_LEVEL_COLUMNS).where(skus.c.id == bindparam("sku_id")).with_for_update()
# Take `n` (every change of stock also moves sales and bumps the version).
_TAKE = (
    update(skus)
    .where(skus.c.id == bindparam("sku_id"), skus.c.stock >= bindparam("n"))
    .values(
        stock=skus.c.stock - bindparam("n"), sales=skus.c.sales + bindparam("n"), version=skus.c.version + 1
    )
)
TAKE_IF_AVAILABLE = _TAKE
TAKE_IF_VERSION = _TAKE.where(skus.c.version == bindparam("version_read"))
GIVE_BACK = (
    update(skus)
    .where(skus.c.id == bindparam("sku_id"))
    .values(
        stock=skus.c.stock + bindparam("n"),
        sales=_less(skus.c.sales, bindparam("n")),
        version=skus.c.version + 1,
    )
)
ADD_PRODUCT_SALES = (
    update(products)
    .where(products.c.id == bindparam("product_id"))
    .values(sales=products.c.sales + bindparam("n"))
)
TAKE_PRODUCT_SALES = (
    update(products)
    .where(products.c.id == bindparam("product_id"))
    .values(sales=_less(products.c.sales, bindparam("n")))
)


class SqlStockRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def for_sale(self, sku_ids: list[int]) -> dict[int, SkuForSale]:
        if not sku_ids:
            return {}
        return {
            r.id: SkuForSale(
                r.id,
                r.product_id,
                r.name,
                r.size,
                r.color,
                r.image or "",
                Money.of(r.price),
                bool(r.on_shelf),
            )
            for r in await self._conn.execute(FOR_SALE, {"sku_ids": sorted(set(sku_ids))})
        }

    async def levels(self, sku_ids: list[int], *, lock: bool) -> dict[int, StockLevel]:
        rows: list[Any] = []
        if lock:
            # One row at a time, in id order: the lock order is ours, not the optimiser's.
            for sku_id in sorted(set(sku_ids)):
                rows.extend((await self._conn.execute(LEVEL_LOCKED, {"sku_id": sku_id})).all())
        elif sku_ids:
            rows.extend(await self._conn.execute(LEVELS, {"sku_ids": sorted(set(sku_ids))}))
        return {r.id: StockLevel(r.id, r.stock, r.version) for r in rows}

    async def _changed(self, statement: Any, **params: int) -> bool:
        result = await self._conn.execute(statement, params)
        return bool(result.rowcount == 1)

    async def take_if_available(self, sku_id: int, count: int) -> bool:
        return await self._changed(TAKE_IF_AVAILABLE, sku_id=sku_id, n=count)

    async def take_if_version(self, sku_id: int, count: int, version: int) -> bool:
        return await self._changed(TAKE_IF_VERSION, sku_id=sku_id, n=count, version_read=version)

    async def take(self, sku_id: int, count: int) -> None:
        if not await self._changed(TAKE_IF_AVAILABLE, sku_id=sku_id, n=count):
            raise RuntimeError(f"sku {sku_id}: stock changed under a row lock")  # pragma: no cover

    async def take_all(self, counts: dict[int, int], *, versions: dict[int, int] | None = None) -> bool:
        if not counts:
            return True
        # One executemany: the driver runs the statement per sku (id order) and sums the rows changed.
        if versions is None:
            statement, params = TAKE_IF_AVAILABLE, [{"sku_id": i, "n": counts[i]} for i in sorted(counts)]
        else:
            statement = TAKE_IF_VERSION
            params = [{"sku_id": i, "n": counts[i], "version_read": versions[i]} for i in sorted(counts)]
        result = await self._conn.execute(statement, params[0] if len(params) == 1 else params)
        return bool(result.rowcount == len(params))

    async def give_back(self, sku_id: int, count: int) -> None:
        await self._conn.execute(GIVE_BACK, {"sku_id": sku_id, "n": count})

    async def add_product_sales(self, changes: dict[int, int]) -> None:
        for statement, sign in ((ADD_PRODUCT_SALES, 1), (TAKE_PRODUCT_SALES, -1)):
            params = [
                {"product_id": product_id, "n": sign * changes[product_id]}
                for product_id in sorted(changes)
                if sign * changes[product_id] > 0
            ]
            if params:
                await self._conn.execute(statement, params[0] if len(params) == 1 else params)


# --- orders -----------------------------------------------------------------------------------


def _at(moment: datetime | None) -> datetime | None:
    return to_db(moment) if moment is not None else None


def _from(moment: datetime | None) -> datetime | None:
    return from_db(moment) if moment is not None else None


def _line(row: Row[Any], prefix: str = "") -> OrderLine:
    m = row._mapping
    return OrderLine(
        m[f"{prefix}id"],
        m[f"{prefix}sku_id"],
        m[f"{prefix}product_id"],
        m[f"{prefix}name"],
        m[f"{prefix}size"],
        m[f"{prefix}color"],
        m[f"{prefix}image"],
        m[f"{prefix}count"],
        Money.of(m[f"{prefix}unit_price"]),
        bool(m[f"{prefix}reviewed"]),
    )


def _order(row: Row[Any], lines: list[OrderLine]) -> Order:
    return Order(
        id=row.id,
        trade_no=row.trade_no,
        user_id=row.user_id,
        lines=lines,
        address=ShippingAddress(
            row.address_id, row.recipient, row.phone, row.province, row.city, row.county, row.detail
        ),
        created_at=from_db(row.created_at),
        freight=Money.of(row.freight),
        status=OrderStatus(row.status),
        pay_method=row.pay_method,
        mark=row.mark,
        paid_at=_from(row.paid_at),
        shipped_at=_from(row.shipped_at),
        received_at=_from(row.received_at),
        completed_at=_from(row.completed_at),
        cancelled_at=_from(row.cancelled_at),
        cancel_reason=row.cancel_reason,
        refunded_at=_from(row.refunded_at),
    )


def _state(order: Order) -> dict[str, Any]:
    """The columns a transition writes."""
    return {
        "status": order.status.value,
        "pay_method": order.pay_method,
        "paid_at": _at(order.paid_at),
        "shipped_at": _at(order.shipped_at),
        "received_at": _at(order.received_at),
        "completed_at": _at(order.completed_at),
        "cancelled_at": _at(order.cancelled_at),
        "cancel_reason": order.cancel_reason,
        "refunded_at": _at(order.refunded_at),
    }


def _filtered(query: Select[Any], user_id: int | None, status: OrderStatus | None) -> Select[Any]:
    if user_id is not None:
        query = query.where(orders.c.user_id == user_id)
    if status is not None:
        query = query.where(orders.c.status == status.value)
    return query


INSERT_ORDER = insert(orders)
TAKEN_KEYS = select(orders.c.user_id, orders.c.idempotency_key).where(
    tuple_(orders.c.user_id, orders.c.idempotency_key).in_(bindparam("keys", expanding=True))
)
# Every line in one statement; their ids come back in the order of the lines.
INSERT_LINES = insert(order_lines).returning(order_lines.c.id, sort_by_parameter_order=True)
# What `_order` and `_line` read, and no more (every column of a result costs its description).
_ORDER_COLUMNS = [
    orders.c[name]
    for name in (
        "id",
        "trade_no",
        "user_id",
        "status",
        "pay_method",
        "freight",
        "address_id",
        "recipient",
        "phone",
        "province",
        "city",
        "county",
        "detail",
        "mark",
        "created_at",
        "paid_at",
        "shipped_at",
        "received_at",
        "completed_at",
        "cancelled_at",
        "cancel_reason",
        "refunded_at",
    )
]
_LINE_NAMES = (
    "id",
    "sku_id",
    "product_id",
    "name",
    "size",
    "color",
    "image",
    "count",
    "unit_price",
    "reviewed",
)
LINES_OF = (
    select(order_lines.c.order_id, *(order_lines.c[name] for name in _LINE_NAMES))
    .where(order_lines.c.order_id.in_(bindparam("order_ids", expanding=True)))
    .order_by(order_lines.c.id)
)
# One order with its lines, in one statement (a row per line).
ORDER_WITH_LINES = (
    select(*_ORDER_COLUMNS, *(order_lines.c[name].label(f"line_{name}") for name in _LINE_NAMES))
    .outerjoin(order_lines, order_lines.c.order_id == orders.c.id)
    .where(orders.c.id == bindparam("order_id"))
    .order_by(order_lines.c.id)
)
# Locked, only the order's row is (its lines are read by `_with_lines`).
ORDER_LOCKED = select(*_ORDER_COLUMNS).where(orders.c.id == bindparam("order_id")).with_for_update()
ORDER_BY_KEY = select(*_ORDER_COLUMNS).where(
    orders.c.user_id == bindparam("buyer"), orders.c.idempotency_key == bindparam("key")
)
# The columns of `_state(order)` are set from the parameters.
SAVE_ORDER = (
    update(orders)
    .where(orders.c.id == bindparam("order_id"), orders.c.status == bindparam("expected"))
    .values(version=orders.c.version + 1)
)


def _new_order(order: Order, idempotency_key: str | None) -> dict[str, Any]:
    address = order.address
    return {
        "id": order.id,
        "trade_no": order.trade_no,
        "user_id": order.user_id,
        "total_count": order.total_count,
        "amount": order.amount.amount,
        "freight": order.freight.amount,
        "total": order.total.amount,
        "address_id": address.address_id,
        "recipient": address.recipient,
        "phone": address.phone,
        "province": address.province,
        "city": address.city,
        "county": address.county,
        "detail": address.detail,
        "mark": order.mark,
        "idempotency_key": idempotency_key,
        "created_at": to_db(order.created_at),
        **_state(order),
    }


def _new_line(order: Order, line: OrderLine) -> dict[str, Any]:
    return {
        "order_id": order.id,
        "sku_id": line.sku_id,
        "product_id": line.product_id,
        "name": line.name,
        "size": line.size,
        "color": line.color,
        "image": line.image,
        "count": line.count,
        "unit_price": line.unit_price.amount,
        "line_total": line.line_total.amount,
        "reviewed": line.reviewed,
    }


class SqlOrderRepository:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, order: Order, idempotency_key: str | None) -> None:
        await self.add_many([(order, idempotency_key)])

    async def add_many(self, orders_and_keys: list[tuple[Order, str | None]]) -> None:
        if not orders_and_keys:
            return
        rows = [_new_order(order, key) for order, key in orders_and_keys]
        try:
            await self._conn.execute(INSERT_ORDER, rows[0] if len(rows) == 1 else rows)
        except IntegrityError as exc:
            first = orders_and_keys[0][0].id
            raise DuplicateOrder(first if len(rows) == 1 else f"{first} or another of {len(rows)}") from exc
        every_line = [line for order, _key in orders_and_keys for line in order.lines]
        result = await self._conn.execute(
            INSERT_LINES, [_new_line(order, line) for order, _key in orders_and_keys for line in order.lines]
        )
        for line, line_id in zip(every_line, result.scalars(), strict=True):
            line.id = int(line_id)

    async def taken_keys(self, keys: list[tuple[int, str]]) -> set[tuple[int, str]]:
        if not keys:
            return set()
        rows = await self._conn.execute(TAKEN_KEYS, {"keys": sorted(set(keys))})
        return {(r.user_id, r.idempotency_key) for r in rows}

    async def _with_lines(self, rows: Sequence[Row[Any]]) -> list[Order]:
        if not rows:
            return []
        lines: dict[str, list[OrderLine]] = {r.id: [] for r in rows}
        for line in await self._conn.execute(LINES_OF, {"order_ids": list(lines)}):
            lines[line.order_id].append(_line(line))
        return [_order(r, lines[r.id]) for r in rows]

    async def _one(self, query: Select[Any], params: dict[str, Any]) -> Order | None:
        found = await self._with_lines((await self._conn.execute(query, params)).all())
        return found[0] if found else None

    async def get(self, order_id: str, *, lock: bool = False) -> Order | None:
        if lock:
            return await self._one(ORDER_LOCKED, {"order_id": order_id})
        rows = (await self._conn.execute(ORDER_WITH_LINES, {"order_id": order_id})).all()
        if not rows:
            return None
        return _order(rows[0], [_line(row, "line_") for row in rows if row.line_id is not None])

    async def by_idempotency_key(self, user_id: int, key: str) -> Order | None:
        return await self._one(ORDER_BY_KEY, {"buyer": user_id, "key": key})

    async def save(self, order: Order, *, expected: OrderStatus) -> bool:
        result = await self._conn.execute(
            SAVE_ORDER, {"order_id": order.id, "expected": expected.value, **_state(order)}
        )
        return bool(result.rowcount == 1)

    async def add_review(self, review: LineReview) -> int:
        marked = await self._conn.execute(
            update(order_lines)
            .where(
                order_lines.c.id == review.line_id,
                order_lines.c.order_id == review.order_id,
                order_lines.c.reviewed.is_(False),
            )
            .values(reviewed=True)
        )
        if marked.rowcount != 1:
            raise AlreadyReviewed(review.order_id, review.line_id)
        try:
            result = await self._conn.execute(
                insert(reviews).values(
                    order_line_id=review.line_id,
                    user_id=review.user_id,
                    product_id=review.product_id,
                    sku_id=review.sku_id,
                    score=review.score,
                    content=review.content,
                    created_at=to_db(review.created_at),
                )
            )
        except IntegrityError as exc:
            raise AlreadyReviewed(review.order_id, review.line_id) from exc
        return int(result.inserted_primary_key[0])  # type: ignore[index]

    async def count(self, *, user_id: int | None, status: OrderStatus | None) -> int:
        query = _filtered(select(func.count()).select_from(orders), user_id, status)
        return int((await self._conn.execute(query)).scalar_one())

    async def _due(self, status: OrderStatus, column: Any, moment: datetime, limit: int) -> list[str]:
        query = (
            select(orders.c.id)
            .where(and_(orders.c.status == status.value, column <= to_db(moment)))
            .order_by(column, orders.c.id)
            .limit(limit)
        )
        return [r.id for r in await self._conn.execute(query)]

    async def placed_before(self, status: OrderStatus, moment: datetime, limit: int) -> list[str]:
        return await self._due(status, orders.c.created_at, moment, limit)

    async def paid_before(self, status: OrderStatus, moment: datetime, limit: int) -> list[str]:
        return await self._due(status, orders.c.paid_at, moment, limit)

    async def list(
        self, *, user_id: int | None, status: OrderStatus | None, offset: int, limit: int
    ) -> list[Order]:
        query = _filtered(select(*_ORDER_COLUMNS), user_id, status)
        query = query.order_by(orders.c.created_at.desc(), orders.c.id.desc()).offset(offset).limit(limit)
        return await self._with_lines((await self._conn.execute(query)).all())
