"""Payments through a gateway, on the in-memory adapters, with the payment simulator as the gateway."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest
from tests.fakes.payment_gateway import FlakySimulator
from tests.ordering_support import OrderingShop
from tests.payments_support import PayingShop

from jiadian.adapters.clock import FixedClock
from jiadian.adapters.memory.state import MemoryState
from jiadian.application.tasks import ShipOrder
from jiadian.container import Container
from jiadian.domain.errors import Conflict, NotFound, ValidationFailed
from jiadian.domain.money import Money
from jiadian.domain.ordering import OrderStatus
from jiadian.domain.payments import (
    IllegalPaymentChange,
    NotASimulator,
    PaymentNotVerified,
    PaymentState,
    Verdict,
)


@pytest.fixture
def gateway() -> FlakySimulator:
    return FlakySimulator()


@pytest.fixture
def paying(memory: tuple[Container, MemoryState], clock: FixedClock, gateway: FlakySimulator) -> PayingShop:
    container, _state = memory
    return PayingShop(OrderingShop(container, clock), gateway)


def states(payments: list[object]) -> list[str]:
    return [p.state.value for p in payments]  # type: ignore[attr-defined]


# --- applying ----------------------------------------------------------------------------------


async def test_a_simulated_payment_pays_the_order_once(paying: PayingShop, clock: FixedClock) -> None:
    user, order = await paying.unpaid_order(price="90.00", balance="50.00")
    url = await paying.start_alipay(user, order)
    assert url == f"http://shop.test/api/payments/simulator/{order.trade_no}"
    assert states(await paying.payments_of(order)) == ["pending"]
    assert (await paying.order(order.id)).status is OrderStatus.AWAITING_PAYMENT

    outcome = await paying.payments.simulate_pay(order.id)

    assert outcome.verdict is Verdict.APPLIED
    paid = await paying.order(order.id)
    assert (paid.status, paid.pay_method, paid.paid_at) == (
        OrderStatus.AWAITING_SHIPMENT,
        "alipay",
        clock.now(),
    )
    wallet = await paying.wallet(user)
    assert (wallet.balance, wallet.total_consumed) == (Money.of("50.00"), Money.of("100.00"))
    (payment,) = await paying.payments_of(order)
    assert (payment.state, payment.amount, payment.user_id) == (PaymentState.APPLIED, order.total, user)
    assert payment.gateway_trade_no.startswith("SIM")
    assert (ShipOrder(order.id), 300) in paying.shop.tasks.sent

    again = await paying.payments.simulate_pay(order.trade_no)  # by trade number this time

    assert again.verdict is Verdict.DUPLICATE
    assert states(await paying.payments_of(order)) == ["applied"]
    assert (await paying.wallet(user)).total_consumed == Money.of("100.00")
    assert len(paying.shop.tasks.of_type(ShipOrder)) == 1
    assert [n.verdict for n in await paying.notifications_of(order)] == ["duplicate", "applied"]


async def test_the_same_notification_twice_is_one_payment(
    paying: PayingShop, gateway: FlakySimulator
) -> None:
    user, order = await paying.unpaid_order()
    fields = gateway.pay(order.trade_no, order.total.amount)

    assert await paying.payments.notify(fields) is Verdict.APPLIED
    assert await paying.payments.notify(fields) is Verdict.DUPLICATE

    assert states(await paying.payments_of(order)) == ["applied"]
    assert (await paying.wallet(user)).total_consumed == order.total
    kept = await paying.notifications_of(order)
    assert [n.verdict for n in kept] == ["duplicate", "applied"]
    assert kept[0].fields == fields


@pytest.mark.parametrize(
    ("spoil", "verdict"),
    [
        (lambda f: f.update(total_amount="0.01"), Verdict.BAD_SIGNATURE),
        (lambda f: f.update(trade_status="TRADE_FINISHED"), Verdict.BAD_SIGNATURE),
        (lambda f: f.pop("sign"), Verdict.UNSIGNED),
        (lambda f: f.pop("trade_status"), Verdict.MISSING_FIELDS),
        (lambda f: f.update(app_id="2021000000009999"), Verdict.WRONG_APP_ID),
    ],
    ids=["tampered-amount", "tampered-status", "unsigned", "missing-field", "other-app"],
)
async def test_a_notification_that_does_not_verify_fails_changes_nothing_and_is_kept(
    paying: PayingShop, gateway: FlakySimulator, spoil: object, verdict: Verdict
) -> None:
    user, order = await paying.unpaid_order()
    fields = gateway.pay(order.trade_no, order.total.amount)
    spoil(fields)  # type: ignore[operator]

    got = await paying.payments.notify(fields)

    assert (got, got.acknowledged) == (verdict, False)
    assert (await paying.order(order.id)).status is OrderStatus.AWAITING_PAYMENT
    assert (await paying.wallet(user)).total_consumed == Money.zero()
    assert await paying.payments_of(order) == []
    (kept,) = await paying.notifications_of(order)
    assert (kept.verdict, kept.fields, kept.gateway) == (verdict.value, fields, "simulator")


async def test_an_amount_other_than_the_total_is_refused(paying: PayingShop) -> None:
    user, order = await paying.unpaid_order(price="100.00")
    outcome = await paying.payments.simulate_pay(order.id, amount="100.00")  # the total is 110.00
    assert (outcome.verdict, outcome.verdict.acknowledged) == (Verdict.AMOUNT_MISMATCH, False)
    assert outcome.order.status is OrderStatus.AWAITING_PAYMENT
    assert await paying.payments_of(order) == []
    assert (await paying.wallet(user)).total_consumed == Money.zero()


async def test_a_trade_that_is_not_ours_fails(paying: PayingShop, gateway: FlakySimulator) -> None:
    verdict = await paying.payments.notify(gateway.pay("JD20260101000000ffffffffffffff", Decimal("10.00")))
    assert (verdict, verdict.acknowledged) == (Verdict.UNKNOWN_TRADE, False)
    (kept,) = await paying.payments.notifications()
    assert (kept.trade_no, kept.verdict) == ("JD20260101000000ffffffffffffff", "unknown_trade")


async def test_an_unpaid_trade_state_is_acknowledged_and_changes_nothing(
    paying: PayingShop, gateway: FlakySimulator
) -> None:
    user, order = await paying.unpaid_order()
    await paying.start_alipay(user, order)
    verdict = await paying.payments.notify(gateway.signed_notification(order.trade_no))  # WAIT_BUYER_PAY
    assert (verdict, verdict.acknowledged) == (Verdict.NOT_PAID, True)
    assert (await paying.order(order.id)).status is OrderStatus.AWAITING_PAYMENT
    assert states(await paying.payments_of(order)) == ["pending"]


# --- money that arrives too late ---------------------------------------------------------------


async def test_a_payment_for_a_cancelled_order_is_kept_for_a_refund(
    paying: PayingShop, gateway: FlakySimulator
) -> None:
    user, order = await paying.unpaid_order()
    await paying.start_alipay(user, order)
    gateway.down = True  # the cancel could not close the trade: the buyer still pays it
    await paying.orders.cancel(user, order.id)
    gateway.down = False

    outcome = await paying.payments.simulate_pay(order.id)

    assert (outcome.verdict, outcome.verdict.acknowledged) == (Verdict.NEEDS_REFUND, True)
    assert outcome.order.status is OrderStatus.CANCELLED
    assert (await paying.wallet(user)).total_consumed == Money.zero()
    due = await paying.payments.list("needs_refund", 1, 20)
    assert [(p.order_id, p.user_id, p.amount) for p in due.items] == [(order.id, user, order.total)]
    assert (await paying.payments.simulate_pay(order.id)).verdict is Verdict.DUPLICATE

    refunded = await paying.payments.mark_refunded(due.items[0].id)

    assert refunded.state is PaymentState.REFUNDED
    assert (await paying.payments.list("needs_refund", 1, 20)).total == 0
    assert (await paying.payments.list("refunded", 1, 20)).total == 1
    with pytest.raises(IllegalPaymentChange):
        await paying.payments.mark_refunded(due.items[0].id)
    for unknown in (9999, 0, 2**64):
        with pytest.raises(NotFound):
            await paying.payments.mark_refunded(unknown)


async def test_a_payment_after_a_wallet_payment_is_kept_for_a_refund(paying: PayingShop) -> None:
    user, order = await paying.unpaid_order(balance="500.00")
    await paying.start_alipay(user, order)
    await paying.orders.pay(user, order.id, "wallet")

    outcome = await paying.payments.simulate_pay(order.id)

    assert outcome.verdict is Verdict.NEEDS_REFUND
    assert (outcome.order.status, outcome.order.pay_method) == (OrderStatus.AWAITING_SHIPMENT, "wallet")
    wallet = await paying.wallet(user)
    assert (wallet.balance, wallet.total_consumed) == (Money.of("390.00"), Money.of("110.00"))
    assert states(await paying.payments_of(order)) == ["needs_refund"]


# --- expiry asks the gateway first ----------------------------------------------------------


async def test_expiry_without_a_trade_does_not_ask_the_gateway(
    paying: PayingShop, gateway: FlakySimulator, clock: FixedClock
) -> None:
    _user, order = await paying.unpaid_order()
    clock.advance(hours=25)
    assert await paying.fulfilment.expire(order.id)
    assert (await paying.order(order.id)).status is OrderStatus.CANCELLED
    assert gateway.calls == []


async def test_expiry_closes_the_trade_before_cancelling(
    paying: PayingShop, gateway: FlakySimulator, clock: FixedClock
) -> None:
    user, order = await paying.unpaid_order()
    await paying.start_alipay(user, order)
    clock.advance(hours=25)

    assert await paying.fulfilment.expire_unpaid() == 1

    assert gateway.calls == [("close", order.trade_no)]
    assert (await paying.order(order.id)).status is OrderStatus.CANCELLED
    assert states(await paying.payments_of(order)) == ["closed"]
    with pytest.raises(Conflict):  # nobody can pay a closed trade any more
        gateway.pay(order.trade_no, order.total.amount)


async def test_expiry_applies_a_payment_the_gateway_confirms(
    paying: PayingShop, gateway: FlakySimulator, clock: FixedClock
) -> None:
    user, order = await paying.unpaid_order()
    await paying.start_alipay(user, order)
    gateway.pay(order.trade_no, order.total.amount)  # paid; the notification never arrived
    clock.advance(hours=25)

    assert await paying.fulfilment.expire_unpaid() == 0

    paid = await paying.order(order.id)
    assert (paid.status, paid.pay_method) == (OrderStatus.AWAITING_SHIPMENT, "alipay")
    assert states(await paying.payments_of(order)) == ["applied"]
    assert (await paying.wallet(user)).total_consumed == order.total
    assert ShipOrder(order.id) in [task for task, _ in paying.shop.tasks.sent]


async def test_expiry_waits_while_the_gateway_does_not_answer(
    paying: PayingShop, gateway: FlakySimulator, clock: FixedClock
) -> None:
    user, order = await paying.unpaid_order()
    _user2, other = await paying.unpaid_order()
    await paying.start_alipay(user, order)
    await paying.start_alipay(_user2, other)
    clock.advance(hours=25)
    gateway.down = True

    assert await paying.fulfilment.expire_unpaid() == 0

    assert len(gateway.calls) == 1  # the first failure pauses the gateway for the rest of the sweep
    assert (await paying.order(order.id)).status is OrderStatus.AWAITING_PAYMENT
    assert (await paying.order(other.id)).status is OrderStatus.AWAITING_PAYMENT
    gateway.down = False
    assert await paying.fulfilment.expire_unpaid() == 0  # still paused
    clock.advance(minutes=2)

    assert await paying.fulfilment.expire_unpaid() == 2

    assert (await paying.order(order.id)).status is OrderStatus.CANCELLED
    assert states(await paying.payments_of(other)) == ["closed"]


# --- a buyer's or an operator's cancel closes the trade first ---------------------------------


async def test_a_buyers_cancel_closes_the_started_trade(paying: PayingShop, gateway: FlakySimulator) -> None:
    user, order = await paying.unpaid_order()
    await paying.start_alipay(user, order)

    cancelled = await paying.orders.cancel(user, order.id)

    assert cancelled.status is OrderStatus.CANCELLED
    assert gateway.calls == [("close", order.trade_no)]
    assert states(await paying.payments_of(order)) == ["closed"]
    with pytest.raises(Conflict):  # the buyer's open Alipay page can no longer take the money
        gateway.pay(order.trade_no, order.total.amount)


async def test_an_operators_cancel_closes_the_started_trade(
    paying: PayingShop, gateway: FlakySimulator
) -> None:
    user, order = await paying.unpaid_order()
    await paying.start_alipay(user, order)

    assert (await paying.fulfilment.cancel(order.id)).status is OrderStatus.CANCELLED
    assert gateway.calls == [("close", order.trade_no)]
    assert states(await paying.payments_of(order)) == ["closed"]


async def test_a_cancel_without_a_trade_does_not_ask_the_gateway(
    paying: PayingShop, gateway: FlakySimulator
) -> None:
    user, order = await paying.unpaid_order()
    assert (await paying.orders.cancel(user, order.id)).status is OrderStatus.CANCELLED
    assert gateway.calls == []


async def test_a_cancel_of_an_order_paid_at_the_gateway_applies_the_payment_instead(
    paying: PayingShop, gateway: FlakySimulator
) -> None:
    user, order = await paying.unpaid_order()
    await paying.start_alipay(user, order)
    gateway.pay(order.trade_no, order.total.amount)  # paid; the notification is still on its way

    with pytest.raises(Conflict):
        await paying.orders.cancel(user, order.id)

    paid = await paying.order(order.id)
    assert (paid.status, paid.pay_method) == (OrderStatus.AWAITING_SHIPMENT, "alipay")
    assert states(await paying.payments_of(order)) == ["applied"]


async def test_a_cancel_goes_on_when_the_gateway_does_not_answer(
    paying: PayingShop, gateway: FlakySimulator
) -> None:
    user, order = await paying.unpaid_order()
    await paying.start_alipay(user, order)
    gateway.down = True

    assert (await paying.orders.cancel(user, order.id)).status is OrderStatus.CANCELLED
    assert states(await paying.payments_of(order)) == ["pending"]  # late money: kept for refund


# --- reconciliation ---------------------------------------------------------------------------


async def test_reconcile_applies_lost_payments_and_closes_dead_trades(
    paying: PayingShop, gateway: FlakySimulator
) -> None:
    user, paid = await paying.unpaid_order()
    user2, waiting = await paying.unpaid_order()
    user3, cancelled = await paying.unpaid_order()
    for buyer, order in ((user, paid), (user2, waiting), (user3, cancelled)):
        await paying.start_alipay(buyer, order)
    gateway.down = True  # the cancel could not close its trade: the reconcile will
    await paying.orders.cancel(user3, cancelled.id)
    gateway.down = False
    gateway.pay(paid.trade_no, paid.total.amount)  # the notification was lost
    gateway.down = True

    down = await paying.payments.reconcile()

    assert (down.checked, down.unavailable) == (0, 3)
    assert (await paying.order(paid.id)).status is OrderStatus.AWAITING_PAYMENT
    gateway.down = False

    report = await paying.payments.reconcile()

    assert (report.checked, report.applied, report.waiting, report.closed) == (3, 1, 1, 1)
    assert (await paying.order(paid.id)).status is OrderStatus.AWAITING_SHIPMENT
    assert states(await paying.payments_of(paid)) == ["applied"]
    assert states(await paying.payments_of(waiting)) == ["pending"]
    assert states(await paying.payments_of(cancelled)) == ["closed"]
    again = await paying.payments.reconcile()
    assert (again.checked, again.applied, again.waiting) == (1, 0, 1)


# --- browser return, the simulator, the operator -----------------------------------------------


async def test_browser_return_applies_what_the_gateway_confirms(
    paying: PayingShop, gateway: FlakySimulator
) -> None:
    user, order = await paying.unpaid_order()
    await paying.start_alipay(user, order)
    waiting = await paying.payments.browser_return(gateway.signed_return(order.trade_no))
    assert (waiting.verdict, waiting.order.status) == (Verdict.NOT_PAID, OrderStatus.AWAITING_PAYMENT)

    gateway.pay(order.trade_no, order.total.amount)
    forged = {"out_trade_no": order.trade_no, "trade_status": "TRADE_SUCCESS", "app_id": "simulator"}
    with pytest.raises(PaymentNotVerified):
        await paying.payments.browser_return(forged)
    assert (await paying.order(order.id)).status is OrderStatus.AWAITING_PAYMENT

    outcome = await paying.payments.browser_return(gateway.signed_return(order.trade_no))

    assert (outcome.verdict, outcome.order.status) == (Verdict.APPLIED, OrderStatus.AWAITING_SHIPMENT)
    verdicts = [n.verdict for n in await paying.notifications_of(order)]
    assert verdicts == ["return:applied", "return:unsigned", "return:not_paid"]


async def test_simulate_pay_needs_the_simulator_and_a_known_order(paying: PayingShop) -> None:
    _user, order = await paying.unpaid_order()
    with pytest.raises(NotFound):
        await paying.payments.simulate_pay("nope")
    with pytest.raises(ValidationFailed):
        await paying.payments.simulate_pay(order.id, amount="-1")
    real = dataclasses.replace(paying.payments, simulator=None)
    with pytest.raises(NotASimulator):
        await real.simulate_pay(order.id)
    assert (await paying.order(order.id)).status is OrderStatus.AWAITING_PAYMENT


async def test_listing_checks_its_arguments(paying: PayingShop) -> None:
    with pytest.raises(ValidationFailed):
        await paying.payments.list("paid-ish", 1, 20)
    with pytest.raises(ValidationFailed):
        await paying.payments.list(None, 1, 500)
    assert (await paying.payments.list(None, 3, 20)).page == 1
