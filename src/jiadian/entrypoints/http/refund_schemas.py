"""Bodies of the refund endpoints: the buyer's request and view, and the operators' (with the gateway's
answer)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field

from jiadian.application.refunds import SettleReport
from jiadian.domain.refunds import Refund
from jiadian.entrypoints.http.schemas import Amount

STATES = "requested 退款申请中, refused 退款申请未通过, pending 退款处理中, refunded 已退款, failed 退款失败"


class RefundRequestIn(BaseModel):
    reason: Annotated[str, Field(max_length=1000, description="why, at most 255 characters")] = ""

    @staticmethod
    def reason_of(body: RefundRequestIn | None) -> str:
        """The reason of an optional body (none: no reason given)."""
        return body.reason if body is not None else ""


class RefusalIn(BaseModel):
    answer: Annotated[
        str, Field(max_length=1000, description="why not, shown to the buyer (≤ 255 characters)")
    ]


class RefundOut(BaseModel):
    """A refund as its buyer sees it."""

    id: int
    order_id: str
    state: Annotated[str, Field(description=STATES)]
    state_label: str
    method: Annotated[str, Field(description='where the money goes back: "wallet" or "alipay"')]
    amount: Amount
    reason: str
    answer: Annotated[str, Field(description="the operator's answer to a refused request")]
    created_at: str
    decided_at: str | None
    refunded_at: str | None

    @classmethod
    def of(cls, refund: Refund) -> RefundOut:
        return cls(**_common(refund))


class AdminRefundOut(RefundOut):
    """A refund as operators see it: who decided, the gateway trade and its verified answer."""

    subject: Annotated[str, Field(description="order:<id> or payment:<id> — one refund each")]
    user_id: int
    origin: Annotated[
        str, Field(description="buyer (a request), operator, or payment (money kept as needs_refund)")
    ]
    payment_id: int | None
    trade_no: str
    out_request_no: Annotated[
        str, Field(description="the refund's number at the gateway (asked again, refunds once)")
    ]
    operator: str
    gateway_answer: dict[str, str]

    @classmethod
    def of(cls, refund: Refund) -> AdminRefundOut:
        return cls(
            **_common(refund),
            subject=refund.subject,
            user_id=refund.user_id,
            origin=refund.origin.value,
            payment_id=refund.payment_id,
            trade_no=refund.trade_no,
            out_request_no=refund.out_request_no,
            operator=refund.operator,
            gateway_answer=refund.gateway_answer,
        )


class SettleReportOut(BaseModel):
    checked: int
    refunded: int
    failed: int
    unconfirmed: int
    unavailable: Annotated[int, Field(description="not asked: the gateway did not answer")]

    @classmethod
    def of(cls, report: SettleReport) -> SettleReportOut:
        return cls(
            checked=report.checked,
            refunded=report.refunded,
            failed=report.failed,
            unconfirmed=report.unconfirmed,
            unavailable=report.unavailable,
        )


def _common(refund: Refund) -> dict[str, object]:
    return {
        "id": refund.id,
        "order_id": refund.order_id,
        "state": refund.state.value,
        "state_label": refund.state.label,
        "method": refund.method.value,
        "amount": str(refund.amount),
        "reason": refund.reason,
        "answer": refund.answer,
        "created_at": refund.created_at.isoformat(),
        "decided_at": _iso(refund.decided_at),
        "refunded_at": _iso(refund.refunded_at),
    }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
