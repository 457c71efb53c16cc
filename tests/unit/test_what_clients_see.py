"""Domain errors as a client receives them: the HTTP body is {"code", "detail", **facts}, so the code, the
message and every fact (the ids, the field, the limit) are part of the contract, checked here one raise
site at a time."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from jiadian.domain.accounts import (
    Address,
    check_email,
    check_introduce,
    check_password,
    check_phone,
    check_send_allowed,
    check_username,
    code_key,
)
from jiadian.domain.cart import MAX_LINES, Cart, CartFull, check_count
from jiadian.domain.catalog import Product, Sku
from jiadian.domain.errors import (
    DomainError,
    FileTooLarge,
    InsufficientStock,
    InvalidAmount,
    InvalidQuantity,
    NotFound,
    RateLimited,
    ValidationFailed,
)
from jiadian.domain.money import Money
from jiadian.domain.ordering import (
    AlreadyPaid,
    AlreadyReviewed,
    CancelReason,
    IllegalTransition,
    NotReviewable,
    OffShelf,
    Order,
    OrderLine,
    OrderShipped,
    OrderStatus,
    PayMethod,
    ShippingAddress,
    UnsupportedPaymentMethod,
    check_mark,
    new_trade_no,
    parse_pay_method,
)
from jiadian.domain.payments import IllegalPaymentChange, PaymentState
from jiadian.domain.reviews import MAX_REVIEW_LENGTH, validate_review
from jiadian.domain.wallet import BalanceCapExceeded, EntryKind, LedgerEntry, Wallet

NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)
T0 = datetime(2026, 1, 1, 8, tzinfo=UTC)


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
        "detail": "订单状态只能是 1-5、cancelled、refund_requested 或 refunded",
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
        "detail": "支付状态只能是 pending、applied、needs_refund、refunding、refunded、closed",
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


# --- accounts.py: profile fields and the verification-code limits -----------------------------


@pytest.mark.parametrize(
    ("check", "value", "detail", "field"),
    [
        (check_username, "ab", "用户名须为 3-30 位字母、数字、下划线或汉字", "username"),
        (check_password, "12345", "密码长度须为 6-128 位", "password"),
        (check_email, "no-at-sign", "邮箱格式不正确", "email"),
        (check_phone, "12800138000", "手机号格式不正确", "phone"),
        (check_introduce, "  ", "个人简介不能为空", "introduce"),
        (check_introduce, "字" * 256, "个人简介不能超过 255 个字", "introduce"),
    ],
)
def test_a_refused_profile_field_is_named(check: Any, value: str, detail: str, field: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        check(value)
    assert seen(refused.value) == {"code": "validation_error", "detail": detail, "field": field}


def test_profile_fields_reach_their_limits() -> None:
    assert check_password("x" * 6) == "x" * 6
    assert check_password("x" * 128) == "x" * 128
    with pytest.raises(ValidationFailed):
        check_password("x" * 129)
    assert check_introduce("字" * 255) == "字" * 255
    longest = "a" * 64 + "@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 61  # 254 characters
    assert check_email(longest) == longest
    with pytest.raises(ValidationFailed):
        check_email(longest + "d")  # 255: well formed, one too long
    assert check_username("abc") == "abc"


def test_codes_are_kept_under_the_lower_case_address() -> None:
    assert code_key(" Li.Ming@Example.COM ") == "li.ming@example.com"


def test_a_second_code_is_refused_until_sixty_seconds_have_passed_and_says_how_long_to_wait() -> None:
    with pytest.raises(RateLimited) as refused:
        check_send_allowed(T0 + timedelta(seconds=59, milliseconds=500), [T0])
    assert seen(refused.value) == {
        "code": "rate_limited",
        "detail": "验证码发送过于频繁，请稍后再试",
        "retry_after": 1,
    }
    with pytest.raises(RateLimited) as early:
        check_send_allowed(T0 + timedelta(seconds=20), [T0])
    assert early.value.retry_after == 40
    check_send_allowed(T0 + timedelta(seconds=60), [T0])  # exactly sixty seconds later


def test_the_sixth_code_of_a_day_is_refused_until_the_first_is_exactly_a_day_old() -> None:
    sends = [T0 + timedelta(minutes=i) for i in range(5)]
    last_moment = T0 + timedelta(hours=24) - timedelta(milliseconds=500)
    with pytest.raises(RateLimited) as refused:
        check_send_allowed(last_moment, sends)
    assert seen(refused.value) == {
        "code": "rate_limited",
        "detail": "今日验证码发送次数已达上限",
        "retry_after": 1,
    }
    check_send_allowed(T0 + timedelta(hours=24), sends)  # the first send no longer counts


# --- wallet.py, money, catalogue quantities ---------------------------------------------------


def test_a_ledger_entry_of_nothing_is_refused_with_the_amount() -> None:
    with pytest.raises(ValidationFailed) as refused:
        LedgerEntry(EntryKind.RECHARGE, Money.zero())
    assert seen(refused.value) == {"code": "validation_error", "detail": "金额必须大于 0", "amount": "0.00"}


def test_a_recharge_over_the_cap_names_the_balance_and_the_amount() -> None:
    wallet = Wallet(1, Money.of("999999999.00"), Money.of("999999999.00"), Money.zero())
    with pytest.raises(BalanceCapExceeded) as refused:
        wallet.apply(LedgerEntry(EntryKind.RECHARGE, Money.of("1.00")))
    assert seen(refused.value) == {
        "code": "balance_cap_exceeded",
        "detail": "充值后余额不能超过 999999999.99",
        "balance": "999999999.00",
        "amount": "1.00",
    }


@pytest.mark.parametrize(
    ("raw", "value", "reason"),
    [
        ("-1", "-1", "negative"),
        ("abc", "abc", "not a decimal number"),
        (1.5, "1.5", "floats are not money"),
        ("NaN", "NaN", "not a finite decimal"),
        ("Infinity", "Infinity", "not a finite decimal"),
        ("1000000000.00", "1000000000.00", "over the 999,999,999.99 cap"),
        ("1.001", "1.001", "more than two decimal places"),
        ("-1E+40", "-1E+40", "negative"),
    ],
)
def test_an_invalid_amount_names_the_value_and_the_reason(raw: Any, value: str, reason: str) -> None:
    with pytest.raises(InvalidAmount) as refused:
        Money.of(raw)
    assert seen(refused.value) == {
        "code": "invalid_amount",
        "detail": f"金额不合法: {reason}",
        "value": value,
        "reason": reason,
    }


def test_money_of_a_decimal_an_integer_or_a_string_is_that_amount() -> None:
    assert [Money.of(raw).amount for raw in (Decimal("1.5"), 2, " 3.25 ", "-0")] == [
        Decimal("1.50"),
        Decimal("2.00"),
        Decimal("3.25"),
        Decimal("0.00"),
    ]
    assert str(Money.of("-0.00").amount) == "0.00"


def test_selling_or_restoring_no_units_names_the_count() -> None:
    sku = Sku(1, 1, Money.of("1.00"), 3)
    for action in (sku.sell, sku.restore, sku.check_available):
        with pytest.raises(InvalidQuantity) as refused:
            action(0)
        assert refused.value.facts == {"count": 0}


# --- ordering.py: refused moves ---------------------------------------------------------------


def test_a_refused_move_names_the_order_its_status_and_what_was_wanted() -> None:
    order = an_order()
    with pytest.raises(IllegalTransition) as refused:
        order.ship(NOW)
    assert seen(refused.value) == {
        "code": "illegal_transition",
        "detail": "订单待支付，不能发货",
        "order_id": "o1",
        "status": "1",
        "wanted": "3",
    }
    # Plain codes, not members (which would print as their names in a log line or another encoder).
    assert {type(refused.value.facts[key]) for key in ("status", "wanted")} == {str}
    assert (
        seen(IllegalTransition("o2", OrderStatus.SHIPPED, "refund"))["detail"] == "订单待收货，不能执行该操作"
    )


def test_paying_twice_or_cancelling_a_paid_order_names_the_order() -> None:
    order = an_order()
    order.pay(PayMethod.WALLET, NOW)
    with pytest.raises(AlreadyPaid) as twice:
        order.pay(PayMethod.WALLET, NOW)
    assert seen(twice.value) == {
        "code": "already_paid",
        "detail": "订单待发货，不能支付",
        "order_id": "o1",
        "status": "2",
        "wanted": "2",
    }
    with pytest.raises(AlreadyPaid) as cancel:
        order.cancel(CancelReason.BUYER, NOW)
    assert (cancel.value.facts["order_id"], cancel.value.facts["wanted"]) == ("o1", "cancelled")


def test_paying_a_cancelled_order_names_it() -> None:
    order = an_order()
    order.cancel(CancelReason.BUYER, NOW)
    with pytest.raises(IllegalTransition) as refused:
        order.pay(PayMethod.WALLET, NOW)
    assert seen(refused.value) == {
        "code": "illegal_transition",
        "detail": "订单已取消，不能支付",
        "order_id": "o1",
        "status": "cancelled",
        "wanted": "2",
    }


def test_an_order_without_lines_or_with_a_sku_twice_is_refused_with_a_reason() -> None:
    address = an_order().address
    with pytest.raises(ValidationFailed) as empty:
        Order.place(id="o", trade_no="t", user_id=1, lines=[], address=address, now=NOW)
    assert empty.value.detail == "订单至少要有一件商品"
    line = an_order().lines[0]
    with pytest.raises(ValidationFailed) as twice:
        Order.place(id="o", trade_no="t", user_id=1, lines=[line, line], address=address, now=NOW)
    assert twice.value.detail == "同一商品规格在订单中只能出现一次"


def test_an_order_has_no_mark_unless_given_and_shipping_says_so() -> None:
    order = an_order()
    assert order.mark == ""
    order.pay(PayMethod.WALLET, NOW)
    order.pull_events()
    order.ship(NOW)
    assert (order.shipped_at, order.pull_events()) == (NOW, [OrderShipped("o1")])


def test_a_trade_number_is_jd_the_time_and_fourteen_hex_digits() -> None:
    assert re.fullmatch(r"JD20260101120000[0-9a-f]{14}", new_trade_no(NOW))


def test_a_count_below_one_names_it() -> None:
    with pytest.raises(InvalidQuantity) as refused:
        check_count(0)
    assert refused.value.facts == {"count": 0}


@pytest.mark.parametrize(
    ("fields", "detail", "facts"),
    [
        ({"stock": -1}, "库存不能为负数", {"stock": -1}),
        ({"stock": 1, "sales": -2}, "销量不能为负数", {"sales": -2}),
    ],
)
def test_a_sku_with_a_negative_stock_or_sales_is_refused_with_the_number(
    fields: dict[str, int], detail: str, facts: dict[str, int]
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        Sku(1, 1, Money.of("1.00"), **fields)
    assert seen(refused.value) == {"code": "validation_error", "detail": detail, **facts}


def test_an_order_mark_of_up_to_255_characters() -> None:
    assert check_mark(" " + "备" * 255 + " ") == "备" * 255
    with pytest.raises(ValidationFailed) as refused:
        check_mark("备" * 256)
    assert seen(refused.value) == {
        "code": "validation_error",
        "detail": "订单备注不能超过 255 个字",
        "field": "mark",
        "length": 256,
    }
