"""Checkout and orders: what happens when a shopper buys, pays, cancels, receives and reviews,
and what the operator and the background worker do to orders (ship, expire, sweep).

Every change of an order is one transaction whose status change is conditional on the status it
was read in (`OrderRepository.save(..., expected=…)`): of two racing changes exactly one wins, and
only the winner moves stock or money. Follow-up work (expiry, shipping) is scheduled after commit;
if the broker is down the order still stands and the sweeps catch it.

With the stock gate on (`jiadian.application.stock_gate`), checkout takes the order's counts from the
hot skus' tokens before its transaction and gives them back if no new order comes of it; a cancelled
order's tokens are given back after the cancellation commits.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from jiadian.application.cart_ports import CartStore
from jiadian.application.catalog import ReviewView
from jiadian.application.ordering_ports import DuplicateOrder, SkuForSale, TransactionRetry
from jiadian.application.pagination import Page, clamp_page
from jiadian.application.ports import Clock, PaymentGateway
from jiadian.application.stock import StockKeeper
from jiadian.application.stock_gate import NO_GATE, StockGate, release_quietly
from jiadian.application.tasks import ExpireOrder, ShipOrder, Task, TaskQueue
from jiadian.application.unit_of_work import UnitOfWork, UnitOfWorkFactory
from jiadian.domain.cart import MAX_LINES, check_count
from jiadian.domain.errors import (
    AlreadyApplied,
    InsufficientStock,
    NotFound,
    ServiceUnavailable,
    ValidationFailed,
)
from jiadian.domain.money import Money, total
from jiadian.domain.ordering import (
    FREIGHT,
    AlreadyPaid,
    CancelReason,
    IllegalTransition,
    OffShelf,
    Order,
    OrderCancelled,
    OrderEvent,
    OrderLine,
    OrderPaid,
    OrderPlaced,
    OrderStatus,
    PaymentUnavailable,
    PayMethod,
    ShippingAddress,
    check_mark,
    new_order_id,
    new_trade_no,
    parse_pay_method,
)
from jiadian.domain.payments import PAYMENT_SUBJECT, Payment, PaymentState
from jiadian.domain.wallet import EntryKind, LedgerEntry

log = logging.getLogger(__name__)

MAX_IDEMPOTENCY_KEY = 64
ID_ATTEMPTS = 3
SWEEP_BATCH = 500


# --- requests and read models -----------------------------------------------------------------


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


@dataclass(frozen=True, slots=True)
class PaymentRedirect:
    """Pay at a gateway: send the shopper to `url`; the order is paid when the gateway says so."""

    url: str


def _ids(now: datetime) -> tuple[str, str]:
    return new_order_id(now), new_trade_no(now)


def _order_lines(counts: dict[int, int], skus: dict[int, SkuForSale]) -> list[OrderLine]:
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


def _product_sales(lines: list[OrderLine], sign: int) -> dict[int, int]:
    changes: dict[int, int] = {}
    for line in lines:
        changes[line.product_id] = changes.get(line.product_id, 0) + sign * line.count
    return changes


def check_idempotency_key(key: str | None) -> str | None:
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > MAX_IDEMPOTENCY_KEY or not key.isascii() or not key.isprintable():
        raise ValidationFailed(
            f"Idempotency-Key 须为 1-{MAX_IDEMPOTENCY_KEY} 个可打印 ASCII 字符", field="Idempotency-Key"
        )
    return key


# --- shared machinery -------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class _OrderUseCases:
    uow: UnitOfWorkFactory
    clock: Clock
    retry: TransactionRetry
    order_ttl_seconds: int = 24 * 3600
    ship_after_seconds: int = 5 * 60
    max_page_size: int = 50
    gate: StockGate = NO_GATE  # stock tokens of hot skus; NO_GATE when the setting `stock_gate` is off
    # Asked before a buyer or an operator cancels an unpaid order: closes a trade started at the payment
    # gateway, so no money can come for a cancelled order (see `Payments.close_for_cancel`).
    before_cancel: Callable[[Order], Awaitable[None]] | None = None

    async def _load(
        self, uow: UnitOfWork, order_id: str, user_id: int | None, *, lock: bool = False
    ) -> Order:
        """The order; for a buyer (`user_id` set) only their own — anybody else's is "not found"."""
        order = await uow.orders.get(order_id, lock=lock)
        if order is None or (user_id is not None and order.user_id != user_id):
            raise NotFound("订单", order_id)
        return order

    async def _change(
        self,
        order_id: str,
        user_id: int | None,
        change: Callable[[Order], None],
        effect: Callable[[UnitOfWork, Order], Awaitable[None]] | None = None,
    ) -> Order:
        """Apply `change` to the order and store it conditionally; `effect` runs only for the winner."""

        async def attempt() -> Order:
            async with self.uow() as uow:
                order = await self._load(uow, order_id, user_id)
                before = order.status
                change(order)
                if not await uow.orders.save(order, expected=before):
                    # Another transaction moved the order first: answer from the state it left.
                    current = await self._load(uow, order_id, user_id)
                    change(current)  # raises the fitting refusal
                    raise IllegalTransition(order_id, current.status, order.status)
                if effect is not None:
                    await effect(uow, order)
                await uow.commit()
            return order

        order = await self.retry.run(attempt)
        await self._publish(order.pull_events())
        return order

    async def _cancel(self, order_id: str, user_id: int | None, reason: CancelReason) -> Order:
        """Cancel an unpaid order; its stock comes back. Its gateway trade, if one was started, is closed
        first: if the gateway says it was paid, the payment is applied and the cancel is refused."""
        if self.before_cancel is not None:
            async with self.uow() as uow:
                order = await self._load(uow, order_id, user_id)
            if order.status is OrderStatus.AWAITING_PAYMENT:
                await self.before_cancel(order)
        now = self.clock.now()
        return await self._change(order_id, user_id, lambda o: o.cancel(reason, now), _restock)

    async def _publish(self, events: list[OrderEvent]) -> None:
        """Follow-up work for what happened, after commit (see `_Scheduling`): a cancelled order's
        stock tokens go back to the gate (best effort: lost tokens come back at the next reconcile)."""
        for event in events:
            if isinstance(event, OrderCancelled):
                held: dict[int, int] = {}
                for sku_id, _product_id, count in event.lines:
                    held[sku_id] = held.get(sku_id, 0) + count
                await release_quietly(self.gate, held)

    def _check_page_size(self, page_size: int) -> None:
        if not 1 <= page_size <= self.max_page_size:
            raise ValidationFailed(f"page_size 必须在 1 到 {self.max_page_size} 之间", page_size=page_size)

    async def _page(
        self, user_id: int | None, status: OrderStatus | None, page: int, page_size: int
    ) -> Page[Order]:
        self._check_page_size(page_size)
        async with self.uow() as uow:
            count = await uow.orders.count(user_id=user_id, status=status)
            request = clamp_page(page, page_size, count)
            orders = await uow.orders.list(
                user_id=user_id, status=status, offset=request.offset, limit=page_size
            )
        return Page(orders, request.page, page_size, count)


