"""Live values (stock, sales, prices, review summaries) on product pages, in carts and in the checkout
preview: kept per product until an order, a cancel, a refund or a review moves them, then at most
`live_values_ms` behind; afresh after an operator's write — and never what an order is placed on. In
memory, with the live cache's clock turned by hand."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from dependency_injector import providers
from tests.ordering_support import OrderingShop

from jiadian.adapters.clock import FixedClock
from jiadian.adapters.memory.live_cache import MemoryLiveCache
from jiadian.adapters.memory.state import MemoryState
from jiadian.application.catalog_ports import LiveDetail, SkuState
from jiadian.application.checkout import BuyNow, CheckoutRequest
from jiadian.application.live_values import LiveValues, id_ranges
from jiadian.container import Container
from jiadian.domain.errors import InsufficientStock
from jiadian.domain.money import Money
from jiadian.domain.reviews import ReviewSummary

MAX_AGE = 1.0  # seconds: the default `live_values_ms`
KEEP = 300.0  # seconds: the default `live_values_keep_seconds`


@dataclass
class Turned:
    """A monotonic clock in seconds that moves only when told."""

    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class World:
    container: Container
    shop: OrderingShop
    time: Turned
    reads: list[list[tuple[int, int]]]  # the product id ranges of each read from the database


@pytest.fixture
def world(memory: tuple[Container, MemoryState], clock: FixedClock) -> World:
    container, _state = memory
    time = Turned()
    container.live_cache.override(providers.Object(MemoryLiveCache(clock=time)))
    queries = container.catalog_queries()
    reads: list[list[tuple[int, int]]] = []
    live_products = queries.live_products

    async def counted(ranges: list[tuple[int, int]]) -> dict[int, LiveDetail]:
        reads.append(ranges)
        return await live_products(ranges)

    queries.live_products = counted  # type: ignore[method-assign]
    return World(container, OrderingShop(container, clock, group_commit=True), time, reads)


async def stock_on_page(world: World, product_id: int) -> int:
    return (await world.container.catalog().detail(product_id)).skus[0].stock


async def kept_page(world: World, product_id: int) -> int:
    """The page rendered (its live values read and kept with it), then seen from what is kept."""
    await stock_on_page(world, product_id)
    return await stock_on_page(world, product_id)


def test_ids_are_read_as_runs_of_consecutive_ids() -> None:
    assert id_ranges([]) == []
    assert id_ranges([4]) == [(4, 4)]
    assert id_ranges([1, 2, 3, 7, 9, 10]) == [(1, 3), (7, 7), (9, 10)]


async def test_values_nobody_moved_are_kept_for_the_keep_time_then_read_again(world: World) -> None:
    sku = await world.shop.given_sku(stock=5)
    assert await kept_page(world, sku.product_id) == 5
    world.reads.clear()
    world.time.now += KEEP - 0.001
    assert await stock_on_page(world, sku.product_id) == 5
    assert world.reads == []  # however many views: nothing moved it
    world.time.now += 0.002
    assert await stock_on_page(world, sku.product_id) == 5
    assert world.reads == [[(sku.product_id, sku.product_id)]]


async def test_an_order_shows_on_the_page_at_most_the_max_age_later(world: World) -> None:
    sku = await world.shop.given_sku(stock=5)
    user, address = await world.shop.given_buyer()
    assert await kept_page(world, sku.product_id) == 5

    await world.shop.buy(user, address, sku.id, 2)
    world.time.now += MAX_AGE - 0.001
    assert await stock_on_page(world, sku.product_id) == 5  # kept: up to a second behind
    world.time.now += 0.002
    assert await stock_on_page(world, sku.product_id) == 3  # read afresh
    world.reads.clear()
    world.time.now += KEEP / 2
    assert await stock_on_page(world, sku.product_id) == 3
    assert world.reads == []  # and kept long again: nothing moved it since


async def test_a_cancelled_order_gives_its_stock_back_on_the_page(world: World) -> None:
    sku = await world.shop.given_sku(stock=5)
    user, address = await world.shop.given_buyer()
    order = await world.shop.buy(user, address, sku.id, 2)
    assert await kept_page(world, sku.product_id) == 3
    await world.shop.fulfilment.cancel(order.id)
    world.time.now += MAX_AGE + 0.001
    assert await stock_on_page(world, sku.product_id) == 5


async def test_a_review_shows_in_the_pages_summary_at_most_the_max_age_later(world: World) -> None:
    sku = await world.shop.given_sku(stock=5)
    user, address = await world.shop.given_buyer(balance="1000.00")
    order = await world.shop.buy(user, address, sku.id, 1)
    await world.shop.orders.pay(user, order.id, "wallet")
    await world.shop.fulfilment.ship(order.id)
    await world.shop.orders.confirm_receipt(user, order.id)
    catalog = world.container.catalog()
    await kept_page(world, sku.product_id)
    assert (await catalog.detail(sku.product_id)).reviews.count == 0

    await world.shop.orders.review(user, order.id, order.lines[0].id, 5, "很好")
    world.time.now += MAX_AGE + 0.001
    assert (await catalog.detail(sku.product_id)).reviews.count == 1


async def test_a_read_that_raced_a_move_is_kept_only_the_max_age() -> None:
    """Values read from the database while an order moved them may be the old ones: kept a second only."""
    time = Turned()
    cache = MemoryLiveCache(clock=time)
    before = LiveDetail([SkuState(1, Money.of("9.90"), 5, 0)], ReviewSummary.of(0, 0, 0))
    seen = await cache.read(1, [7])
    assert (seen.values, seen.moves) == ({}, {7: 0})
    await cache.moved([7], 1000)  # an order committed between the read of the moves and the keep
    await cache.keep(1, {7: before}, seen.moves, keep_ms=300_000, max_age_ms=1000)
    time.now += 0.999
    assert (await cache.read(1, [7])).values == {7: before}
    time.now += 0.002
    assert (await cache.read(1, [7])).values == {}


async def test_a_move_shortens_only_what_is_kept_longer() -> None:
    time = Turned()
    cache = MemoryLiveCache(clock=time)
    values: dict[int, LiveDetail | None] = {7: None, 8: None}
    await cache.keep(1, values, {7: 0, 8: 0}, keep_ms=500, max_age_ms=200)
    await cache.moved([7], 1000)  # kept 0.5 s: not lengthened to 1 s
    assert (await cache.read(1, [7, 8])).moves == {}  # both kept
    assert (await cache.read(2, [7, 8])).moves == {7: 1, 8: 0}  # neither kept in that generation
    time.now += 0.501
    assert (await cache.read(1, [7, 8])).values == {}


async def test_an_operators_write_is_read_afresh_at_once(world: World) -> None:
    sku = await world.shop.given_sku(stock=5)
    await kept_page(world, sku.product_id)
    await world.container.catalog_admin().set_stock(sku.id, 42)
    assert await stock_on_page(world, sku.product_id) == 42
    assert await stock_on_page(world, sku.product_id) == 42  # a new generation, kept afresh


async def test_a_rendered_page_keeps_its_live_values(world: World) -> None:
    skus = [await world.shop.given_sku(stock=n + 1) for n in range(5)]
    for sku in skus:  # rendered pages first: their live values read with them
        await stock_on_page(world, sku.product_id)
    assert [await stock_on_page(world, sku.product_id) for sku in skus] == [1, 2, 3, 4, 5]
    assert world.reads == []


async def test_products_not_kept_are_read_one_statement_per_view(world: World) -> None:
    skus = [await world.shop.given_sku(stock=n + 1) for n in range(3)]
    for sku in skus:
        await stock_on_page(world, sku.product_id)
    world.time.now += KEEP + 1  # the pages are kept; their live values not any more
    assert [await stock_on_page(world, sku.product_id) for sku in skus] == [1, 2, 3]
    assert world.reads == [[(sku.product_id, sku.product_id)] for sku in skus]
    world.reads.clear()
    assert [await stock_on_page(world, sku.product_id) for sku in skus] == [1, 2, 3]
    assert world.reads == []


async def test_kept_stock_in_a_cart_never_lets_a_checkout_oversell(world: World) -> None:
    """The cart admits on stock a moment old; the order is placed on the database's, and refused."""
    sku = await world.shop.given_sku(stock=3)
    (early, early_home), (late, late_home) = await world.shop.given_buyer(), await world.shop.given_buyer()
    cart = world.container.shopping_cart()
    await cart.add(late, sku.id, 1)  # the sku kept (this generation); its stock read as it was
    await cart.view(late)  # its live values read and kept
    await world.shop.buy(early, early_home, sku.id, 3)  # sold out

    await cart.add(late, sku.id, 2)  # admitted: the cart still sees 3 in stock (within the max age)
    assert (await cart.view(late)).lines[0].stock == 3
    preview = await world.shop.checkout.preview(late, CheckoutRequest(sku_ids=(sku.id,)))
    assert preview.total_count == 3
    with pytest.raises(InsufficientStock) as refused:
        await world.shop.checkout.place(late, CheckoutRequest(sku_ids=(sku.id,)), address_id=late_home)
    assert refused.value.facts["available"] == 0
    with pytest.raises(InsufficientStock):
        await world.shop.checkout.place(
            late, CheckoutRequest(buy_now=BuyNow(sku.id, 1)), address_id=late_home
        )
    after = await world.shop.sku(sku.id)
    assert (after.stock, after.sales) == (0, 3)
    world.time.now += MAX_AGE + 0.001
    assert (await cart.view(late)).lines[0].stock == 0  # the sale shows


