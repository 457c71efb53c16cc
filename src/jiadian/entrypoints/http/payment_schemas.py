"""Bodies of the payment endpoints (the browser return, and the operators' payment endpoints)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from jiadian.application.payments import PaymentOutcome
from jiadian.application.ports import BlobStore
from jiadian.domain.payments import Notification, Payment
from jiadian.entrypoints.http.order_schemas import OrderOut, OrderStatusOut, status_out
from jiadian.entrypoints.http.schemas import Amount


class PaymentOut(BaseModel):
    id: int
    order_id: str
    user_id: int
    method: str
    trade_no: str
    gateway_trade_no: str
    amount: Amount
    state: Annotated[str, Field(description="pending, applied, needs_refund, refunding, refunded or closed")]
    created_at: str

    @classmethod
    def of(cls, payment: Payment) -> PaymentOut:
        return cls(
            id=payment.id,
            order_id=payment.order_id,
            user_id=payment.user_id,
            method=payment.method,
            trade_no=payment.trade_no,
            gateway_trade_no=payment.gateway_trade_no,
            amount=str(payment.amount),
            state=payment.state.value,
            created_at=payment.created_at.isoformat(),
        )


class NotificationOut(BaseModel):
    id: int
    gateway: str
    trade_no: str
    verdict: str
    received_at: str
    fields: dict[str, str]

    @classmethod
    def of(cls, notification: Notification) -> NotificationOut:
        return cls(
            id=notification.id,
            gateway=notification.gateway,
            trade_no=notification.trade_no,
            verdict=notification.verdict,
            received_at=notification.received_at.isoformat(),
            fields=notification.fields,
        )


class PaymentStateOut(BaseModel):
    """The browser return, answered as JSON (`Accept: application/json`)."""

    order_id: str
    trade_no: str
    status: Annotated[OrderStatusOut, Field(description="the order's status")]
    status_label: str
    paid: bool
    verdict: Annotated[str, Field(description="what the gateway's answer came to, e.g. applied, not_paid")]

    @classmethod
    def of(cls, outcome: PaymentOutcome) -> PaymentStateOut:
        order = outcome.order
        return cls(
            order_id=order.id,
            trade_no=order.trade_no,
            status=status_out(order.status),
            status_label=order.status.label,
            paid=order.paid_at is not None,
            verdict=outcome.verdict.value,
        )


class SimulatedPaymentIn(BaseModel):
    amount: Annotated[
        str | None,
        Field(
            max_length=20,
            description="what the buyer 'paid'; default: the order's total",
            examples=["110.00"],
        ),
    ] = None


class SimulatedPaymentOut(BaseModel):
    verdict: Annotated[str, Field(description="the simulated notification's verdict, e.g. applied")]
    acknowledged: bool
    order: OrderOut

    @classmethod
    def of(cls, outcome: PaymentOutcome, blobs: BlobStore) -> SimulatedPaymentOut:
        return cls(
            verdict=outcome.verdict.value,
            acknowledged=outcome.verdict.acknowledged,
            order=OrderOut.of(outcome.order, blobs),
        )
