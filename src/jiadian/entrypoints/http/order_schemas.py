"""Bodies of the checkout and order endpoints. Amounts are decimal strings: "8888.00"."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from jiadian.application.checkout import BuyNow, CheckoutRequest, Preview
from jiadian.application.ports import BlobStore
from jiadian.domain.ordering import Order, OrderLine, OrderStatus
from jiadian.entrypoints.http.schemas import Amount

# --- requests ---------------------------------------------------------------------------------


class BuyNowIn(BaseModel):
    sku_id: int
    count: Annotated[int, Field(description="at least 1, at most the stock", examples=[1])] = 1


class CheckoutIn(BaseModel):
    """Either `sku_ids` (lines of the cart, at the cart's counts) or `buy_now`. Prices are the shop's."""

    sku_ids: Annotated[list[int] | None, Field(max_length=100, description="sku ids of cart lines")] = None
    buy_now: BuyNowIn | None = None

    def request(self) -> CheckoutRequest:
        return CheckoutRequest(
            sku_ids=tuple(self.sku_ids or ()),
            buy_now=BuyNow(self.buy_now.sku_id, self.buy_now.count) if self.buy_now else None,
        )


class PlaceOrderIn(CheckoutIn):
    address_id: int
    mark: Annotated[str, Field(max_length=1000, description="a note to the shop, at most 255 characters")] = (
        ""
    )


class PaymentIn(BaseModel):
    method: Annotated[str, Field(max_length=32, examples=["wallet", "alipay"])]


class ReviewIn(BaseModel):
    score: Annotated[int, Field(description="1, 3 or 5", examples=[5])]
    content: Annotated[str, Field(max_length=2000, description="empty means 该用户未给出评论")] = ""


# --- answers ----------------------------------------------------------------------------------

# The numbered statuses as numbers (as the API began), the others by name.
OrderStatusOut = Literal[1, 2, 3, 4, 5, "cancelled", "refund_requested", "refunded"]


def status_out(status: OrderStatus) -> OrderStatusOut:
    return int(status.value) if status.value.isdigit() else status.value  # type: ignore[return-value]


class PreviewLine(BaseModel):
    sku_id: int
    product_id: int
    name: str
    size: str
    color: str
    image_url: str
    count: int
    unit_price: Amount
    line_total: Amount


class PreviewOut(BaseModel):
    lines: list[PreviewLine]
    total_count: int
    amount: Amount
    freight: Amount
    total: Amount

    @classmethod
    def of(cls, preview: Preview, blobs: BlobStore) -> PreviewOut:
        return cls(
            lines=[PreviewLine(**_line(line, blobs)) for line in preview.lines],
            total_count=preview.total_count,
            amount=str(preview.amount),
            freight=str(preview.freight),
            total=str(preview.total),
        )


class OrderLineOut(PreviewLine):
    line_id: int
    reviewed: bool


class OrderAddress(BaseModel):
    """The address as it was when the order was placed."""

    id: int | None
    recipient: str
    phone: str
    province: str
    city: str
    county: str
    detail: str
    is_default: Annotated[bool, Field(description="always false: an order keeps a copy, not the address")]


class OrderOut(BaseModel):
    order_id: str
    trade_no: str
    status: Annotated[
        OrderStatusOut,
        Field(
            description="1 待支付, 2 待发货, 3 待收货, 4 待评价, 5 已完成, cancelled 已取消, "
            "refund_requested 退款申请中 (paid; not shipped until decided), or refunded 已退款"
        ),
    ]
    status_label: str
    pay_method: Annotated[str, Field(description='"wallet", "alipay", or "" before payment')]
    lines: list[OrderLineOut]
    total_count: int
    amount: Amount
    freight: Amount
    total: Amount
    address: OrderAddress
    mark: str
    created_at: str
    paid_at: str | None
    shipped_at: str | None
    received_at: str | None
    completed_at: str | None
    cancelled_at: str | None
    cancel_reason: Annotated[str, Field(description='"buyer", "expired", "operator", or ""')]
    refunded_at: str | None

    @classmethod
    def of(cls, order: Order, blobs: BlobStore) -> OrderOut:
        a = order.address
        return cls(
            order_id=order.id,
            trade_no=order.trade_no,
            status=status_out(order.status),
            status_label=order.status.label,
            pay_method=order.pay_method,
            lines=[
                OrderLineOut(line_id=line.id, reviewed=line.reviewed, **_line(line, blobs))
                for line in order.lines
            ],
            total_count=order.total_count,
            amount=str(order.amount),
            freight=str(order.freight),
            total=str(order.total),
            address=OrderAddress(
                id=a.address_id,
                recipient=a.recipient,
                phone=a.phone,
                province=a.province,
                city=a.city,
                county=a.county,
                detail=a.detail,
                is_default=False,
            ),
            mark=order.mark,
            created_at=order.created_at.isoformat(),
            paid_at=_iso(order.paid_at),
            shipped_at=_iso(order.shipped_at),
            received_at=_iso(order.received_at),
            completed_at=_iso(order.completed_at),
            cancelled_at=_iso(order.cancelled_at),
            cancel_reason=order.cancel_reason,
            refunded_at=_iso(order.refunded_at),
        )


class PaymentUrlOut(BaseModel):
    payment_url: str


def _line(line: OrderLine, blobs: BlobStore) -> dict[str, Any]:
    """The fields a preview line and an order line share."""
    return {
        "sku_id": line.sku_id,
        "product_id": line.product_id,
        "name": line.name,
        "size": line.size,
        "color": line.color,
        "image_url": blobs.url(line.image) if line.image else "",
        "count": line.count,
        "unit_price": str(line.unit_price),
        "line_total": str(line.line_total),
    }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
