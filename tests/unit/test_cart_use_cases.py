"""Cart and browsing-history use cases on the in-memory adapters."""

from __future__ import annotations

import pytest
from tests.cart_support import given_product, given_sku

from jiadian.adapters.memory.state import MemoryState
from jiadian.application.cart import ShoppingCart, ViewingHistory
from jiadian.application.catalog_admin import CatalogAdmin
from jiadian.container import Container
from jiadian.domain.cart import HISTORY_SIZE, MAX_LINES, LineProblem, MergeProblem
from jiadian.domain.errors import InsufficientStock, InvalidQuantity, NotFound, ValidationFailed
from jiadian.domain.money import Money

USER, OTHER = 1, 2


@pytest.fixture
def shop(memory: tuple[Container, MemoryState]) -> tuple[ShoppingCart, CatalogAdmin, Container]:
    container, _state = memory
    return container.shopping_cart(), container.catalog_admin(), container


async def test_add_accumulates_and_answers_distinct_lines(
    shop: tuple[ShoppingCart, CatalogAdmin, Container],
) -> None:
    cart, admin, _ = shop
    first, second = await given_sku(admin), await given_sku(admin)
    assert await cart.add(USER, first, 2) == 1
    assert await cart.add(USER, first, 3) == 1
    assert await cart.add(USER, second, 1) == 2
    view = await cart.view(USER)
    assert [(line.sku_id, line.count) for line in view.lines] == [(first, 5), (second, 1)]


async def test_cannot_add_more_than_stock(shop: tuple[ShoppingCart, CatalogAdmin, Container]) -> None:
    cart, admin, _ = shop
    sku = await given_sku(admin, stock=2)
    await cart.add(USER, sku, 2)
    with pytest.raises(InsufficientStock):
        await cart.add(USER, sku, 1)
    with pytest.raises(InsufficientStock):
        await cart.add(OTHER, sku, 3)
    assert (await cart.view(USER)).lines[0].count == 2
    assert (await cart.view(OTHER)).lines == []


@pytest.mark.parametrize("count", [0, -3])
async def test_a_count_below_one_is_refused(
    shop: tuple[ShoppingCart, CatalogAdmin, Container], count: int
) -> None:
    cart, admin, _ = shop
    sku = await given_sku(admin)
    with pytest.raises(InvalidQuantity):
        await cart.add(USER, sku, count)
    await cart.add(USER, sku, 1)
    with pytest.raises(InvalidQuantity):
        await cart.set_count(USER, sku, count)
    assert (await cart.view(USER)).lines[0].count == 1


async def test_unknown_or_off_shelf_skus_cannot_be_added(
    shop: tuple[ShoppingCart, CatalogAdmin, Container],
) -> None:
    cart, admin, _ = shop
    off_shelf = await given_sku(admin, on_shelf=False)
    for sku in (off_shelf, 999_999):
        with pytest.raises(NotFound):
            await cart.add(USER, sku, 1)
    assert (await cart.view(USER)).lines == []


async def test_set_count_replaces_the_count_within_the_stock(
    shop: tuple[ShoppingCart, CatalogAdmin, Container],
) -> None:
    cart, admin, _ = shop
    sku = await given_sku(admin, price="12.50", stock=4)
    await cart.add(USER, sku, 1)
    line = await cart.set_count(USER, sku, 4)
    assert (line.sku_id, line.count, line.line_total, line.available) == (sku, 4, Money.of("50.00"), True)
    with pytest.raises(InsufficientStock):
        await cart.set_count(USER, sku, 5)
    assert (await cart.view(USER)).lines[0].count == 4


async def test_set_count_of_a_line_not_in_the_cart_is_not_found(
    shop: tuple[ShoppingCart, CatalogAdmin, Container],
) -> None:
    cart, admin, _ = shop
    sku = await given_sku(admin)
    await cart.add(OTHER, sku, 1)
    with pytest.raises(NotFound):
        await cart.set_count(USER, sku, 1)
    assert (await cart.view(USER)).lines == []


async def test_remove_a_line_and_a_line_that_is_not_there(
    shop: tuple[ShoppingCart, CatalogAdmin, Container],
) -> None:
    cart, admin, _ = shop
    kept, gone = await given_sku(admin), await given_sku(admin)
    await cart.add(USER, kept, 1)
    await cart.add(USER, gone, 1)
    await cart.remove(USER, gone)
    await cart.remove(USER, gone)
    await cart.remove(USER, 424242)
    assert [line.sku_id for line in (await cart.view(USER)).lines] == [kept]


