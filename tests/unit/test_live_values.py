"""Live values (stock, sales, prices) on product pages, in carts and in the checkout preview: up to
`live_values_ms` old, read in blocks, afresh after an operator's write — and never what an order
is placed on. In memory, with the live cache's clock turned by hand."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from dependency_injector import providers
from tests.ordering_support import OrderingShop

from jiadian.adapters.clock import FixedClock
from jiadian.adapters.memory.catalog import PRODUCTS
from jiadian.adapters.memory.live_cache import MemoryLiveCache
from jiadian.adapters.memory.state import MemoryState
from jiadian.application.catalog_ports import LiveDetail
from jiadian.application.checkout import BuyNow, CheckoutRequest
from jiadian.application.live_values import BLOCK
from jiadian.container import Container
from jiadian.domain.catalog import Sku
from jiadian.domain.errors import InsufficientStock


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
    reads: list[list[tuple[int, int]]]  # the (first, last) product ids of the blocks of each read
    state: MemoryState

    async def skus_in_blocks(self, blocks: int, stock: int) -> list[Sku]:
        """A sku of a product at the start of each of the first `blocks` blocks (the product ids
        between are skipped, not made: a catalogue of a few products spread over many blocks)."""
        skus: list[Sku] = []
        for n in range(blocks):
            if n:
                while self.state.next_id(PRODUCTS) < n * BLOCK - 1:
                    pass
            skus.append(await self.shop.given_sku(stock=stock))
            assert skus[-1].product_id == max(n * BLOCK, 1)
        return skus


@pytest.fixture
def world(memory: tuple[Container, MemoryState], clock: FixedClock) -> World:
    container, state = memory
    time = Turned()
    container.live_cache.override(providers.Object(MemoryLiveCache(clock=time)))
    queries = container.catalog_queries()
    reads: list[list[tuple[int, int]]] = []
    live_products = queries.live_products

    async def counted(ranges: list[tuple[int, int]]) -> dict[int, LiveDetail]:
        reads.append(ranges)
        return await live_products(ranges)

    queries.live_products = counted  # type: ignore[method-assign]
    return World(container, OrderingShop(container, clock, group_commit=True), time, reads, state)


async def stock_on_page(world: World, product_id: int) -> int:
    return (await world.container.catalog().detail(product_id)).skus[0].stock


async def test_a_page_shows_stock_up_to_the_max_age_old_then_afresh(world: World) -> None:
    sku = await world.shop.given_sku(stock=5)
    user, address = await world.shop.given_buyer()
    assert await stock_on_page(world, sku.product_id) == 5  # rendered from the database: live
    assert await stock_on_page(world, sku.product_id) == 5  # the block is read and kept now

    await world.shop.buy(user, address, sku.id, 2)
    world.time.now += 0.999
    assert await stock_on_page(world, sku.product_id) == 5  # kept: up to a second old
    world.time.now += 0.002
    assert await stock_on_page(world, sku.product_id) == 3  # read afresh


async def test_an_operators_write_is_read_afresh_at_once(world: World) -> None:
    sku = await world.shop.given_sku(stock=5)
    await stock_on_page(world, sku.product_id)
    await stock_on_page(world, sku.product_id)
    await world.container.catalog_admin().set_stock(sku.id, 42)
    assert await stock_on_page(world, sku.product_id) == 42
    assert await stock_on_page(world, sku.product_id) == 42  # a new generation, a new block


async def test_products_of_one_block_are_read_in_one_statement(world: World) -> None:
    skus = [await world.shop.given_sku(stock=n + 1) for n in range(5)]
    for sku in skus:  # rendered pages (and their blocks) first
        await stock_on_page(world, sku.product_id)
    world.reads.clear()
    assert [await stock_on_page(world, sku.product_id) for sku in skus] == [1, 2, 3, 4, 5]
    assert world.reads == [[(0, BLOCK - 1)]]


async def test_kept_stock_in_a_cart_never_lets_a_checkout_oversell(world: World) -> None:
    """The cart admits on stock a moment old; the order is placed on the database's, and refused."""
    sku = await world.shop.given_sku(stock=3)
    (early, early_home), (late, late_home) = await world.shop.given_buyer(), await world.shop.given_buyer()
    cart = world.container.shopping_cart()
    await cart.add(late, sku.id, 1)  # the sku kept (this generation); its stock read as it was
    await cart.view(late)  # its block read and kept
    await world.shop.buy(early, early_home, sku.id, 3)  # sold out

    await cart.add(late, sku.id, 2)  # admitted: the cart still sees 3 in stock
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


async def test_with_no_max_age_every_view_reads_the_database(
    memory: tuple[Container, MemoryState], clock: FixedClock
) -> None:
    container, _state = memory
    container.live_values.override(
        providers.Singleton(
            type(container.live_values()),
            queries=container.catalog_queries,
            cache=container.live_cache,
            max_age_ms=0,
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


async def test_a_cart_over_several_blocks_reads_them_in_one_statement(world: World) -> None:
    chosen = await world.skus_in_blocks(3, stock=3)
    user, _address = await world.shop.given_buyer()
    cart = world.container.shopping_cart()
    for sku in chosen:
        await cart.add(user, sku.id, 1)  # the skus kept (read with their stock)
    world.reads.clear()
    view = await cart.view(user)
    assert [line.stock for line in view.lines] == [3, 3, 3]
    assert world.reads == [[(0, BLOCK - 1), (BLOCK, 2 * BLOCK - 1), (2 * BLOCK, 3 * BLOCK - 1)]]
    world.reads.clear()
    await cart.view(user)
    assert world.reads == []  # all three blocks kept


async def test_a_view_missing_many_blocks_reads_only_its_own_products(world: World) -> None:
    chosen = await world.skus_in_blocks(6, stock=2)
    user, _address = await world.shop.given_buyer()
    cart = world.container.shopping_cart()
    for sku in chosen:
        await cart.add(user, sku.id, 1)
    world.reads.clear()
    assert [line.stock for line in (await cart.view(user)).lines] == [2] * 6
    assert world.reads == [[(sku.product_id, sku.product_id) for sku in chosen]]
    world.reads.clear()
    await cart.view(user)
    assert len(world.reads) == 1  # nothing was kept
