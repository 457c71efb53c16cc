"""The cart aggregate and the browsing history's rule, on their own."""

from __future__ import annotations

import pytest

from jiadian.domain.cart import (
    MAX_LINES,
    Cart,
    CartFull,
    LineProblem,
    LineState,
    line_limit,
    line_problem,
    price_cart,
    remember,
)
from jiadian.domain.errors import InsufficientStock, InvalidQuantity
from jiadian.domain.money import Money


def test_counts_accumulate_and_the_answer_is_the_number_of_distinct_lines() -> None:
    cart = Cart()
    assert cart.add(1, 2, limit=10) == 1
    assert cart.add(1, 3, limit=10) == 1
    assert cart.add(2, 1, limit=10) == 2
    assert cart.lines == {1: 5, 2: 1}


def test_a_line_may_reach_the_stock_but_not_pass_it() -> None:
    cart = Cart()
    cart.add(1, 4, limit=5)
    cart.add(1, 1, limit=5)
    with pytest.raises(InsufficientStock) as refused:
        cart.add(1, 1, limit=5)
    assert refused.value.facts == {"sku_id": 1, "requested": 6, "available": 5}
    assert cart.lines == {1: 5}


def test_a_refused_first_add_leaves_no_line() -> None:
    cart = Cart()
    with pytest.raises(InsufficientStock):
        cart.add(1, 3, limit=2)
    assert cart.lines == {}


@pytest.mark.parametrize("count", [0, -1, True])
def test_a_count_is_at_least_one(count: int) -> None:
    cart = Cart()
    with pytest.raises(InvalidQuantity):
        cart.add(1, count, limit=10)
    with pytest.raises(InvalidQuantity):
        cart.set_count(1, count, limit=10)
    assert cart.lines == {}


def test_set_count_replaces_within_the_stock_and_only_for_a_line_in_the_cart() -> None:
    cart = Cart({1: 5})
    assert cart.set_count(1, 2, limit=3) is True
    assert cart.lines == {1: 2}
    with pytest.raises(InsufficientStock):
        cart.set_count(1, 4, limit=3)
    assert cart.set_count(2, 1, limit=3) is False
    assert cart.lines == {1: 2}


def test_removing_a_line_that_is_not_there_is_not_an_error() -> None:
    cart = Cart({1: 1, 2: 2})
    cart.remove(2, 3)
    assert cart.lines == {1: 1}


def test_a_cart_holds_at_most_max_lines_distinct_skus() -> None:
    cart = Cart(dict.fromkeys(range(MAX_LINES), 1))
    with pytest.raises(CartFull):
        cart.add(MAX_LINES, 1, limit=10)
    assert cart.add(0, 1, limit=10) == MAX_LINES  # an existing line still grows


def test_the_limit_of_a_line_keeps_its_total_an_amount() -> None:
    assert line_limit(Money.of("100.00"), 7) == 7
    assert line_limit(Money.of("500000000.00"), 7) == 1
    assert line_limit(Money.of("0.00"), 7) == 7


@pytest.mark.parametrize(
    ("count", "exists", "on_shelf", "stock", "problem"),
    [
        (1, True, True, 1, None),
        (2, True, True, 1, LineProblem.OVER_STOCK),
        (1, True, True, 0, LineProblem.OUT_OF_STOCK),
        (1, True, False, 5, LineProblem.OFF_SHELF),
        (1, False, False, 0, LineProblem.DELETED),
    ],
)
def test_line_problems(
    count: int, exists: bool, on_shelf: bool, stock: int, problem: LineProblem | None
) -> None:
    assert line_problem(count, exists=exists, on_shelf=on_shelf, stock=stock) == problem


def test_pricing_totals_only_what_can_be_bought() -> None:
    priced = price_cart(
        [
            LineState(2, Money.of("10.50"), stock=5, on_shelf=True),
            LineState(1, Money.of("99.00"), stock=5, on_shelf=False),
            LineState(3, None),
            LineState(4, Money.of("1.00"), stock=2, on_shelf=True),
            LineState(1, Money.of("0.25"), stock=1, on_shelf=True),
        ]
    )
    assert [p.problem for p in priced.lines] == [
        None,
        LineProblem.OFF_SHELF,
        LineProblem.DELETED,
        LineProblem.OVER_STOCK,
        None,
    ]
    assert [p.line_total for p in priced.lines] == [
        Money.of("21.00"),
        Money.of("99.00"),
        None,
        Money.of("4.00"),
        Money.of("0.25"),
    ]
    assert priced.total_count == 3
    assert priced.amount == Money.of("21.25")


def test_a_line_that_would_pass_the_amount_cap_is_flagged_not_a_crash() -> None:
    big = Money.of("600000000.00")
    priced = price_cart(
        [LineState(1, big, stock=5, on_shelf=True), LineState(1, big, stock=5, on_shelf=True)]
    )
    assert [p.problem for p in priced.lines] == [None, LineProblem.OVER_AMOUNT_LIMIT]
    assert priced.amount == big
    alone = price_cart([LineState(2, big, stock=5, on_shelf=True)])
    assert alone.lines[0].line_total is None
    assert alone.lines[0].problem == LineProblem.OVER_AMOUNT_LIMIT
    assert alone.amount == Money.zero()


def test_the_history_puts_the_latest_first_once_and_keeps_a_few() -> None:
    history: list[int] = []
    for product_id in [1, 2, 3, 2, 4]:
        history = remember(history, product_id, keep=3)
    assert history == [4, 2, 3]
