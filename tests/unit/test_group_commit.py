"""Group commit on the in-memory adapters: the batcher, and checkout's batches (refusals per buyer,
arrival order, keys, a failing batch, the stock gate)."""

from __future__ import annotations

import asyncio

import pytest
from tests.ordering_support import OrderingShop

from jiadian.adapters.clock import FixedClock
from jiadian.adapters.memory.ordering import ORDERS, MemoryOrderRepository
from jiadian.adapters.memory.state import MemoryState
from jiadian.adapters.memory.stock_gate import MemoryStockGate
from jiadian.application.batching import Batcher
from jiadian.application.checkout import BuyNow, CheckoutRequest
from jiadian.application.ordering_ports import StockLevel
from jiadian.application.stock import allot
from jiadian.application.tasks import ExpireOrder
from jiadian.container import Container
from jiadian.domain.errors import InsufficientStock, NotFound
from jiadian.domain.ordering import OffShelf, Order

# --- the batcher --------------------------------------------------------------------------------


async def test_calls_made_together_run_as_one_batch_and_each_gets_its_answer() -> None:
    batches: list[list[int]] = []

    async def run(items: list[int]) -> list[int | BaseException]:
        batches.append(items)
        return [ValueError(i) if i % 3 == 0 else i * 10 for i in items]

    batcher: Batcher[int, int] = Batcher(run, window=0.001, max_size=4)
    results = await asyncio.gather(*(batcher.submit(i) for i in range(1, 11)), return_exceptions=True)

    assert batches == [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10]]  # arrival order, at most max_size each
    assert [r if isinstance(r, int) else type(r).__name__ for r in results] == [
        10, 20, "ValueError", 40, 50, "ValueError", 70, 80, "ValueError", 100,
    ]  # fmt: skip


async def test_calls_that_come_while_a_batch_runs_form_the_next_one() -> None:
    batches: list[list[str]] = []
    release = asyncio.Event()

    async def run(items: list[str]) -> list[str | BaseException]:
        batches.append(items)
        if len(batches) == 1:
            await release.wait()
        return [item.upper() for item in items]

    batcher: Batcher[str, str] = Batcher(run, window=0, max_size=100)
    first = asyncio.ensure_future(batcher.submit("a"))
    await asyncio.sleep(0.01)
    later = [asyncio.ensure_future(batcher.submit(x)) for x in "bcd"]
    await asyncio.sleep(0.01)
    release.set()
    assert [await first, *[await x for x in later]] == ["A", "B", "C", "D"]
    assert batches == [["a"], ["b", "c", "d"]]


async def test_a_batch_that_raises_answers_every_caller_with_its_error() -> None:
    async def run(items: list[int]) -> list[int | BaseException]:
        raise RuntimeError("the batch broke")

    batcher: Batcher[int, int] = Batcher(run, window=0, max_size=10)
    results = await asyncio.gather(*(batcher.submit(i) for i in range(3)), return_exceptions=True)
    assert [str(r) for r in results] == ["the batch broke"] * 3


async def test_a_caller_that_goes_away_leaves_the_others_their_answers() -> None:
    seen: list[list[int]] = []

    async def run(items: list[int]) -> list[int | BaseException]:
        seen.append(items)
        return items

    batcher: Batcher[int, int] = Batcher(run, window=0.01, max_size=10)
    gone = asyncio.ensure_future(batcher.submit(1))
    stays = asyncio.ensure_future(batcher.submit(2))
    await asyncio.sleep(0)
    gone.cancel()
    assert await stays == 2
    assert seen == [[2]]  # the cancelled call was left out of the batch


def test_a_batcher_starts_afresh_on_another_event_loop() -> None:
    """A loop left in the middle of a batch (a process's shutdown, a test's end) leaves no batch that the
    next loop's callers would wait on forever."""
    hold = [True]

    async def run(items: list[int]) -> list[int | BaseException]:
        if hold[0]:
            await asyncio.sleep(3600)
        return items

    batcher: Batcher[int, int] = Batcher(run, window=0, max_size=10)
    first = asyncio.new_event_loop()
    try:
        waiting = first.create_task(batcher.submit(1))
        first.run_until_complete(asyncio.sleep(0.01))
        assert not waiting.done()  # its batch hangs on, on a loop that no longer runs
        hold[0] = False
        assert asyncio.run(batcher.submit(2)) == 2
    finally:
        left = asyncio.all_tasks(first)
        for task in left:
            task.cancel()
        first.run_until_complete(asyncio.gather(*left, return_exceptions=True))
        first.close()


# --- checkout's batches -------------------------------------------------------------------------


@pytest.fixture(params=["conditional", "pessimistic", "optimistic"])
def shop(
    request: pytest.FixtureRequest, memory: tuple[Container, MemoryState], clock: FixedClock
) -> OrderingShop:
    container, _state = memory
    return OrderingShop(container, clock, strategy=request.param, group_commit=True, group_commit_max=8)


