"""Refunds through Alipay's refund API: the real SDK against the local fake gateway (keys made at run
time, one pair standing in for Alipay's), on a migrated SQLite database.

Success, a timeout then success, a refusal, a duplicate answer (the refund made at an earlier ask whose
answer was lost), an answer not yet confirmed, a badly signed answer — and in every case, the trade is
refunded at most once and the shop's refund says what Alipay verifiably said.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import pytest
from tests.accounts_support import eventually
from tests.fakes.alipay_gateway import FakeAlipayGateway
from tests.ordering_support import OrderingShop
from tests.payments_support import (
    APP_ID,
    PROXY_VARIABLES,
    AlipayKeys,
    PayingShop,
    alipay_gateway,
    notification,
)
from tests.refunds_support import OPERATOR, check_invariants

from jiadian.adapters.alipay import AlipayGateway
from jiadian.adapters.clock import FixedClock
from jiadian.container import Container
from jiadian.domain.errors import ServiceUnavailable
from jiadian.domain.money import Money
from jiadian.domain.ordering import Order, OrderStatus
from jiadian.domain.payments import PaymentState, Verdict
from jiadian.domain.refunds import GatewayRefundOutcome, IllegalRefundChange, RefundState


@pytest.fixture(scope="module")
def keys() -> AlipayKeys:
    return AlipayKeys.generate()


@pytest.fixture
def fake(keys: AlipayKeys, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeAlipayGateway]:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    with FakeAlipayGateway(
        app_id=APP_ID, app_public_key_pem=keys.app.public_pem, alipay_private_key_pem=keys.alipay.private_pem
    ) as gateway:
        yield gateway


PATIENT, IMPATIENT = (
    10.0,
    0.5,
)  # the gateway's timeout: no hurry on a busy machine; or shorter than a slow answer


@pytest.fixture
def paying(sqlite: Container, clock: FixedClock, keys: AlipayKeys, fake: FakeAlipayGateway) -> PayingShop:
    return PayingShop(OrderingShop(sqlite, clock), alipay_gateway(keys, fake.url, timeout=PATIENT))


def answer_slower_than_the_shop_waits(paying: PayingShop, fake: FakeAlipayGateway, seconds: float) -> None:
    assert isinstance(paying.gateway, AlipayGateway)
    paying.gateway.timeout = IMPATIENT
    fake.answer_slowly(seconds)


def answer_again(paying: PayingShop, fake: FakeAlipayGateway) -> None:
    assert isinstance(paying.gateway, AlipayGateway)
    paying.gateway.timeout = PATIENT
    fake.answer_normally()


async def alipay_paid(paying: PayingShop, keys: AlipayKeys, fake: FakeAlipayGateway) -> tuple[int, Order]:
    """An order paid at Alipay (its verified notification applied): 2 × 100.00 + 10.00 freight."""
    sku = await paying.shop.given_sku(price="100.00", stock=10)
    user, address = await paying.shop.given_buyer()
    order = await paying.shop.buy(user, address, sku.id, 2)
    await paying.start_alipay(user, order)
    fake.set_trade(order.trade_no, "TRADE_SUCCESS", str(order.total))
    assert await paying.payments.notify(notification(keys, order)) is Verdict.APPLIED
    return user, await paying.order(order.id)


async def test_a_refund_alipay_confirms_at_once(
    paying: PayingShop, keys: AlipayKeys, fake: FakeAlipayGateway
) -> None:
    user, order = await alipay_paid(paying, keys, fake)

    refund = await paying.refunds.refund_order(order.id, operator=OPERATOR, reason="缺货")

    assert refund.state is RefundState.REFUNDED
    assert (refund.gateway_answer["fund_change"], refund.gateway_answer["refund_fee"]) == ("Y", "210.00")
    assert fake.refunds_made(order.trade_no) == {refund.out_request_no: "210.00"}
    [request] = [r for r in fake.requests if r["method"] == "alipay.trade.refund"]
    biz = json.loads(request["biz_content"])
    assert (biz["out_trade_no"], biz["out_request_no"], biz["refund_amount"], biz["refund_reason"]) == (
        order.trade_no,
        refund.out_request_no,
        "210.00",
        "缺货",
    )
    [payment] = await paying.payments_of(order)
    assert payment.state is PaymentState.REFUNDED
    assert (await paying.order(order.id)).status is OrderStatus.REFUNDED
    assert (await paying.wallet(user)).total_consumed == Money.zero()
    await check_invariants(paying, {order.lines[0].sku_id: 10}, [user])


async def test_a_timeout_leaves_it_pending_and_the_worker_finishes_it(
    paying: PayingShop, keys: AlipayKeys, fake: FakeAlipayGateway
) -> None:
    user, order = await alipay_paid(paying, keys, fake)
    answer_slower_than_the_shop_waits(paying, fake, 1.5)  # Alipay may still do it, late

    refund = await paying.refunds.refund_order(order.id, operator=OPERATOR)

    assert refund.state is RefundState.PENDING  # decided (the order is refunded, stock back) ...
    assert (await paying.order(order.id)).status is OrderStatus.REFUNDED
    [payment] = await paying.payments_of(order)
    assert payment.state is PaymentState.REFUNDING  # ... the money on its way
    report = await paying.refunds.settle_due()
    assert (report.checked, report.unavailable) == (0, 1)  # still slow: asked again next sweep
    answer_again(paying, fake)

    report = await paying.refunds.settle_due()

    assert (report.checked, report.refunded) == (1, 1)
    settled = await paying.refunds.show(refund.id)
    assert settled.state is RefundState.REFUNDED
    [payment] = await paying.payments_of(order)
    assert payment.state is PaymentState.REFUNDED
    await eventually(lambda: len([r for r in fake.requests if r["method"] == "alipay.trade.refund"]) >= 3)
    assert fake.refunds_made(order.trade_no) == {refund.out_request_no: "210.00"}  # once, however often asked
    await check_invariants(paying, {order.lines[0].sku_id: 10}, [user])


async def test_a_lost_answer_is_asked_again_and_alipay_says_it_was_done(
    paying: PayingShop, keys: AlipayKeys, fake: FakeAlipayGateway
) -> None:
    _user, order = await alipay_paid(paying, keys, fake)
    answer_slower_than_the_shop_waits(paying, fake, 0.8)
    refund = await paying.refunds.refund_order(order.id, operator=OPERATOR)
    assert refund.state is RefundState.PENDING
    await eventually(lambda: fake.refunds_made(order.trade_no), what="Alipay making the refund")
    answer_again(paying, fake)

    settled = await paying.refunds.settle(refund.id)

    assert settled.state is RefundState.REFUNDED
    assert settled.gateway_answer["refund_status"] == "REFUND_SUCCESS"  # the refund query's answer
    assert settled.gateway_answer["out_request_no"] == refund.out_request_no
    assert len(fake.refunds_made(order.trade_no)) == 1


async def test_a_refusal_fails_the_refund_until_the_operator_acts(
    paying: PayingShop, keys: AlipayKeys, fake: FakeAlipayGateway
) -> None:
    user, order = await alipay_paid(paying, keys, fake)
    fake.refuse_refunds("ACQ.TRADE_HAS_FINISHED")

    refund = await paying.refunds.refund_order(order.id, operator=OPERATOR)

    assert refund.state is RefundState.FAILED
    assert refund.gateway_answer["sub_code"] == "ACQ.TRADE_HAS_FINISHED"
    assert fake.refunds_made(order.trade_no) == {}
    assert (await paying.refunds.settle_due()).checked == 0  # a refusal is not asked again by itself
    [payment] = await paying.payments_of(order)
    assert payment.state is PaymentState.REFUNDING
    with pytest.raises(IllegalRefundChange):
        await paying.refunds.approve(refund.id, operator=OPERATOR)

    fake.refund_refusal = None
    retried = await paying.refunds.retry_refund(refund.id, operator="boss2")

    assert (retried.state, retried.operator, retried.out_request_no) == (
        RefundState.REFUNDED,
        "boss2",
        refund.out_request_no,
    )
    assert len(fake.refunds_made(order.trade_no)) == 1
    await check_invariants(paying, {order.lines[0].sku_id: 10}, [user])


async def test_a_refusal_refunded_by_hand_is_recorded(
    paying: PayingShop, keys: AlipayKeys, fake: FakeAlipayGateway
) -> None:
    _user, order = await alipay_paid(paying, keys, fake)
    fake.refuse_refunds("ACQ.REASON_TRADE_BEEN_FREEZEN")
    refund = await paying.refunds.refund_order(order.id, operator=OPERATOR)
    assert refund.state is RefundState.FAILED

    by_hand = await paying.refunds.refunded_by_hand(refund.id, operator=OPERATOR)

    assert by_hand.state is RefundState.REFUNDED
    [payment] = await paying.payments_of(order)
    assert payment.state is PaymentState.REFUNDED
    with pytest.raises(IllegalRefundChange):
        await paying.refunds.refunded_by_hand(refund.id, operator=OPERATOR)


async def test_an_answer_not_yet_confirmed_is_kept_and_asked_again(
    paying: PayingShop, keys: AlipayKeys, fake: FakeAlipayGateway
) -> None:
    _user, order = await alipay_paid(paying, keys, fake)
    fake.refunds_unconfirmed = True

    refund = await paying.refunds.refund_order(order.id, operator=OPERATOR)

    assert refund.state is RefundState.PENDING
    assert refund.gateway_answer == {"code": "10000", "msg": "Success"}  # the refund query: no status yet
    fake.refunds_unconfirmed = False
    assert (await paying.refunds.settle_due()).refunded == 1
    assert len(fake.refunds_made(order.trade_no)) == 1


async def test_a_badly_signed_answer_is_not_believed(
    paying: PayingShop, keys: AlipayKeys, fake: FakeAlipayGateway
) -> None:
    _user, order = await alipay_paid(paying, keys, fake)
    fake.answer_with_bad_signature()

    refund = await paying.refunds.refund_order(order.id, operator=OPERATOR)

    assert refund.state is RefundState.PENDING
    assert refund.gateway_answer == {}
    with pytest.raises(ServiceUnavailable):
        await paying.refunds.settle(refund.id)
    fake.answer_normally()
    assert (await paying.refunds.settle(refund.id)).state is RefundState.REFUNDED


async def test_money_kept_as_needs_refund_goes_back_through_alipay(
    paying: PayingShop, keys: AlipayKeys, fake: FakeAlipayGateway
) -> None:
    sku = await paying.shop.given_sku(price="100.00")
    user, address = await paying.shop.given_buyer(balance="500.00")
    order = await paying.shop.buy(user, address, sku.id)
    await paying.start_alipay(user, order)
    await paying.orders.pay(user, order.id, "wallet")
    fake.set_trade(order.trade_no, "TRADE_SUCCESS", str(order.total))
    assert await paying.payments.notify(notification(keys, order)) is Verdict.NEEDS_REFUND
    [kept] = await paying.payments_of(order)

    refund = await paying.refunds.refund_payment(kept.id, operator=OPERATOR, reason="重复支付")

    assert (refund.state, refund.trade_no, refund.amount) == (
        RefundState.REFUNDED,
        order.trade_no,
        Money.of("110.00"),
    )
    [payment] = await paying.payments_of(order)
    assert payment.state is PaymentState.REFUNDED
    assert fake.refunds_made(order.trade_no) == {refund.out_request_no: "110.00"}
    assert (await paying.order(order.id)).status is OrderStatus.AWAITING_SHIPMENT
    await check_invariants(paying, {sku.id: 10}, [user])


async def test_the_adapter_refunds_once_per_request_number(
    paying: PayingShop, keys: AlipayKeys, fake: FakeAlipayGateway
) -> None:
    _user, order = await alipay_paid(paying, keys, fake)
    gateway = paying.gateway
    first, second = await asyncio.gather(
        gateway.refund(order.trade_no, "RF-1", order.total.amount, "退款"),
        gateway.refund(order.trade_no, "RF-1", order.total.amount, "退款"),
    )
    assert {first.outcome, second.outcome} == {GatewayRefundOutcome.REFUNDED}
    # One made it (fund_change Y); the other heard N and asked the refund query, which said it is done.
    assert sorted(answer.fields.get("fund_change", "query") for answer in (first, second)) == ["Y", "query"]
    assert fake.refunds_made(order.trade_no) == {"RF-1": "210.00"}
    third = await gateway.refund(order.trade_no, "RF-2", order.total.amount, "退款")
    assert third.outcome is GatewayRefundOutcome.REFUSED  # refunded in full, the trade closed: Alipay says no
    assert (third.fields["code"], third.fields["sub_code"]) == ("40004", "ACQ.TRADE_STATUS_ERROR")


async def test_the_worker_asks_about_pending_refunds(sqlite: Container) -> None:
    jobs = sqlite.periodic_jobs()
    assert sqlite.refunds().settle_due in jobs
