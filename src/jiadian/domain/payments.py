"""Payments received through a gateway (Alipay, or the simulator standing in for it).

A `Payment` is one trade of one order at a gateway. Its row exists from the moment the shopper was
sent to pay (`pending`) and ends in one of:

- `applied` — the money paid the order (the order moved 1 → 2 in the same transaction);
- `needs_refund` — the money arrived for an order that could no longer take it (cancelled, expired,
  or already paid with the wallet): kept, acknowledged to the gateway, and shown to the operators;
- `refunding` — the money is on its way back through the gateway (a `Refund` of the payment, or of its
  order, waits for the gateway to confirm);
- `refunded` — the money went back (the gateway confirmed a refund, or an operator refunded it by hand
  at the gateway's console);
- `closed` — the trade was closed at the gateway without a payment (the order expired or was paid
  otherwise).

The order's trade number is the gateway's `out_trade_no`, so an order has at most one trade per
method, and a trade at most one payment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final

from jiadian.domain.errors import Conflict, ValidationFailed
from jiadian.domain.money import Money

# What the shopper sees on the gateway's cashier page.
PAYMENT_SUBJECT: Final = "家电之选-订单支付"
# Gateway trade states that mean "the buyer paid" (Alipay sends FINISHED after SUCCESS).
PAID_TRADE_STATUSES: Final = frozenset({"TRADE_SUCCESS", "TRADE_FINISHED"})


class PaymentState(StrEnum):
    PENDING = "pending"
    APPLIED = "applied"
    NEEDS_REFUND = "needs_refund"
    REFUNDING = "refunding"
    REFUNDED = "refunded"
    CLOSED = "closed"

    @classmethod
    def parse(cls, text: str) -> PaymentState:
        try:
            return cls(text.strip().lower())
        except ValueError:
            raise ValidationFailed(
                "支付状态只能是 " + "、".join(state.value for state in cls), state=text
            ) from None


# A payment in one of these states took the money: the same trade can never be applied again.
SETTLED: Final = frozenset(
    {PaymentState.APPLIED, PaymentState.NEEDS_REFUND, PaymentState.REFUNDING, PaymentState.REFUNDED}
)
# States a received payment may still be written over (the trade was started, or closed early).
OPEN: Final = frozenset({PaymentState.PENDING, PaymentState.CLOSED})


class Verdict(StrEnum):
    """What the shop made of one callback or gateway answer (stored with every notification)."""

    APPLIED = "applied"  # the order is paid by it
    DUPLICATE = "duplicate"  # the same trade was settled before: nothing changed
    NEEDS_REFUND = "needs_refund"  # received for an order that could not take it: kept for a refund
    NOT_PAID = "not_paid"  # verified, but the trade is not paid (WAIT_BUYER_PAY, TRADE_CLOSED)
    UNSIGNED = "unsigned"
    BAD_SIGNATURE = "bad_signature"
    MISSING_FIELDS = "missing_fields"
    WRONG_APP_ID = "wrong_app_id"
    UNKNOWN_TRADE = "unknown_trade"  # verified, but the trade number is not one of our orders'
    AMOUNT_MISMATCH = "amount_mismatch"  # verified, but the amount is not the order's total
    UNAVAILABLE = "unavailable"  # the gateway could not be asked (a browser return)
    ERROR = "error"  # the shop failed while applying it (the gateway will send it again)

    @property
    def acknowledged(self) -> bool:
        """True when the gateway may stop sending it (Alipay reads `success`)."""
        return self in _ACKNOWLEDGED


_ACKNOWLEDGED = frozenset({Verdict.APPLIED, Verdict.DUPLICATE, Verdict.NEEDS_REFUND, Verdict.NOT_PAID})
# Callbacks whose signature did not verify: anyone could have sent them (they are throttled per client,
# and deleted after a retention period; verified ones are kept).
UNVERIFIED = frozenset(
    {Verdict.UNSIGNED, Verdict.BAD_SIGNATURE, Verdict.MISSING_FIELDS, Verdict.WRONG_APP_ID}
)


@dataclass(frozen=True, slots=True)
class Payment:
    id: int  # 0 until stored
    order_id: str
    user_id: int
    method: str  # the order's pay method: "alipay"
    trade_no: str  # our trade number (the order's)
    gateway_trade_no: str  # the gateway's own id; "" until it pays
    amount: Money
    state: PaymentState
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Notification:
    """One callback as received, for audit: the raw fields and the shop's verdict."""

    gateway: str
    trade_no: str  # as the callback claimed it ("" when absent)
    fields: dict[str, str]
    verdict: str
    received_at: datetime
    id: int = 0


class NotASimulator(Conflict):
    code = "not_a_simulator"
    message = "模拟支付只在支付模拟器（JIADIAN_PAYMENT_GATEWAY=simulator）下可用"


class PaymentNotVerified(ValidationFailed):
    code = "payment_not_verified"
    message = "支付结果未通过验签"


class IllegalPaymentChange(Conflict):
    code = "illegal_payment_change"
    message = "该支付记录当前状态不允许此操作"

    def __init__(self, payment_id: int, state: PaymentState, wanted: PaymentState) -> None:
        super().__init__(payment_id=payment_id, state=state.value, wanted=wanted.value)