async def test_view_shows_product_details_and_totals(
    shop: tuple[ShoppingCart, CatalogAdmin, Container],
) -> None:
    cart, admin, container = shop
    product = await given_product(admin, ("8888.00", 5), ("199.90", 9), images=["p/a.png"])
    first, second = product.skus
    await cart.add(USER, first.id, 2)
    await cart.add(USER, second.id, 3)
    view = await cart.view(USER)
    line = view.lines[0]
    assert (line.sku_id, line.product_id, line.name, line.size, line.color) == (
        first.id,
        product.id,
        product.name,
        first.size,
        first.color,
    )
    assert line.image_url == container.blobs().url("p/a.png")
    assert (line.price, line.stock, line.count, line.line_total) == (
        Money.of("8888.00"),
        5,
        2,
        Money.of("17776.00"),
    )
    # The second sku has no image of its own: it shows the product's.
    assert view.lines[1].image_url == line.image_url
    assert view.lines[1].line_total == Money.of("599.70")
    assert view.total_count == 5
    assert view.amount == Money.of("18375.70")


async def test_lines_that_cannot_be_bought_are_shown_as_such_and_left_out_of_the_totals(
    shop: tuple[ShoppingCart, CatalogAdmin, Container],
) -> None:
    cart, admin, container = shop
    fine = await given_sku(admin, price="1.00", stock=9)
    shelved = await given_product(admin, ("2.00", 9))
    emptied = await given_sku(admin, price="3.00", stock=9)
    shrunk = await given_sku(admin, price="4.00", stock=9)
    for sku, count in [(fine, 1), (shelved.skus[0].id, 1), (emptied, 2), (shrunk, 5)]:
        await cart.add(USER, sku, count)
    await container.cart_store().add(USER, 777_777, 2, limit=10)  # a sku since deleted
    await admin.unshelve(shelved.id)
    await admin.set_stock(emptied, 0)
    await admin.set_stock(shrunk, 3)

    view = await cart.view(USER)
    problems = {line.sku_id: (line.available, line.problem) for line in view.lines}
    assert problems == {
        fine: (True, None),
        shelved.skus[0].id: (False, LineProblem.OFF_SHELF),
        emptied: (False, LineProblem.OUT_OF_STOCK),
        shrunk: (False, LineProblem.OVER_STOCK),
        777_777: (False, LineProblem.DELETED),
    }
    deleted = next(line for line in view.lines if line.sku_id == 777_777)
    assert (deleted.count, deleted.product_id, deleted.price, deleted.line_total) == (2, None, None, None)
    assert (view.total_count, view.amount) == (1, Money.of("1.00"))


async def test_an_off_shelf_line_can_be_removed_but_not_changed(
    shop: tuple[ShoppingCart, CatalogAdmin, Container],
) -> None:
    cart, admin, _ = shop
    product = await given_product(admin)
    await cart.add(USER, product.skus[0].id, 1)
    await admin.unshelve(product.id)
    with pytest.raises(NotFound):
        await cart.set_count(USER, product.skus[0].id, 1)
    await cart.remove(USER, product.skus[0].id)
    assert (await cart.view(USER)).lines == []


async def test_an_empty_cart(shop: tuple[ShoppingCart, CatalogAdmin, Container]) -> None:
    cart, _, _ = shop
    view = await cart.view(USER)
    assert (view.lines, view.total_count, view.amount) == ([], 0, Money.zero())


# --- browsing history -------------------------------------------------------------------------


# --- a guest's cart: priced without storing, merged at sign-in --------------------------------------


async def test_a_guest_cart_is_priced_and_checked_like_a_stored_one(
    shop: tuple[ShoppingCart, CatalogAdmin, Container],
) -> None:
    cart, admin, _ = shop
    fine, scarce = await given_sku(admin, price="12.50", stock=4), await given_sku(admin, stock=2)
    off_shelf = await given_sku(admin, on_shelf=False)
    view = await cart.quote([(fine, 1), (scarce, 3), (off_shelf, 1), (999_999, 1), (2**70, 1), (fine, 1)])
    by_sku = {line.sku_id: line for line in view.lines}
    assert (by_sku[fine].count, str(by_sku[fine].line_total), by_sku[fine].problem) == (2, "25.00", None)
    assert by_sku[scarce].problem is LineProblem.OVER_STOCK
    assert by_sku[off_shelf].problem is LineProblem.OFF_SHELF
    assert by_sku[999_999].problem is by_sku[2**70].problem is LineProblem.DELETED
    assert (view.total_count, str(view.amount)) == (2, "25.00")  # only what can be bought as it stands
    assert (await cart.view(USER)).lines == []  # nothing stored


