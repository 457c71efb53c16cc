"""Payments through a gateway (Alipay, or the simulator): what happens when the gateway says "paid".

An order becomes paid only on what the gateway verifiably said — a signed notification, or a signed
answer to our trade query — and only when the trade number is one of our orders' and the amount is
that order's total. Applying a payment is one transaction: the order's conditional 1 → 2 transition
(the same one the wallet path races on), the `payments` row (`applied`) and the buyer's
`total_consumed`; shipping is scheduled after commit, as for the wallet.

Money that arrives for an order that can no longer take it (cancelled, expired, paid with the wallet)
is never lost: it is kept as `needs_refund`, acknowledged to the gateway, and listed for operators.
Every callback received is kept with the verdict, verified or not.

Where a trade was started (`Orders.pay(..., "alipay")` records it `pending`), reconciliation asks the
gateway about it, and expiry closes it before cancelling the order (`before_expiry`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from jiadian.application.accounts_ports import CodeStore, SendSlot
from jiadian.application.attempts import check_login_allowed
from jiadian.application.ordering import Scheduling
from jiadian.application.pagination import Page, clamp_page
from jiadian.application.payments_ports import PaymentSimulator
from jiadian.application.ports import GatewayTrade, PaymentGateway
from jiadian.domain.errors import NotFound, RateLimited, ServiceUnavailable
from jiadian.domain.money import Money
from jiadian.domain.ordering import PAID, Order, OrderStatus, PayMethod
from jiadian.domain.payments import (
    PAID_TRADE_STATUSES,
    SETTLED,
    UNVERIFIED,
    IllegalPaymentChange,
    NotASimulator,
    Notification,
    Payment,
    PaymentNotVerified,
    PaymentState,
    Verdict,
)

log = logging.getLogger(__name__)

METHOD = PayMethod.ALIPAY  # the simulator stands in for Alipay: its payments are "alipay" too
REQUIRED_NOTIFICATION_FIELDS = ("out_trade_no", "trade_status", "total_amount", "app_id")
RETURN_PREFIX = "return:"  # verdicts of browser returns, kept beside the notifications
RECONCILE_BATCH = 200
MAX_PAYMENT_ID = 2**63 - 1  # ids are BIGINT


@dataclass(frozen=True, slots=True)
class PaymentOutcome:
    """What one callback (or an operator's simulated payment) came to, and the order as it is now."""

    verdict: Verdict
    order: Order


@dataclass(slots=True)
class ReconcileReport:
    checked: int = 0
    applied: int = 0
    needs_refund: int = 0
    closed: int = 0  # trades of orders that can no longer be paid, closed at the gateway
    waiting: int = 0  # the buyer has not paid (yet)
    refused: int = 0  # the gateway's answer did not match the order (amount, app id): see the log
    unavailable: int = 0  # not asked: the gateway did not answer


@dataclass(frozen=True, slots=True)
class CallbackLimits:
    """Callbacks that fail verification (forged, or broken) cost storage: at most `max_forged_per_client`
    per client within `window_seconds` are looked at and kept; they are deleted after `retention_days`."""

    max_forged_per_client: int = 20
    window_seconds: int = 3600
    retention_days: int = 30


@dataclass(frozen=True, kw_only=True)
class Payments(Scheduling):
    gateway: PaymentGateway
    simulator: PaymentSimulator | None = None  # set only when the gateway is the simulator
    gateway_pause_seconds: int = 60  # after the gateway failed, expiry leaves it alone this long
    attempts: CodeStore | None = None  # the per-client histories of forged callbacks (None: no limit)
    callback_limits: CallbackLimits = CallbackLimits()
    # When the gateway last failed, expiry leaves it alone until then (a dict: the dataclass is frozen).
    _paused: dict[str, datetime] = field(default_factory=dict, init=False, repr=False, compare=False)

    # --- callbacks ------------------------------------------------------------------------------

    async def notify(self, fields: Mapping[str, str], client: str = "") -> Verdict:
        """An asynchronous notification. Answer the gateway `success` exactly when `verdict.acknowledged`.

        A `client` (the caller's IP) whose callbacks failed verification `max_forged_per_client` times
        within the window is refused (`RateLimited`) before anything is verified or stored.
        """
        data = {str(key): str(value) for key, value in fields.items()}
        slot = await self._forged_slot(client)
        settled = False  # verified, and counted by `_settle`
        try:
            trade = await self.gateway.verify_callback(data)
            settled = trade is not None
            verdict = self._unverified(data) if trade is None else await self._settle(trade)
        except Exception:  # the gateway sends it again; the next delivery may go through
            log.exception("payment notification for %r could not be applied", data.get("out_trade_no"))
            settled, verdict = False, Verdict.ERROR
        if slot is not None and verdict not in UNVERIFIED:
            await self._release(slot)  # only forged callbacks count against the client
        if not settled:
            self.metrics.payment_refused(self.gateway.name, verdict)
        await self._keep(data, verdict)
        log.info("%s notification for %r: %s", self.gateway.name, data.get("out_trade_no"), verdict)
        return verdict

    async def _forged_slot(self, client: str) -> SendSlot | None:
        if self.attempts is None or not client:
            return None
        limits, now = self.callback_limits, self.clock.now()
        slot = await self.attempts.reserve_send(
            f"notify-forged:{client}", now=now, window_seconds=limits.window_seconds
        )
        try:
            check_login_allowed(
                now,
                slot.earlier,
                limits.max_forged_per_client,
                timedelta(seconds=limits.window_seconds),
                "未通过验签的通知过多，请稍后再试",
            )
        except RateLimited:
            await self._release(slot)  # a refused callback does not count
            log.warning("notification from %s refused: too many that failed verification", client)
            raise
        return slot

    async def _release(self, slot: SendSlot) -> None:
        assert self.attempts is not None
        await self.attempts.release_send(slot)

    async def prune_notifications(self, limit: int = 1000) -> int:
        """Delete callbacks that failed verification and are older than the retention period (periodic)."""
        before = self.clock.now() - timedelta(days=self.callback_limits.retention_days)
        verdicts = [str(v) for v in UNVERIFIED] + [RETURN_PREFIX + v for v in UNVERIFIED]
        async with self.uow() as uow:
            deleted = await uow.payments.delete_notifications(verdicts=verdicts, before=before, limit=limit)
            await uow.commit()
        if deleted:
            log.info("deleted %d unverified payment callbacks received before %s", deleted, before)
        return deleted

    async def browser_return(self, fields: Mapping[str, str]) -> PaymentOutcome:
        """The buyer's browser back from the cashier. Its signature names the trade, never its state:
        the state comes from the gateway's signed answer to a trade query, and only that is applied.

        Raises `PaymentNotVerified` (nothing changes) when the signature or the app id is wrong, and
        `NotFound` when the trade number is not one of ours.
        """
        data = {str(key): str(value) for key, value in fields.items()}
        trade_no = await self.gateway.verify_return(data)
        if trade_no is None:
            await self._keep(data, RETURN_PREFIX + self._unverified(data, required=("out_trade_no",)))
            raise PaymentNotVerified()
        async with self.uow() as uow:
            order_id = await uow.payments.order_id_for_trade(trade_no)
        if order_id is None:
            await self._keep(data, RETURN_PREFIX + Verdict.UNKNOWN_TRADE)
            raise NotFound("订单", trade_no)
        try:
            trade = await self.gateway.query_trade(trade_no)
        except ServiceUnavailable:  # the notification or reconciliation will tell
            verdict = Verdict.UNAVAILABLE
        else:
            verdict = Verdict.NOT_PAID if trade is None else await self._settle(trade)
        await self._keep(data, RETURN_PREFIX + verdict)
        return PaymentOutcome(verdict, await self._order(order_id))

    # --- applying -------------------------------------------------------------------------------

    def _unverified(
        self, data: Mapping[str, str], required: tuple[str, ...] = REQUIRED_NOTIFICATION_FIELDS
    ) -> Verdict:
        """Why a callback did not verify, as far as its (untrusted) fields tell."""
        if not data.get("sign"):
            return Verdict.UNSIGNED
        if any(not data.get(name) for name in required):
            return Verdict.MISSING_FIELDS
        if data.get("app_id") != self.gateway.app_id:
            return Verdict.WRONG_APP_ID
        return Verdict.BAD_SIGNATURE

    async def _settle(self, trade: GatewayTrade) -> Verdict:
        """Apply a verified trade once: pay the order, or keep the money for a refund."""
        if trade.app_id != self.gateway.app_id:
            self.metrics.payment_refused(self.gateway.name, Verdict.WRONG_APP_ID)
            return Verdict.WRONG_APP_ID
        if trade.status not in PAID_TRADE_STATUSES:
            return Verdict.NOT_PAID
        now = self.clock.now()

        async def attempt() -> tuple[Verdict, Order | None]:
            async with self.uow() as uow:
                order_id = await uow.payments.order_id_for_trade(trade.trade_no)
                order = await uow.orders.get(order_id) if order_id is not None else None
                if order is None:
                    return Verdict.UNKNOWN_TRADE, None
                if trade.amount is None or trade.amount != order.total.amount:
                    log.error(
                        "payment of %s for order %s (total %s) refused: amount",
                        trade.amount,
                        order.id,
                        order.total,
                    )
                    return Verdict.AMOUNT_MISMATCH, order
                known = await uow.payments.get(METHOD.value, trade.trade_no)
                if known is not None and known.state in SETTLED:
                    return Verdict.DUPLICATE, order
                if order.status is OrderStatus.AWAITING_PAYMENT:
                    order.pay(METHOD, now)
                    # Conditional on the status read: of this and a racing wallet payment, one wins.
                    if await uow.orders.save(order, expected=OrderStatus.AWAITING_PAYMENT):
                        if not await uow.payments.settle(_payment(order, trade, PaymentState.APPLIED, now)):
                            return Verdict.DUPLICATE, order  # not committed: the order stays as it was
                        await uow.wallets.add_consumed(order.user_id, order.total)
                        await uow.commit()
                        return Verdict.APPLIED, order
                    order = await uow.orders.get(order.id)  # lost the race: see who won
                    assert order is not None
                if order.status in PAID and order.pay_method == METHOD.value:
                    return Verdict.DUPLICATE, order  # a concurrent delivery of this payment won
                if not await uow.payments.settle(_payment(order, trade, PaymentState.NEEDS_REFUND, now)):
                    return Verdict.DUPLICATE, order
                await uow.commit()
                log.warning(
                    "payment %s of %s for order %s (%s) needs a refund",
                    trade.trade_no,
                    order.total,
                    order.id,
                    order.status.label,
                )
                return Verdict.NEEDS_REFUND, order

        verdict, order = await self.retry.run(attempt)
        if verdict is Verdict.APPLIED and order is not None:
            self.metrics.payment_applied(self.gateway.name)
            await self._publish(order.pull_events())  # schedules the shipping, like the wallet path
        elif verdict in (Verdict.UNKNOWN_TRADE, Verdict.AMOUNT_MISMATCH, Verdict.NEEDS_REFUND):
            self.metrics.payment_refused(self.gateway.name, verdict)
        return verdict

    async def _keep(self, fields: dict[str, str], verdict: str) -> None:
        notification = Notification(
            gateway=self.gateway.name,
            trade_no=fields.get("out_trade_no", ""),
            fields=fields,
            verdict=str(verdict),
            received_at=self.clock.now(),
        )
        async with self.uow() as uow:
            await uow.payments.add_notification(notification)
            await uow.commit()

    async def _order(self, order_id: str) -> Order:
        async with self.uow() as uow:
            order = await uow.orders.get(order_id)
        if order is None:
            raise NotFound("订单", order_id)
        return order

    # --- asking the gateway ---------------------------------------------------------------------

    async def reconcile(self, limit: int = RECONCILE_BATCH) -> ReconcileReport:
        """Ask the gateway about every started (`pending`) trade and act on its signed answers.

        Paid → applied (or kept for a refund when the order can no longer take it). Unpaid, for an order
        that still awaits payment → left alone; for one that does not (cancelled, paid with the wallet)
        → the trade is closed so no money can come. Stops at the first unanswered question.
        """
        report = ReconcileReport()
        async with self.uow() as uow:
            started = await uow.payments.pending(METHOD.value, limit)
            statuses = {}
            for payment in started:
                order = await uow.orders.get(payment.order_id)
                statuses[payment.id] = order.status if order else None
        for index, payment in enumerate(started):
            try:
                trade = await self.gateway.query_trade(payment.trade_no)
                if trade is not None and trade.status in PAID_TRADE_STATUSES:
                    verdict = await self._settle(trade)
                    report.applied += verdict is Verdict.APPLIED
                    report.needs_refund += verdict is Verdict.NEEDS_REFUND
                    report.refused += verdict in (Verdict.AMOUNT_MISMATCH, Verdict.WRONG_APP_ID)
                elif statuses[payment.id] is OrderStatus.AWAITING_PAYMENT:
                    report.waiting += 1
                elif await self.gateway.close_trade(payment.trade_no):
                    await self._mark_closed(payment)
                    report.closed += 1
                else:
                    report.waiting += 1  # paid just now: the notification, or the next run, applies it
            except ServiceUnavailable:
                report.unavailable = len(started) - index
                log.warning("reconciliation stopped: the %s gateway does not answer", self.gateway.name)
                break
            report.checked += 1
        return report

    async def close_for_cancel(self, order: Order) -> None:
        """A buyer or an operator is about to cancel the unpaid order (`Orders.before_cancel`).

        Its started trade is closed first, so no money can come after the cancellation. If the gateway
        says the trade was paid, the payment is applied (the cancel then finds the order paid and is
        refused). If the gateway does not answer, the cancel goes on: money that still comes for it is
        kept as `needs_refund`, as for any payment of an order that can no longer be paid.
        """
        async with self.uow() as uow:
            started = await uow.payments.get(METHOD.value, order.trade_no)
        if started is None or started.state is not PaymentState.PENDING:
            return
        try:
            if await self.gateway.close_trade(order.trade_no):
                await self._mark_closed(started)
                return
            trade = await self.gateway.query_trade(order.trade_no)
        except ServiceUnavailable:
            log.warning(
                "order %s cancelled with its trade %s open: the gateway did not answer",
                order.id,
                order.trade_no,
            )
            return
        if trade is not None and trade.status in PAID_TRADE_STATUSES:
            verdict = await self._settle(trade)
            log.warning("order %s was paid at the gateway as it was being cancelled: %s", order.id, verdict)

    async def before_expiry(self, order: Order) -> bool:
        """Whether the unpaid order may be cancelled now (`Fulfilment.before_expiry`).

        With no trade started: yes. Otherwise its trade is closed first, so no money can come after
        the cancellation; if the gateway says it was paid, the payment is applied instead (no); if the
        gateway does not answer, the order waits for a later sweep (no).
        """
        async with self.uow() as uow:
            started = await uow.payments.get(METHOD.value, order.trade_no)
        if started is None or started.state is not PaymentState.PENDING:
            return True
        now = self.clock.now()
        if now < self._paused.get("until", now):
            log.info("expiry of order %s postponed: the %s gateway was down", order.id, self.gateway.name)
            return False
        try:
            if await self.gateway.close_trade(order.trade_no):
                await self._mark_closed(started)
                return True
            trade = await self.gateway.query_trade(order.trade_no)
        except ServiceUnavailable:
            self._paused["until"] = now + timedelta(seconds=self.gateway_pause_seconds)
            log.warning(
                "expiry of order %s postponed: the %s gateway did not answer (trade %s)",
                order.id,
                self.gateway.name,
                order.trade_no,
            )
            return False
        self._paused.clear()
        if trade is None or trade.status not in PAID_TRADE_STATUSES:
            log.warning("trade %s could not be closed but is not paid either: later", order.trade_no)
            return False
        verdict = await self._settle(trade)
        log.warning("order %s was paid at the gateway before it expired: %s", order.id, verdict)
        return False

    async def _mark_closed(self, payment: Payment) -> None:
        async with self.uow() as uow:
            await uow.payments.change_state(payment.id, expected=PaymentState.PENDING, to=PaymentState.CLOSED)
            await uow.commit()

    # --- the simulator --------------------------------------------------------------------------

    async def simulate_pay(self, order_ref: str, amount: str | None = None) -> PaymentOutcome:
        """Operator/test action, with the payment SIMULATOR only: the buyer "paid" the order (by id or
        trade number) — `amount`, or its total. The simulator's signed notification then goes through
        `notify` like any other, checks included. No money moves anywhere."""
        if self.simulator is None:
            raise NotASimulator()
        async with self.uow() as uow:
            order = await uow.orders.get(order_ref)
            if order is None:
                order_id = await uow.payments.order_id_for_trade(order_ref)
                order = await uow.orders.get(order_id) if order_id is not None else None
        if order is None:
            raise NotFound("订单", order_ref)
        paid = Money.of(amount) if amount is not None else order.total
        verdict = await self.notify(self.simulator.pay(order.trade_no, paid.amount))
        return PaymentOutcome(verdict, await self._order(order.id))

    # --- the operator ---------------------------------------------------------------------------

    async def mark_refunded(self, payment_id: int) -> Payment:
        """The operator gave a `needs_refund` payment back (at the gateway's console)."""
        if not 1 <= payment_id <= MAX_PAYMENT_ID:
            raise NotFound("支付记录", payment_id)
        async with self.uow() as uow:
            payment = await uow.payments.by_id(payment_id)
            if payment is None:
                raise NotFound("支付记录", payment_id)
            wanted = PaymentState.REFUNDED
            if not await uow.payments.change_state(payment_id, expected=PaymentState.NEEDS_REFUND, to=wanted):
                raise IllegalPaymentChange(payment_id, payment.state, wanted)
            await uow.commit()
        return replace(payment, state=wanted)

    async def notifications(self, trade_no: str | None = None, limit: int = 50) -> list[Notification]:
        async with self.uow() as uow:
            return await uow.payments.notifications(trade_no=trade_no, limit=limit)

    async def list(self, state: str | None, page: int, page_size: int) -> Page[Payment]:
        """Newest first; `state` one of pending, applied, needs_refund, refunding, refunded, closed."""
        wanted = PaymentState.parse(state) if state else None
        self._check_page_size(page_size)
        async with self.uow() as uow:
            count = await uow.payments.count(state=wanted)
            request = clamp_page(page, page_size, count)
            items = await uow.payments.list(state=wanted, offset=request.offset, limit=page_size)
        return Page(items, request.page, page_size, count)


def _payment(order: Order, trade: GatewayTrade, state: PaymentState, now: datetime) -> Payment:
    return Payment(
        id=0,
        order_id=order.id,
        user_id=order.user_id,
        method=METHOD.value,
        trade_no=trade.trade_no,
        gateway_trade_no=trade.gateway_trade_no,
        amount=order.total,
        state=state,
        created_at=now,
    )
