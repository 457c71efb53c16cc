"""Refunds: money given back for an order that was paid and not shipped, or for a payment the shop
kept because its order could no longer take it (`needs_refund`).

A `Refund` is one such giving-back, and the ledger of them is the `refunds` table. Its subject — an
order (`order:<id>`) or a gateway payment (`payment:<id>`) — has at most one refund, so nothing is
refunded twice. Money goes back the way it came: to the wallet (one ledger entry, at once) or through
the payment gateway (Alipay's refund API, asked with the refund's own out-request number, so asking
again is harmless — Alipay refunds one out-request number once).

States (the table `ALLOWED`):

- `requested` — the buyer asked for the refund of a paid, unshipped order; the operator decides;
- `refused` — the operator said no (the order ships as usual); the operator may still refund later;
- `pending` — decided, and the gateway has not yet confirmed the money went back (the worker asks
  again until it does);
- `refunded` — the money is back (wallet: at once; gateway: confirmed by its signed answer);
- `failed` — the gateway refused the refund for good (e.g. the trade is too old): the operator retries
  it, or refunds by hand at the gateway's console and records that.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Final

from jiadian.domain.errors import Conflict, ValidationFailed
from jiadian.domain.money import Money
from jiadian.domain.ordering import Order, PayMethod

MAX_REASON = 255


class RefundState(StrEnum):
    REQUESTED = "requested"
    REFUSED = "refused"
    PENDING = "pending"
    REFUNDED = "refunded"
    FAILED = "failed"

    @property
    def label(self) -> str:
        return _LABELS[self]

    @classmethod
    def parse(cls, text: str) -> RefundState:
        try:
            return cls(text.strip().lower())
        except ValueError:
            raise ValidationFailed(
                "退款状态只能是 " + "、".join(state.value for state in cls), state=text
            ) from None


_LABELS = {
    RefundState.REQUESTED: "退款申请中",
    RefundState.REFUSED: "退款申请未通过",
    RefundState.PENDING: "退款处理中",
    RefundState.REFUNDED: "已退款",
    RefundState.FAILED: "退款失败",
}

ALLOWED: Final[dict[RefundState, frozenset[RefundState]]] = {
    RefundState.REQUESTED: frozenset({RefundState.REFUSED, RefundState.PENDING, RefundState.REFUNDED}),
    RefundState.REFUSED: frozenset({RefundState.PENDING, RefundState.REFUNDED}),
    RefundState.PENDING: frozenset({RefundState.REFUNDED, RefundState.FAILED}),
    RefundState.FAILED: frozenset({RefundState.PENDING, RefundState.REFUNDED}),
    RefundState.REFUNDED: frozenset(),
}


class RefundMethod(StrEnum):
    WALLET = "wallet"
    ALIPAY = "alipay"  # the payment gateway (Alipay, or the simulator standing in for it)


class RefundOrigin(StrEnum):
    BUYER = "buyer"  # the buyer asked from the order page
    OPERATOR = "operator"  # an operator refunded a paid, unshipped order
    PAYMENT = "payment"  # money kept as needs_refund goes back


class GatewayRefundOutcome(StrEnum):
    """What the gateway's verified answer to a refund came to."""

    REFUNDED = "refunded"  # the money went back (now, or at an earlier ask with the same request number)
    REFUSED = "refused"  # the gateway will not refund it (not worth asking again)
    UNCONFIRMED = "unconfirmed"  # accepted, not yet confirmed: ask again later


# --- errors -----------------------------------------------------------------------------------


class IllegalRefundChange(Conflict):
    code = "illegal_refund_change"
    message = "退款当前状态不允许该操作"

    def __init__(self, refund_id: int, state: RefundState, wanted: RefundState) -> None:
        super().__init__(
            f"退款{state.label}，不能改为{wanted.label}",
            refund_id=refund_id,
            state=state.value,
            wanted=wanted.value,
        )


class AlreadyRefunding(Conflict):
    """The subject (an order, or a payment) has a refund already: one per subject."""

    code = "already_refunding"
    message = "该订单已有退款记录"


class RefundRefused(Conflict):
    """The buyer asks again after the operator refused: only an operator may refund it now."""

    code = "refund_refused"
    message = "退款申请未通过，如有疑问请联系客服"


