"""Refunds on the in-memory adapters with the payment simulator: who may refund what, where the money
and the stock go, and that nothing is refunded twice."""

from __future__ import annotations

import pytest
from tests.ordering_support import OrderingShop
from tests.payments_support import PayingShop
from tests.refunds_support import OPERATOR, all_refunds, check_invariants, gateway_paid, wallet_paid

from jiadian.adapters.alipay import SimulatedGateway
from jiadian.adapters.clock import FixedClock
from jiadian.adapters.memory.state import MemoryState
from jiadian.adapters.memory.stock_gate import MemoryStockGate
from jiadian.container import Container
from jiadian.domain.errors import NotFound, ValidationFailed
from jiadian.domain.money import Money
from jiadian.domain.ordering import IllegalTransition, OrderStatus
from jiadian.domain.payments import IllegalPaymentChange, PaymentState, Verdict
from jiadian.domain.refunds import (
    IllegalRefundChange,
    RefundMethod,
    RefundOrigin,
    RefundRefused,
    RefundState,
)
from jiadian.domain.wallet import EntryKind


@pytest.fixture
def paying(memory: tuple[Container, MemoryState], clock: FixedClock) -> PayingShop:
    container, _state = memory
    return PayingShop(OrderingShop(container, clock), SimulatedGateway("https://shop.example.com"))


async def test_an_operator_refunds_a_wallet_paid_order_to_the_wallet(paying: PayingShop) -> None:
    sku = await paying.shop.given_sku(price="100.00", stock=10)
    user, order = await wallet_paid(paying, sku=sku, count=3)
    assert (await paying.wallet(user)).balance == Money.of("9690.00")

    refund = await paying.refunds.refund_order(order.id, operator=OPERATOR, reason="缺货")

    assert (refund.state, refund.method, refund.origin) == (
        RefundState.REFUNDED,
        RefundMethod.WALLET,
        RefundOrigin.OPERATOR,
    )
    assert (refund.amount, refund.operator, refund.reason) == (Money.of("310.00"), OPERATOR, "缺货")
    refunded = await paying.order(order.id)
    assert refunded.status is OrderStatus.REFUNDED
    assert refunded.refunded_at is not None
    wallet = await paying.wallet(user)
    assert (wallet.balance, wallet.total_consumed) == (Money.of("10000.00"), Money.zero())
    async with paying.shop.container.uow() as uow:
        ledger = await uow.wallets.ledger(user)
    assert [(e.kind, e.amount, e.order_id) for e in ledger[-1:]] == [
        (EntryKind.REFUND, Money.of("310.00"), order.id)
    ]
    restocked = await paying.shop.sku(sku.id)
    assert (restocked.stock, restocked.sales) == (10, 0)
    await check_invariants(paying, {sku.id: 10}, [user])


async def test_a_gateway_paid_order_is_refunded_through_the_gateway(paying: PayingShop) -> None:
    user, order = await gateway_paid(paying)
    assert (await paying.wallet(user)).total_consumed == Money.of("110.00")

    refund = await paying.refunds.refund_order(order.id, operator=OPERATOR)

    assert (refund.state, refund.method) == (RefundState.REFUNDED, RefundMethod.ALIPAY)
    assert refund.gateway_answer["fund_change"] == "Y"
    assert refund.trade_no == order.trade_no
    [payment] = await paying.payments_of(order)
    assert (payment.state, refund.payment_id) == (PaymentState.REFUNDED, payment.id)
    wallet = await paying.wallet(user)
    assert (wallet.balance, wallet.total_consumed) == (Money.zero(), Money.zero())  # nothing to the wallet
    assert (await paying.order(order.id)).status is OrderStatus.REFUNDED