@dataclass(frozen=True, kw_only=True)
class _Scheduling(_OrderUseCases):
    """Use cases whose events schedule background work: expiry after placing, shipping after payment."""

    tasks: TaskQueue

    async def _publish(self, events: list[OrderEvent]) -> None:
        await super()._publish(events)
        for event in events:
            if isinstance(event, OrderPlaced):
                await self._schedule(ExpireOrder(event.order_id), self.order_ttl_seconds)
            elif isinstance(event, OrderPaid):
                await self._schedule(ShipOrder(event.order_id), self.ship_after_seconds)

    async def _schedule(self, task: Task, delay_seconds: int) -> None:
        try:
            await self.tasks.send(task, delay_seconds=delay_seconds)
        except Exception:  # the broker is down: the order stands, the sweep will catch it
            log.warning("could not schedule %r; the periodic sweep will handle it", task, exc_info=True)


async def _restock(uow: UnitOfWork, order: Order) -> None:
    """Give a cancelled order's stock back and take its sales off (skus, then products, by id)."""
    for line in sorted(order.lines, key=lambda each: each.sku_id):
        await uow.stock.give_back(line.sku_id, line.count)
    await uow.stock.add_product_sales(_product_sales(order.lines, -1))


# --- the shopper ------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Checkout(_Scheduling):
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
            lines = _order_lines(counts, await uow.stock.for_sale(sorted(counts)))
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
            lines = _order_lines(counts, await uow.stock.for_sale(sorted(counts)))
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
            await uow.stock.add_product_sales(_product_sales(lines, +1))
            await uow.commit()
        return order


