"""The account rules themselves: the wallet and its ledger, the verification-code policy, profile fields."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from jiadian.domain.accounts import (
    CODE_ALPHABET,
    Address,
    check_email,
    check_introduce,
    check_phone,
    check_send_allowed,
    code_key,
    new_code,
)
from jiadian.domain.errors import RateLimited, ValidationFailed
from jiadian.domain.money import Money
from jiadian.domain.wallet import (
    BalanceCapExceeded,
    EntryKind,
    InsufficientBalance,
    LedgerEntry,
    Wallet,
    balance_from,
)

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def entry(kind: EntryKind, amount: str, order: str | None = None) -> LedgerEntry:
    return LedgerEntry(kind, Money.of(amount), order)


# --- wallet -----------------------------------------------------------------------------------


def test_the_ledger_re_derives_the_balance_and_the_totals_add_up() -> None:
    wallet = Wallet.empty(7)
    entries = [
        entry(EntryKind.RECHARGE, "500.00"),
        entry(EntryKind.PAYMENT, "120.50", "o1"),
        entry(EntryKind.PAYMENT, "79.50", "o2"),
        entry(EntryKind.REFUND, "79.50", "o2"),
        entry(EntryKind.RECHARGE, "0.01"),
    ]
    for e in entries:
        wallet.apply(e)

    assert wallet.balance == Money.of("379.51")
    assert balance_from(entries) == wallet.balance
    assert wallet.total_recharged == Money.of("500.01")
    assert wallet.total_consumed == Money.of("120.50")
    assert sum(e.signed for e in entries) == wallet.balance.amount


def test_a_payment_over_the_balance_is_refused_and_changes_nothing() -> None:
    wallet = Wallet.empty(1)
    wallet.apply(entry(EntryKind.RECHARGE, "10.00"))
    with pytest.raises(InsufficientBalance):
        wallet.apply(entry(EntryKind.PAYMENT, "10.01", "o1"))
    assert (wallet.balance, wallet.total_consumed) == (Money.of("10.00"), Money.zero())


def test_a_recharge_may_not_lift_the_balance_over_the_cap() -> None:
    wallet = Wallet.empty(1)
    wallet.apply(entry(EntryKind.RECHARGE, "999999999.00"))
    with pytest.raises(BalanceCapExceeded):
        wallet.apply(entry(EntryKind.RECHARGE, "1.00"))
    wallet.apply(entry(EntryKind.RECHARGE, "0.99"))
    assert wallet.balance == Money.of("999999999.99")


@pytest.mark.parametrize("amount", ["0", "0.00"])
def test_a_ledger_entry_moves_money(amount: str) -> None:
    with pytest.raises(ValidationFailed):
        entry(EntryKind.RECHARGE, amount)


# --- verification codes -----------------------------------------------------------------------


def test_a_code_is_six_letters_or_digits_and_codes_differ() -> None:
    codes = {new_code() for _ in range(50)}
    assert all(re.fullmatch(r"[A-Za-z0-9]{6}", c) for c in codes)
    assert len(codes) > 45
    assert set("".join(codes)) <= set(CODE_ALPHABET)


def test_a_client_may_ask_again_after_sixty_seconds_not_before() -> None:
    sends = [T0]
    with pytest.raises(RateLimited) as refused:
        check_send_allowed(T0 + timedelta(seconds=59), sends)
    assert refused.value.retry_after == 1
    check_send_allowed(T0 + timedelta(seconds=61), sends)


def test_the_sixth_code_in_a_day_is_refused_until_the_first_is_a_day_old() -> None:
    sends = [T0 + timedelta(minutes=10 * i) for i in range(5)]
    sixth = T0 + timedelta(hours=3)
    with pytest.raises(RateLimited) as refused:
        check_send_allowed(sixth, sends)
    assert refused.value.retry_after == int((T0 + timedelta(hours=24) - sixth).total_seconds())
    check_send_allowed(T0 + timedelta(hours=24, seconds=1), sends)
    check_send_allowed(sixth, sends[:4])


def test_codes_are_kept_per_address_whatever_its_case() -> None:
    assert code_key(" Li.Ming@Example.COM ") == code_key("li.ming@example.com")


# --- profile and address fields ---------------------------------------------------------------


@pytest.mark.parametrize("phone", ["13800138000", "15912345678", "19900000000", "17012345678"])
def test_mainland_mobile_numbers_are_phones(phone: str) -> None:
    assert check_phone(phone) == phone


@pytest.mark.parametrize(
    "phone", ["12800138000", "16800138000", "1380013800", "138001380001", "1380013800a", ""]
)
def test_anything_else_is_not_a_phone(phone: str) -> None:
    with pytest.raises(ValidationFailed):
        check_phone(phone)


@pytest.mark.parametrize("email", ["no-at-sign", "a@b", "a b@example.com", "@example.com", ""])
def test_malformed_emails_are_refused(email: str) -> None:
    with pytest.raises(ValidationFailed):
        check_email(email)


def test_an_introduction_may_not_be_blank() -> None:
    with pytest.raises(ValidationFailed):
        check_introduce("   ")
    assert check_introduce(" 喜欢家电 ") == "喜欢家电"


def test_address_fields_have_their_limits() -> None:
    fields = {
        "id": 0,
        "user_id": 1,
        "recipient": "张三",
        "phone": "13800138000",
        "province": "广东省",
        "city": "深圳市",
        "county": "南山区",
        "detail": "科技园 1 号",
    }
    assert Address.validated(**fields).recipient == "张三"  # type: ignore[arg-type]
    for name, too_long in [("recipient", "名" * 13), ("city", "市" * 11), ("detail", "路" * 41)]:
        with pytest.raises(ValidationFailed):
            Address.validated(**{**fields, name: too_long})  # type: ignore[arg-type]
