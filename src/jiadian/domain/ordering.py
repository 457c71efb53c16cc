"""Orders: one checkout's lines, totals, status machine, payment and reviews.

Status: 1 awaiting payment → 2 awaiting shipment → 3 shipped → 4 received (awaiting review) →
5 completed; an unpaid order may instead be cancelled (by its buyer, an operator, or expiry). A paid,
unshipped order may be refunded by an operator (2 → refunded), or its buyer may ask for that first
(2 → refund_requested, which does not ship): the operator approves (→ refunded) or refuses (→ 2).
The machine is the table `ALLOWED`; anything else raises `IllegalTransition`.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from jiadian.domain.errors import Conflict, NotFound, ServiceUnavailable, ValidationFailed
from jiadian.domain.money import Money, total
from jiadian.domain.reviews import validate_review

FREIGHT = Money(Decimal("10.00"))
MAX_MARK = 255
MAX_LINE_COUNT = 9999  # one line of one order


class OrderStatus(StrEnum):
    """The stored codes ("1".."5", "cancelled", …) are the values; code, logs and print show the names."""

    AWAITING_PAYMENT = "1"
    AWAITING_SHIPMENT = "2"
    SHIPPED = "3"
    RECEIVED = "4"  # awaiting review
    COMPLETED = "5"
    CANCELLED = "cancelled"
    REFUND_REQUESTED = "refund_requested"  # paid, the buyer asked for a refund: not shipped meanwhile
    REFUNDED = "refunded"  # paid, then refunded before shipping: stock back, sales off

    def __str__(self) -> str:
        return self.name  # the code is `.value` (stored, and what the API answers)

    @property
    def label(self) -> str:
        return _LABELS[self]

    @classmethod
    def parse(cls, text: str) -> OrderStatus:
        try:
            return cls(text.strip())
        except ValueError:
            raise ValidationFailed(
                "订单状态只能是 1-5、cancelled、refund_requested 或 refunded", status=text
            ) from None


_LABELS = {
    OrderStatus.AWAITING_PAYMENT: "待支付",
    OrderStatus.AWAITING_SHIPMENT: "待发货",
    OrderStatus.SHIPPED: "待收货",
    OrderStatus.RECEIVED: "待评价",
    OrderStatus.COMPLETED: "已完成",
    OrderStatus.CANCELLED: "已取消",
    OrderStatus.REFUND_REQUESTED: "退款申请中",
    OrderStatus.REFUNDED: "已退款",
}

ALLOWED: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.AWAITING_PAYMENT: frozenset({OrderStatus.AWAITING_SHIPMENT, OrderStatus.CANCELLED}),
    OrderStatus.AWAITING_SHIPMENT: frozenset(
        {OrderStatus.SHIPPED, OrderStatus.REFUND_REQUESTED, OrderStatus.REFUNDED}
    ),
    OrderStatus.REFUND_REQUESTED: frozenset({OrderStatus.AWAITING_SHIPMENT, OrderStatus.REFUNDED}),
    OrderStatus.SHIPPED: frozenset({OrderStatus.RECEIVED}),
    OrderStatus.RECEIVED: frozenset({OrderStatus.COMPLETED}),
    OrderStatus.COMPLETED: frozenset(),
    OrderStatus.CANCELLED: frozenset(),
    OrderStatus.REFUNDED: frozenset(),
}
PAID = frozenset(
    {
        OrderStatus.AWAITING_SHIPMENT,
        OrderStatus.REFUND_REQUESTED,
        OrderStatus.SHIPPED,
        OrderStatus.RECEIVED,
        OrderStatus.COMPLETED,
    }
)
# Paid and not shipped: what may be refunded.
REFUNDABLE = frozenset({OrderStatus.AWAITING_SHIPMENT, OrderStatus.REFUND_REQUESTED})


class PayMethod(StrEnum):
    WALLET = "wallet"
    ALIPAY = "alipay"


class CancelReason(StrEnum):
    BUYER = "buyer"
    EXPIRED = "expired"
    OPERATOR = "operator"


# --- errors -----------------------------------------------------------------------------------


class IllegalTransition(Conflict):
    code = "illegal_transition"
    message = "订单当前状态不允许该操作"

    def __init__(self, order_id: str, current: OrderStatus, wanted: OrderStatus | str) -> None:
        wanted = wanted.value if isinstance(wanted, OrderStatus) else wanted
        super().__init__(
            f"订单{current.label}，不能{_ACTIONS.get(wanted, '执行该操作')}",
            order_id=order_id,
            status=current.value,
            wanted=wanted,
        )


_ACTIONS = {
    OrderStatus.AWAITING_SHIPMENT.value: "支付",
    OrderStatus.SHIPPED.value: "发货",
    OrderStatus.RECEIVED.value: "确认收货",
    OrderStatus.COMPLETED.value: "完成",
    OrderStatus.CANCELLED.value: "取消",
    OrderStatus.REFUND_REQUESTED.value: "申请退款",
    OrderStatus.REFUNDED.value: "退款",
    "review": "评价",
}


class AlreadyPaid(IllegalTransition):
    code = "already_paid"
    message = "订单已支付"


class NotReviewable(IllegalTransition):
    code = "not_reviewable"
    message = "确认收货后才能评价"


class AlreadyReviewed(Conflict):
    code = "already_reviewed"
    message = "该商品已评价"

    def __init__(self, order_id: str, line_id: int) -> None:
        super().__init__(order_id=order_id, line_id=line_id)


class OffShelf(Conflict):
    code = "off_shelf"
    message = "商品已下架"

    def __init__(self, sku_id: int) -> None:
        super().__init__(sku_id=sku_id)


class UnsupportedPaymentMethod(ValidationFailed):
    code = "unsupported_payment_method"
    message = "不支持该支付方式（仅支持余额和支付宝）"

    def __init__(self, method: str) -> None:
        super().__init__(method=method)


class PaymentUnavailable(ServiceUnavailable):
    code = "payment_unavailable"
    message = "该支付方式暂不可用"


def parse_pay_method(text: str) -> PayMethod:
    try:
        return PayMethod(text.strip().lower())
    except ValueError:
        raise UnsupportedPaymentMethod(text) from None


def check_mark(mark: str) -> str:
    mark = mark.strip()
    if len(mark) > MAX_MARK:
        raise ValidationFailed(f"订单备注不能超过 {MAX_MARK} 个字", field="mark", length=len(mark))
    return mark


# --- ids --------------------------------------------------------------------------------------


def new_order_id(now: datetime) -> str:
    """24 digits: UTC time to the second, then 10 random digits (unique by the primary key, retried)."""
    return f"{now:%Y%m%d%H%M%S}{secrets.randbelow(10**10):010d}"


def new_trade_no(now: datetime) -> str:
    """The payment trade number (Alipay's out_trade_no): "JD", the time, 14 random hex digits."""
    return f"JD{now:%Y%m%d%H%M%S}{secrets.token_hex(7)}"


# --- events -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OrderEvent:
    order_id: str


@dataclass(frozen=True, slots=True)
class OrderPlaced(OrderEvent):
    user_id: int
    total: Money
    lines: tuple[tuple[int, int, int], ...]  # (sku_id, product_id, count): the stock taken


@dataclass(frozen=True, slots=True)
class OrderPaid(OrderEvent):
    method: PayMethod
    total: Money


@dataclass(frozen=True, slots=True)
class OrderShipped(OrderEvent):
    pass


@dataclass(frozen=True, slots=True)
class OrderReceived(OrderEvent):
    pass


@dataclass(frozen=True, slots=True)
class LineReviewed(OrderEvent):
    line_id: int
    score: int


@dataclass(frozen=True, slots=True)
class OrderCompleted(OrderEvent):
    pass


@dataclass(frozen=True, slots=True)
class OrderCancelled(OrderEvent):
    reason: CancelReason
    lines: tuple[tuple[int, int, int], ...]  # (sku_id, product_id, count): the stock to give back


@dataclass(frozen=True, slots=True)
class OrderRefunded(OrderEvent):
    lines: tuple[tuple[int, int, int], ...]  # (sku_id, product_id, count): the stock to give back


# --- the aggregate ----------------------------------------------------------------------------


@dataclass(slots=True)
class OrderLine:
    """One sku in an order, its price as it was when the order was placed."""

    id: int  # 0 until stored
    sku_id: int
    product_id: int
    name: str
    size: str
    color: str
    image: str  # blob file id
    count: int
    unit_price: Money
    reviewed: bool = False

    def __post_init__(self) -> None:
        if isinstance(self.count, bool) or not 1 <= self.count <= MAX_LINE_COUNT:
            raise ValidationFailed(
                f"每种商品的数量须为 1-{MAX_LINE_COUNT}", sku_id=self.sku_id, count=self.count
            )

    @property
    def line_total(self) -> Money:
        return self.unit_price.times(self.count)


@dataclass(frozen=True, slots=True)
class ShippingAddress:
    """The address as it was when the order was placed (later edits do not move a parcel)."""

    address_id: int | None
    recipient: str
    phone: str
    province: str
    city: str
    county: str
    detail: str


@dataclass(frozen=True, slots=True)
class LineReview:
    """What a buyer said about one line; stored where the catalogue's reviews are read."""

    order_id: str
    line_id: int
    user_id: int
    product_id: int
    sku_id: int
    size: str
    color: str
    score: int
    content: str
    created_at: datetime


@dataclass(slots=True)
class Order:
    id: str
    trade_no: str
    user_id: int
    lines: list[OrderLine]
    address: ShippingAddress
    created_at: datetime
    freight: Money = FREIGHT
    status: OrderStatus = OrderStatus.AWAITING_PAYMENT
    pay_method: str = ""
    mark: str = ""
    paid_at: datetime | None = None
    shipped_at: datetime | None = None
    received_at: datetime | None = None
    completed_at: datetime | None = None
    cancelled_at: datetime | None = None
    cancel_reason: str = ""
    refunded_at: datetime | None = None
    events: list[OrderEvent] = field(default_factory=list, compare=False, repr=False)

    @classmethod
    def place(
        cls,
        *,
        id: str,
        trade_no: str,
        user_id: int,
        lines: list[OrderLine],
        address: ShippingAddress,
        now: datetime,
        freight: Money = FREIGHT,
        mark: str = "",
    ) -> Order:
        if not lines:
            raise ValidationFailed("订单至少要有一件商品")
        if len({line.sku_id for line in lines}) != len(lines):
            raise ValidationFailed("同一商品规格在订单中只能出现一次")
        order = cls(id, trade_no, user_id, lines, address, now, freight, mark=check_mark(mark))
        order.events.append(OrderPlaced(id, user_id, order.total, order.stock_lines()))
        return order

    def stock_lines(self) -> tuple[tuple[int, int, int], ...]:
        """(sku_id, product_id, count) of each line: the stock the order takes, or gives back."""
        return tuple((line.sku_id, line.product_id, line.count) for line in self.lines)

    # --- totals ---

    @property
    def total_count(self) -> int:
        return sum(line.count for line in self.lines)

    @property
    def amount(self) -> Money:
        return total([line.line_total for line in self.lines])

    @property
    def total(self) -> Money:
        return self.amount + self.freight

    def pay_by(self, within: timedelta) -> datetime | None:
        """When this order expires unpaid, given the shop's payment window; None unless awaiting payment."""
        return self.created_at + within if self.status is OrderStatus.AWAITING_PAYMENT else None

    def line(self, line_id: int) -> OrderLine:
        for line in self.lines:
            if line.id == line_id:
                return line
        raise NotFound("订单商品", line_id)

    # --- transitions ---

    def can_move(self, to: OrderStatus) -> bool:
        return to in ALLOWED[self.status]

    def _move(self, to: OrderStatus) -> None:
        if not self.can_move(to):
            raise IllegalTransition(self.id, self.status, to)
        self.status = to

    def ensure_payable(self) -> None:
        if self.status in PAID:
            raise AlreadyPaid(self.id, self.status, OrderStatus.AWAITING_SHIPMENT)
        if not self.can_move(OrderStatus.AWAITING_SHIPMENT):
            raise IllegalTransition(self.id, self.status, OrderStatus.AWAITING_SHIPMENT)

    def pay(self, method: PayMethod, now: datetime) -> None:
        self.ensure_payable()
        self._move(OrderStatus.AWAITING_SHIPMENT)
        self.pay_method = method.value
        self.paid_at = now
        self.events.append(OrderPaid(self.id, method, self.total))

    def ship(self, now: datetime) -> None:
        self._move(OrderStatus.SHIPPED)
        self.shipped_at = now
        self.events.append(OrderShipped(self.id))

    def confirm_receipt(self, now: datetime) -> None:
        self._move(OrderStatus.RECEIVED)
        self.received_at = now
        self.events.append(OrderReceived(self.id))

    def cancel(self, reason: CancelReason, now: datetime) -> None:
        if self.status in PAID:
            raise AlreadyPaid(self.id, self.status, OrderStatus.CANCELLED)
        self._move(OrderStatus.CANCELLED)
        self.cancelled_at = now
        self.cancel_reason = reason.value
        self.events.append(OrderCancelled(self.id, reason, self.stock_lines()))

    def request_refund(self) -> None:
        """The buyer asks for a refund of the paid, unshipped order; it does not ship meanwhile."""
        self._move(OrderStatus.REFUND_REQUESTED)

    def keep(self) -> None:
        """The operator refused the buyer's request: the order awaits shipment again."""
        if self.status is not OrderStatus.REFUND_REQUESTED:
            raise IllegalTransition(self.id, self.status, OrderStatus.AWAITING_SHIPMENT)
        self._move(OrderStatus.AWAITING_SHIPMENT)

    def refund(self, now: datetime) -> None:
        """Undo the paid, unshipped order: its stock comes back (the money goes back by its `Refund`)."""
        self._move(OrderStatus.REFUNDED)
        self.refunded_at = now
        self.events.append(OrderRefunded(self.id, self.stock_lines()))

    def review(self, line_id: int, score: int, content: str, now: datetime) -> LineReview:
        """Review one line (once, after receipt); the last review completes the order."""
        text = validate_review(score, content)
        if self.status is not OrderStatus.RECEIVED:
            raise NotReviewable(self.id, self.status, "review")
        line = self.line(line_id)
        if line.reviewed:
            raise AlreadyReviewed(self.id, line_id)
        line.reviewed = True
        self.events.append(LineReviewed(self.id, line_id, score))
        if all(each.reviewed for each in self.lines):
            self._move(OrderStatus.COMPLETED)
            self.completed_at = now
            self.events.append(OrderCompleted(self.id))
        return LineReview(
            self.id,
            line.id,
            self.user_id,
            line.product_id,
            line.sku_id,
            line.size,
            line.color,
            score,
            text,
            now,
        )

    def pull_events(self) -> list[OrderEvent]:
        events, self.events = self.events, []
        return events