async def test_with_no_max_age_every_view_reads_the_database(
    memory: tuple[Container, MemoryState], clock: FixedClock
) -> None:
    container, _state = memory
    container.live_values.override(
        providers.Singleton(
            LiveValues, queries=container.catalog_queries, cache=container.live_cache, max_age_ms=0
        )
    )
    container.catalog.reset()
    shop = OrderingShop(container, clock)
    sku = await shop.given_sku(stock=5)
    user, address = await shop.given_buyer()
    catalog = container.catalog()
    assert (await catalog.detail(sku.product_id)).skus[0].stock == 5
    await shop.buy(user, address, sku.id, 2)
    assert (await catalog.detail(sku.product_id)).skus[0].stock == 3


async def test_a_cart_reads_the_products_not_kept_in_one_statement(world: World) -> None:
    chosen = [await world.shop.given_sku(stock=3) for _ in range(4)]
    user, _address = await world.shop.given_buyer()
    cart = world.container.shopping_cart()
    for sku in chosen[:3]:
        await cart.add(user, sku.id, 1)  # the skus kept (read with their stock)
    await stock_on_page(world, chosen[3].product_id)
    await stock_on_page(world, chosen[3].product_id)  # the fourth's live values kept
    await cart.add(user, chosen[3].id, 1)
    world.reads.clear()
    view = await cart.view(user)
    assert [line.stock for line in view.lines] == [3, 3, 3, 3]
    first = chosen[0].product_id
    assert world.reads == [[(first, first + 2)]]  # the three not kept, consecutive ids: one range
    world.reads.clear()
    await cart.view(user)
    assert world.reads == []  # all four kept


