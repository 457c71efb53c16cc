"""Every limit of the domain from both sides: the last value allowed, and the first one refused."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from jiadian.domain.cart import LineProblem, LineState, line_limit, price_cart
from jiadian.domain.errors import ValidationFailed
from jiadian.domain.money import MAX_AMOUNT, Money
from jiadian.domain.ordering import (
    MAX_LINE_COUNT,
    CancelReason,
    LineReview,
    Order,
    OrderCancelled,
    OrderLine,
    OrderReceived,
    OrderStatus,
    PayMethod,
    ShippingAddress,
)
from jiadian.domain.reviews import MAX_REVIEW_LENGTH, validate_review
from jiadian.domain.wallet import EntryKind, InsufficientBalance, LedgerEntry, Wallet, balance_from

NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)
LATER = datetime(2026, 1, 2, 8, tzinfo=UTC)
ADDRESS = ShippingAddress(7, "张三", "13812345678", "广东省", "深圳市", "南山区", "科技园1号")


def a_line(count: int = 1, price: str = "100.00") -> OrderLine:
    return OrderLine(11, 1, 101, "手机", "8G+256G", "黑色", "p/a.png", count, Money.of(price))


def an_order(*lines: OrderLine, freight: str | None = None) -> Order:
    extra = {"freight": Money.of(freight)} if freight is not None else {}
    return Order.place(
        id="o1", trade_no="t1", user_id=3, lines=list(lines or [a_line()]), address=ADDRESS, now=NOW, **extra
    )


# --- the wallet -------------------------------------------------------------------------------


def test_a_wallet_pays_exactly_its_balance_but_not_a_cent_more() -> None:
    wallet = Wallet(1, Money.of("100.00"), Money.of("100.00"), Money.zero())
    with pytest.raises(InsufficientBalance) as refused:
        wallet.apply(LedgerEntry(EntryKind.PAYMENT, Money.of("100.01")))
    assert refused.value.facts == {"balance": "100.00", "required": "100.01"}
    wallet.apply(LedgerEntry(EntryKind.PAYMENT, Money.of("100.00")))
    assert (wallet.balance, wallet.total_consumed) == (Money.zero(), Money.of("100.00"))


def test_a_balance_re_derived_from_its_ledger() -> None:
    entries = [
        LedgerEntry(EntryKind.RECHARGE, Money.of("50.00")),
        LedgerEntry(EntryKind.PAYMENT, Money.of("20.00")),
        LedgerEntry(EntryKind.REFUND, Money.of("5.00")),
    ]
    assert balance_from(entries) == Money.of("35.00")


# --- cart lines and totals --------------------------------------------------------------------


def test_a_line_limit_is_the_stock_and_never_more_than_an_amount_can_hold() -> None:
    assert line_limit(Money.of("1.00"), 5) == 5
    assert line_limit(Money.of("1.00"), 10**10) == 999_999_999  # a yuan: the cap, not the stock
    assert line_limit(Money.of("0.50"), 10**10) == 1_999_999_999
    assert line_limit(Money.of("3.00"), 10**10) == 333_333_333
    assert line_limit(Money.zero(), 10**10) == 10**10  # free: only the stock limits it


def test_an_out_of_stock_sku_has_no_room_in_a_cart() -> None:
    assert line_limit(Money.of("100.00"), 0) == 0
    assert line_limit(Money.of("100.00"), 1) == 1


def test_a_line_of_exactly_the_cap_is_an_amount_and_a_cent_more_is_not() -> None:
    top = Money(MAX_AMOUNT)
    at_cap = price_cart([LineState(1, top, stock=5, on_shelf=True)])
    assert (at_cap.lines[0].line_total, at_cap.lines[0].problem, at_cap.amount) == (top, None, top)
    over = price_cart([LineState(2, Money.of("500000000.00"), stock=5, on_shelf=True)])
    assert (over.lines[0].line_total, over.lines[0].problem) == (None, LineProblem.OVER_AMOUNT_LIMIT)
    assert (over.amount, over.total_count) == (Money.zero(), 0)


def test_a_cart_may_total_exactly_the_cap_and_the_line_past_it_is_left_out() -> None:
    lines = [
        LineState(1, Money.of("999999999.00"), stock=5, on_shelf=True),
        LineState(1, Money.of("0.99"), stock=5, on_shelf=True),
        LineState(1, Money.of("0.01"), stock=5, on_shelf=True),
    ]
    priced = price_cart(lines)
    assert [line.problem for line in priced.lines] == [None, None, LineProblem.OVER_AMOUNT_LIMIT]
    assert (priced.amount, priced.total_count) == (Money(MAX_AMOUNT), 2)
    assert priced.lines[2].line_total == Money.of("0.01")  # the line itself is an amount


# --- orders -----------------------------------------------------------------------------------


def test_a_line_holds_up_to_9999_of_a_sku() -> None:
    assert a_line(MAX_LINE_COUNT).count == 9999
    with pytest.raises(ValidationFailed) as refused:
        a_line(MAX_LINE_COUNT + 1)
    assert refused.value.facts == {"sku_id": 1, "count": 10000}
    assert refused.value.detail == "每种商品的数量须为 1-9999"


def test_an_order_is_placed_with_the_freight_it_is_given() -> None:
    order = an_order(a_line(2), freight="0.00")
    assert (order.freight, order.amount, order.total) == (
        Money.zero(),
        Money.of("200.00"),
        Money.of("200.00"),
    )
    assert an_order(a_line(2)).total == Money.of("210.00")  # the default freight


def test_a_review_text_may_be_500_characters_long() -> None:
    assert validate_review(5, "好" * MAX_REVIEW_LENGTH) == "好" * MAX_REVIEW_LENGTH
    with pytest.raises(ValidationFailed):
        validate_review(5, "好" * (MAX_REVIEW_LENGTH + 1))


# --- every field a transition sets ------------------------------------------------------------


def test_cancelling_records_when_and_why() -> None:
    order = an_order(a_line(2))
    order.pull_events()
    order.cancel(CancelReason.OPERATOR, LATER)
    assert (order.status, order.cancelled_at, order.cancel_reason) == (
        OrderStatus.CANCELLED,
        LATER,
        "operator",
    )
    assert order.pull_events() == [OrderCancelled("o1", CancelReason.OPERATOR, ((1, 101, 2),))]


def test_confirming_receipt_records_when_and_says_so() -> None:
    order = an_order()
    order.pay(PayMethod.WALLET, NOW)
    order.ship(NOW)
    order.pull_events()
    order.confirm_receipt(LATER)
    assert (order.status, order.received_at) == (OrderStatus.RECEIVED, LATER)
    assert order.pull_events() == [OrderReceived("o1")]


def test_a_review_carries_the_reviewer_and_the_line_it_reviews() -> None:
    order = an_order()
    order.pay(PayMethod.WALLET, NOW)
    order.ship(NOW)
    order.confirm_receipt(NOW)
    review = order.review(11, 3, "  还行 ", LATER)
    assert review == LineReview("o1", 11, 3, 101, 1, "8G+256G", "黑色", 3, "还行", LATER)
    assert (order.status, order.completed_at) == (OrderStatus.COMPLETED, LATER)


def test_money_totals_stay_decimal() -> None:
    order = an_order(a_line(3, "0.10"))
    assert order.amount.amount == Decimal("0.30")
