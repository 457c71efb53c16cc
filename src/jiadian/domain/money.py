"""Money: CNY amounts as Decimal with two places, capped by the DECIMAL(11,2) columns."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from jiadian.domain.errors import InvalidAmount

CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("999999999.99")


@dataclass(frozen=True, order=True, slots=True)
class Money:
    """A non-negative amount of CNY with exactly two decimal places, at most 999,999,999.99."""

    amount: Decimal

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Decimal) or not self.amount.is_finite():
            raise InvalidAmount(str(self.amount), "not a finite decimal")
        # Sign and cap first: quantize() raises decimal.InvalidOperation on numbers past 28 digits.
        if self.amount < 0:
            raise InvalidAmount(str(self.amount), "negative")
        if self.amount > MAX_AMOUNT:
            raise InvalidAmount(str(self.amount), "over the 999,999,999.99 cap")
        if self.amount != self.amount.quantize(CENT):
            raise InvalidAmount(str(self.amount), "more than two decimal places")
        # Normalise the exponent so Money("1") and Money("1.00") print alike, and -0 to 0.
        object.__setattr__(self, "amount", abs(self.amount).quantize(CENT))

    @classmethod
    def of(cls, value: Decimal | int | str) -> Money:
        """Parse a decimal string or integer; floats are refused on purpose."""
        if isinstance(value, float):  # pragma: no cover - guarded by the type, kept for callers without types
            raise InvalidAmount(repr(value), "floats are not money")
        try:
            amount = Decimal(value)
        except (InvalidOperation, ValueError, TypeError) as exc:
            raise InvalidAmount(str(value), "not a decimal number") from exc
        return cls(amount)

    @classmethod
    def zero(cls) -> Money:
        return cls(Decimal("0.00"))

    def __add__(self, other: Money) -> Money:
        return Money(self.amount + other.amount)

    def __sub__(self, other: Money) -> Money:
        return Money(self.amount - other.amount)

    def times(self, count: int) -> Money:
        # An integer multiple of a 2-place amount has 2 places: no rounding; Money checks the cap.
        return Money(self.amount * count)

    def __str__(self) -> str:
        return f"{self.amount:.2f}"


def total(amounts: list[Money]) -> Money:
    result = Money.zero()
    for amount in amounts:
        result = result + amount
    return result
