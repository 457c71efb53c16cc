"""Helpers of the refund tests: a paid order of each kind, and the invariants every refund must keep."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

from jiadian.adapters.alipay import SimulatedGateway
from jiadian.domain.catalog import Sku
from jiadian.domain.money import Money
from jiadian.domain.ordering import Order
from jiadian.domain.payments import PaymentState
from jiadian.domain.refunds import Refund, RefundMethod, RefundState
from jiadian.domain.wallet import EntryKind, balance_from
from tests.payments_support import PayingShop

OPERATOR = "boss"


async def wallet_paid(paying: PayingShop, *, sku: Sku | None = None, count: int = 1) -> tuple[int, Order]:
    """A buyer with 10,000.00 who paid an order from the wallet (not shipped)."""
    sku = sku or await paying.shop.given_sku(price="100.00", stock=10)
    user, address = await paying.shop.given_buyer(balance="10000.00")
    order = await paying.shop.buy(user, address, sku.id, count)
    await paying.orders.pay(user, order.id, "wallet")
    return user, await paying.order(order.id)


async def gateway_paid(paying: PayingShop, *, sku: Sku | None = None) -> tuple[int, Order]:
    """A buyer who paid an order through the gateway (the simulator's signed notification, or Alipay's)."""
    sku = sku or await paying.shop.given_sku(price="100.00", stock=10)
    user, address = await paying.shop.given_buyer()
    order = await paying.shop.buy(user, address, sku.id)
    await paying.start_alipay(user, order)
    gateway = paying.gateway
    assert isinstance(gateway, SimulatedGateway), "for Alipay, send its notification instead"
    await paying.payments.notify(gateway.pay(order.trade_no, order.total.amount))
    return user, await paying.order(order.id)


async def all_refunds(paying: PayingShop) -> list[Refund]:
    async with paying.shop.container.uow() as uow:
        return await uow.refunds.list(state=None, offset=0, limit=10_000)


async def check_invariants(paying: PayingShop, skus: dict[int, int], users: list[int]) -> None:
    """Every wallet's balance is the sum of its ledger; every sku's stock + sold is its initial stock
    (`skus`: {sku_id: initial}); nothing is refunded twice (one refund per subject; one wallet refund
    entry per order; a refunded payment has exactly one refunded refund)."""
    container = paying.shop.container
    async with container.uow() as uow:
        for user in users:
            wallet = await uow.wallets.get(user)
            entries = await uow.wallets.ledger(user)
            assert wallet is not None
            assert wallet.balance == balance_from(entries), (user, wallet, entries)
            refunded = Counter(e.order_id for e in entries if e.kind is EntryKind.REFUND)
            assert all(n == 1 for n in refunded.values()), refunded
        for sku_id, initial in skus.items():
            sku = await uow.catalog.get_sku(sku_id)
            assert sku is not None
            assert sku.stock + sku.sales == initial, (sku_id, sku.stock, sku.sales, initial)
        refunds = await uow.refunds.list(state=None, offset=0, limit=10_000)
        payments = await uow.payments.list(state=None, offset=0, limit=10_000)
    assert len({r.subject for r in refunds}) == len(refunds)
    assert len({r.out_request_no for r in refunds}) == len(refunds)
    for payment in payments:
        theirs = [r for r in refunds if r.payment_id == payment.id and r.method is RefundMethod.ALIPAY]
        done = [r for r in theirs if r.state is RefundState.REFUNDED]
        if payment.state is PaymentState.REFUNDED and theirs:
            assert len(done) == 1, (payment, theirs)
        assert sum((r.amount.amount for r in done), Decimal(0)) <= payment.amount.amount


def money(text: str) -> Money:
    return Money.of(text)
