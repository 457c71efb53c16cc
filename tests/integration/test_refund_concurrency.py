"""Refunds racing shipments, each other and the operator's other decisions on MariaDB, for real.

Asserted by outcome, never by timing: every order ends either shipped or refunded — exactly one of the
racers won — a refunded order's money went back exactly once (wallet ledger, or one refund at the
gateway), its stock came back exactly once, and every wallet's balance is the sum of its ledger.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter

import pytest
from tests.ordering_support import OrderingShop
from tests.payments_support import PayingShop
from tests.refunds_support import OPERATOR, all_refunds, check_invariants, gateway_paid, wallet_paid

from jiadian.adapters.alipay import SimulatedGateway
from jiadian.adapters.clock import FixedClock
from jiadian.container import Container
from jiadian.domain.errors import ServiceUnavailable
from jiadian.domain.money import Money
from jiadian.domain.ordering import IllegalTransition, Order, OrderStatus
from jiadian.domain.payments import PaymentState
from jiadian.domain.refunds import AlreadyRefunding, IllegalRefundChange, Refund, RefundState
from jiadian.domain.wallet import EntryKind

pytestmark = [pytest.mark.mysql, pytest.mark.slow]

ORDERS = 10
LOST = (IllegalTransition, IllegalRefundChange, AlreadyRefunding, ServiceUnavailable)


@pytest.fixture
def paying(mysql: Container, clock: FixedClock) -> PayingShop:
    return PayingShop(OrderingShop(mysql, clock), SimulatedGateway("https://shop.example.com"))


async def jitter(rng: random.Random) -> None:
    await asyncio.sleep(rng.choice([0, 0, 0.001, 0.005, 0.02]))  # both sides win some races (not asserted)


async def test_a_refund_racing_a_ship_of_the_same_order_exactly_one_wins(paying: PayingShop) -> None:
    sku = await paying.shop.given_sku(price="100.00", stock=ORDERS * 2)
    orders: list[tuple[int, Order]] = []
    for n in range(ORDERS):
        paid = gateway_paid if n % 3 == 0 else wallet_paid
        orders.append(await paid(paying, sku=sku))
    rng = random.Random(16)

    async def refund(order: Order) -> object:
        await jitter(rng)
        return await paying.refunds.refund_order(order.id, operator=OPERATOR)

    async def ship(order: Order) -> object:
        await jitter(rng)
        return await paying.fulfilment.ship(order.id)

    races = []
    for _user, order in orders:
        races += [refund(order), refund(order), ship(order)]  # two operators refunding, one shipping
    results = await asyncio.gather(*races, return_exceptions=True)
    unexpected = [r for r in results if not isinstance(r, (Order, Refund, *LOST))]
    assert unexpected == []

    refunds = {r.order_id: r for r in await all_refunds(paying)}
    outcomes: Counter[str] = Counter()
    for index, (user, order) in enumerate(orders):
        won = [r for r in results[index * 3 : index * 3 + 3] if isinstance(r, Order | Refund)]
        assert len(won) == 1, (order.id, results[index * 3 : index * 3 + 3])
        final = await paying.order(order.id)
        async with paying.shop.container.uow() as uow:
            ledger = await uow.wallets.ledger(user)
        back = [e for e in ledger if e.kind is EntryKind.REFUND and e.order_id == order.id]
        if isinstance(won[0], Refund):
            assert final.status is OrderStatus.REFUNDED
            assert refunds[order.id].state is RefundState.REFUNDED
            if final.pay_method == "wallet":
                assert [e.amount for e in back] == [Money.of("110.00")]
            else:
                [payment] = await paying.payments_of(order)
                assert payment.state is PaymentState.REFUNDED
                assert back == []
            outcomes["refunded"] += 1
        else:
            assert final.status is OrderStatus.SHIPPED
            assert order.id not in refunds
            assert back == []
            outcomes["shipped"] += 1
    print(f"\nrefund vs ship: {dict(outcomes)}")
    refunded_count = outcomes["refunded"]
    stocked = await paying.shop.sku(sku.id)
    assert (stocked.stock, stocked.sales) == (ORDERS * 2 - ORDERS + refunded_count, ORDERS - refunded_count)
    await check_invariants(paying, {sku.id: ORDERS * 2}, [user for user, _ in orders])


async def test_a_buyers_request_racing_a_ship_and_the_decisions_racing_each_other(paying: PayingShop) -> None:
    sku = await paying.shop.given_sku(price="100.00", stock=ORDERS * 2)
    orders = [await wallet_paid(paying, sku=sku) for _ in range(ORDERS)]
    rng = random.Random(61)

    async def request(user: int, order: Order) -> object:
        await jitter(rng)
        return await paying.orders.request_refund(user, order.id, "不要了")

    async def ship(order: Order) -> object:
        await jitter(rng)
        return await paying.fulfilment.ship(order.id)

    first = await asyncio.gather(
        *(call for user, order in orders for call in (request(user, order), ship(order))),
        return_exceptions=True,
    )
    assert [r for r in first if not isinstance(r, (Order, Refund, *LOST))] == []
    requested = [r for r in first if isinstance(r, Refund)]
    shipped = [r for r in first if isinstance(r, Order)]
    assert len(requested) + len(shipped) == ORDERS

    async def approve(refund: Refund) -> object:
        await jitter(rng)
        return await paying.refunds.approve(refund.id, operator=OPERATOR)

    async def refuse(refund: Refund) -> object:
        await jitter(rng)
        return await paying.refunds.refuse(refund.id, operator="boss2", answer="不行")

    second = await asyncio.gather(
        *(call for refund in requested for call in (approve(refund), refuse(refund), approve(refund))),
        return_exceptions=True,
    )
    assert [r for r in second if not isinstance(r, (Refund, *LOST))] == []
    for index, refund in enumerate(requested):
        decided = [r for r in second[index * 3 : index * 3 + 3] if isinstance(r, Refund)]
        assert len(decided) == 1, second[index * 3 : index * 3 + 3]
        final = await paying.order(refund.order_id)
        wanted = (
            OrderStatus.REFUNDED
            if decided[0].state is RefundState.REFUNDED
            else OrderStatus.AWAITING_SHIPMENT
        )
        assert final.status is wanted
        assert (await paying.refunds.show(refund.id)).state is decided[0].state
    await check_invariants(paying, {sku.id: ORDERS * 2}, [user for user, _ in orders])
