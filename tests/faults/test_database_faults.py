"""MariaDB faults during checkout, through a proxy the test controls (the shared server is never touched).

The app's DATABASE_URL points at the proxy; the test's own container (`mysql`) reads the truth
straight from MariaDB. One transaction per order (`group_commit` off): whatever is cut, and wherever,
the request answers a clean 503, no order is half-written, stock and cart are as before, and the next
order goes through. With group commit on (the default), a batch whose transaction is cut falls back to
a transaction per order: each buyer's order is then placed once — also when the batch's COMMIT went
through and only its answer was lost — or refused, and nothing is half-written.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from jiadian.adapters.clock import FixedClock
from jiadian.adapters.sql.tables import orders
from jiadian.container import Container, build_container
from jiadian.domain.errors import InsufficientStock
from jiadian.domain.ordering import Order
from tests.conftest import ShopClient, open_client, settings_for
from tests.faults.conftest import Tally
from tests.faults.proxy import CutMode, FaultProxy
from tests.faults.support import (
    PASSWORD,
    Seeded,
    assert_clean_503,
    cart_line_count,
    facts,
    port_of,
    seed,
    via,
)
from tests.ordering_support import OrderingShop

pytestmark = pytest.mark.mysql


@dataclass
class World:
    truth: Container  # straight to MariaDB: seeding and checking
    app: Container  # the shop under test, through the proxy
    proxy: FaultProxy
    client: ShopClient
    seeded: Seeded

    async def order(self, key: str | None = None) -> httpx.Response:
        headers = {"Idempotency-Key": key} if key else {}
        return await self.client.post(
            "/api/orders",
            json={"sku_ids": [self.seeded.sku_id], "address_id": self.seeded.address_id},
            headers=headers,
        )


async def _world(
    mysql: Container,
    mysql_database: str,
    tmp_path: Path,
    clock: FixedClock,
    proxies: list[FaultProxy],
    *,
    group_commit: bool,
) -> AsyncIterator[World]:
    proxy = FaultProxy(port_of(mysql_database, 3306)).start()
    proxies.append(proxy)
    app = build_container(
        settings_for(
            tmp_path,
            database_url=via(mysql_database, proxy.port),
            database_pool_size=2,
            group_commit=group_commit,
        )
    )
    app.clock.override(clock)
    seeded = await seed(mysql)
    async for client in open_client(app):
        await client.login("buyer", PASSWORD)
        response = await client.post("/api/cart/items", json={"sku_id": seeded.sku_id, "count": 2})
        assert response.status_code == 200, response.text
        yield World(mysql, app, proxy, client, seeded)


@pytest.fixture
async def world(
    mysql: Container, mysql_database: str, tmp_path: Path, clock: FixedClock, proxies: list[FaultProxy]
) -> AsyncIterator[World]:
    """The shop with one transaction per order."""
    async for made in _world(mysql, mysql_database, tmp_path, clock, proxies, group_commit=False):
        yield made


@pytest.fixture
async def batched(
    mysql: Container, mysql_database: str, tmp_path: Path, clock: FixedClock, proxies: list[FaultProxy]
) -> AsyncIterator[World]:
    """The shop with group commit (the default)."""
    async for made in _world(mysql, mysql_database, tmp_path, clock, proxies, group_commit=True):
        yield made


# Every statement of the checkout's transaction, whatever their order: a cut at any of them leaves nothing.
CUTS = [
    pytest.param(b"INSERT INTO orders", "before", id="at-the-order-row"),
    pytest.param(b"INSERT INTO order_lines", "before", id="at-the-order-lines"),
    pytest.param(b"UPDATE skus", "before", id="at-the-stock-update"),
    pytest.param(b"UPDATE products", "before", id="at-the-product-sales"),
    pytest.param(b"COMMIT", "before", id="at-commit"),
]


@pytest.mark.parametrize(("pattern", "mode"), CUTS)
async def test_a_connection_cut_mid_checkout_leaves_nothing_half_done(
    world: World, pattern: bytes, mode: CutMode, tally: Tally
) -> None:
    before = await facts(world.truth.engine(), world.seeded)
    trigger = world.proxy.cut_on(pattern, mode)

    response = await world.order()

    assert trigger.fired.is_set(), f"the checkout never sent {pattern!r}"
    tally.fault(f"MariaDB connection cut mid-checkout at {pattern.decode()}")
    assert_clean_503(response)
    after = await facts(world.truth.engine(), world.seeded)
    assert after == before  # stock, sales, no order, no line
    assert (after.orders, after.lines, after.orders_without_lines) == (0, 0, 0)
    assert await cart_line_count(world.client, world.seeded.sku_id) == 2
    tally.verified("clean 503; stock, sales, orders and cart unchanged")

    placed = await world.order()
    assert placed.status_code == 201, placed.text
    done = await facts(world.truth.engine(), world.seeded)
    assert (done.stock, done.sold, done.orders, done.orders_without_lines) == (before.stock - 2, 2, 1, 0)
    assert await cart_line_count(world.client, world.seeded.sku_id) == 0
    tally.verified("the next order succeeds after a cut connection")


async def test_a_connection_held_mid_transaction_then_killed(world: World, tally: Tally) -> None:
    """Paused at COMMIT (order, lines and stock all written, uncommitted), then killed: all rolled back."""
    before = await facts(world.truth.engine(), world.seeded)
    trigger = world.proxy.cut_on(b"COMMIT", "hold")
    request = asyncio.create_task(world.order())
    await trigger.fired_async()
    tally.fault("MariaDB connection paused mid-transaction, then killed")

    # Meanwhile the uncommitted work is invisible to everyone else (READ COMMITTED).
    assert await facts(world.truth.engine(), world.seeded) == before
    trigger.kill()
    response = await asyncio.wait_for(request, timeout=30)

    assert_clean_503(response)
    assert await facts(world.truth.engine(), world.seeded) == before
    assert await cart_line_count(world.client, world.seeded.sku_id) == 2
    tally.verified("a killed transaction leaves stock, orders and cart unchanged")


async def test_a_lost_commit_answer_and_a_retry_with_the_same_key_make_one_order(
    world: World, tally: Tally
) -> None:
    """The server commits but the answer is lost: the client sees 503; its retry (same key) finds the order."""
    before = await facts(world.truth.engine(), world.seeded)
    trigger = world.proxy.cut_on(b"COMMIT", "lose_reply")

    response = await world.order(key="retry-me-1")

    assert trigger.fired.is_set()
    tally.fault("MariaDB answer to COMMIT lost")
    assert_clean_503(response)
    committed = await facts(world.truth.engine(), world.seeded)
    assert (committed.orders, committed.orders_without_lines) == (1, 0)  # all of it, not half
    assert committed.stock + committed.sold == before.stock

    retry = await world.order(key="retry-me-1")
    assert retry.status_code == 201, retry.text
    after = await facts(world.truth.engine(), world.seeded)
    assert (after.orders, after.stock, after.sold) == (1, before.stock - 2, 2)
    tally.verified("a retry after a lost commit answer makes no second order")


async def test_mariadb_stopped_then_back(world: World, tally: Tally) -> None:
    """The proxy refuses every connection (the server "stopped"): 503s naming the database, then service."""
    before = await facts(world.truth.engine(), world.seeded)
    world.proxy.refuse()
    tally.fault("MariaDB stopped (proxy refuses connections)")

    ready = await world.client.get("/ready")
    assert ready.status_code == 503, ready.text
    checks = ready.json()["checks"]
    assert checks["database"].startswith("failed"), checks
    assert (checks["cache"], checks["broker"]) == ("ok", "ok"), checks
    assert_clean_503(await world.order())
    assert_clean_503(await world.client.get("/api/catalog/products", params={"category": "all"}))
    assert_clean_503(await world.client.get("/api/orders"))
    assert await facts(world.truth.engine(), world.seeded) == before
    tally.verified("/ready 503 names the database; requests answer clean 503s; nothing written")

    world.proxy.accept()
    ready = await world.client.get("/ready")
    assert ready.status_code == 200, ready.text
    placed = await world.order()
    assert placed.status_code == 201, placed.text
    after = await facts(world.truth.engine(), world.seeded)
    assert (after.stock, after.orders, after.orders_without_lines) == (before.stock - 2, 1, 0)
    tally.verified("service resumes when MariaDB returns")


async def test_mariadb_restarted_between_requests(world: World, tally: Tally) -> None:
    """Every pooled connection dies while idle (a server restart): at most the first request fails, cleanly."""
    before = await facts(world.truth.engine(), world.seeded)
    assert (await world.client.get("/api/orders")).status_code == 200  # the pool holds live connections
    assert world.proxy.drop_all() >= 1
    tally.fault("MariaDB restarted: idle pooled connections dropped")

    first = await world.order(key="after-restart")
    if first.status_code != 201:
        assert_clean_503(first)  # a stale pooled connection met on the first statement
        assert await facts(world.truth.engine(), world.seeded) == before
    retry = await world.order(key="after-restart")
    assert retry.status_code == 201, retry.text
    after = await facts(world.truth.engine(), world.seeded)
    assert (after.orders, after.orders_without_lines, after.stock) == (1, 0, before.stock - 2)
    assert (await world.client.get("/ready")).status_code == 200
    tally.verified(f"after a restart: first request {first.status_code}, then service; one order")


# --- group commit ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "mode"), [*CUTS, pytest.param(b"COMMIT", "lose_reply", id="commit-reply-lost")]
)
async def test_a_batch_cut_anywhere_places_the_order_once_on_its_own(
    batched: World, pattern: bytes, mode: CutMode, tally: Tally
) -> None:
    """The batch fails; the order is placed in a transaction of its own, with the id the batch gave it
    (so a batch that did commit, its answer lost, is found rather than placed again)."""
    world = batched
    before = await facts(world.truth.engine(), world.seeded)
    trigger = world.proxy.cut_on(pattern, mode)

    response = await world.order()

    assert trigger.fired.is_set(), f"the batch never sent {pattern!r}"
    tally.fault(f"MariaDB connection of a batch cut at {pattern.decode()} ({mode})")
    assert response.status_code == 201, response.text
    after = await facts(world.truth.engine(), world.seeded)
    assert (after.stock, after.sold, after.sku_sales, after.product_sales) == (before.stock - 2, 2, 2, 2)
    assert (after.orders, after.orders_without_lines) == (1, 0)
    assert await cart_line_count(world.client, world.seeded.sku_id) == 0
    tally.verified("a cut batch's order placed once on its own; stock and sales moved once")


@pytest.mark.parametrize(
    ("pattern", "mode"),
    [
        pytest.param(b"INSERT INTO order_lines", "before", id="cut-mid-batch"),
        pytest.param(b"COMMIT", "lose_reply", id="commit-reply-lost"),
    ],
)
async def test_thirty_buyers_in_a_cut_batch_each_get_one_order_or_a_refusal(
    batched: World, clock: FixedClock, pattern: bytes, mode: CutMode, tally: Tally
) -> None:
    world = batched
    shop = OrderingShop(world.app, clock, group_commit=True)
    sku = await OrderingShop(world.truth, clock).given_sku(stock=20)
    people = [await OrderingShop(world.truth, clock).given_buyer() for _ in range(30)]
    trigger = world.proxy.cut_on(pattern, mode)

    results = await asyncio.gather(*(shop.buy(u, a, sku.id) for u, a in people), return_exceptions=True)

    assert trigger.fired.is_set()
    tally.fault(f"MariaDB connection of a 30-order batch cut at {pattern.decode()} ({mode})")
    assert [r for r in results if not isinstance(r, Order | InsufficientStock)] == []
    placed = [r for r in results if isinstance(r, Order)]
    assert len(placed) == 20  # the stock, exactly: nobody served twice, nobody refused while stock lasted
    assert len({o.user_id for o in placed}) == 20
    after = await OrderingShop(world.truth, clock).sku(sku.id)
    assert (after.stock, after.sales) == (0, 20)
    async with world.truth.engine().connect() as conn:
        counted = await conn.execute(
            select(func.count()).select_from(orders).where(orders.c.id.in_([o.id for o in placed]))
        )
        assert counted.scalar_one() == 20
        assert (await conn.execute(select(func.count()).select_from(orders))).scalar_one() == 20
    tally.verified("every buyer of a cut batch: one order or one refusal; stock + sold = initial")
