"""Alipay notifications racing wallet payments (and each other) on MariaDB, for real.

Asserted by outcome: every order ends paid exactly once — by the wallet (its Alipay money kept as
`needs_refund`) or by Alipay (the wallet payment refused with 409 `already_paid`) — and every wallet's
balance and total consumed add up. Notifications go through the real SDK's signature check.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter

import pytest
from sqlalchemy import func, select
from tests.ordering_support import OrderingShop
from tests.payments_support import AlipayKeys, PayingShop, alipay_gateway, notification

from jiadian.adapters.clock import FixedClock
from jiadian.adapters.sql.tables import payments, wallet_ledger
from jiadian.container import Container
from jiadian.domain.money import Money
from jiadian.domain.ordering import AlreadyPaid, Order, OrderStatus
from jiadian.domain.payments import PaymentState, Verdict

pytestmark = [pytest.mark.mysql, pytest.mark.slow]

ORDERS = 12
DELIVERIES = 3  # Alipay may deliver the same notification more than once, at once


@pytest.fixture(scope="module")
def keys() -> AlipayKeys:
    return AlipayKeys.generate()


async def test_a_notification_racing_a_wallet_payment_pays_the_order_once(
    mysql: Container, clock: FixedClock, keys: AlipayKeys
) -> None:
    paying = PayingShop(OrderingShop(mysql, clock), alipay_gateway(keys, "http://127.0.0.1:9/gateway.do"))
    buyers: list[tuple[int, Order]] = []
    for _ in range(ORDERS):
        user, order = await paying.unpaid_order(price="100.00", balance="500.00")
        await paying.start_alipay(user, order)
        buyers.append((user, order))

    async def wallet(user: int, order: Order, head_start: float) -> object:
        await asyncio.sleep(head_start)  # jitter, so that both sides win some races (not asserted)
        return await paying.orders.pay(user, order.id, "wallet")

    rng = random.Random(6)

    races = []
    for user, order in buyers:
        fields = notification(keys, order)
        races.append(wallet(user, order, rng.choice([0, 0.002, 0.01, 0.03])))
        races.extend(paying.payments.notify(dict(fields)) for _ in range(DELIVERIES))
    results = await asyncio.gather(*races, return_exceptions=True)

    unexpected = [r for r in results if not isinstance(r, Order | Verdict | AlreadyPaid)]
    assert unexpected == []
    by_wallet = by_alipay = 0
    for index, (user, order) in enumerate(buyers):
        wallet_result, *deliveries = results[index * (DELIVERIES + 1) : (index + 1) * (DELIVERIES + 1)]
        final = await paying.order(order.id)
        assert final.status is OrderStatus.AWAITING_SHIPMENT
        (row,) = await paying.payments_of(order)
        account = await paying.wallet(user)
        assert account.total_consumed == Money.of("110.00")  # counted once, whoever won
        verdicts = Counter(deliveries)
        assert all(v.acknowledged for v in verdicts)  # type: ignore[union-attr]
        if final.pay_method == "wallet":
            by_wallet += 1
            assert isinstance(wallet_result, Order)
            assert row.state is PaymentState.NEEDS_REFUND
            assert account.balance == Money.of("390.00")
            assert verdicts[Verdict.NEEDS_REFUND] == 1
            assert verdicts[Verdict.DUPLICATE] == DELIVERIES - 1
        else:
            by_alipay += 1
            assert final.pay_method == "alipay"
            assert isinstance(wallet_result, AlreadyPaid)
            assert row.state is PaymentState.APPLIED
            assert account.balance == Money.of("500.00")
            assert verdicts[Verdict.APPLIED] == 1
            assert verdicts[Verdict.DUPLICATE] == DELIVERIES - 1
    print(f"\n{ORDERS} races: {by_wallet} won by the wallet, {by_alipay} by Alipay")

    async with mysql.engine().connect() as conn:
        applied = (
            await conn.execute(
                select(func.count()).select_from(payments).where(payments.c.state == "applied")
            )
        ).scalar_one()
        wallet_payments = (
            await conn.execute(
                select(func.count()).select_from(wallet_ledger).where(wallet_ledger.c.kind == "payment")
            )
        ).scalar_one()
    assert applied + wallet_payments == ORDERS  # exactly one payment applied per order
    assert applied == by_alipay


async def test_concurrent_deliveries_of_one_notification_apply_it_once(
    mysql: Container, clock: FixedClock, keys: AlipayKeys
) -> None:
    paying = PayingShop(OrderingShop(mysql, clock), alipay_gateway(keys, "http://127.0.0.1:9/gateway.do"))
    user, order = await paying.unpaid_order(price="100.00")
    success = notification(keys, order)
    finished = notification(keys, order, trade_status="TRADE_FINISHED")

    verdicts = await asyncio.gather(*(paying.payments.notify(dict(f)) for f in [success, finished] * 5))

    assert Counter(verdicts) == {Verdict.APPLIED: 1, Verdict.DUPLICATE: 9}
    assert [p.state for p in await paying.payments_of(order)] == [PaymentState.APPLIED]
    assert (await paying.wallet(user)).total_consumed == Money.of("110.00")
    assert len(await paying.notifications_of(order)) == 10
