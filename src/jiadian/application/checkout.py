"""The shopper's checkout: preview, and placing an order (stock taken in one transaction, idempotent by key).

With group commit on (`group_commit`), the orders placed at about the same time in a process are gathered
(`jiadian.application.batching`) and placed in one transaction: addresses, skus and idempotency keys read
once, the stock taken in arrival order by the strategy's `take_for_batch` (each sku updated once), the
orders and their lines inserted in one statement each, one commit. Each buyer still gets their own order
or refusal. A batch whose transaction fails (a deadlock, a lost connection, a key taken meanwhile) is
not retried as a whole: each of its orders is then placed in a transaction of its own, with the ids the
batch gave it — so when the batch's COMMIT went unanswered (it may have happened), an order it placed
is found by them and not placed twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial

from jiadian.application.batching import Batcher
from jiadian.application.cart_ports import CartStore
from jiadian.application.catalog import Catalog
from jiadian.application.catalog_ports import SkuViewRow
from jiadian.application.ordering import Scheduling, product_sales
from jiadian.application.ordering_ports import DuplicateOrder, SkuForSale
from jiadian.application.stock import LostRace, StockKeeper
from jiadian.application.stock_gate import release_quietly
from jiadian.domain.accounts import Address
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
class Placing:
    """An order waiting for its batch (group commit), with the ids the batch gives it."""

    user_id: int
    counts: dict[int, int]
    address_id: int
    mark: str
    key: str | None
    order_id: str
    trade_no: str


@dataclass(frozen=True, slots=True)
class PlaceAlone:
    """A batch's answer: place this order in a transaction of its own (the batch failed, or its key
    names an order already). `maybe_placed`: the batch's COMMIT went unanswered — it may have happened."""

    maybe_placed: bool = False


ALONE = PlaceAlone()
MAYBE_PLACED = PlaceAlone(maybe_placed=True)


class CommitUnanswered(Exception):
    """The batch's COMMIT failed without an answer: the batch may have been committed."""


Placed = tuple[Order, bool]  # the order, and whether this request placed it (False: the key's earlier one)
BatchAnswer = Placed | PlaceAlone


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


def _for_sale(view: SkuViewRow) -> SkuForSale:
    sku = view.sku
    return SkuForSale(
        sku.id, sku.product_id, view.product_name, sku.size, sku.color, view.image, sku.price, view.on_shelf
    )


