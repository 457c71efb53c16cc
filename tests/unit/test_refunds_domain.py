"""The Refund as a domain object: its states and who may move them, what each move records, the
reason's limit, the out-request number, and a new refund of an order (its amount, method and trade)."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from jiadian.domain.errors import Conflict, ValidationFailed
from jiadian.domain.money import Money
from jiadian.domain.ordering import Order, OrderLine, PayMethod, ShippingAddress
from jiadian.domain.refunds import (
    ALLOWED,
    MAX_REASON,
    AlreadyRefunding,
    GatewayRefundOutcome,
    IllegalRefundChange,
    Refund,
    RefundMethod,
    RefundOrigin,
    RefundRefused,
    RefundState,
    check_reason,
    new_request_no,
    order_subject,
    payment_subject,
    refund_of_order,
)

NOW = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
LATER = datetime(2026, 1, 2, 9, 30, 5, tzinfo=UTC)
EARLIER = datetime(2025, 12, 31, 8, 0, 0, tzinfo=UTC)
ADDRESS = ShippingAddress(7, "张三", "13812345678", "广东省", "深圳市", "南山区", "科技园 1 号")
REQUEST_NO = "RF20251231080000abcdef01234567"
ANSWER = {"code": "10000", "fund_change": "Y", "refund_fee": "9196.50"}

REQUESTED = RefundState.REQUESTED
REFUSED = RefundState.REFUSED
PENDING = RefundState.PENDING
REFUNDED = RefundState.REFUNDED
FAILED = RefundState.FAILED


def refund(state: RefundState = REQUESTED, method: RefundMethod = RefundMethod.ALIPAY) -> Refund:
    """A stored refund (id 42) in `state`, as the repository hands it back."""
    return Refund(
        id=42,
        subject="order:o1",
        order_id="o1",
        user_id=1,
        method=method,
        amount=Money.of("9196.50"),
        origin=RefundOrigin.BUYER,
        state=state,
        out_request_no=REQUEST_NO,
        trade_no="" if method is RefundMethod.WALLET else "t1",
        payment_id=None,
        created_at=EARLIER,
        reason="不想要了",
    )


def paid_order(method: PayMethod, *prices_and_counts: tuple[str, int]) -> Order:
    lines = [
        OrderLine(0, sku, 100 + sku, f"sku {sku}", "大", "红", "", count, Money.of(price))
        for sku, (price, count) in enumerate(prices_and_counts or (("8888.00", 1), ("99.50", 3)), 1)
    ]
    order = Order.place(id="o1", trade_no="t1", user_id=9, lines=lines, address=ADDRESS, now=EARLIER)
    order.pay(method, EARLIER)
    return order


def illegal(error: IllegalRefundChange) -> tuple[str, str, dict[str, object]]:
    return error.code, error.detail, error.facts


# --- states -----------------------------------------------------------------------------------


def test_the_refund_states_are_stored_by_these_names_and_shown_by_these_labels() -> None:
    assert [(state.value, state.label) for state in RefundState] == [
        ("requested", "退款申请中"),
        ("refused", "退款申请未通过"),
        ("pending", "退款处理中"),
        ("refunded", "已退款"),
        ("failed", "退款失败"),
    ]


def test_methods_origins_and_gateway_outcomes_are_stored_by_these_names() -> None:
    assert [m.value for m in RefundMethod] == ["wallet", "alipay"]
    assert [o.value for o in RefundOrigin] == ["buyer", "operator", "payment"]
    assert [o.value for o in GatewayRefundOutcome] == ["refunded", "refused", "unconfirmed"]


@pytest.mark.parametrize("text", ["pending", " Pending ", "PENDING", "\tpending\n"])
def test_a_state_is_parsed_whatever_its_case_and_surrounding_blanks(text: str) -> None:
    assert RefundState.parse(text) is RefundState.PENDING


def test_every_state_parses_from_its_own_name() -> None:
    assert [RefundState.parse(state.value) for state in RefundState] == list(RefundState)


@pytest.mark.parametrize("text", ["paid", "", " refund ", "已退款"])
def test_an_unknown_state_is_refused_naming_the_states_there_are(text: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        RefundState.parse(text)
    assert caught.value.code == "validation_error"
    assert caught.value.detail == "退款状态只能是 requested、refused、pending、refunded、failed"
    assert caught.value.facts == {"state": text}  # as it was given, not stripped
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__


def test_the_allowed_moves_are_exactly_these() -> None:
    assert {state: set(targets) for state, targets in ALLOWED.items()} == {
        REQUESTED: {REFUSED, PENDING, REFUNDED},
        REFUSED: {PENDING, REFUNDED},
        PENDING: {REFUNDED, FAILED},
        FAILED: {PENDING, REFUNDED},
        REFUNDED: set(),
    }


# --- errors -----------------------------------------------------------------------------------


def test_an_illegal_change_is_a_conflict_naming_the_refund_its_state_and_the_state_wanted() -> None:
    error = IllegalRefundChange(7, RefundState.REFUNDED, RefundState.PENDING)
    assert isinstance(error, Conflict)
    assert illegal(error) == (
        "illegal_refund_change",
        "退款已退款，不能改为退款处理中",
        {"refund_id": 7, "state": "refunded", "wanted": "pending"},
    )
    assert str(error) == "退款已退款，不能改为退款处理中"
    assert IllegalRefundChange.message == "退款当前状态不允许该操作"


def test_a_second_refund_of_a_subject_and_a_request_after_a_refusal_are_conflicts_with_stable_codes() -> None:
    already, refused = AlreadyRefunding(), RefundRefused()
    assert isinstance(already, Conflict)
    assert isinstance(refused, Conflict)
    assert (already.code, already.detail) == ("already_refunding", "该订单已有退款记录")
    assert (refused.code, refused.detail) == ("refund_refused", "退款申请未通过，如有疑问请联系客服")


# --- reasons, subjects, request numbers -------------------------------------------------------


def test_a_reason_is_stripped_of_surrounding_blanks() -> None:
    assert check_reason("  尺寸不合适 \n") == "尺寸不合适"
    assert check_reason("   ") == ""


def test_a_reason_of_exactly_255_characters_is_kept_whole() -> None:
    assert MAX_REASON == 255
    assert check_reason("退" * 255) == "退" * 255
    assert check_reason("  " + "a" * 255 + "  ") == "a" * 255  # the blanks around it do not count


def test_a_reason_of_256_characters_is_refused_saying_the_limit_and_its_length() -> None:
    with pytest.raises(ValidationFailed) as caught:
        check_reason(" " + "退" * 256 + " ")
    assert caught.value.code == "validation_error"
    assert caught.value.detail == "退款原因不能超过 255 个字"
    assert caught.value.facts == {"field": "reason", "length": 256}


def test_the_subject_of_a_refund_names_an_order_or_a_payment() -> None:
    assert order_subject("2026010112000001") == "order:2026010112000001"
    assert payment_subject(7) == "payment:7"


def test_a_request_number_is_rf_the_time_and_fourteen_random_hex_digits() -> None:
    number = new_request_no(datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC))
    assert re.fullmatch(r"RF20260304050607[0-9a-f]{14}", number), number
    assert len(number) == 30
    assert new_request_no(NOW) != new_request_no(NOW)


# --- a new refund of an order -----------------------------------------------------------------


def test_a_wallet_paid_order_is_refunded_to_the_wallet_whole_with_no_trade() -> None:
    order = paid_order(PayMethod.WALLET)
    made = refund_of_order(order, RefundOrigin.BUYER, "  不想要了 ", NOW)
    assert re.fullmatch(r"RF20260101120000[0-9a-f]{14}", made.out_request_no)
    assert made == Refund(
        id=0,
        subject="order:o1",
        order_id="o1",
        user_id=9,
        method=RefundMethod.WALLET,
        amount=Money(Decimal("9196.50")),  # 8888.00 + 3 × 99.50 + 10.00 freight
        origin=RefundOrigin.BUYER,
        state=RefundState.REQUESTED,
        out_request_no=made.out_request_no,
        trade_no="",
        payment_id=None,
        created_at=NOW,
        reason="不想要了",
        answer="",
        operator="",
        decided_at=None,
        refunded_at=None,
        gateway_answer={},
    )


def test_a_gateway_paid_order_is_refunded_through_the_gateway_against_its_trade() -> None:
    made = refund_of_order(paid_order(PayMethod.ALIPAY), RefundOrigin.OPERATOR, "缺货", NOW)
    assert (made.method, made.trade_no, made.origin, made.state) == (
        RefundMethod.ALIPAY,
        "t1",
        RefundOrigin.OPERATOR,
        RefundState.REQUESTED,
    )
    assert (made.amount, made.reason, made.user_id, made.payment_id) == (Money.of("9196.50"), "缺货", 9, None)


def test_an_order_not_paid_by_the_wallet_is_refunded_through_the_gateway() -> None:
    order = paid_order(PayMethod.ALIPAY)
    order.pay_method = ""
    made = refund_of_order(order, RefundOrigin.OPERATOR, "", NOW)
    assert (made.method, made.trade_no) == (RefundMethod.ALIPAY, "t1")


def test_the_amount_is_the_whole_order_to_the_cent_freight_included() -> None:
    order = paid_order(PayMethod.WALLET, ("0.01", 1))
    assert refund_of_order(order, RefundOrigin.BUYER, "", NOW).amount.amount == Decimal("10.01")
    order = paid_order(PayMethod.ALIPAY, ("33.33", 3), ("0.99", 1))
    assert refund_of_order(order, RefundOrigin.BUYER, "", NOW).amount.amount == Decimal("110.98")


def test_a_new_refund_with_a_reason_too_long_is_refused() -> None:
    assert (
        refund_of_order(paid_order(PayMethod.WALLET), RefundOrigin.BUYER, "r" * 255, NOW).reason == "r" * 255
    )
    with pytest.raises(ValidationFailed) as caught:
        refund_of_order(paid_order(PayMethod.WALLET), RefundOrigin.BUYER, "r" * 256, NOW)
    assert caught.value.facts == {"field": "reason", "length": 256}


def test_each_new_refund_has_its_own_request_number() -> None:
    order = paid_order(PayMethod.ALIPAY)
    first = refund_of_order(order, RefundOrigin.BUYER, "", NOW)
    second = refund_of_order(order, RefundOrigin.BUYER, "", NOW)
    assert first.out_request_no != second.out_request_no


def test_refunds_do_not_share_their_gateway_answers() -> None:
    one, other = refund(), refund()
    one.gateway_answer["code"] = "10000"
    assert other.gateway_answer == {}


# --- every move from every state --------------------------------------------------------------

Move = Callable[[Refund], None]
MOVES: dict[str, tuple[Move, RefundMethod, dict[RefundState, RefundState], RefundState]] = {
    # name: (the call, the refund's method, {from: to} where allowed, the state wanted otherwise)
    "decide (wallet)": (
        lambda r: r.decide("alice", NOW),
        RefundMethod.WALLET,
        # (a wallet refund is refunded at once, never pending or failed: those rows only pin the table)
        {REQUESTED: REFUNDED, REFUSED: REFUNDED, PENDING: REFUNDED, FAILED: REFUNDED},
        REFUNDED,
    ),
    "decide (gateway)": (
        lambda r: r.decide("alice", NOW),
        RefundMethod.ALIPAY,
        {REQUESTED: PENDING, REFUSED: PENDING, FAILED: PENDING},
        PENDING,
    ),
    "refuse": (
        lambda r: r.refuse("alice", "已出库", NOW),
        RefundMethod.ALIPAY,
        {REQUESTED: REFUSED},
        REFUSED,
    ),
    "retry": (lambda r: r.retry("alice", NOW), RefundMethod.ALIPAY, {FAILED: PENDING}, PENDING),
    "confirmed": (
        lambda r: r.confirmed(ANSWER, NOW),
        RefundMethod.ALIPAY,
        {PENDING: REFUNDED},  # only a refund the gateway was asked for
        REFUNDED,
    ),
    "gateway refused": (lambda r: r.gateway_refused(ANSWER), RefundMethod.ALIPAY, {PENDING: FAILED}, FAILED),
    "refunded by hand": (
        lambda r: r.refunded_by_hand("alice", NOW),
        RefundMethod.ALIPAY,
        {FAILED: REFUNDED},
        REFUNDED,
    ),
}
CASES = [(name, state) for name in MOVES for state in RefundState]


@pytest.mark.parametrize(("name", "start"), CASES, ids=[f"{n} from {s.value}" for n, s in CASES])
def test_each_move_from_each_state_goes_where_allowed_and_is_refused_otherwise(
    name: str, start: RefundState
) -> None:
    move, method, allowed, wanted = MOVES[name]
    subject = refund(start, method)
    before = dataclasses.replace(subject)
    if start in allowed:
        assert move(subject) is None
        assert subject.state is allowed[start]
        return
    with pytest.raises(IllegalRefundChange) as caught:
        move(subject)
    assert illegal(caught.value) == (
        "illegal_refund_change",
        f"退款{start.label}，不能改为{wanted.label}",
        {"refund_id": 42, "state": start.value, "wanted": wanted.value},
    )
    assert subject == before  # a refused move changes nothing


# --- what each move records -------------------------------------------------------------------


def test_deciding_a_wallet_refund_gives_the_money_back_at_once() -> None:
    subject = refund(REQUESTED, RefundMethod.WALLET)
    subject.decide("alice", NOW)
    assert (subject.state, subject.operator, subject.decided_at, subject.refunded_at) == (
        REFUNDED,
        "alice",
        NOW,
        NOW,
    )
    assert (subject.answer, subject.gateway_answer, subject.out_request_no) == ("", {}, REQUEST_NO)


def test_deciding_a_gateway_refund_leaves_it_pending_until_the_gateway_confirms() -> None:
    subject = refund(REQUESTED, RefundMethod.ALIPAY)
    subject.decide("cli:root", NOW)
    assert (subject.state, subject.operator, subject.decided_at, subject.refunded_at) == (
        PENDING,
        "cli:root",
        NOW,
        None,
    )


def test_an_operator_may_still_refund_to_the_wallet_after_refusing() -> None:
    subject = refund(REQUESTED, RefundMethod.WALLET)
    subject.refuse("alice", "已出库", NOW)
    subject.decide("bob", LATER)
    assert (subject.state, subject.operator, subject.decided_at, subject.refunded_at) == (
        REFUNDED,
        "bob",
        LATER,
        LATER,
    )
    assert subject.answer == "已出库"  # the earlier answer stays on record


def test_refusing_records_who_said_no_why_and_when() -> None:
    subject = refund(REQUESTED)
    subject.refuse("alice", "  商品已出库 ", NOW)
    assert (subject.state, subject.operator, subject.answer, subject.decided_at, subject.refunded_at) == (
        REFUSED,
        "alice",
        "商品已出库",
        NOW,
        None,
    )
    assert subject.reason == "不想要了"  # the buyer's words are kept


def test_a_refusal_may_answer_with_255_characters_but_not_256() -> None:
    subject = refund(REQUESTED)
    subject.refuse("alice", "答" * 255, NOW)
    assert subject.answer == "答" * 255

    subject = refund(REQUESTED)
    with pytest.raises(ValidationFailed) as caught:
        subject.refuse("alice", "答" * 256, NOW)
    assert (caught.value.code, caught.value.facts) == ("validation_error", {"field": "reason", "length": 256})
    assert subject == refund(REQUESTED)  # still requested, nothing recorded


def test_the_gateway_confirming_records_its_answer_and_when_the_money_went_back() -> None:
    subject = refund(REQUESTED)
    subject.decide("alice", NOW)
    subject.confirmed(ANSWER, LATER)
    assert (subject.state, subject.gateway_answer, subject.refunded_at) == (REFUNDED, ANSWER, LATER)
    assert (subject.operator, subject.decided_at) == ("alice", NOW)  # the decision is not rewritten


def test_the_gateway_refusing_for_good_records_its_answer_and_refunds_nothing() -> None:
    refusal = {"code": "40004", "sub_code": "ACQ.TRADE_HAS_FINISHED"}
    subject = refund(PENDING)
    subject.gateway_refused(refusal)
    assert (subject.state, subject.gateway_answer, subject.refunded_at) == (FAILED, refusal, None)


def test_a_retry_asks_again_with_the_same_request_number_and_records_who_retried() -> None:
    refusal = {"code": "40004", "sub_code": "ACQ.TRADE_HAS_FINISHED"}
    subject = refund(PENDING)
    subject.gateway_refused(refusal)
    subject.retry("bob", LATER)
    assert (subject.state, subject.operator, subject.decided_at, subject.refunded_at) == (
        PENDING,
        "bob",
        LATER,
        None,
    )
    assert (subject.out_request_no, subject.gateway_answer) == (REQUEST_NO, refusal)


@pytest.mark.parametrize("start", [REQUESTED, REFUSED])
def test_only_a_failed_refund_is_retried_though_an_undecided_one_could_become_pending(
    start: RefundState,
) -> None:
    assert PENDING in ALLOWED[start]
    subject = refund(start)
    with pytest.raises(IllegalRefundChange) as caught:
        subject.retry("bob", LATER)
    assert caught.value.facts == {"refund_id": 42, "state": start.value, "wanted": "pending"}
    assert subject == refund(start)


@pytest.mark.parametrize("start", [REQUESTED, REFUSED])
def test_only_a_failed_refund_is_recorded_as_refunded_by_hand_though_others_could_become_refunded(
    start: RefundState,
) -> None:
    assert REFUNDED in ALLOWED[start]
    subject = refund(start)
    with pytest.raises(IllegalRefundChange) as caught:
        subject.refunded_by_hand("bob", LATER)
    assert caught.value.facts == {"refund_id": 42, "state": start.value, "wanted": "refunded"}
    assert subject == refund(start)


def test_a_refund_by_hand_records_who_gave_the_money_back_and_when() -> None:
    subject = refund(PENDING)
    subject.decided_at, subject.operator = NOW, "alice"
    subject.gateway_refused({"code": "40004"})
    subject.refunded_by_hand("bob", LATER)
    assert (subject.state, subject.operator, subject.refunded_at, subject.decided_at) == (
        REFUNDED,
        "bob",
        LATER,
        NOW,
    )
    assert subject.gateway_answer == {"code": "40004"}


def test_a_refunded_refund_is_final() -> None:
    subject = refund(REQUESTED, RefundMethod.WALLET)
    subject.decide("alice", NOW)
    for move in (
        lambda: subject.decide("bob", LATER),
        lambda: subject.refuse("bob", "", LATER),
        lambda: subject.retry("bob", LATER),
        lambda: subject.confirmed(ANSWER, LATER),
        lambda: subject.gateway_refused(ANSWER),
        lambda: subject.refunded_by_hand("bob", LATER),
    ):
        with pytest.raises(IllegalRefundChange):
            move()
    assert (subject.state, subject.operator, subject.refunded_at, subject.gateway_answer) == (
        REFUNDED,
        "alice",
        NOW,
        {},
    )


def test_a_gateway_refund_goes_through_failure_and_retry_under_one_request_number() -> None:
    made = refund_of_order(paid_order(PayMethod.ALIPAY), RefundOrigin.BUYER, "不想要了", EARLIER)
    number = made.out_request_no
    made.decide("alice", NOW)
    made.gateway_refused({"code": "40004"})
    made.retry("alice", LATER)
    made.confirmed(ANSWER, LATER)
    assert (made.state, made.out_request_no, made.trade_no, made.amount) == (
        REFUNDED,
        number,
        "t1",
        Money.of("9196.50"),
    )
    assert (made.created_at, made.decided_at, made.refunded_at) == (EARLIER, LATER, LATER)