async def test_a_batch_answers_each_buyer_with_their_own_order_or_refusal(shop: OrderingShop) -> None:
    sku = await shop.given_sku(stock=3)
    hidden = await shop.given_sku(stock=3, on_shelf=False)
    buyers = [await shop.given_buyer() for _ in range(6)]
    (a, a_home), (b, b_home), (c, _c_home), (d, d_home), (e, e_home), (f, f_home) = buyers

    results = await asyncio.gather(
        shop.buy(a, a_home, sku.id, 2),
        shop.buy(b, b_home, hidden.id, 1),  # off shelf
        shop.buy(c, a_home, sku.id, 1),  # somebody else's address
        shop.buy(d, d_home, sku.id, 2),  # more than is left after a
        shop.buy(e, e_home, sku.id, 1),  # what is left
        shop.buy(f, f_home, 999_999, 1),  # no such sku
        return_exceptions=True,
    )

    assert isinstance(results[0], Order)
    assert isinstance(results[1], OffShelf)
    assert isinstance(results[2], NotFound)
    assert isinstance(results[3], InsufficientStock)
    assert results[3].facts == {"sku_id": sku.id, "requested": 2, "available": 1}
    assert isinstance(results[4], Order)
    assert isinstance(results[5], NotFound)
    assert [o.user_id for o in results if isinstance(o, Order)] == [a, e]
    after = await shop.sku(sku.id)
    assert (after.stock, after.sales) == (0, 3)
    placed = [o for o in results if isinstance(o, Order)]
    assert {(t.order_id, delay) for t, delay in shop.tasks.of_type(ExpireOrder)} == {
        (o.id, 24 * 3600) for o in placed
    }


async def test_buyers_are_served_in_arrival_order_across_batches(shop: OrderingShop) -> None:
    skus = [await shop.given_sku(stock=7) for _ in range(3)]
    buyers = [await shop.given_buyer() for _ in range(30)]
    wants = [{skus[i % 3].id: 1 + i % 2, skus[(i + 1) % 3].id: 1} for i in range(30)]
    for (user, _address), lines in zip(buyers, wants, strict=True):
        for sku_id, count in lines.items():
            await shop.carts.add(user, sku_id, count, limit=7)

    results = await asyncio.gather(
        *(
            shop.checkout.place(user, CheckoutRequest(sku_ids=tuple(lines)), address_id=address)
            for (user, address), lines in zip(buyers, wants, strict=True)
        ),
        return_exceptions=True,
    )

    expected, _ = allot(wants, {s.id: StockLevel(s.id, 7, 0) for s in skus})
    assert [isinstance(r, Order) for r in results] == [refusal is None for refusal in expected]
    assert all(isinstance(r, Order | InsufficientStock) for r in results)
    for sku in skus:
        sold = sum(
            lines.get(sku.id, 0) for r, lines in zip(results, wants, strict=True) if isinstance(r, Order)
        )
        after = await shop.sku(sku.id)
        assert (after.stock, after.sales) == (7 - sold, sold)


async def test_a_key_repeated_within_a_batch_makes_one_order(shop: OrderingShop) -> None:
    sku = await shop.given_sku(stock=10)
    user, address = await shop.given_buyer()
    results = await asyncio.gather(
        *(shop.buy(user, address, sku.id, 1, idempotency_key="k") for _ in range(5))
    )
    assert len({o.id for o in results}) == 1
    assert (await shop.sku(sku.id)).stock == 9
    assert len(shop.tasks.of_type(ExpireOrder)) == 1  # scheduled by the request that placed it, once


async def test_a_failing_batch_places_each_order_on_its_own(
    shop: OrderingShop, memory: tuple[Container, MemoryState], monkeypatch: pytest.MonkeyPatch
) -> None:
    sku = await shop.given_sku(stock=4)
    buyers = [await shop.given_buyer() for _ in range(6)]
    add_many = MemoryOrderRepository.add_many
    failures = []

    async def fails_once(self: MemoryOrderRepository, orders: list[tuple[Order, str | None]]) -> None:
        if not failures:
            failures.append(len(orders))
            await add_many(self, orders[:1])  # half-written, then the connection "drops"
            raise ConnectionError("lost the database mid-batch")
        await add_many(self, orders)

    monkeypatch.setattr(MemoryOrderRepository, "add_many", fails_once)
    results = await asyncio.gather(*(shop.buy(u, a, sku.id) for u, a in buyers), return_exceptions=True)

    assert failures == [4]  # the batch: the four buyers the stock could serve
    assert len([r for r in results if isinstance(r, Order)]) == 4
    assert len([r for r in results if isinstance(r, InsufficientStock)]) == 2
    after = await shop.sku(sku.id)
    assert (after.stock, after.sales) == (0, 4)
    _container, state = memory
    assert sorted(state.table(ORDERS)) == sorted(r.id for r in results if isinstance(r, Order))


async def test_the_stock_gate_gives_back_the_tokens_of_buyers_a_batch_refused(
    memory: tuple[Container, MemoryState], clock: FixedClock
) -> None:
    container, _state = memory
    gate = MemoryStockGate()
    shop = OrderingShop(container, clock, gate=gate, group_commit=True)
    sku = await shop.given_sku(stock=2)
    await gate.open({sku.id: 3})  # one token too many: the batch refuses that buyer
    buyers = [await shop.given_buyer() for _ in range(3)]

    results = await asyncio.gather(*(shop.buy(u, a, sku.id) for u, a in buyers), return_exceptions=True)

    assert len([r for r in results if isinstance(r, Order)]) == 2
    assert len([r for r in results if isinstance(r, InsufficientStock)]) == 1
    assert (await gate.tokens()) == {sku.id: 1}  # the refused buyer's token came back


async def test_buy_now_of_two_orders_in_one_batch_names_each_its_lines(shop: OrderingShop) -> None:
    one, two = await shop.given_sku(price="10.00"), await shop.given_sku(price="20.00")
    (a, a_home), (b, b_home) = await shop.given_buyer(), await shop.given_buyer()
    first, second = await asyncio.gather(
        shop.checkout.place(a, CheckoutRequest(buy_now=BuyNow(one.id, 2)), address_id=a_home),
        shop.checkout.place(b, CheckoutRequest(buy_now=BuyNow(two.id, 1)), address_id=b_home),
    )
    assert [(line.sku_id, line.count) for line in first.lines] == [(one.id, 2)]
    assert [(line.sku_id, line.count) for line in second.lines] == [(two.id, 1)]
    assert first.lines[0].id != second.lines[0].id