async def test_a_product_with_no_live_values_is_kept_as_having_none(world: World) -> None:
    sku = await world.shop.given_sku(stock=3, on_shelf=False)
    user, _address = await world.shop.given_buyer()
    await world.shop.carts.add(user, sku.id, 1, limit=99)  # in the cart before it went off shelf
    cart = world.container.shopping_cart()
    await cart.view(user)
    world.reads.clear()
    await cart.view(user)
    await cart.view(user)
    assert world.reads == [[(sku.product_id, sku.product_id)]]  # read once, then kept as none


def test_every_order_use_case_that_moves_stock_tells_the_live_values(world: World) -> None:
    """As wired: placing (checkout), the buyer's cancels and reviews (orders), expiry and the operator's
    cancels (fulfilment), refunds. Payments move no stock."""
    container = world.container
    moved = container.live_values().moved
    for use_cases in (container.checkout(), container.orders(), container.fulfilment(), container.refunds()):
        assert use_cases.stock_moved == moved, type(use_cases).__name__
    assert container.payments().stock_moved is None


async def test_an_order_through_the_wired_checkout_shows_on_the_page(world: World) -> None:
    sku = await world.shop.given_sku(stock=5)
    user, address = await world.shop.given_buyer()
    assert await kept_page(world, sku.product_id) == 5
    await world.container.checkout().place(
        user, CheckoutRequest(buy_now=BuyNow(sku.id, 2)), address_id=address
    )
    world.time.now += MAX_AGE + 0.001
    assert await stock_on_page(world, sku.product_id) == 3