async def test_a_buyer_asks_and_the_order_waits_unshipped_until_the_operator_approves(
    paying: PayingShop, clock: FixedClock
) -> None:
    user, order = await wallet_paid(paying)

    requested = await paying.orders.request_refund(user, order.id, "不想要了")

    assert (requested.state, requested.origin, requested.reason) == (
        RefundState.REQUESTED,
        RefundOrigin.BUYER,
        "不想要了",
    )
    assert (await paying.order(order.id)).status is OrderStatus.REFUND_REQUESTED
    assert (await paying.orders.refund(user, order.id)).id == requested.id
    clock.advance(seconds=3600)
    assert await paying.fulfilment.ship_due() == 0  # the automatic shipping leaves it alone
    with pytest.raises(IllegalTransition):
        await paying.fulfilment.ship(order.id)

    approved = await paying.refunds.approve(requested.id, operator=OPERATOR)

    assert (approved.id, approved.state, approved.origin) == (
        requested.id,
        RefundState.REFUNDED,
        RefundOrigin.BUYER,
    )
    assert (await paying.order(order.id)).status is OrderStatus.REFUNDED
    assert (await paying.wallet(user)).balance == Money.of("10000.00")
    with pytest.raises(IllegalRefundChange):
        await paying.refunds.approve(requested.id, operator=OPERATOR)


async def test_a_refused_request_ships_as_usual_and_cannot_be_asked_again(
    paying: PayingShop, clock: FixedClock
) -> None:
    user, order = await wallet_paid(paying)
    requested = await paying.orders.request_refund(user, order.id, "")

    refused = await paying.refunds.refuse(requested.id, operator=OPERATOR, answer="已出库，无法退款")

    assert (refused.state, refused.answer, refused.operator) == (
        RefundState.REFUSED,
        "已出库，无法退款",
        OPERATOR,
    )
    assert (await paying.order(order.id)).status is OrderStatus.AWAITING_SHIPMENT
    with pytest.raises(RefundRefused):
        await paying.orders.request_refund(user, order.id, "再申请一次")
    with pytest.raises(IllegalRefundChange):
        await paying.refunds.refuse(requested.id, operator=OPERATOR, answer="")
    clock.advance(seconds=3600)
    assert await paying.fulfilment.ship_due() == 1
    with pytest.raises(IllegalTransition):
        await paying.refunds.refund_order(order.id, operator=OPERATOR)  # shipped: too late
    assert (await paying.wallet(user)).balance == Money.of("9890.00")


async def test_an_operator_may_refund_after_refusing(paying: PayingShop) -> None:
    user, order = await wallet_paid(paying)
    requested = await paying.orders.request_refund(user, order.id, "")
    await paying.refunds.refuse(requested.id, operator=OPERATOR, answer="再想想")

    refund = await paying.refunds.refund_order(order.id, operator="boss2")

    assert (refund.id, refund.state, refund.operator) == (requested.id, RefundState.REFUNDED, "boss2")
    assert len(await all_refunds(paying)) == 1


async def test_only_paid_unshipped_orders_are_refunded(paying: PayingShop) -> None:
    sku = await paying.shop.given_sku(price="100.00")
    user, address = await paying.shop.given_buyer(balance="1000.00")
    unpaid = await paying.shop.buy(user, address, sku.id)
    with pytest.raises(IllegalTransition):
        await paying.refunds.refund_order(unpaid.id, operator=OPERATOR)
    with pytest.raises(IllegalTransition):
        await paying.orders.request_refund(user, unpaid.id, "")
    _, paid = await wallet_paid(paying)
    await paying.fulfilment.ship(paid.id)
    with pytest.raises(IllegalTransition):
        await paying.refunds.refund_order(paid.id, operator=OPERATOR)
    with pytest.raises(NotFound):
        await paying.refunds.refund_order("no-such-order", operator=OPERATOR)
    assert await all_refunds(paying) == []


async def test_a_refunded_order_is_not_refunded_twice(paying: PayingShop) -> None:
    user, order = await wallet_paid(paying)
    await paying.refunds.refund_order(order.id, operator=OPERATOR)
    with pytest.raises(IllegalTransition):
        await paying.refunds.refund_order(order.id, operator=OPERATOR)
    with pytest.raises(IllegalTransition):
        await paying.orders.request_refund(user, order.id, "")
    assert (await paying.wallet(user)).balance == Money.of("10000.00")
    await check_invariants(paying, {}, [user])


async def test_a_buyer_asks_only_for_their_own_order(paying: PayingShop) -> None:
    _user, order = await wallet_paid(paying)
    stranger, _ = await paying.shop.given_buyer()
    with pytest.raises(NotFound):
        await paying.orders.request_refund(stranger, order.id, "")
    with pytest.raises(NotFound):
        await paying.orders.refund(stranger, order.id)
    assert (await paying.order(order.id)).status is OrderStatus.AWAITING_SHIPMENT


