"""Money: CNY as Decimal with exactly two places, never negative, capped at 999,999,999.99."""

from __future__ import annotations

from decimal import Decimal

import pytest

from jiadian.domain.errors import InvalidAmount
from jiadian.domain.money import MAX_AMOUNT, Money, total


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("8888", "8888.00"),
        ("8888.0", "8888.00"),
        ("0.1", "0.10"),
        ("0", "0.00"),
        ("999999999.99", "999999999.99"),
    ],
)
def test_amounts_print_with_two_places(raw: str, shown: str) -> None:
    assert str(Money.of(raw)) == shown
    assert Money.of(raw).amount.as_tuple().exponent == -2


def test_integers_and_decimals_are_money() -> None:
    assert Money.of(5) == Money.of("5.00") == Money(Decimal("5"))


def test_the_cap_is_999_999_999_99() -> None:
    assert Money.of("999999999.99").amount == MAX_AMOUNT
    with pytest.raises(InvalidAmount, match="上限"):
        Money.of("1000000000.00")


@pytest.mark.parametrize("raw", ["1e30", "123456789012345678901234567890", "9" * 40])
def test_huge_amounts_are_refused_as_invalid_amounts(raw: str) -> None:
    # Not a decimal.InvalidOperation leaking out of quantize(): an InvalidAmount the shop can answer.
    with pytest.raises(InvalidAmount):
        Money.of(raw)


@pytest.mark.parametrize("raw", ["1.001", "0.005", "8888.999", "1e-9"])
def test_more_than_two_places_are_refused(raw: str) -> None:
    with pytest.raises(InvalidAmount, match="两位小数"):
        Money.of(raw)


@pytest.mark.parametrize("raw", ["-0.01", "-1", "-1e30"])
def test_negative_amounts_are_refused(raw: str) -> None:
    with pytest.raises(InvalidAmount, match="负数"):
        Money.of(raw)


def test_negative_zero_is_plain_zero() -> None:
    # "-0.00" would break every JSON amount ("^\d+\.\d{2}$") and compare oddly in sorted lists.
    assert str(Money.of("-0")) == "0.00"
    assert str(Money.of("-0.00")) == "0.00"
    assert not Money.of("-0.00").amount.is_signed()


@pytest.mark.parametrize("raw", [1.5, 0.1, 8888.0])
def test_floats_are_not_money(raw: float) -> None:
    with pytest.raises(InvalidAmount, match="浮点数"):
        Money.of(raw)  # type: ignore[arg-type]
    with pytest.raises(InvalidAmount):
        Money(raw)  # type: ignore[arg-type]


@pytest.mark.parametrize("raw", ["", "abc", "1,000.00", "NaN", "Infinity", "¥5"])
def test_text_that_is_not_a_number_is_refused(raw: str) -> None:
    with pytest.raises(InvalidAmount):
        Money.of(raw)


def test_addition_and_subtraction() -> None:
    assert Money.of("0.10") + Money.of("0.20") == Money.of("0.30")
    assert Money.of("10.00") - Money.of("0.01") == Money.of("9.99")
    assert Money.of("5") - Money.of("5") == Money.zero()


def test_arithmetic_keeps_the_rules() -> None:
    with pytest.raises(InvalidAmount, match="负数"):
        Money.of("1.00") - Money.of("1.01")
    with pytest.raises(InvalidAmount, match="上限"):
        Money.of("999999999.99") + Money.of("0.01")


def test_times() -> None:
    assert Money.of("19.99").times(3) == Money.of("59.97")
    assert Money.of("8888.00").times(0) == Money.zero()
    with pytest.raises(InvalidAmount, match="上限"):
        Money.of("999999999.99").times(2)
    with pytest.raises(InvalidAmount):
        Money.of("999999999.99").times(10**30)
    with pytest.raises(InvalidAmount, match="负数"):
        Money.of("1.00").times(-1)


def test_total_and_ordering() -> None:
    amounts = [Money.of("3.00"), Money.of("1.50"), Money.of("2.25")]
    assert total(amounts) == Money.of("6.75")
    assert total([]) == Money.zero()
    assert sorted(amounts) == [Money.of("1.50"), Money.of("2.25"), Money.of("3.00")]
    assert Money.of("1") == Money.of("1.00")
    assert hash(Money.of("1")) == hash(Money.of("1.00"))
