"""Orders on real databases: the whole use-case suite again on SQLite and MariaDB, and what only the
SQL adapter has to get right (products.sales, ids, conditional saves, sweeps' queries, reviews)."""

from __future__ import annotations

import inspect

import pytest
from sqlalchemy import func, select
from tests.ordering_support import OrderingShop
from tests.unit import test_ordering_use_cases as use_cases

from jiadian.adapters.clock import FixedClock
from jiadian.adapters.sql.tables import order_lines, orders, reviews
from jiadian.application.checkout import BuyNow, CheckoutRequest
from jiadian.container import Container
from jiadian.domain.money import Money
from jiadian.domain.ordering import AlreadyReviewed

# The in-memory suite, collected here too, with the fixtures below: the fake and the real adapters
# answer to the same tests.
globals().update(
    {
        name: test
        for name, test in vars(use_cases).items()
        if name.startswith("test_") and {"shop", "one_shop"} & set(inspect.signature(test).parameters)
    }
)


@pytest.fixture(params=["sqlite", pytest.param("mysql", marks=pytest.mark.mysql)])
def database(request: pytest.FixtureRequest) -> Container:
    container: Container = request.getfixturevalue(request.param)
    return container


@pytest.fixture(params=["conditional", "pessimistic", "optimistic"])
def shop(request: pytest.FixtureRequest, database: Container, clock: FixedClock) -> OrderingShop:
    return OrderingShop(database, clock, strategy=request.param)


@pytest.fixture
def one_shop(database: Container, clock: FixedClock) -> OrderingShop:
    return OrderingShop(database, clock)


async def test_products_sales_follow_orders_and_cancellations(shop: OrderingShop) -> None:
    first = await shop.given_sku(stock=10)
    second = await shop.given_sku(stock=10, product_id=first.product_id)
    user, address = await shop.given_buyer()
    for sku, count in ((first, 2), (second, 3)):
        await shop.carts.add(user, sku.id, count, limit=10)
    order = await shop.checkout.place(
        user, CheckoutRequest(sku_ids=(first.id, second.id)), address_id=address
    )
    assert await shop.product_sales(first.product_id) == 5
    other = await shop.buy(user, address, second.id, 1)
    assert await shop.product_sales(first.product_id) == 6
    await shop.orders.cancel(user, order.id)
    assert await shop.product_sales(first.product_id) == 1
    assert ((await shop.sku(first.id)).stock, (await shop.sku(second.id)).stock) == (10, 9)
    await shop.orders.cancel(user, other.id)
    assert await shop.product_sales(first.product_id) == 0


async def test_an_order_is_stored_with_its_lines_snapshot_and_totals(one_shop: OrderingShop) -> None:
    sku = await one_shop.given_sku(price="4999.00", size="256G", color="银色")
    user, address = await one_shop.given_buyer()
    order = await one_shop.buy(user, address, sku.id, 2, mark="备注")
    await one_shop.container.catalog_admin().set_price(sku.id, "1.00")  # later price changes do not matter
    stored = await one_shop.orders.detail(user, order.id)
    assert stored.created_at == one_shop.clock.now()
    assert (stored.trade_no, stored.mark, stored.freight, stored.total) == (
        order.trade_no,
        "备注",
        Money.of("10.00"),
        Money.of("10008.00"),
    )
    (line,) = stored.lines
    assert (line.id, line.name, line.size, line.color, line.unit_price, line.line_total) == (
        order.lines[0].id,
        order.lines[0].name,
        "256G",
        "银色",
        Money.of("4999.00"),
        Money.of("9998.00"),
    )
    assert line.image.startswith("img/")
    async with one_shop.container.engine().connect() as conn:
        row = (await conn.execute(select(orders).where(orders.c.id == order.id))).one()
    assert (row.total_count, row.amount, row.total) == (
        2,
        Money.of("9998.00").amount,
        Money.of("10008.00").amount,
    )


async def test_a_review_is_stored_once_where_the_catalogue_reads_it(one_shop: OrderingShop) -> None:
    shop = one_shop
    sku = await shop.given_sku()
    user, address = await shop.given_buyer(balance="1000.00")
    order = await shop.buy(user, address, sku.id)
    await shop.orders.pay(user, order.id, "wallet")
    await shop.fulfilment.ship(order.id)
    received = await shop.orders.confirm_receipt(user, order.id)
    line_id = received.lines[0].id
    review = received.review(line_id, 3, "还行", shop.clock.now())
    async with shop.container.uow() as uow:
        review_id = await uow.orders.add_review(review)
        with pytest.raises(AlreadyReviewed):
            await uow.orders.add_review(review)
        await uow.commit()
    async with shop.container.engine().connect() as conn:
        row = (await conn.execute(select(reviews).where(reviews.c.id == review_id))).one()
        reviewed = (
            await conn.execute(select(order_lines.c.reviewed).where(order_lines.c.id == line_id))
        ).scalar_one()
    assert (row.order_line_id, row.user_id, row.product_id, row.sku_id, row.score, row.content) == (
        line_id,
        user,
        sku.product_id,
        sku.id,
        3,
        "还行",
    )
    assert reviewed
    detail = await shop.container.catalog().detail(sku.product_id)
    assert (detail.reviews.count, str(detail.reviews.average_score), str(detail.reviews.satisfaction)) == (
        1,
        "3.00",
        "0.00",  # a 中评 is not a satisfied buyer
    )


async def test_listing_reads_lines_in_one_query_per_page(one_shop: OrderingShop) -> None:
    sku = await one_shop.given_sku(stock=50)
    user, address = await one_shop.given_buyer()
    for _ in range(6):
        await one_shop.buy(user, address, sku.id)
    seen: list[str] = []
    from sqlalchemy import event

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        seen.append(statement)

    engine = one_shop.container.engine()
    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        page = await one_shop.orders.list(user, None, 1, 5)
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)
    assert len(page.items) == 5
    assert all(len(o.lines) == 1 for o in page.items)
    assert len([s for s in seen if s.lstrip().upper().startswith("SELECT")]) == 3  # count, page, lines
    async with engine.connect() as conn:
        assert (await conn.execute(select(func.count()).select_from(orders))).scalar_one() == 6


async def test_buy_now_request_counts_are_the_servers(one_shop: OrderingShop) -> None:
    sku = await one_shop.given_sku(price="12.34", stock=3)
    user, address = await one_shop.given_buyer()
    order = await one_shop.checkout.place(
        user, CheckoutRequest(buy_now=BuyNow(sku.id, 3)), address_id=address
    )
    assert order.amount == Money.of("37.02")
    assert (await one_shop.sku(sku.id)).stock == 0
