"""The stock gate of hot skus, through the real use cases on the in-memory adapters.

The gate's tokens are taken before checkout's transaction and must come back whenever no new order
keeps them; MySQL (here: the in-memory unit of work) stays the authority.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
from collections.abc import Iterable
from pathlib import Path

import pytest
from tests.conftest import settings_for
from tests.ordering_support import OrderingShop

from jiadian.adapters.clock import FixedClock
from jiadian.adapters.memory.cache import MemoryCache
from jiadian.adapters.memory.state import MemoryState
from jiadian.adapters.memory.stock_gate import MemoryStockGate
from jiadian.adapters.redis.stock_gate import RedisStockGate
from jiadian.application.catalog_admin import CatalogAdmin, ProductSpec, SkuSpec
from jiadian.application.checkout import BuyNow, CheckoutRequest
from jiadian.application.stock_gate import NO_GATE, GateChange, GateStatus, StockGates
from jiadian.application.unit_of_work import UnitOfWork
from jiadian.container import Container, build_container, use_memory
from jiadian.domain.errors import InsufficientStock, NotFound, ServiceUnavailable
from jiadian.domain.ordering import IllegalTransition, OrderStatus

DAY = 24 * 3600


@pytest.fixture
def gate() -> MemoryStockGate:
    return MemoryStockGate()


@pytest.fixture
def shop(memory: tuple[Container, MemoryState], clock: FixedClock, gate: MemoryStockGate) -> OrderingShop:
    container, _state = memory
    return OrderingShop(container, clock, gate=gate)


@pytest.fixture
def gates(shop: OrderingShop, gate: MemoryStockGate) -> StockGates:
    return StockGates(uow=shop.container.uow, gate=gate)


class CountingUow:
    """A unit-of-work factory that counts the transactions opened through it."""

    def __init__(self, shop: OrderingShop) -> None:
        self.shop = shop
        self.opened = 0

    def __call__(self) -> UnitOfWork:
        self.opened += 1
        return self.shop.container.uow()  # type: ignore[no-any-return]


class DownGate(MemoryStockGate):
    """A gate whose store does not answer (Redis down): every call raises, as the adapter would."""

    def __init__(self, *, admit_works: bool = False) -> None:
        super().__init__()
        self.admit_works = admit_works

    def _down(self) -> ServiceUnavailable:
        return ServiceUnavailable("库存闸门暂时不可用")

    async def admit(self, counts: dict[int, int]) -> dict[int, int]:
        if self.admit_works:
            return await super().admit(counts)
        raise self._down()

    async def release(self, held: dict[int, int]) -> None:
        raise self._down()

    async def sync(self, levels: dict[int, int]) -> dict[int, tuple[int, int]]:
        raise self._down()

    async def close(self, sku_ids: Iterable[int]) -> list[int]:
        raise self._down()


# --- the gate itself --------------------------------------------------------------------------


async def test_admit_takes_every_gated_count_or_none(gate: MemoryStockGate) -> None:
    await gate.open({1: 5, 2: 1})
    assert await gate.admit({1: 2, 2: 1, 3: 7}) == {1: 2, 2: 1}  # sku 3 is not gated: not held
    with pytest.raises(InsufficientStock) as refused:
        await gate.admit({1: 1, 2: 1})
    assert refused.value.facts == {"sku_id": 2, "requested": 1, "available": 0}
    assert await gate.tokens() == {1: 3, 2: 0}  # sku 1 kept its tokens: all or none
    assert await gate.admit({3: 100}) == {}


async def test_release_gives_back_only_to_gated_skus(gate: MemoryStockGate) -> None:
    await gate.open({1: 5, 2: 5})
    held = await gate.admit({1: 2, 2: 2})
    assert await gate.close([2, 9]) == [2]
    await gate.release({**held, 3: 4})
    assert await gate.tokens() == {1: 5}  # sku 2 stays closed, sku 3 was never gated


# --- checkout ---------------------------------------------------------------------------------


async def test_a_buyer_the_tokens_cannot_serve_is_refused_without_a_transaction(
    shop: OrderingShop, gate: MemoryStockGate
) -> None:
    sku = await shop.given_sku(stock=5)
    user, address = await shop.given_buyer()
    await gate.open({sku.id: 1})  # fewer tokens than stock: the gate answers first
    counting = CountingUow(shop)
    checkout = dataclasses.replace(shop.checkout, uow=counting)
    with pytest.raises(InsufficientStock) as refused:
        await checkout.place(user, CheckoutRequest(buy_now=BuyNow(sku.id, 2)), address_id=address)
    assert refused.value.facts == {"sku_id": sku.id, "requested": 2, "available": 1}
    assert counting.opened == 0
    assert (await shop.sku(sku.id)).stock == 5
    assert await gate.tokens() == {sku.id: 1}
    assert shop.tasks.sent == []


async def test_the_gate_sells_out_with_the_stock(
    shop: OrderingShop, gates: StockGates, gate: MemoryStockGate
) -> None:
    sku = await shop.given_sku(stock=3)
    await gates.open([sku.id])
    orders = [await shop.buy(*await shop.given_buyer(), sku.id) for _ in range(3)]
    assert len({o.id for o in orders}) == 3
    user, address = await shop.given_buyer()
    with pytest.raises(InsufficientStock) as refused:
        await shop.buy(user, address, sku.id)
    assert refused.value.facts["available"] == 0
    assert (await shop.sku(sku.id)).stock == 0
    assert await gate.tokens() == {sku.id: 0}


async def test_tokens_come_back_when_the_address_is_unknown(
    shop: OrderingShop, gates: StockGates, gate: MemoryStockGate
) -> None:
    sku = await shop.given_sku(stock=5)
    user, _address = await shop.given_buyer()
    await gates.open([sku.id])
    with pytest.raises(NotFound):
        await shop.buy(user, 999_999, sku.id, 2)
    assert await gate.tokens() == {sku.id: 5}


async def test_over_admitted_tokens_come_back_when_the_database_refuses(
    shop: OrderingShop, gate: MemoryStockGate
) -> None:
    sku = await shop.given_sku(stock=1)
    user, address = await shop.given_buyer()
    await gate.open({sku.id: 10})  # more tokens than stock: harmless, the database still decides
    with pytest.raises(InsufficientStock) as refused:
        await shop.buy(user, address, sku.id, 2)
    assert refused.value.facts["available"] == 1  # the database's answer, not the gate's
    assert await gate.tokens() == {sku.id: 10}
    assert (await shop.sku(sku.id)).stock == 1


async def test_a_retry_with_the_same_key_gives_its_tokens_back(
    shop: OrderingShop, gates: StockGates, gate: MemoryStockGate
) -> None:
    sku = await shop.given_sku(stock=5)
    user, address = await shop.given_buyer()
    await gates.open([sku.id])
    first = await shop.buy(user, address, sku.id, 2, idempotency_key="k-1")
    again = await shop.buy(user, address, sku.id, 2, idempotency_key="k-1")
    assert again.id == first.id
    assert await gate.tokens() == {sku.id: 3}
    assert (await shop.sku(sku.id)).stock == 3


async def test_a_retry_of_the_order_that_took_the_last_tokens_answers_that_order(
    shop: OrderingShop, gates: StockGates, gate: MemoryStockGate
) -> None:
    sku = await shop.given_sku(stock=1)
    user, address = await shop.given_buyer()
    await gates.open([sku.id])
    first = await shop.buy(user, address, sku.id, idempotency_key="last-one")
    assert (await shop.buy(user, address, sku.id, idempotency_key="last-one")).id == first.id
    with pytest.raises(InsufficientStock):
        await shop.buy(user, address, sku.id, idempotency_key="another")
    assert await gate.tokens() == {sku.id: 0}


# --- cancelling -------------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["buyer", "operator", "expiry"])
async def test_a_cancelled_orders_tokens_come_back_once(
    how: str, shop: OrderingShop, gates: StockGates, gate: MemoryStockGate
) -> None:
    hot = await shop.given_sku(stock=5)
    cold = await shop.given_sku(stock=5)
    user, address = await shop.given_buyer()
    await gates.open([hot.id])
    await shop.carts.add(user, hot.id, 2, limit=5)
    await shop.carts.add(user, cold.id, 1, limit=5)
    order = await shop.checkout.place(user, CheckoutRequest(sku_ids=(hot.id, cold.id)), address_id=address)
    assert await gate.tokens() == {hot.id: 3}
    for _ in range(2):  # the second cancel is refused (or does nothing): no second release
        with contextlib.suppress(IllegalTransition):
            if how == "buyer":
                await shop.orders.cancel(user, order.id)
            elif how == "operator":
                await shop.fulfilment.cancel(order.id)
            else:
                shop.clock.advance(seconds=DAY)
                await shop.fulfilment.expire(order.id)
    assert (await shop.orders.detail(user, order.id)).status is OrderStatus.CANCELLED
    assert await gate.tokens() == {hot.id: 5}  # the ungated sku was not opened by the release
    assert (await shop.sku(hot.id)).stock == 5


async def test_a_closed_gate_stays_closed_when_a_cancelled_order_gives_back(
    shop: OrderingShop, gates: StockGates, gate: MemoryStockGate
) -> None:
    sku = await shop.given_sku(stock=5)
    user, address = await shop.given_buyer()
    await gates.open([sku.id])
    order = await shop.buy(user, address, sku.id, 2)
    assert await gates.close([sku.id]) == [sku.id]
    await shop.orders.cancel(user, order.id)
    assert await gate.tokens() == {}
    assert (await shop.sku(sku.id)).stock == 5


# --- the gate does not answer -----------------------------------------------------------------


async def test_checkout_and_cancel_go_on_when_the_gate_is_down(
    memory: tuple[Container, MemoryState], clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    down = DownGate()
    shop = OrderingShop(memory[0], clock, gate=down)
    sku = await shop.given_sku(stock=2)
    user, address = await shop.given_buyer()
    with caplog.at_level(logging.WARNING, logger="jiadian"):
        order = await shop.buy(user, address, sku.id, 2)
        assert (await shop.sku(sku.id)).stock == 0
        with pytest.raises(InsufficientStock):  # the database still refuses what it has not got
            await shop.buy(user, address, sku.id)
        await shop.orders.cancel(user, order.id)
    assert (await shop.sku(sku.id)).stock == 2
    assert "the stock gate did not answer" in caplog.text
    assert "could not give" in caplog.text


async def test_a_failed_release_does_not_hide_the_refusal(
    memory: tuple[Container, MemoryState], clock: FixedClock
) -> None:
    half = DownGate(admit_works=True)
    shop = OrderingShop(memory[0], clock, gate=half)
    sku = await shop.given_sku(stock=5)
    user, _address = await shop.given_buyer()
    await half.open({sku.id: 5})
    with pytest.raises(NotFound):
        await shop.buy(user, 999_999, sku.id, 2)
    assert await half.tokens() == {sku.id: 3}  # lost until the reconcile


# --- the operator -----------------------------------------------------------------------------


async def test_open_reads_the_stock_and_refuses_unknown_skus(
    shop: OrderingShop, gates: StockGates, gate: MemoryStockGate
) -> None:
    sku = await shop.given_sku(stock=7)
    with pytest.raises(NotFound):
        await gates.open([sku.id, 999_999])
    assert await gate.tokens() == {}
    assert await gates.open([sku.id, sku.id]) == {sku.id: 7}
    assert await gates.status() == [GateStatus(sku.id, 7, 7)]
    assert await gates.close([sku.id, 999_999]) == [sku.id]
    assert await gates.status() == []


async def test_reconcile_brings_lost_tokens_back(
    shop: OrderingShop, gates: StockGates, gate: MemoryStockGate
) -> None:
    sku = await shop.given_sku(stock=5)
    other = await shop.given_sku(stock=4)
    await gates.open([sku.id, other.id])
    await gate.admit({sku.id: 2})  # taken by a process that was killed before it gave them back
    [status, _] = await gates.status()
    assert (status.tokens, status.stock, status.drift) == (3, 5, -2)
    report = await gates.reconcile()
    assert (report.gated, report.changed, report.closed) == (2, [GateChange(sku.id, 3, 5)], [])
    assert await gate.tokens() == {sku.id: 5, other.id: 4}
    assert (await gates.reconcile()).changed == []
    user, address = await shop.given_buyer()
    await shop.buy(user, address, sku.id, 5)  # every unit can be sold again


async def test_reconcile_closes_the_gate_of_a_sku_that_is_gone(
    shop: OrderingShop, gates: StockGates, gate: MemoryStockGate
) -> None:
    sku = await shop.given_sku(stock=2)
    await gate.open({sku.id: 0, 999_999: 3})
    assert await gates.status() == [GateStatus(sku.id, 0, 2), GateStatus(999_999, 3, None)]
    report = await gates.reconcile()
    assert (report.changed, report.closed) == ([GateChange(sku.id, 0, 2)], [999_999])
    assert await gate.tokens() == {sku.id: 2}


async def test_an_operators_stock_change_re_syncs_a_gated_sku(
    memory: tuple[Container, MemoryState], shop: OrderingShop, gate: MemoryStockGate
) -> None:
    container, _state = memory
    admin = CatalogAdmin(uow=container.uow, cache=MemoryCache(), blobs=container.blobs(), gate=gate)
    hot = await shop.given_sku(stock=5, size="大", color="红")
    cold = await shop.given_sku(stock=5)
    await gate.open({hot.id: 1})
    await admin.set_stock(hot.id, 9)
    await admin.set_stock(cold.id, 8)
    assert await gate.tokens() == {hot.id: 9}  # the ungated sku was not opened
    await admin.update_product(
        hot.product_id, "改名", [SkuSpec(price="1.00", stock=4, color="红", size="大")]
    )
    assert await gate.tokens() == {hot.id: 4}
    down = dataclasses.replace(admin, gate=DownGate())
    assert (await down.set_stock(hot.id, 6)).stock == 6  # best effort: the change stands
    assert (await shop.sku(hot.id)).stock == 6


class SyncLog(MemoryStockGate):
    def __init__(self) -> None:
        super().__init__()
        self.synced: list[dict[int, int]] = []

    async def sync(self, levels: dict[int, int]) -> dict[int, tuple[int, int]]:
        self.synced.append(dict(levels))
        return await super().sync(levels)


async def test_a_big_import_syncs_only_the_gated_skus(
    memory: tuple[Container, MemoryState], shop: OrderingShop
) -> None:
    container, _state = memory
    gate = SyncLog()
    admin = CatalogAdmin(uow=container.uow, cache=MemoryCache(), blobs=container.blobs(), gate=gate)
    hot = await shop.given_sku(stock=5)
    specs = [ProductSpec("intelligence", "导入系列", f"导入商品{i}", [SkuSpec("1.00", 3)]) for i in range(25)]
    assert await admin.import_products(specs) == 25
    assert gate.synced == []  # none of them gated: no sync at all
    await gate.open({hot.id: 1})
    await admin.set_stock(hot.id, 2)
    assert gate.synced == [{hot.id: 2}]


# --- wiring -----------------------------------------------------------------------------------


def test_the_gate_is_off_unless_the_setting_says_so(tmp_path: Path) -> None:
    off = build_container(settings_for(tmp_path))
    use_memory(off)
    assert off.checkout().gate is NO_GATE
    assert off.orders().gate is NO_GATE
    assert off.fulfilment().gate is NO_GATE
    assert isinstance(off.stock_gates().gate, MemoryStockGate)  # the operator's commands still work
    assert off.stock_gates().reconcile not in off.periodic_jobs()
    assert off.payments().prune_notifications in off.periodic_jobs()


def test_with_the_setting_on_checkout_cancels_and_the_worker_use_the_store(tmp_path: Path) -> None:
    on = build_container(settings_for(tmp_path, stock_gate=True))
    use_memory(on)
    store = on.stock_gate_store()
    assert isinstance(store, MemoryStockGate)
    assert on.checkout().gate is on.orders().gate is on.fulfilment().gate is store
    assert on.stock_gates().gate is store
    assert on.catalog_admin().gate is store
    assert on.periodic_jobs()[-1] == on.stock_gates().reconcile


def test_the_store_is_redis_when_the_shop_has_redis(tmp_path: Path) -> None:
    container = build_container(settings_for(tmp_path, stock_gate=True, redis_url="redis://127.0.0.1:1/0"))
    assert isinstance(container.stock_gate(), RedisStockGate)  # built without connecting
