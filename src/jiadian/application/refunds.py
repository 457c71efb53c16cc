"""Refunds, the operator's side and the worker's: refund a paid, unshipped order (approving its buyer's
request, if any) or refuse the request; refund a payment kept as `needs_refund`; and ask the payment
gateway until it confirms. (The buyer's request is `Orders.request_refund`.)

Deciding is one transaction. For an order: its conditional move to `refunded` (the same race a ship
runs: of a refund and a ship of one order, exactly one wins), its stock back and its sales off, and the
refund — with the wallet, the ledger entry that gives the money back, so it is `refunded` at once;
through the gateway, the order's payment becomes `refunding` and the refund `pending`. For a
`needs_refund` payment: the payment becomes `refunding`, the refund `pending`.

A `pending` refund is then asked of the gateway (right after the decision, then by the worker's
periodic `settle_due` until the gateway answers), always with the refund's own out-request number, so
asking twice never pays twice. The gateway's verified answer is stored with the refund: refunded (the
payment becomes `refunded`), refused for good (`failed`: the operator retries, or refunds by hand at the
gateway's console and records it), or not yet confirmed (asked again later).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from jiadian.application.ordering import OrderUseCases, restock
from jiadian.application.pagination import Page, clamp_page
from jiadian.application.ports import PaymentGateway
from jiadian.application.unit_of_work import UnitOfWork
from jiadian.domain.errors import NotFound, ServiceUnavailable
from jiadian.domain.ordering import Order, PayMethod
from jiadian.domain.payments import IllegalPaymentChange, PaymentState
from jiadian.domain.refunds import (
    GatewayRefundOutcome,
    IllegalRefundChange,
    Refund,
    RefundMethod,
    RefundOrigin,
    RefundState,
    check_reason,
    new_request_no,
    order_subject,
    payment_subject,
    refund_of_order,
)
from jiadian.domain.wallet import EntryKind, LedgerEntry

log = logging.getLogger(__name__)

SETTLE_BATCH = 100
MAX_ID = 2**63 - 1  # ids are BIGINT


@dataclass(slots=True)
class SettleReport:
    checked: int = 0
    refunded: int = 0
    failed: int = 0  # refused by the gateway for good: see `jiadian refunds list --state failed`
    unconfirmed: int = 0  # accepted, not yet confirmed: asked again next time
    unavailable: int = 0  # not asked: the gateway did not answer


@dataclass(frozen=True, kw_only=True)
class Refunds(OrderUseCases):
    gateway: PaymentGateway

    # --- reading --------------------------------------------------------------------------------

    async def show(self, refund_id: int) -> Refund:
        async with self.uow() as uow:
            return await self._get(uow, refund_id)

    async def list(self, state: str | None, page: int, page_size: int) -> Page[Refund]:
        """Newest first; `state` one of requested, refused, pending, refunded, failed."""
        wanted = RefundState.parse(state) if state else None
        self._check_page_size(page_size)
        async with self.uow() as uow:
            count = await uow.refunds.count(state=wanted)
            request = clamp_page(page, page_size, count)
            items = await uow.refunds.list(state=wanted, offset=request.offset, limit=page_size)
        return Page(items, request.page, page_size, count)

    # --- deciding -------------------------------------------------------------------------------

    async def refund_order(
        self, order_id: str, *, operator: str, reason: str = "", approving: int | None = None
    ) -> Refund:
        """Refund a paid, unshipped order in full: approves its buyer's request (or a refused one, after
        all), or refunds it at the operator's own initiative. `approving`: only if the order's refund is
        this one, still requested (an approval racing a refusal loses)."""
        reason = check_reason(reason)
        now = self.clock.now()
        decided: list[Refund] = []

        async def decide(uow: UnitOfWork, order: Order) -> None:
            await restock(uow, order)
            refund = await uow.refunds.of_subject(order_subject(order.id))
            if refund is None:
                refund = refund_of_order(order, RefundOrigin.OPERATOR, reason, now)
            before = refund.state
            if approving is not None and (refund.id != approving or before is not RefundState.REQUESTED):
                raise IllegalRefundChange(approving, before, RefundState.PENDING)
            refund.decide(operator, now)
            if refund.method is RefundMethod.WALLET:
                note = f"订单 {order.id} 退款"
                await uow.wallets.apply(
                    order.user_id, LedgerEntry(EntryKind.REFUND, order.total, order.id, note)
                )
            else:
                payment = await uow.payments.get(PayMethod.ALIPAY.value, order.trade_no)
                if payment is None or not await uow.payments.change_state(
                    payment.id, expected=PaymentState.APPLIED, to=PaymentState.REFUNDING
                ):
                    state = payment.state if payment else PaymentState.PENDING
                    raise IllegalPaymentChange(payment.id if payment else 0, state, PaymentState.REFUNDING)
                refund.payment_id = payment.id
                await uow.wallets.take_consumed(order.user_id, order.total)
            decided.append(await self._store(uow, refund, before))

        await self._change(order_id, None, lambda o: o.refund(now), decide)
        return await self._settle_now(decided[-1])

    async def approve(self, refund_id: int, *, operator: str) -> Refund:
        """Approve a buyer's request: the order is refunded (`refund_order`)."""
        refund = await self.show(refund_id)
        if refund.state is not RefundState.REQUESTED:
            raise IllegalRefundChange(refund.id, refund.state, RefundState.PENDING)
        return await self.refund_order(refund.order_id, operator=operator, approving=refund.id)

    async def refuse(self, refund_id: int, *, operator: str, answer: str) -> Refund:
        """Refuse a buyer's request, saying why: the order awaits shipment again (the sweep ships it)."""
        now = self.clock.now()
        refused: list[Refund] = []

        async def record(uow: UnitOfWork, _order: Order) -> None:
            refund = await self._get(uow, refund_id)
            refund.refuse(operator, answer, now)
            refused.append(await self._store(uow, refund, RefundState.REQUESTED))

        refund = await self.show(refund_id)
        if refund.state is not RefundState.REQUESTED:
            raise IllegalRefundChange(refund.id, refund.state, RefundState.REFUSED)
        await self._change(refund.order_id, None, lambda o: o.keep(), record)
        return refused[-1]

    async def refund_payment(self, payment_id: int, *, operator: str, reason: str = "") -> Refund:
        """Give a `needs_refund` payment back through the gateway it came by."""
        reason = check_reason(reason)
        if not 1 <= payment_id <= MAX_ID:
            raise NotFound("支付记录", payment_id)
        now = self.clock.now()

        async def attempt() -> Refund:
            async with self.uow() as uow:
                payment = await uow.payments.by_id(payment_id)
                if payment is None:
                    raise NotFound("支付记录", payment_id)
                if not await uow.payments.change_state(
                    payment_id, expected=PaymentState.NEEDS_REFUND, to=PaymentState.REFUNDING
                ):
                    raise IllegalPaymentChange(payment_id, payment.state, PaymentState.REFUNDING)
                refund = Refund(
                    id=0,
                    subject=payment_subject(payment_id),
                    order_id=payment.order_id,
                    user_id=payment.user_id,
                    method=RefundMethod.ALIPAY,
                    amount=payment.amount,
                    origin=RefundOrigin.PAYMENT,
                    state=RefundState.REQUESTED,
                    out_request_no=new_request_no(now),
                    trade_no=payment.trade_no,
                    payment_id=payment_id,
                    created_at=now,
                    reason=reason,
                )
                refund.decide(operator, now)
                refund = await uow.refunds.add(refund)
                await uow.commit()
            return refund

        return await self._settle_now(await self.retry.run(attempt))

    async def retry_refund(self, refund_id: int, *, operator: str) -> Refund:
        """Ask the gateway again for a refund it refused (the same out-request number)."""
        now = self.clock.now()
        refund = await self._update(refund_id, lambda r: r.retry(operator, now))
        return await self._settle_now(refund)

    async def refunded_by_hand(self, refund_id: int, *, operator: str) -> Refund:
        """Record that a refund the gateway refused was made by hand (at the gateway's console)."""
        now = self.clock.now()
        return await self._update(refund_id, lambda r: r.refunded_by_hand(operator, now))

    # --- the gateway ----------------------------------------------------------------------------

    async def settle(self, refund_id: int) -> Refund:
        """Ask the gateway about one `pending` refund and keep its verified answer. `ServiceUnavailable`
        when the gateway does not answer (the refund stays pending)."""
        refund = await self.show(refund_id)
        if refund.state is not RefundState.PENDING:
            return refund
        reason = refund.reason or "家电之选订单退款"
        answer = await self.gateway.refund(
            refund.trade_no, refund.out_request_no, refund.amount.amount, reason
        )
        fields = {str(k): str(v) for k, v in answer.fields.items()}
        now = self.clock.now()
        if answer.outcome is GatewayRefundOutcome.REFUNDED:
            change: Callable[[Refund], None] = lambda r: r.confirmed(fields, now)  # noqa: E731
        elif answer.outcome is GatewayRefundOutcome.REFUSED:
            change = lambda r: r.gateway_refused(fields)  # noqa: E731
            log.error("the %s gateway refused refund %s: %s", self.gateway.name, refund.id, fields)
        else:

            def change(r: Refund) -> None:
                r.gateway_answer = fields

        return await self._update(refund_id, change, expected=RefundState.PENDING)

    async def settle_due(self, limit: int = SETTLE_BATCH) -> SettleReport:
        """The worker's sweep: ask the gateway about every `pending` refund, oldest first; stops at the
        first unanswered question (the next sweep goes on)."""
        report = SettleReport()
        async with self.uow() as uow:
            due = await uow.refunds.due(limit)
        for index, refund in enumerate(due):
            try:
                settled = await self.settle(refund.id)
            except ServiceUnavailable:
                report.unavailable = len(due) - index
                log.warning("refunds: the %s gateway does not answer; next sweep", self.gateway.name)
                break
            report.checked += 1
            report.refunded += settled.state is RefundState.REFUNDED
            report.failed += settled.state is RefundState.FAILED
            report.unconfirmed += settled.state is RefundState.PENDING
        return report

    # --- helpers --------------------------------------------------------------------------------

    async def _settle_now(self, refund: Refund) -> Refund:
        """Ask the gateway once right after the decision; if it does not answer, the worker asks later."""
        if refund.state is not RefundState.PENDING:
            return refund
        try:
            return await self.settle(refund.id)
        except ServiceUnavailable:
            log.warning("refund %s pending: the %s gateway did not answer", refund.id, self.gateway.name)
            return refund

    async def _get(self, uow: UnitOfWork, refund_id: int) -> Refund:
        refund = await uow.refunds.get(refund_id) if 1 <= refund_id <= MAX_ID else None
        if refund is None:
            raise NotFound("退款", refund_id)
        return refund

    async def _store(self, uow: UnitOfWork, refund: Refund, before: RefundState) -> Refund:
        """Add a new refund, or write a known one conditionally on the state it was read in."""
        if refund.id == 0:
            return await uow.refunds.add(refund)
        if not await uow.refunds.save(refund, expected=before):
            current = await self._get(uow, refund.id)
            raise IllegalRefundChange(refund.id, current.state, refund.state)
        return refund

    async def _update(
        self, refund_id: int, change: Callable[[Refund], None], *, expected: RefundState | None = None
    ) -> Refund:
        """Change one refund (and, when it ends `refunded`, its payment) in one transaction."""

        async def attempt() -> Refund:
            async with self.uow() as uow:
                refund = await self._get(uow, refund_id)
                before = refund.state
                if expected is not None and before is not expected:
                    return refund  # somebody else settled it meanwhile
                change(refund)
                stored = await self._store(uow, refund, before)
                if stored.state is RefundState.REFUNDED and stored.payment_id is not None:
                    await uow.payments.change_state(
                        stored.payment_id, expected=PaymentState.REFUNDING, to=PaymentState.REFUNDED
                    )
                await uow.commit()
            return stored

        return await self.retry.run(attempt)
