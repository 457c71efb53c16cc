"""The cart's catalogue reads on real databases: a fixed number of statements whatever the number of lines
(skus not kept yet: one statement for all; live values of the products not kept: one more), and none
for a cart whose skus and live values are kept."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine
from tests.cart_support import given_product

from jiadian.container import Container
from jiadian.domain.cart import LineProblem
from jiadian.domain.money import Money


@pytest.fixture(params=["sqlite", pytest.param("mysql", marks=pytest.mark.mysql)])
def database(request: pytest.FixtureRequest) -> Container:
    """A container on a migrated SQLite file, then on MariaDB; the cart itself in memory; live values kept
    up to a minute (so what is kept does not depend on how fast the test runs)."""
    container: Container = request.getfixturevalue(request.param)
    container.settings().live_values_ms = 60_000
    return container


@contextmanager
def statements(engine: AsyncEngine) -> Iterator[list[str]]:
    """The SQL statements the engine sends while the block runs."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


def selects(seen: list[str]) -> list[str]:
    return [s for s in seen if s.lstrip().upper().startswith("SELECT")]


async def test_sku_views_in_one_statement(database: Container) -> None:
    admin, queries = database.catalog_admin(), database.catalog_queries()
    product = await given_product(admin, ("8888.00", 5), ("99.50", 0), images=["p/a.png", "p/b.png"])
    shelved = await given_product(admin, ("10.00", 3), on_shelf=False)
    first, second = product.skus

    with statements(database.engine()) as seen:
        views = await queries.sku_views([first.id, second.id, shelved.skus[0].id, 987_654])
    assert len(selects(seen)) == 1

    assert set(views) == {first.id, second.id, shelved.skus[0].id}
    one = views[first.id]
    assert (one.sku.id, one.sku.product_id, one.sku.price, one.sku.stock) == (
        first.id,
        product.id,
        Money.of("8888.00"),
        5,
    )
    assert (one.sku.size, one.sku.color, one.product_name, one.on_shelf, one.image) == (
        first.size,
        first.color,
        product.name,
        True,
        "p/a.png",
    )
    assert views[second.id].image == "p/a.png"  # no image of its own: the product's
    assert views[second.id].sku.stock == 0
    assert views[shelved.skus[0].id].on_shelf is False
    assert views[shelved.skus[0].id].image == ""
    assert await queries.sku_views([]) == {}


async def test_viewing_a_cart_costs_the_same_statements_for_1_and_for_20_lines(database: Container) -> None:
    admin, cart = database.catalog_admin(), database.shopping_cart()
    skus = []
    for _ in range(10):
        product = await given_product(admin, ("10.00", 9), ("20.00", 9), images=["p/x.png"])
        skus += [s.id for s in product.skus]
    small, big = 1, 2
    await cart.add(small, skus[0], 1)
    for sku in skus:
        await cart.add(big, sku, 2)
    await admin.unshelve(product.id)  # the last two lines are now off shelf

    with statements(database.engine()) as one_line:
        small_view = await cart.view(small)
    with statements(database.engine()) as twenty_lines:
        big_view = await cart.view(big)
    with statements(database.engine()) as live_read:
        assert await cart.view(big) == big_view
    with statements(database.engine()) as kept:
        assert await cart.view(big) == big_view

    assert len(small_view.lines) == 1
    assert len(big_view.lines) == 20
    assert [line.problem for line in big_view.lines[-2:]] == [LineProblem.OFF_SHELF] * 2
    assert big_view.total_count == 36
    assert big_view.amount == Money.of("540.00")  # 9 products x (10.00 + 20.00) x 2
    # One line: its sku, live as read. Twenty: the nineteen not kept in one statement, and the live
    # values of the one kept in another. Then the live values of the nine other products (read with their
    # skus the first time, not kept as products), in one statement.
    assert len(selects(one_line)) == 1, one_line
    assert len(selects(twenty_lines)) == 2, twenty_lines
    assert len(selects(live_read)) == 1, live_read
    assert kept == []  # skus kept for the generation, live values for up to a minute (this test's setting)
    print(f"\ncart view: {len(twenty_lines)} SQL statement(s) cold, {len(kept)} kept: {twenty_lines}")
