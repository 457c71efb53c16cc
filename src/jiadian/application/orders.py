"""The shopper's orders: history, payment (wallet or a gateway), cancel, a refund request, receipt and
reviews."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from jiadian.application.catalog import ReviewView
from jiadian.application.ordering import Scheduling
from jiadian.application.pagination import Page
from jiadian.application.ports import PaymentGateway
from jiadian.application.unit_of_work import UnitOfWork
from jiadian.domain.errors import AlreadyApplied, DomainError, NotFound
from jiadian.domain.ordering import (
    AlreadyPaid,
    CancelReason,
    IllegalTransition,
    Order,
    OrderStatus,
    PaymentUnavailable,
    PayMethod,
    parse_pay_method,
)
from jiadian.domain.payments import PAYMENT_SUBJECT, Payment, PaymentState
from jiadian.domain.refunds import (
    AlreadyRefunding,
    Refund,
    RefundOrigin,
    RefundRefused,
    RefundState,
    check_reason,
    order_subject,
    refund_of_order,
)
from jiadian.domain.wallet import EntryKind, LedgerEntry

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PaymentRedirect:
    """Pay at a gateway: send the shopper to `url`; the order is paid when the gateway says so."""

    url: str


@dataclass(frozen=True, kw_only=True)
class Orders(Scheduling):
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

        try:
            paid = await self._change(order_id, user_id, lambda o: o.pay(PayMethod.WALLET, now), debit)
        except DomainError as exc:
            self.metrics.payment_refused(PayMethod.WALLET.value, exc.code)
            raise
        self.metrics.payment_applied(PayMethod.WALLET.value)
        return paid

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
        expires_at = order.pay_by(self.payment_window)
        url = await self.gateway.payment_url(
            order.trade_no, order.total.amount, PAYMENT_SUBJECT, expires_at=expires_at
        )
        return PaymentRedirect(url)

    async def cancel(self, user_id: int, order_id: str) -> Order:
        """Before payment only; the stock comes back."""
        return await self._cancel(order_id, user_id, CancelReason.BUYER)

    async def request_refund(self, user_id: int, order_id: str, reason: str) -> Refund:
        """Ask for the refund of a paid, unshipped order: it does not ship until an operator approves
        (it is refunded) or refuses (it awaits shipment again). One request per order."""
        reason = check_reason(reason)
        now = self.clock.now()
        requested: list[Refund] = []

        async def record(uow: UnitOfWork, order: Order) -> None:
            earlier = await uow.refunds.of_subject(order_subject(order.id))
            if earlier is not None:
                raise RefundRefused() if earlier.state is RefundState.REFUSED else AlreadyRefunding()
            requested.append(await uow.refunds.add(refund_of_order(order, RefundOrigin.BUYER, reason, now)))

        await self._change(order_id, user_id, lambda o: o.request_refund(), record)
        return requested[-1]

    async def refund(self, user_id: int, order_id: str) -> Refund:
        """The refund (or refund request) of the buyer's order; `NotFound` when it has none."""
        async with self.uow() as uow:
            order = await self._load(uow, order_id, user_id)
            refund = await uow.refunds.of_subject(order_subject(order.id))
        if refund is None:
            raise NotFound("退款", order_id)
        return refund

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
            await self._tell_moved({review.product_id})  # its review summary
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
