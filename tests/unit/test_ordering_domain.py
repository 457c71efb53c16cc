"""The Order aggregate: totals, the status machine, payment, cancellation and reviews."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from jiadian.domain.errors import NotFound, ValidationFailed
from jiadian.domain.money import Money
from jiadian.domain.ordering import (
    ALLOWED,
    AlreadyPaid,
    AlreadyReviewed,
    CancelReason,
    IllegalTransition,
    LineReviewed,
    NotReviewable,
    Order,
    OrderCancelled,
    OrderCompleted,
    OrderLine,
    OrderPaid,
    OrderPlaced,
    OrderRefunded,
    OrderStatus,
    PayMethod,
    ShippingAddress,
    UnsupportedPaymentMethod,
    new_order_id,
    new_trade_no,
    parse_pay_method,
)
from jiadian.domain.reviews import DEFAULT_REVIEW_TEXT

NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)
ADDRESS = ShippingAddress(7, "张三", "13812345678", "广东省", "深圳市", "南山区", "科技园 1 号")


def line(sku_id: int, price: str, count: int, line_id: int = 0) -> OrderLine:
    return OrderLine(
        line_id or sku_id, sku_id, 100 + sku_id, f"sku {sku_id}", "大", "红", "", count, Money.of(price)
    )


def placed(*lines: OrderLine) -> Order:
    return Order.place(
        id="o1",
        trade_no="t1",
        user_id=1,
        lines=list(lines or [line(1, "8888.00", 1), line(2, "99.50", 3)]),
        address=ADDRESS,
        now=NOW,
    )


def at(status: OrderStatus) -> Order:
    order = placed()
    path = [OrderStatus.AWAITING_SHIPMENT, OrderStatus.SHIPPED, OrderStatus.RECEIVED]
    steps = {
        OrderStatus.AWAITING_SHIPMENT: lambda: order.pay(PayMethod.WALLET, NOW),
        OrderStatus.SHIPPED: lambda: order.ship(NOW),
        OrderStatus.RECEIVED: lambda: order.confirm_receipt(NOW),
    }
    if status is OrderStatus.CANCELLED:
        order.cancel(CancelReason.BUYER, NOW)
    elif status in (OrderStatus.REFUND_REQUESTED, OrderStatus.REFUNDED):
        order.pay(PayMethod.WALLET, NOW)
        order.request_refund() if status is OrderStatus.REFUND_REQUESTED else order.refund(NOW)
    elif status is OrderStatus.COMPLETED:
        for step in path:
            steps[step]()
        for each in order.lines:
            order.review(each.id, 5, "好", NOW)
    else:
        for step in path[: path.index(status) + 1] if status in path else []:
            steps[step]()
    assert order.status is status
    order.pull_events()
    return order


def test_totals_come_from_unit_prices_counts_and_freight() -> None:
    order = placed()
    assert order.total_count == 4
    assert order.amount == Money.of("9186.50")  # 8888.00 + 3 × 99.50
    assert order.freight == Money.of("10.00")
    assert order.total == Money.of("9196.50")
    assert order.lines[1].line_total == Money.of("298.50")


def test_a_new_order_awaits_payment_and_says_it_was_placed() -> None:
    order = placed()
    assert order.status is OrderStatus.AWAITING_PAYMENT
    assert order.status.label == "待支付"
    assert order.pull_events() == [OrderPlaced("o1", 1, Money.of("9196.50"), ((1, 101, 1), (2, 102, 3)))]
    assert order.pull_events() == []


@pytest.mark.parametrize(
    ("status", "label"),
    [
        ("1", "待支付"),
        ("2", "待发货"),
        ("3", "待收货"),
        ("4", "待评价"),
        ("5", "已完成"),
        ("cancelled", "已取消"),
    ],
)
def test_status_labels(status: str, label: str) -> None:
    assert OrderStatus.parse(status).label == label


def test_an_unknown_status_is_a_validation_error() -> None:
    with pytest.raises(ValidationFailed):
        OrderStatus.parse("6")


def test_an_order_needs_lines_and_a_short_mark() -> None:
    with pytest.raises(ValidationFailed):
        Order.place(id="o", trade_no="t", user_id=1, lines=[], address=ADDRESS, now=NOW)
    with pytest.raises(ValidationFailed):
        Order.place(
            id="o",
            trade_no="t",
            user_id=1,
            lines=[line(1, "1.00", 1)],
            address=ADDRESS,
            now=NOW,
            mark="x" * 256,
        )
    order = Order.place(
        id="o", trade_no="t", user_id=1, lines=[line(1, "1.00", 1)], address=ADDRESS, now=NOW, mark="x" * 255
    )
    assert len(order.mark) == 255


@pytest.mark.parametrize("count", [0, -1, 10_000])
def test_a_line_count_is_positive_and_bounded(count: int) -> None:
    with pytest.raises(ValidationFailed):
        line(1, "1.00", count)


def test_the_happy_path_walks_the_table() -> None:
    order = placed()
    order.pay(PayMethod.WALLET, NOW)
    assert (order.status, order.pay_method, order.paid_at) == (OrderStatus.AWAITING_SHIPMENT, "wallet", NOW)
    order.ship(NOW)
    assert order.status is OrderStatus.SHIPPED
    order.confirm_receipt(NOW)
    assert order.status is OrderStatus.RECEIVED
    events = order.pull_events()
    assert OrderPaid("o1", PayMethod.WALLET, order.total) in events


# (name, move, target, the only start it is made from when two moves reach one target)
ALL_MOVES = [
    (
        "pay",
        lambda o: o.pay(PayMethod.WALLET, NOW),
        OrderStatus.AWAITING_SHIPMENT,
        OrderStatus.AWAITING_PAYMENT,
    ),
    ("ship", lambda o: o.ship(NOW), OrderStatus.SHIPPED, None),
    ("confirm", lambda o: o.confirm_receipt(NOW), OrderStatus.RECEIVED, None),
    ("cancel", lambda o: o.cancel(CancelReason.BUYER, NOW), OrderStatus.CANCELLED, None),
    ("request refund", lambda o: o.request_refund(), OrderStatus.REFUND_REQUESTED, None),
    ("keep", lambda o: o.keep(), OrderStatus.AWAITING_SHIPMENT, OrderStatus.REFUND_REQUESTED),
    ("refund", lambda o: o.refund(NOW), OrderStatus.REFUNDED, None),
]


@pytest.mark.parametrize("start", list(OrderStatus))
@pytest.mark.parametrize(("name", "move", "target", "source"), ALL_MOVES, ids=[m[0] for m in ALL_MOVES])
def test_every_move_outside_the_table_is_refused(
    start: OrderStatus, name: str, move: object, target: OrderStatus, source: OrderStatus | None
) -> None:
    order = at(start)
    if target in ALLOWED[start] and source in (None, start):
        move(order)  # type: ignore[operator]
        assert order.status is target
    else:
        with pytest.raises(IllegalTransition) as refused:
            move(order)  # type: ignore[operator]
        assert refused.value.code in {"illegal_transition", "already_paid"}
        assert order.status is start  # nothing changed


def test_paying_twice_or_cancelling_a_paid_order_says_already_paid() -> None:
    order = at(OrderStatus.AWAITING_SHIPMENT)
    with pytest.raises(AlreadyPaid):
        order.pay(PayMethod.WALLET, NOW)
    with pytest.raises(AlreadyPaid):
        order.cancel(CancelReason.BUYER, NOW)


def test_paying_a_cancelled_order_is_an_illegal_transition() -> None:
    order = at(OrderStatus.CANCELLED)
    with pytest.raises(IllegalTransition) as refused:
        order.pay(PayMethod.WALLET, NOW)
    assert refused.value.code == "illegal_transition"


def test_refunding_lists_the_stock_to_give_back_and_a_refunded_order_is_final() -> None:
    order = at(OrderStatus.REFUND_REQUESTED)
    order.refund(NOW)
    assert (order.status, order.refunded_at, order.status.label) == (OrderStatus.REFUNDED, NOW, "已退款")
    assert order.pull_events() == [OrderRefunded("o1", ((1, 101, 1), (2, 102, 3)))]
    assert ALLOWED[OrderStatus.REFUNDED] == frozenset()


def test_a_refund_request_holds_the_shipment_until_it_is_decided() -> None:
    order = at(OrderStatus.REFUND_REQUESTED)
    assert order.status.label == "退款申请中"
    with pytest.raises(IllegalTransition):
        order.ship(NOW)
    with pytest.raises(AlreadyPaid):
        order.cancel(CancelReason.BUYER, NOW)
    order.keep()
    order.ship(NOW)
    assert order.status is OrderStatus.SHIPPED


def test_cancelling_lists_the_stock_to_give_back() -> None:
    order = placed()
    order.pull_events()
    order.cancel(CancelReason.EXPIRED, NOW)
    assert order.cancel_reason == "expired"
    assert order.pull_events() == [OrderCancelled("o1", CancelReason.EXPIRED, ((1, 101, 1), (2, 102, 3)))]


def test_reviews_after_receipt_each_line_once_and_the_last_completes() -> None:
    order = at(OrderStatus.RECEIVED)
    first = order.review(1, 5, "  很好  ", NOW)
    assert (first.score, first.content, first.sku_id, first.product_id) == (5, "很好", 1, 101)
    assert order.status is OrderStatus.RECEIVED
    with pytest.raises(AlreadyReviewed):
        order.review(1, 3, "again", NOW)
    second = order.review(2, 1, "", NOW)
    assert second.content == DEFAULT_REVIEW_TEXT
    assert order.status is OrderStatus.COMPLETED
    assert order.completed_at == NOW
    events = order.pull_events()
    assert events[-1] == OrderCompleted("o1")
    assert LineReviewed("o1", 2, 1) in events


@pytest.mark.parametrize("status", [OrderStatus.AWAITING_PAYMENT, OrderStatus.SHIPPED, OrderStatus.CANCELLED])
def test_no_review_before_receipt(status: OrderStatus) -> None:
    with pytest.raises(NotReviewable):
        at(status).review(1, 5, "", NOW)


@pytest.mark.parametrize("score", [0, 2, 4, 6])
def test_only_scores_1_3_5(score: int) -> None:
    with pytest.raises(ValidationFailed):
        at(OrderStatus.RECEIVED).review(1, score, "", NOW)


def test_reviewing_an_unknown_line_is_not_found() -> None:
    with pytest.raises(NotFound):
        at(OrderStatus.RECEIVED).review(99, 5, "", NOW)


def test_payment_methods() -> None:
    assert parse_pay_method("wallet") is PayMethod.WALLET
    assert parse_pay_method("Alipay") is PayMethod.ALIPAY
    for refused in ("cod", "wechat", "bitcoin", ""):
        with pytest.raises(UnsupportedPaymentMethod):
            parse_pay_method(refused)


def test_ids_are_time_prefixed_random_and_fit_their_columns() -> None:
    ids = {new_order_id(NOW) for _ in range(2000)}
    assert len(ids) == 2000
    assert all(re.fullmatch(r"20260101120000\d{10}", i) for i in ids)
    trade = new_trade_no(NOW)
    assert trade.startswith("JD20260101120000")
    assert len(trade) <= 64