async def test_a_reason_has_a_length_limit(paying: PayingShop) -> None:
    user, order = await wallet_paid(paying)
    with pytest.raises(ValidationFailed):
        await paying.orders.request_refund(user, order.id, "太" * 256)
    assert (await paying.order(order.id)).status is OrderStatus.AWAITING_SHIPMENT


async def test_money_kept_as_needs_refund_goes_back_through_the_gateway(paying: PayingShop) -> None:
    sku = await paying.shop.given_sku(price="100.00")
    user, address = await paying.shop.given_buyer(balance="500.00")
    order = await paying.shop.buy(user, address, sku.id)
    await paying.start_alipay(user, order)
    await paying.orders.pay(user, order.id, "wallet")  # paid twice: with the wallet, then at the gateway
    gateway = paying.gateway
    assert isinstance(gateway, SimulatedGateway)
    verdict = await paying.payments.notify(gateway.pay(order.trade_no, order.total.amount))
    assert verdict is Verdict.NEEDS_REFUND
    [kept] = await paying.payments_of(order)

    refund = await paying.refunds.refund_payment(kept.id, operator=OPERATOR, reason="重复支付")

    assert (refund.state, refund.origin, refund.payment_id, refund.amount) == (
        RefundState.REFUNDED,
        RefundOrigin.PAYMENT,
        kept.id,
        Money.of("110.00"),
    )
    [payment] = await paying.payments_of(order)
    assert payment.state is PaymentState.REFUNDED
    with pytest.raises(IllegalPaymentChange):
        await paying.refunds.refund_payment(kept.id, operator=OPERATOR)
    with pytest.raises(IllegalPaymentChange):
        await paying.payments.mark_refunded(kept.id)
    with pytest.raises(NotFound):
        await paying.refunds.refund_payment(kept.id + 100, operator=OPERATOR)
    assert (await paying.order(order.id)).status is OrderStatus.AWAITING_SHIPMENT  # the order stands
    assert (await paying.wallet(user)).balance == Money.of("390.00")
    order_refund = await paying.refunds.refund_order(order.id, operator=OPERATOR)  # and may be refunded too
    assert order_refund.method is RefundMethod.WALLET
    assert (await paying.wallet(user)).balance == Money.of("500.00")
    await check_invariants(paying, {sku.id: 10}, [user])


async def test_an_applied_payment_is_not_refunded_as_a_payment(paying: PayingShop) -> None:
    _user, order = await gateway_paid(paying)
    [applied] = await paying.payments_of(order)
    with pytest.raises(IllegalPaymentChange):
        await paying.refunds.refund_payment(applied.id, operator=OPERATOR)  # refund its order instead


async def test_refunded_stock_goes_back_to_the_stock_gate(
    memory: tuple[Container, MemoryState], clock: FixedClock
) -> None:
    container, _state = memory
    gate = MemoryStockGate()
    paying = PayingShop(
        OrderingShop(container, clock, gate=gate), SimulatedGateway("https://shop.example.com")
    )
    sku = await paying.shop.given_sku(price="10.00", stock=5)
    await gate.open({sku.id: 5})
    _user, order = await wallet_paid(paying, sku=sku, count=2)
    assert await gate.tokens() == {sku.id: 3}

    await paying.refunds.refund_order(order.id, operator=OPERATOR)

    assert await gate.tokens() == {sku.id: 5}
    assert (await paying.shop.sku(sku.id)).stock == 5


async def test_the_list_and_states(paying: PayingShop) -> None:
    user, first = await wallet_paid(paying)
    await paying.orders.request_refund(user, first.id, "")
    _, second = await wallet_paid(paying)
    await paying.refunds.refund_order(second.id, operator=OPERATOR)
    everything = await paying.refunds.list(None, 1, 10)
    assert [r.order_id for r in everything.items] == [second.id, first.id]
    asked = await paying.refunds.list("requested", 1, 10)
    assert [r.order_id for r in asked.items] == [first.id]
    with pytest.raises(ValidationFailed):
        await paying.refunds.list("lost", 1, 10)
    with pytest.raises(NotFound):
        await paying.refunds.show(999)
