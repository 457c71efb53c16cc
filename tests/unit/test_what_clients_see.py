"""Domain errors as a client receives them: the HTTP body is {"code", "detail", **facts}, so the code, the
message and every fact (the ids, the field, the limit) are part of the contract, checked here one raise
site at a time."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from jiadian.domain.accounts import Address
from jiadian.domain.cart import MAX_LINES, Cart, CartFull
from jiadian.domain.catalog import Product, Sku
from jiadian.domain.errors import (
    DomainError,
    FileTooLarge,
    InsufficientStock,
    InvalidQuantity,
    NotFound,
    RateLimited,
    ValidationFailed,
)
from jiadian.domain.money import Money
from jiadian.domain.ordering import (
    AlreadyReviewed,
    NotReviewable,
    OffShelf,
    Order,
    OrderLine,
    OrderStatus,
    PayMethod,
    ShippingAddress,
    UnsupportedPaymentMethod,
    parse_pay_method,
)
from jiadian.domain.payments import IllegalPaymentChange, PaymentState
from jiadian.domain.reviews import MAX_REVIEW_LENGTH, validate_review

NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)


def seen(error: DomainError) -> dict[str, Any]:
    """What a client reads: the body the HTTP error mapping writes for this error."""
    return {"code": error.code, "detail": error.detail, **error.facts}


def an_order() -> Order:
    line = OrderLine(11, 1, 101, "手机", "8G+256G", "黑色", "p/a.png", 2, Money.of("100.00"))
    address = ShippingAddress(7, "张三", "13812345678", "广东省", "深圳市", "南山区", "科技园1号")
    return Order.place(id="o1", trade_no="t1", user_id=3, lines=[line], address=address, now=NOW)


# --- errors.py --------------------------------------------------------------------------------


def test_an_invalid_quantity_names_the_count() -> None:
    assert seen(InvalidQuantity(0)) == {"code": "invalid_quantity", "detail": "数量必须为正整数", "count": 0}


def test_a_file_too_large_says_the_limit_in_mib_and_both_sizes() -> None:
    error = FileTooLarge(size=3 * 1024 * 1024 + 1, limit=3 * 1024 * 1024)
    assert seen(error) == {
        "code": "payload_too_large",
        "detail": "文件不能超过 3 MiB",
        "size": 3 * 1024 * 1024 + 1,
        "limit": 3 * 1024 * 1024,
    }


def test_rate_limited_says_when_to_come_back_with_its_own_message_or_the_default() -> None:
    default = RateLimited(30)
    assert seen(default) == {"code": "rate_limited", "detail": "请求过于频繁，请稍后再试", "retry_after": 30}
    assert default.retry_after == 30
    assert seen(RateLimited(5, "今日验证码发送次数已达上限"))["detail"] == "今日验证码发送次数已达上限"


def test_not_found_names_the_resource_and_the_key_as_text() -> None:
    error = NotFound("订单", 42)
    assert (error.code, error.facts) == ("not_found", {"resource": "订单", "key": "42"})
    assert error.detail.startswith("订单")


# --- ordering.py ------------------------------------------------------------------------------


def test_an_unknown_status_says_which_are_known() -> None:
    with pytest.raises(ValidationFailed) as refused:
        OrderStatus.parse("7")
    assert seen(refused.value) == {
        "code": "validation_error",
        "detail": "订单状态只能是 1-5 或 cancelled",
        "status": "7",
    }


def test_statuses_show_their_names_and_keep_their_codes() -> None:
    status = OrderStatus.AWAITING_PAYMENT
    assert (str(status), f"{status}", status.value, status.label) == (
        "AWAITING_PAYMENT",
        "AWAITING_PAYMENT",
        "1",
        "待支付",
    )
    assert repr(status) == "<OrderStatus.AWAITING_PAYMENT: '1'>"
    assert status == "1"  # compares as its stored code
    assert OrderStatus.parse(" cancelled ") is OrderStatus.CANCELLED


def test_an_unknown_line_of_an_order_is_not_found_by_its_id() -> None:
    with pytest.raises(NotFound) as refused:
        an_order().line(999)
    assert refused.value.facts == {"resource": "订单商品", "key": "999"}


def test_a_review_before_receipt_says_so_with_the_order_and_its_status() -> None:
    order = an_order()
    order.pay(PayMethod.WALLET, NOW)
    with pytest.raises(NotReviewable) as refused:
        order.review(11, 5, "", NOW)
    assert seen(refused.value) == {
        "code": "not_reviewable",
        "detail": "订单待发货，不能评价",
        "order_id": "o1",
        "status": "2",
        "wanted": "review",
    }


def test_a_second_review_of_a_line_names_the_order_and_the_line() -> None:
    order = an_order()
    order.lines.append(OrderLine(12, 2, 102, "耳机", "", "", "", 1, Money.of("1.00")))
    order.pay(PayMethod.WALLET, NOW)
    order.ship(NOW)
    order.confirm_receipt(NOW)
    order.review(11, 5, "", NOW)
    with pytest.raises(AlreadyReviewed) as refused:
        order.review(11, 1, "", NOW)
    assert seen(refused.value) == {
        "code": "already_reviewed",
        "detail": "该商品已评价",
        "order_id": "o1",
        "line_id": 11,
    }


def test_off_shelf_and_unsupported_methods_name_what_was_refused() -> None:
    assert seen(OffShelf(5)) == {"code": "off_shelf", "detail": "商品已下架", "sku_id": 5}
    with pytest.raises(UnsupportedPaymentMethod) as refused:
        parse_pay_method("cod")
    assert seen(refused.value) == {
        "code": "unsupported_payment_method",
        "detail": "不支持该支付方式（仅支持余额和支付宝）",
        "method": "cod",
    }


# --- payments.py ------------------------------------------------------------------------------


def test_an_unknown_payment_state_lists_the_known_ones() -> None:
    with pytest.raises(ValidationFailed) as refused:
        PaymentState.parse("paid")
    assert seen(refused.value) == {
        "code": "validation_error",
        "detail": "支付状态只能是 pending、applied、needs_refund、refunded、closed",
        "state": "paid",
    }
    assert PaymentState.parse(" Needs_Refund ") is PaymentState.NEEDS_REFUND


def test_an_illegal_payment_change_names_the_payment_and_both_states() -> None:
    error = IllegalPaymentChange(9, PaymentState.PENDING, PaymentState.REFUNDED)
    assert seen(error) == {
        "code": "illegal_payment_change",
        "detail": "该支付记录当前状态不允许此操作",
        "payment_id": 9,
        "state": "pending",
        "wanted": "refunded",
    }


# --- reviews.py, catalog.py, cart.py ----------------------------------------------------------


def test_a_review_score_or_text_out_of_bounds_says_which() -> None:
    with pytest.raises(ValidationFailed) as score:
        validate_review(2, "好")
    assert seen(score.value) == {"code": "validation_error", "detail": "评分只能是 1、3 或 5 分", "score": 2}
    with pytest.raises(ValidationFailed) as text:
        validate_review(5, "好" * (MAX_REVIEW_LENGTH + 1))
    assert seen(text.value) == {"code": "validation_error", "detail": "评论不能超过 500 个字", "length": 501}


def test_a_negative_stock_is_refused_with_the_number() -> None:
    sku = Sku(1, 1, Money.of("1.00"), 3)
    with pytest.raises(ValidationFailed) as refused:
        sku.set_stock(-1)
    assert seen(refused.value) == {"code": "validation_error", "detail": "库存不能为负数", "stock": -1}
    assert sku.stock == 3


def test_unshelving_leaves_a_product_off_the_shelf() -> None:
    product = Product(1, "手机", 1, 1)
    product.unshelve()
    assert product.on_shelf is False
    product.shelve()
    assert product.on_shelf is True


def test_a_full_cart_says_how_many_lines_it_holds_and_may_hold() -> None:
    cart = Cart(dict.fromkeys(range(1, MAX_LINES + 1), 1))
    with pytest.raises(CartFull) as refused:
        cart.add(MAX_LINES + 1, 1, limit=5)
    assert seen(refused.value) == {
        "code": "cart_full",
        "detail": "购物车最多只能放 100 种商品",
        "lines": 100,
        "max_lines": 100,
    }


def test_setting_a_count_over_the_stock_names_the_sku() -> None:
    cart = Cart({5: 1})
    with pytest.raises(InsufficientStock) as refused:
        cart.set_count(5, 3, limit=2)
    assert seen(refused.value) == {
        "code": "insufficient_stock",
        "detail": "库存不足",
        "sku_id": 5,
        "requested": 3,
        "available": 2,
    }
    assert cart.lines == {5: 1}


# --- accounts.py: addresses -------------------------------------------------------------------

FIELDS = {
    "recipient": ("收件人", 12),
    "province": ("省份", 15),
    "city": ("城市", 10),
    "county": ("区县", 10),
    "detail": ("详细地址", 40),
}
VALID = {
    "recipient": "张三",
    "phone": "13812345678",
    "province": "广东省",
    "city": "深圳市",
    "county": "南山区",
    "detail": "科技园1号",
}


def address(**changes: str) -> Address:
    return Address.validated(id=1, user_id=2, **{**VALID, **changes})


def test_an_address_keeps_each_field_trimmed_and_is_not_the_default_unless_asked() -> None:
    made = address(**{name: f" {value} " for name, value in VALID.items() if name != "phone"})
    assert (made.recipient, made.province, made.city, made.county, made.detail) == (
        "张三",
        "广东省",
        "深圳市",
        "南山区",
        "科技园1号",
    )
    assert (made.id, made.user_id, made.phone, made.is_default) == (1, 2, "13812345678", False)


@pytest.mark.parametrize("field", sorted(FIELDS))
def test_an_address_field_may_be_as_long_as_its_limit_and_no_longer(field: str) -> None:
    label, limit = FIELDS[field]
    assert getattr(address(**{field: "字" * limit}), field) == "字" * limit
    with pytest.raises(ValidationFailed) as too_long:
        address(**{field: "字" * (limit + 1)})
    assert seen(too_long.value) == {
        "code": "validation_error",
        "detail": f"{label}不能超过 {limit} 个字",
        "field": field,
    }


@pytest.mark.parametrize("field", sorted(FIELDS))
def test_an_empty_address_field_is_refused_by_name(field: str) -> None:
    label, _limit = FIELDS[field]
    with pytest.raises(ValidationFailed) as empty:
        address(**{field: "  "})
    assert seen(empty.value) == {"code": "validation_error", "detail": f"{label}不能为空", "field": field}
