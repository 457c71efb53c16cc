"""The shopper's checkout: preview, and placing an order (stock taken in one transaction, idempotent by key)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from jiadian.application.cart_ports import CartStore
from jiadian.application.ordering import Scheduling, product_sales
from jiadian.application.ordering_ports import DuplicateOrder, SkuForSale
from jiadian.application.stock import StockKeeper
from jiadian.application.stock_gate import release_quietly
from jiadian.domain.cart import MAX_LINES, check_count
from jiadian.domain.errors import (
    DomainError,
    InsufficientStock,
    NotFound,
    ServiceUnavailable,
    ValidationFailed,
)
from jiadian.domain.money import Money, total
from jiadian.domain.ordering import (
    FREIGHT,
    OffShelf,
    Order,
    OrderLine,
    ShippingAddress,
    check_mark,
    new_order_id,
    new_trade_no,
)

log = logging.getLogger(__name__)

MAX_IDEMPOTENCY_KEY = 64
ID_ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class BuyNow:
    sku_id: int
    count: int


@dataclass(frozen=True, slots=True)
class CheckoutRequest:
    """Either lines chosen from the cart (their counts come from the cart) or one "buy now" line."""

    sku_ids: tuple[int, ...] = ()
    buy_now: BuyNow | None = None


@dataclass(frozen=True, slots=True)
class Preview:
    lines: list[OrderLine]
    freight: Money

    @property
    def total_count(self) -> int:
        return sum(line.count for line in self.lines)

    @property
    def amount(self) -> Money:
        return total([line.line_total for line in self.lines])

    @property
    def total(self) -> Money:
        return self.amount + self.freight


def _ids(now: datetime) -> tuple[str, str]:
    return new_order_id(now), new_trade_no(now)


def order_lines_for(counts: dict[int, int], skus: dict[int, SkuForSale]) -> list[OrderLine]:
    """The lines of an order: counts from the request, everything else (price!) from the catalogue."""
    lines = []
    for sku_id in sorted(counts):
        sku = skus.get(sku_id)
        if sku is None:
            raise NotFound("商品规格", sku_id)
        if not sku.on_shelf:
            raise OffShelf(sku_id)
        lines.append(
            OrderLine(
                0, sku_id, sku.product_id, sku.name, sku.size, sku.color, sku.image, counts[sku_id], sku.price
            )
        )
    return lines


def check_idempotency_key(key: str | None) -> str | None:
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > MAX_IDEMPOTENCY_KEY or not key.isascii() or not key.isprintable():
        raise ValidationFailed(
            f"Idempotency-Key 须为 1-{MAX_IDEMPOTENCY_KEY} 个可打印 ASCII 字符", field="Idempotency-Key"
        )
    return key


@dataclass(frozen=True, kw_only=True)
class Checkout(Scheduling):
    carts: CartStore
    stock: StockKeeper
    freight: Money = FREIGHT
    new_ids: Callable[[datetime], tuple[str, str]] = field(default=_ids)

    async def _counts(self, user_id: int, request: CheckoutRequest) -> tuple[dict[int, int], bool]:
        """{sku_id: count} to buy, and whether they came from the cart."""
        if (request.buy_now is None) == (not request.sku_ids):
            raise ValidationFailed("请选择购物车中的商品，或直接购买一件商品（二选一）")
        if request.buy_now is not None:
            return {request.buy_now.sku_id: check_count(request.buy_now.count)}, False
        chosen = list(dict.fromkeys(request.sku_ids))
        if len(chosen) > MAX_LINES:
            raise ValidationFailed(f"一次最多结算 {MAX_LINES} 种商品")
        cart = await self.carts.lines(user_id)
        for sku_id in chosen:
            if sku_id not in cart:
                raise NotFound("购物车商品", sku_id)
        return {sku_id: cart[sku_id] for sku_id in chosen}, True

    async def preview(self, user_id: int, request: CheckoutRequest) -> Preview:
        counts, _from_cart = await self._counts(user_id, request)
        async with self.uow() as uow:
            lines = order_lines_for(counts, await uow.stock.for_sale(sorted(counts)))
            levels = await uow.stock.levels(sorted(counts), lock=False)
        for line in lines:
            available = levels[line.sku_id].stock if line.sku_id in levels else 0
            if line.count > available:
                raise InsufficientStock(line.sku_id, requested=line.count, available=available)
        return Preview(lines, self.freight)

    async def place(
        self,
        user_id: int,
        request: CheckoutRequest,
        *,
        address_id: int,
        mark: str = "",
        idempotency_key: str | None = None,
    ) -> Order:
        """Place an order in one transaction: order written, stock checked and taken, sales added.
        (`_place`; a refusal is counted by its code.)"""
        try:
            return await self._place(
                user_id, request, address_id=address_id, mark=mark, idempotency_key=idempotency_key
            )
        except DomainError as exc:
            self.metrics.order_refused(exc.code)
            raise

    async def _place(
        self,
        user_id: int,
        request: CheckoutRequest,
        *,
        address_id: int,
        mark: str,
        idempotency_key: str | None,
    ) -> Order:
        """Place an order in one transaction: order written, stock checked and taken, sales added.

        A retry with the same idempotency key answers the first order instead of placing another. The key
        is unique per buyer, so nothing is read up front: a retry's insert fails, and the first order is
        read back then.

        With the stock gate on, the counts of gated skus are taken from their tokens first: a buyer the
        tokens cannot serve is refused without a transaction. The tokens go back unless a new order
        was placed. A refused request with a key answers the key's order if there is one; requests
        with one key sent at once, for the last units, may see a refusal while the first is in flight.
        """
        mark = check_mark(mark)
        key = check_idempotency_key(idempotency_key)
        try:
            counts, from_cart = await self._counts(user_id, request)
            try:
                held = await self._admit(counts)
            except InsufficientStock:
                # Refused at the gate. With a key, this may be a client's retry of the order that took the
                # last tokens: answer that order, not "sold out".
                earlier = await self._placed_with(user_id, key)
                if earlier is None:
                    raise
                return earlier
            try:
                order, placed = await self._place_new(user_id, counts, address_id, mark, key)
            except BaseException:  # refused, failed or cancelled: no order took these tokens
                await release_quietly(self.gate, held)
                raise
            if not placed:  # the key's earlier order answered: it holds tokens of its own
                await release_quietly(self.gate, held)
        except (NotFound, OffShelf):
            # Refused before anything was written. With a key, this may be a client's retry of an order
            # placed already (its cart lines are gone, its address deleted since): answer that order.
            earlier = await self._placed_with(user_id, key)
            if earlier is None:
                raise
            return earlier
        in_order = {line.sku_id for line in order.lines}
        bought = [sku_id for sku_id in counts if sku_id in in_order]
        if from_cart and bought:
            # The lines the order bought leave the cart — also when a retry (its first answer lost) gets
            # the key's earlier order: the first attempt may have committed without clearing them.
            try:
                await self.carts.remove(user_id, *bought)
            except Exception:  # the order stands; the lines stay in the cart
                log.warning("could not clear the cart of user %s", user_id, exc_info=True)
        if placed:
            self.metrics.order_placed()
            await self._publish(order.pull_events())
        return order

    async def _admit(self, counts: dict[int, int]) -> dict[int, int]:
        """Take the gated skus' counts from their tokens (or raise `InsufficientStock`): what was taken.

        A gate that does not answer is skipped (logged): the database alone never oversells.
        """
        try:
            return await self.gate.admit(counts)
        except InsufficientStock:
            raise
        except Exception:
            log.warning("the stock gate did not answer; checking stock in the database only", exc_info=True)
            return {}

    async def _placed_with(self, user_id: int, key: str | None) -> Order | None:
        if key is None:
            return None
        async with self.uow() as uow:
            return await uow.orders.by_idempotency_key(user_id, key)

    async def _place_new(
        self, user_id: int, counts: dict[int, int], address_id: int, mark: str, key: str | None
    ) -> tuple[Order, bool]:
        """The new order and True; or the key's earlier order and False."""
        for _attempt in range(ID_ATTEMPTS):
            try:
                order = await self.retry.run(lambda: self._place_once(user_id, counts, address_id, mark, key))
            except DuplicateOrder:
                # The key's order exists (a client's retry, maybe of a request that committed a moment
                # ago), or a fresh id was taken (rare): then try again with new ones.
                earlier = await self._placed_with(user_id, key)
                if earlier is not None:
                    return earlier, False
                continue
            return order, True
        raise ServiceUnavailable("下单失败，请稍后再试")

    async def _place_once(
        self, user_id: int, counts: dict[int, int], address_id: int, mark: str, key: str | None
    ) -> Order:
        async with self.uow() as uow:
            address = await uow.addresses.get(address_id, user_id)
            if address is None:
                raise NotFound("收货地址", address_id)
            lines = order_lines_for(counts, await uow.stock.for_sale(sorted(counts)))
            now = self.clock.now()
            order_id, trade_no = self.new_ids(now)
            order = Order.place(
                id=order_id,
                trade_no=trade_no,
                user_id=user_id,
                lines=lines,
                address=ShippingAddress(
                    address.id,
                    address.recipient,
                    address.phone,
                    address.province,
                    address.city,
                    address.county,
                    address.detail,
                ),
                now=now,
                freight=self.freight,
                mark=mark,
            )
            # The order first: a taken key fails here, before any stock is touched; and the hot sku rows
            # stay locked only from their update to the commit.
            await uow.orders.add(order, key)
            await self.stock.take(uow.stock, counts)
            await uow.stock.add_product_sales(product_sales(lines, +1))
            await uow.commit()
        return order