@dataclass(frozen=True, kw_only=True)
class Orders(_Scheduling):
    """A shopper's own orders."""

    gateway: PaymentGateway | None = None

    async def list(self, user_id: int, status: str | None, page: int, page_size: int) -> Page[Order]:
        """Newest first, optionally of one status; a page past the end answers the last page."""
        wanted = OrderStatus.parse(status) if status else None
        return await self._page(user_id, wanted, page, page_size)

    async def detail(self, user_id: int, order_id: str) -> Order:
        async with self.uow() as uow:
            return await self._load(uow, order_id, user_id)

    async def pay(self, user_id: int, order_id: str, method: str) -> Order | PaymentRedirect:
        """Wallet: paid at once (one transaction). Alipay: a URL to pay at; paid on its notification."""
        chosen = parse_pay_method(method)
        if chosen is PayMethod.ALIPAY:
            return await self._alipay(user_id, order_id)
        now = self.clock.now()

        async def debit(uow: UnitOfWork, order: Order) -> None:
            entry = LedgerEntry(EntryKind.PAYMENT, order.total, order_id=order.id, note=f"订单 {order.id}")
            try:
                await uow.wallets.apply(order.user_id, entry)
            except AlreadyApplied as exc:
                raise AlreadyPaid(
                    order.id, OrderStatus.AWAITING_SHIPMENT, OrderStatus.AWAITING_SHIPMENT
                ) from exc

        return await self._change(order_id, user_id, lambda o: o.pay(PayMethod.WALLET, now), debit)

    async def _alipay(self, user_id: int, order_id: str) -> PaymentRedirect:
        """The order stays unpaid; its trade is recorded `pending` (reconciliation and expiry ask about it)."""
        if self.gateway is None:
            raise PaymentUnavailable("支付宝支付暂未开通，请使用余额支付")
        async with self.uow() as uow:
            order = await self._load(uow, order_id, user_id)
            order.ensure_payable()
            await uow.payments.start(
                Payment(
                    id=0,
                    order_id=order.id,
                    user_id=order.user_id,
                    method=PayMethod.ALIPAY.value,
                    trade_no=order.trade_no,
                    gateway_trade_no="",
                    amount=order.total,
                    state=PaymentState.PENDING,
                    created_at=self.clock.now(),
                )
            )
            await uow.commit()
        expires_at = order.created_at + timedelta(seconds=self.order_ttl_seconds)
        url = await self.gateway.payment_url(
            order.trade_no, order.total.amount, PAYMENT_SUBJECT, expires_at=expires_at
        )
        return PaymentRedirect(url)

    async def cancel(self, user_id: int, order_id: str) -> Order:
        """Before payment only; the stock comes back."""
        return await self._cancel(order_id, user_id, CancelReason.BUYER)

    async def confirm_receipt(self, user_id: int, order_id: str) -> Order:
        now = self.clock.now()
        return await self._change(order_id, user_id, lambda o: o.confirm_receipt(now))

    async def review(self, user_id: int, order_id: str, line_id: int, score: int, content: str) -> ReviewView:
        """Review a line once, after receipt; the last line's review completes the order."""

        async def attempt() -> ReviewView:
            async with self.uow() as uow:
                # Locked: two reviews of one order's last lines must not both miss "all reviewed".
                order = await self._load(uow, order_id, user_id, lock=True)
                before = order.status
                review = order.review(line_id, score, content, self.clock.now())
                review_id = await uow.orders.add_review(review)
                if order.status is not before and not await uow.orders.save(order, expected=before):
                    raise IllegalTransition(order_id, before, order.status)
                user = await uow.users.get(user_id)
                await uow.commit()
            return ReviewView(
                review_id,
                user.username if user else "",
                review.score,
                review.content,
                review.created_at.isoformat(),
                review.sku_id,
                review.size,
                review.color,
            )

        return await self.retry.run(attempt)