def check_reason(reason: str) -> str:
    reason = reason.strip()
    if len(reason) > MAX_REASON:
        raise ValidationFailed(f"退款原因不能超过 {MAX_REASON} 个字", field="reason", length=len(reason))
    return reason


def order_subject(order_id: str) -> str:
    return f"order:{order_id}"


def payment_subject(payment_id: int) -> str:
    return f"payment:{payment_id}"


def new_request_no(now: datetime) -> str:
    """The refund's out-request number at the gateway: "RF", the time, 14 random hex digits."""
    return f"RF{now:%Y%m%d%H%M%S}{secrets.token_hex(7)}"


# --- the refund -------------------------------------------------------------------------------


@dataclass(slots=True)
class Refund:
    id: int  # 0 until stored
    subject: str  # order:<id> or payment:<id>: one refund each
    order_id: str
    user_id: int
    method: RefundMethod
    amount: Money
    origin: RefundOrigin
    state: RefundState
    out_request_no: str  # the gateway's out_request_no (also set for wallet refunds: a unique id)
    trade_no: str  # the gateway trade refunded ("" for wallet refunds)
    payment_id: int | None
    created_at: datetime
    reason: str = ""  # why (the buyer's words, or the operator's)
    answer: str = ""  # the operator's reply when refusing
    operator: str = ""  # who decided (an operator's name, or "cli")
    decided_at: datetime | None = None
    refunded_at: datetime | None = None
    gateway_answer: dict[str, str] = field(default_factory=dict)  # the gateway's last verified answer

    def _move(self, to: RefundState) -> None:
        if to not in ALLOWED[self.state]:
            raise IllegalRefundChange(self.id, self.state, to)
        self.state = to

    def decide(self, operator: str, now: datetime) -> None:
        """The operator refunds it: the wallet's money goes back now, the gateway's is asked for."""
        self._move(RefundState.REFUNDED if self.method is RefundMethod.WALLET else RefundState.PENDING)
        self.operator, self.decided_at = operator, now
        if self.state is RefundState.REFUNDED:
            self.refunded_at = now

    def refuse(self, operator: str, answer: str, now: datetime) -> None:
        answer = check_reason(answer)  # before the move: a refused answer leaves the refund as it was
        self._move(RefundState.REFUSED)
        self.operator, self.answer, self.decided_at = operator, answer, now

    def retry(self, operator: str, now: datetime) -> None:
        """Ask the gateway again after it refused (the same out-request number)."""
        if self.state is not RefundState.FAILED:
            raise IllegalRefundChange(self.id, self.state, RefundState.PENDING)
        self._move(RefundState.PENDING)
        self.operator, self.decided_at = operator, now

    def confirmed(self, fields: dict[str, str], now: datetime) -> None:
        """The gateway's verified answer says the money went back (of a refund it was asked for)."""
        if self.state is not RefundState.PENDING:
            raise IllegalRefundChange(self.id, self.state, RefundState.REFUNDED)
        self._move(RefundState.REFUNDED)
        self.gateway_answer, self.refunded_at = fields, now

    def gateway_refused(self, fields: dict[str, str]) -> None:
        self._move(RefundState.FAILED)
        self.gateway_answer = fields

    def refunded_by_hand(self, operator: str, now: datetime) -> None:
        """The operator gave the money back outside the shop (the gateway's console) after a failure."""
        if self.state is not RefundState.FAILED:
            raise IllegalRefundChange(self.id, self.state, RefundState.REFUNDED)
        self._move(RefundState.REFUNDED)
        self.operator, self.refunded_at = operator, now


def refund_of_order(order: Order, origin: RefundOrigin, reason: str, now: datetime) -> Refund:
    """A new refund (`requested`) of the whole order, the way its money came: the wallet or the gateway."""
    by_wallet = order.pay_method == PayMethod.WALLET.value
    return Refund(
        id=0,
        subject=order_subject(order.id),
        order_id=order.id,
        user_id=order.user_id,
        method=RefundMethod.WALLET if by_wallet else RefundMethod.ALIPAY,
        amount=order.total,
        origin=origin,
        state=RefundState.REQUESTED,
        out_request_no=new_request_no(now),
        trade_no="" if by_wallet else order.trade_no,
        payment_id=None,
        created_at=now,
        reason=check_reason(reason),
    )