def shipping_address(address: Address) -> ShippingAddress:
    return ShippingAddress(
        address.id,
        address.recipient,
        address.phone,
        address.province,
        address.city,
        address.county,
        address.detail,
    )


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
    catalog: Catalog  # what the preview shows
    freight: Money = FREIGHT
    new_ids: Callable[[datetime], tuple[str, str]] = field(default=_ids)
    group_commit: bool = False  # place concurrent orders of this process in one transaction
    group_commit_window: float = 0.002  # seconds the first order into an idle batcher waits for company
    group_commit_max: int = 200  # orders per batch at most
    _batches: Batcher[Placing, BatchAnswer] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        if self.group_commit:
            batcher = Batcher(
                self._place_batch, window=self.group_commit_window, max_size=self.group_commit_max
            )
            object.__setattr__(self, "_batches", batcher)

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
        """What the order would be, from the catalogue as carts see it (`Catalog.sku_views`: prices and
        stock up to a second old); placing it reads the database."""
        counts, _from_cart = await self._counts(user_id, request)
        views = await self.catalog.sku_views(sorted(counts))
        lines = order_lines_for(counts, {sku_id: _for_sale(view) for sku_id, view in views.items()})
        for line in lines:
            available = views[line.sku_id].sku.stock
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
    ) -> Placed:
        """The new order and True; or the key's earlier order and False."""
        ids = self.new_ids(self.clock.now())
        maybe_placed = False
        if self._batches is not None:
            answer = await self._batches.submit(Placing(user_id, counts, address_id, mark, key, *ids))
            if not isinstance(answer, PlaceAlone):
                return answer
            maybe_placed = answer.maybe_placed
        for _attempt in range(ID_ATTEMPTS):
            try:
                order = await self.retry.run(
                    partial(self._place_once, user_id, counts, address_id, mark, key, ids)
                )
            except DuplicateOrder:
                # This order's own id, from a batch that committed though its answer was lost; or the key's
                # order exists (a client's retry, maybe of a request that committed a moment ago); or a
                # fresh id was taken (rare): then try again with new ones.
                mine = await self._placed_as(user_id, ids) if maybe_placed else None
                if mine is not None:
                    return mine, True
                earlier = await self._placed_with(user_id, key)
                if earlier is not None:
                    return earlier, False
                ids = self.new_ids(self.clock.now())
                continue
            return order, True
        raise ServiceUnavailable("下单失败，请稍后再试")

    async def _placed_as(self, user_id: int, ids: tuple[str, str]) -> Order | None:
        """The order with these ids (both drawn at random: no other order has the two), if placed."""
        async with self.uow() as uow:
            order = await uow.orders.get(ids[0])
        return order if order is not None and (order.user_id, order.trade_no) == (user_id, ids[1]) else None

    def _new_order(
        self,
        user_id: int,
        ids: tuple[str, str],
        address: Address,
        lines: list[OrderLine],
        mark: str,
        now: datetime,
    ) -> Order:
        return Order.place(
            id=ids[0],
            trade_no=ids[1],
            user_id=user_id,
            lines=lines,
            address=shipping_address(address),
            now=now,
            freight=self.freight,
            mark=mark,
        )

    async def _place_once(
        self,
        user_id: int,
        counts: dict[int, int],
        address_id: int,
        mark: str,
        key: str | None,
        ids: tuple[str, str],
    ) -> Order:
        async with self.uow() as uow:
            address = await uow.addresses.get(address_id, user_id)
            if address is None:
                raise NotFound("收货地址", address_id)
            lines = order_lines_for(counts, await uow.stock.for_sale(sorted(counts)))
            order = self._new_order(user_id, ids, address, lines, mark, self.clock.now())
            # The order first: a taken key fails here, before any stock is touched; and the hot sku rows
            # stay locked only from their update to the commit.
            await uow.orders.add(order, key)
            await self.stock.take(uow.stock, counts)
            await uow.stock.add_product_sales(product_sales(lines, +1))
            await uow.commit()
        return order

    # --- group commit -----------------------------------------------------------------------------

    async def _place_batch(self, batch: list[Placing]) -> list[BatchAnswer | BaseException]:
        """One answer per order of the batch, in its order."""
        answers: list[BatchAnswer | BaseException] = [ALONE] * len(batch)
        together: list[int] = []
        keys: set[tuple[int, str]] = set()
        for i, placing in enumerate(batch):
            if placing.key is not None:
                if (placing.user_id, placing.key) in keys:
                    continue  # a repeat of a key in this batch: alone, after it, it finds the first's order
                keys.add((placing.user_id, placing.key))
            together.append(i)
        try:
            placed = await self._batch_transaction([batch[i] for i in together])
        except Exception as exc:
            log.warning("a batch of %d orders failed: placing them one by one", len(together), exc_info=True)
            if isinstance(exc, CommitUnanswered):
                for i in together:
                    answers[i] = MAYBE_PLACED
            return answers
        for i, answer in zip(together, placed, strict=True):
            answers[i] = answer
        return answers

    async def _batch_transaction(self, batch: list[Placing]) -> list[BatchAnswer | BaseException]:
        try:
            return await self._batch_once(batch, locked=False)
        except LostRace:  # another transaction took stock first: allot on locked rows
            return await self._batch_once(batch, locked=True)

    async def _batch_once(self, batch: list[Placing], *, locked: bool) -> list[BatchAnswer | BaseException]:
        answers: list[BatchAnswer | BaseException] = [ALONE] * len(batch)
        served: list[tuple[int, Order]] = []
        async with self.uow() as uow:
            keyed = [(p.user_id, p.key) for p in batch if p.key is not None]
            taken = await uow.orders.taken_keys(keyed) if keyed else set()
            addresses = await uow.addresses.get_many(sorted({p.address_id for p in batch}))
            skus = await uow.stock.for_sale(sorted({sku_id for p in batch for sku_id in p.counts}))
            now = self.clock.now()
            candidates: list[tuple[int, Order]] = []
            for i, p in enumerate(batch):
                if p.key is not None and (p.user_id, p.key) in taken:
                    continue  # alone, it answers the key's order
                address = addresses.get(p.address_id)
                if address is None or address.user_id != p.user_id:
                    answers[i] = NotFound("收货地址", p.address_id)
                    continue
                try:
                    lines = order_lines_for(p.counts, skus)
                    candidates.append(
                        (i, self._new_order(p.user_id, (p.order_id, p.trade_no), address, lines, p.mark, now))
                    )
                except (NotFound, OffShelf, ValidationFailed) as exc:
                    answers[i] = exc
            if candidates:
                demands = [batch[i].counts for i, _ in candidates]
                refusals = await self.stock.take_for_batch(uow.stock, demands, locked=locked)
                for (i, order), refusal in zip(candidates, refusals, strict=True):
                    if refusal is None:
                        served.append((i, order))
                    else:
                        answers[i] = refusal
            if served:
                await uow.orders.add_many([(order, batch[i].key) for i, order in served])
                lines = [line for _, order in served for line in order.lines]
                await uow.stock.add_product_sales(product_sales(lines, +1))
            try:
                await uow.commit()
            except Exception as exc:
                raise CommitUnanswered() from exc
        # Their follow-up work (expiry) in one go, for the whole batch: the answers carry no events left.
        await self._publish([event for _, order in served for event in order.pull_events()])
        for i, order in served:
            answers[i] = (order, True)
        return answers