async def test_merge_adds_to_the_accounts_lines_up_to_the_stock_and_says_what_came_in(
    shop: tuple[ShoppingCart, CatalogAdmin, Container],
) -> None:
    cart, admin, _ = shop
    kept, scarce, fresh = (
        await given_sku(admin, stock=10),
        await given_sku(admin, stock=3),
        await given_sku(admin),
    )
    sold_out, off_shelf = await given_sku(admin, stock=0), await given_sku(admin, on_shelf=False)
    await cart.add(USER, kept, 4)
    await cart.add(USER, scarce, 2)
    merge = await cart.merge(
        USER, [(kept, 2), (scarce, 5), (fresh, 1), (sold_out, 1), (off_shelf, 1), (999_999, 2), (fresh, 1)]
    )
    assert [(m.sku_id, m.requested, m.added, m.problem) for m in merge.lines] == [
        (kept, 2, 2, None),
        (scarce, 5, 1, MergeProblem.OVER_STOCK),  # 2 in the cart, 3 in stock: one more
        (fresh, 2, 2, None),  # named twice: summed
        (sold_out, 1, 0, MergeProblem.OUT_OF_STOCK),
        (off_shelf, 1, 0, MergeProblem.OFF_SHELF),
        (999_999, 2, 0, MergeProblem.DELETED),
    ]
    assert {line.sku_id: line.count for line in merge.cart.lines} == {kept: 6, scarce: 3, fresh: 2}
    assert merge.cart == await cart.view(USER)


async def test_merge_into_a_full_cart_brings_only_what_adds_to_its_lines(
    shop: tuple[ShoppingCart, CatalogAdmin, Container],
) -> None:
    cart, admin, container = shop
    first, extra = await given_sku(admin, stock=5), await given_sku(admin)
    carts = container.cart_store()
    await carts.add(USER, first, 1, limit=5)
    for filler in range(1, MAX_LINES):  # lines of skus long gone: they still take room
        await carts.add(USER, 900_000 + filler, 1, limit=1)
    merge = await cart.merge(USER, [(first, 1), (extra, 1)])
    assert [(m.added, m.problem) for m in merge.lines] == [(1, None), (0, MergeProblem.CART_FULL)]


async def test_merge_refuses_counts_below_one_and_too_many_lines(
    shop: tuple[ShoppingCart, CatalogAdmin, Container],
) -> None:
    cart, admin, _ = shop
    sku = await given_sku(admin)
    with pytest.raises(InvalidQuantity):
        await cart.merge(USER, [(sku, 0)])
    with pytest.raises(ValidationFailed):
        await cart.merge(USER, [(sku + n, 1) for n in range(MAX_LINES + 1)])
    assert (await cart.view(USER)).lines == []


@pytest.fixture
def history(memory: tuple[Container, MemoryState]) -> tuple[ViewingHistory, CatalogAdmin]:
    container, _state = memory
    return container.viewing_history(), container.catalog_admin()


async def test_history_is_most_recent_first_without_duplicates(
    history: tuple[ViewingHistory, CatalogAdmin],
) -> None:
    viewing, admin = history
    a, b, c = [(await given_product(admin)).id for _ in range(3)]
    for product_id in [a, b, c, a]:
        await viewing.record(USER, product_id)
    assert [card.id for card in await viewing.recent(USER)] == [a, c, b]
    assert await viewing.recent(OTHER) == []


async def test_history_is_capped(history: tuple[ViewingHistory, CatalogAdmin]) -> None:
    viewing, admin = history
    ids = [(await given_product(admin)).id for _ in range(HISTORY_SIZE + 5)]
    for product_id in ids:
        await viewing.record(USER, product_id)
    assert [card.id for card in await viewing.recent(USER)] == ids[::-1][:HISTORY_SIZE]


async def test_history_leaves_out_off_shelf_products_and_ignores_anonymous_views(
    history: tuple[ViewingHistory, CatalogAdmin],
) -> None:
    viewing, admin = history
    kept, shelved = (await given_product(admin)).id, (await given_product(admin)).id
    await viewing.record(USER, kept)
    await viewing.record(USER, shelved)
    await viewing.record(None, kept)
    await admin.unshelve(shelved)
    assert [card.id for card in await viewing.recent(USER)] == [kept]
