"""Catalogue rules without storage: skus, review summaries, pagination, sort keys."""

from __future__ import annotations

from decimal import Decimal

import pytest

from jiadian.application.pagination import Page, clamp_page
from jiadian.domain.catalog import Product, Sku, SortKey
from jiadian.domain.errors import InsufficientStock, InvalidQuantity, ValidationFailed
from jiadian.domain.money import Money
from jiadian.domain.reviews import DEFAULT_REVIEW_TEXT, ReviewSummary, validate_review
from jiadian.entrypoints.http.catalog import parse_page


def a_sku(stock: int = 5, sales: int = 0) -> Sku:
    return Sku(id=1, product_id=1, price=Money.of("100.00"), stock=stock, sales=sales)


# --- Sku -------------------------------------------------------------------------------------


def test_selling_moves_stock_to_sales() -> None:
    sku = a_sku(stock=5, sales=2)
    sku.sell(3)
    assert (sku.stock, sku.sales) == (2, 5)


def test_a_sku_sells_its_whole_stock_and_no_more() -> None:
    sku = a_sku(stock=2)
    sku.sell(2)
    assert sku.stock == 0
    with pytest.raises(InsufficientStock) as caught:
        sku.sell(1)
    assert caught.value.facts == {"sku_id": 1, "requested": 1, "available": 0}
    assert (sku.stock, sku.sales) == (0, 2)


@pytest.mark.parametrize("count", [0, -1])
def test_quantities_are_positive(count: int) -> None:
    sku = a_sku()
    with pytest.raises(InvalidQuantity):
        sku.sell(count)
    with pytest.raises(InvalidQuantity):
        sku.check_available(count)
    with pytest.raises(InvalidQuantity):
        sku.restore(count)
    assert (sku.stock, sku.sales) == (5, 0)


def test_restore_undoes_a_sale() -> None:
    sku = a_sku(stock=5)
    sku.sell(4)
    sku.restore(4)
    assert (sku.stock, sku.sales) == (5, 0)


def test_restore_never_drives_sales_below_zero() -> None:
    sku = a_sku(stock=0, sales=1)
    sku.restore(3)
    assert (sku.stock, sku.sales) == (3, 0)


def test_stock_and_sales_are_never_negative() -> None:
    with pytest.raises(ValidationFailed):
        a_sku(stock=-1)
    with pytest.raises(ValidationFailed):
        a_sku(sales=-1)
    sku = a_sku()
    with pytest.raises(ValidationFailed):
        sku.set_stock(-1)
    sku.set_stock(0)
    assert sku.stock == 0


def test_shelving_a_product() -> None:
    product = Product(id=1, name="iPhone", spu_id=1, category_id=1)
    assert product.on_shelf
    product.unshelve()
    assert not product.on_shelf
    product.shelve()
    assert product.on_shelf


# --- reviews ---------------------------------------------------------------------------------


def test_no_reviews_summarise_to_zero() -> None:
    assert ReviewSummary.from_scores([]) == ReviewSummary(0, Decimal("0.00"), Decimal("0.00"))


def test_average_has_two_places_rounded_half_up() -> None:
    summary = ReviewSummary.from_scores([5, 5, 1])  # 11/3 = 3.666…
    assert summary.average_score == Decimal("3.67")
    assert str(summary.average_score) == "3.67"
    assert ReviewSummary.from_scores([5, 3, 3, 3, 3, 3, 3, 3]).average_score == Decimal("3.25")


def test_satisfaction_is_the_percent_scoring_three_or_more() -> None:
    summary = ReviewSummary.from_scores([5, 3, 1])
    assert summary.count == 3
    assert summary.satisfaction == Decimal("66.67")
    assert str(summary.satisfaction) == "66.67"
    assert ReviewSummary.from_scores([1, 1]).satisfaction == Decimal("0.00")
    assert ReviewSummary.from_scores([3]).satisfaction == Decimal("100.00")
    assert ReviewSummary.from_scores([5, 1, 1, 1, 1, 1, 1, 1]).satisfaction == Decimal("12.50")


def test_aggregates_and_scores_agree() -> None:
    assert ReviewSummary.of(3, 11, 2) == ReviewSummary.from_scores([5, 5, 1])


@pytest.mark.parametrize("score", [0, 2, 4, 6])
def test_scores_are_one_three_or_five(score: int) -> None:
    with pytest.raises(ValidationFailed):
        validate_review(score, "好")


def test_an_empty_review_gets_the_default_text() -> None:
    assert validate_review(5, "   ") == DEFAULT_REVIEW_TEXT
    assert validate_review(3, " 还行 ") == "还行"


# --- pagination ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("page", "total", "shown", "offset"),
    [
        (1, 20, 1, 0),
        (2, 20, 2, 8),
        (3, 20, 3, 16),  # the last page holds 4
        (4, 20, 3, 16),  # past the end: the last page
        (999, 20, 3, 16),
        (0, 20, 1, 0),  # before the start: the first page
        (-5, 20, 1, 0),
        (7, 0, 1, 0),  # nothing at all: page 1 (empty)
        (2, 16, 2, 8),  # exactly full pages
        (3, 16, 2, 8),
    ],
)
def test_clamp_page(page: int, total: int, shown: int, offset: int) -> None:
    request = clamp_page(page, 8, total)
    assert (request.page, request.offset, request.page_size) == (shown, offset, 8)


@pytest.mark.parametrize(("total", "pages"), [(0, 1), (1, 1), (8, 1), (9, 2), (16, 2), (17, 3)])
def test_page_counts(total: int, pages: int) -> None:
    assert Page([], 1, 8, total).pages == pages


@pytest.mark.parametrize(
    ("raw", "page"),
    [("1", 1), ("3", 3), (" 2 ", 2), ("abc", 1), ("", 1), ("1.5", 1), ("0", 1), ("-3", 1), ("二", 1)],
)
def test_a_page_that_is_not_a_number_is_the_first(raw: str, page: int) -> None:
    assert parse_page(raw) == page


# --- sort keys -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "column", "descending"),
    [
        ("price", "price", False),
        ("-price", "price", True),
        ("sales", "sales", False),
        ("-sales", "sales", True),
        ("date", "created_at", False),
        ("-date", "created_at", True),
    ],
)
def test_sort_keys(key: str, column: str, descending: bool) -> None:
    sort = SortKey(key)
    assert (sort.column, sort.descending) == (column, descending)
    assert str(sort) == key


def test_there_are_exactly_six_sort_keys() -> None:
    assert {k.value for k in SortKey} == {"price", "-price", "sales", "-sales", "date", "-date"}
    with pytest.raises(ValueError):
        SortKey("name")


def test_averages_and_shares_round_half_up_not_to_even() -> None:
    summary = ReviewSummary.of(32, 9 * 4, 1)  # average 1.125, share 3.125 %
    assert (summary.average_score, summary.satisfaction) == (Decimal("1.13"), Decimal("3.13"))
