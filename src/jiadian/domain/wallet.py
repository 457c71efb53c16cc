"""The wallet: a balance that never goes below zero nor above the cap, and a ledger that explains it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from jiadian.domain.errors import Conflict, ValidationFailed
from jiadian.domain.money import MAX_AMOUNT, Money


class InsufficientBalance(Conflict):
    code = "insufficient_balance"
    message = "余额不足"


class BalanceCapExceeded(ValidationFailed):
    code = "balance_cap_exceeded"
    message = "充值后余额不能超过 999999999.99"


class RechargeDisabled(Conflict):
    code = "recharge_disabled"
    message = "在线充值未开放，请联系商城管理员"


class EntryKind(StrEnum):
    RECHARGE = "recharge"
    PAYMENT = "payment"
    REFUND = "refund"


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    kind: EntryKind
    amount: Money  # always positive; the kind says which way it goes
    order_id: str | None = None
    note: str = ""
    balance_after: Money | None = None
    created_at: datetime | None = None

    def __post_init__(self) -> None:
        if self.amount.amount <= 0:
            raise ValidationFailed("金额必须大于 0", amount=str(self.amount))

    @property
    def signed(self) -> Decimal:
        """The change to the balance: negative for a payment."""
        return -self.amount.amount if self.kind is EntryKind.PAYMENT else self.amount.amount


@dataclass(slots=True)
class Wallet:
    user_id: int
    balance: Money
    total_recharged: Money
    total_consumed: Money

    @classmethod
    def empty(cls, user_id: int) -> Wallet:
        return cls(user_id, Money.zero(), Money.zero(), Money.zero())

    def apply(self, entry: LedgerEntry) -> None:
        """Apply one ledger entry (its amount is positive by construction), or raise and change nothing."""
        if entry.kind is EntryKind.PAYMENT:
            if self.balance < entry.amount:
                raise InsufficientBalance(balance=str(self.balance), required=str(entry.amount))
            self.balance = self.balance - entry.amount
            self.total_consumed = self.total_consumed + entry.amount
            return
        if self.balance.amount + entry.amount.amount > MAX_AMOUNT:
            raise BalanceCapExceeded(balance=str(self.balance), amount=str(entry.amount))
        self.balance = self.balance + entry.amount
        if entry.kind is EntryKind.RECHARGE:
            self.total_recharged = self.total_recharged + entry.amount
        else:  # a refund gives back what was consumed
            self.total_consumed = Money(
                max(self.total_consumed.amount - entry.amount.amount, Money.zero().amount)
            )


def balance_from(entries: list[LedgerEntry]) -> Money:
    """Re-derive a balance from its ledger."""
    wallet = Wallet.empty(0)
    for entry in entries:
        wallet.apply(entry)
    return wallet.balance