# --- the operator and the worker --------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Fulfilment(_OrderUseCases):
    """Shipping and expiry: by an operator, by background tasks (idempotent), and by the sweeps."""

    # Asked before an unpaid order is cancelled for expiry; False: not now (see `Payments.before_expiry`).
    before_expiry: Callable[[Order], Awaitable[bool]] | None = None

    async def list(self, status: str | None, user_id: int | None, page: int, page_size: int) -> Page[Order]:
        wanted = OrderStatus.parse(status) if status else None
        return await self._page(user_id, wanted, page, page_size)

    async def show(self, order_id: str) -> Order:
        async with self.uow() as uow:
            return await self._load(uow, order_id, None)

    async def ship(self, order_id: str) -> Order:
        """The operator ships a paid order (409 unless it awaits shipment)."""
        now = self.clock.now()
        return await self._change(order_id, None, lambda o: o.ship(now))

    async def cancel(self, order_id: str) -> Order:
        """The operator cancels an unpaid order; the stock comes back."""
        return await self._cancel(order_id, None, CancelReason.OPERATOR)

    async def expire(self, order_id: str) -> bool:
        """Cancel the order if it is still unpaid past its time; True when this call cancelled it.

        Idempotent: a redelivered message, or the sweep after the message, finds it cancelled already.
        """
        now = self.clock.now()
        async with self.uow() as uow:
            order = await uow.orders.get(order_id)
        if order is None or order.status is not OrderStatus.AWAITING_PAYMENT:
            return False
        if order.created_at + timedelta(seconds=self.order_ttl_seconds) > now:
            return False  # not due (an early delivery): the sweep or a later message will do it
        if self.before_expiry is not None and not await self.before_expiry(order):
            return False  # paid at the gateway after all, or the gateway did not answer: a later sweep
        try:
            await self._change(order_id, None, lambda o: o.cancel(CancelReason.EXPIRED, now), _restock)
        except IllegalTransition:  # paid or cancelled meanwhile
            return False
        return True

    async def ship_if_due(self, order_id: str) -> bool:
        """Ship a paid order once its delay has passed; True when this call shipped it. Idempotent."""
        now = self.clock.now()
        async with self.uow() as uow:
            order = await uow.orders.get(order_id)
        if order is None or order.status is not OrderStatus.AWAITING_SHIPMENT or order.paid_at is None:
            return False
        if order.paid_at + timedelta(seconds=self.ship_after_seconds) > now:
            return False
        try:
            await self._change(order_id, None, lambda o: o.ship(now))
        except IllegalTransition:  # shipped meanwhile (by the operator, or another delivery)
            return False
        return True

    async def expire_unpaid(self, limit: int = SWEEP_BATCH) -> int:
        """The sweep: expire every order unpaid past its time (catches lost messages). Returns how many."""
        due = self.clock.now() - timedelta(seconds=self.order_ttl_seconds)
        async with self.uow() as uow:
            ids = await uow.orders.placed_before(OrderStatus.AWAITING_PAYMENT, due, limit)
        return sum([await self.expire(order_id) for order_id in ids])

    async def ship_due(self, limit: int = SWEEP_BATCH) -> int:
        """The sweep: ship every order paid longer ago than the delay. Returns how many."""
        due = self.clock.now() - timedelta(seconds=self.ship_after_seconds)
        async with self.uow() as uow:
            ids = await uow.orders.paid_before(OrderStatus.AWAITING_SHIPMENT, due, limit)
        return sum([await self.ship_if_due(order_id) for order_id in ids])

    # Task handlers (the worker calls these for the messages of `jiadian.application.tasks`).

    async def on_expire_order(self, task: ExpireOrder) -> None:
        await self.expire(task.order_id)

    async def on_ship_order(self, task: ShipOrder) -> None:
        await self.ship_if_due(task.order_id)
