"""Bodies of the operator console's endpoints: the dashboard, lists, details and the audit log."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from pydantic import BaseModel, Field

from jiadian.application.catalog_admin import ProductSheet
from jiadian.application.console import Dashboard, OrderDetail, Step, UserDetail
from jiadian.application.console_ports import CategoryRow, OrderRow, ProductRow, StockRow, UserRow, Window
from jiadian.application.ports import BlobStore
from jiadian.domain.audit import AuditEntry
from jiadian.domain.catalog import SkuImage, Spu
from jiadian.domain.ordering import REFUNDABLE, OrderStatus
from jiadian.domain.wallet import LedgerEntry
from jiadian.entrypoints.http.account_schemas import AddressOut
from jiadian.entrypoints.http.order_schemas import OrderOut
from jiadian.entrypoints.http.payment_schemas import PaymentOut
from jiadian.entrypoints.http.refund_schemas import AdminRefundOut
from jiadian.entrypoints.http.schemas import Amount, WalletOut

Value = str | int | bool | None


def _url(blobs: BlobStore, file_id: str) -> str:
    return blobs.url(file_id) if file_id else ""


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


# --- requests -------------------------------------------------------------------------------


class IdsIn(BaseModel):
    ids: Annotated[list[int], Field(max_length=200, description="every one of them, once, in the new order")]


class CategoryIn(BaseModel):
    name: Annotated[str, Field(max_length=20)]
    slug: Annotated[str, Field(max_length=32, description="lowercase letters, digits and hyphens")]


class AdminFlagIn(BaseModel):
    is_admin: bool


# --- the dashboard --------------------------------------------------------------------------


class WindowOut(BaseModel):
    placed: Annotated[int, Field(description="orders placed")]
    paid: Annotated[int, Field(description="orders paid")]
    revenue: Annotated[Amount, Field(description="the totals of the orders paid")]

    @classmethod
    def of(cls, window: Window) -> WindowOut:
        return cls(placed=window.placed, paid=window.paid, revenue=str(window.revenue))


class DayOut(WindowOut):
    date: Annotated[str, Field(examples=["2026-11-26"], description="a day of the shop (its time zone)")]


class DashboardOut(BaseModel):
    now: str
    today: WindowOut
    week: Annotated[WindowOut, Field(description="since Monday")]
    days: Annotated[list[DayOut], Field(description="the last 7 days, oldest first")]
    awaiting_shipment: int
    expiring: Annotated[int, Field(description="unpaid orders expiring within `expiring_within_hours`")]
    expiring_within_hours: int
    needs_refund: Annotated[int, Field(description="payments kept for a refund")]
    needs_refund_amount: Amount
    pending_trades: Annotated[int, Field(description="trades started at the gateway, not settled")]
    refund_requests: Annotated[int, Field(description="buyers' refund requests to decide")]
    refunds_failed: Annotated[int, Field(description="refunds the gateway refused: retry or refund by hand")]
    low_stock: Annotated[int, Field(description="skus with at most `low_stock_at_most` in stock")]
    low_stock_at_most: int

    @classmethod
    def of(cls, board: Dashboard) -> DashboardOut:
        return cls(
            now=board.now.isoformat(),
            today=WindowOut.of(board.today),
            week=WindowOut.of(board.week),
            days=[DayOut(date=d.day.isoformat(), **WindowOut.of(d.figures).model_dump()) for d in board.days],
            awaiting_shipment=board.awaiting_shipment,
            expiring=board.expiring,
            expiring_within_hours=board.expiring_within_hours,
            needs_refund=board.needs_refund,
            needs_refund_amount=str(board.needs_refund_amount),
            pending_trades=board.pending_trades,
            refund_requests=board.refund_requests,
            refunds_failed=board.refunds_failed,
            low_stock=board.low_stock,
            low_stock_at_most=board.low_stock_at_most,
        )


class ConsoleSettingsOut(BaseModel):
    """What the console shows or offers depending on the shop's settings."""

    recharge_enabled: bool
    payment_gateway: Annotated[str, Field(description="simulator or alipay")]
    stock_gate: Annotated[bool, Field(description="checkout takes the tokens of gated skus")]
    low_stock_at_most: int
    timezone: str


# --- the catalogue --------------------------------------------------------------------------


class AdminCategoryOut(BaseModel):
    id: int
    name: str
    slug: str
    image_url: str
    products: int
    on_shelf: int

    @classmethod
    def of(cls, row: CategoryRow, blobs: BlobStore) -> AdminCategoryOut:
        c = row.category
        return cls(
            id=c.id,
            name=c.name,
            slug=c.slug,
            image_url=_url(blobs, c.image),
            products=row.products,
            on_shelf=row.on_shelf,
        )


class SpuOut(BaseModel):
    id: int
    name: str
    detail: str
    category_id: int

    @classmethod
    def of(cls, spu: Spu) -> SpuOut:
        return cls(id=spu.id, name=spu.name, detail=spu.detail, category_id=spu.category_id)


class ProductRowOut(BaseModel):
    id: int
    name: str
    category_id: int
    spu: str
    on_shelf: bool
    price: Annotated[Amount, Field(description="the lowest of its skus' prices")]
    stock: Annotated[int, Field(description="summed over its skus")]
    sales: int
    skus: int
    image_url: str
    updated_at: str

    @classmethod
    def of(cls, row: ProductRow, blobs: BlobStore) -> ProductRowOut:
        return cls(
            id=row.id,
            name=row.name,
            category_id=row.category_id,
            spu=row.spu,
            on_shelf=row.on_shelf,
            price=str(row.price),
            stock=row.stock,
            sales=row.sales,
            skus=row.skus,
            image_url=_url(blobs, row.image),
            updated_at=row.updated_at.isoformat(),
        )


class StockRowOut(BaseModel):
    sku_id: int
    product_id: int
    product_name: str
    color: str
    size: str
    price: Amount
    stock: int
    sales: int
    on_shelf: bool
    image_url: str

    @classmethod
    def of(cls, row: StockRow, blobs: BlobStore) -> StockRowOut:
        sku = row.sku
        return cls(
            sku_id=sku.id,
            product_id=sku.product_id,
            product_name=row.product_name,
            color=sku.color,
            size=sku.size,
            price=str(sku.price),
            stock=sku.stock,
            sales=sku.sales,
            on_shelf=row.on_shelf,
            image_url=_url(blobs, row.image),
        )


class SkuImageOut(BaseModel):
    id: int
    sku_id: int
    file_id: str
    url: str
    position: Annotated[int, Field(description="its place among the sku's images; the first is its card's")]

    @classmethod
    def of(cls, image: SkuImage, url: str) -> SkuImageOut:
        return cls(id=image.id, sku_id=image.sku_id, file_id=image.image, url=url, position=image.position)


class SheetSku(BaseModel):
    id: int
    product_id: int
    price: Amount
    stock: int
    sales: int
    color: str
    size: str
    images: Annotated[list[SkuImageOut], Field(description="in order; the first is the card's")]


class SheetCategory(BaseModel):
    id: int
    name: str
    slug: str


class AdminProductSheet(BaseModel):
    """A product as the operator edits it (the fields of AdminProduct, and more)."""

    id: int
    name: str
    spu_id: int
    category_id: int
    on_shelf: bool
    skus: list[SheetSku]
    spu: SpuOut
    category: SheetCategory
    created_at: str | None
    updated_at: str | None

    @classmethod
    def of(cls, sheet: ProductSheet, blobs: BlobStore) -> AdminProductSheet:
        p = sheet.product
        return cls(
            id=p.id,
            name=p.name,
            spu_id=p.spu_id,
            category_id=p.category_id,
            on_shelf=p.on_shelf,
            skus=[
                SheetSku(
                    id=s.id,
                    product_id=s.product_id,
                    price=str(s.price),
                    stock=s.stock,
                    sales=s.sales,
                    color=s.color,
                    size=s.size,
                    images=[SkuImageOut.of(i, _url(blobs, i.image)) for i in sheet.images.get(s.id, [])],
                )
                for s in p.skus
            ],
            spu=SpuOut.of(sheet.spu),
            category=SheetCategory(id=sheet.category.id, name=sheet.category.name, slug=sheet.category.slug),
            created_at=_iso(p.created_at),
            updated_at=_iso(p.updated_at),
        )


# --- orders ---------------------------------------------------------------------------------


class AdminOrderOut(OrderOut):
    user_id: int
    username: str

    @classmethod
    def of_row(cls, row: OrderRow, blobs: BlobStore, pay_within: timedelta) -> AdminOrderOut:
        order = OrderOut.of(row.order, blobs, pay_within)
        return cls(**order.model_dump(), user_id=row.order.user_id, username=row.username)


class BuyerOut(BaseModel):
    id: int
    username: str
    email: str
    phone: str


class StepOut(BaseModel):
    step: Annotated[
        str,
        Field(
            description="placed, paid, shipped, received, completed, cancelled; refund_requested, "
            "refund_refused, refund_decided, refunded"
        ),
    ]
    at: str
    by: Annotated[str | None, Field(description="the buyer or operator who took it; null: the shop itself")]
    note: Annotated[
        str,
        Field(
            description="paid: the method; cancelled: buyer, expired or operator; a refund's request: its "
            "reason; refused: the answer; decided, refunded: wallet or alipay"
        ),
    ]

    @classmethod
    def of(cls, step: Step) -> StepOut:
        return cls(step=step.step, at=step.at.isoformat(), by=step.by, note=step.note)


class AuditEntryOut(BaseModel):
    id: int
    at: str
    actor: Annotated[str, Field(description='who: an operator\'s username, or "cli:login" for the CLI')]
    actor_id: int | None
    via: Annotated[str, Field(description="http, cli or system")]
    action: Annotated[str, Field(examples=["sku.price"])]
    target: Annotated[str, Field(examples=["sku:12"])]
    before: dict[str, Value]
    after: dict[str, Value]

    @classmethod
    def of(cls, entry: AuditEntry) -> AuditEntryOut:
        return cls(
            id=entry.id,
            at=entry.at.isoformat(),
            actor=entry.actor.label,
            actor_id=entry.actor.user_id,
            via=entry.actor.via.value,
            action=entry.action,
            target=entry.target,
            before=dict(entry.before),
            after=dict(entry.after),
        )


class AdminOrderDetail(BaseModel):
    order: AdminOrderOut
    buyer: BuyerOut | None
    payments: list[PaymentOut]
    refunds: Annotated[list[AdminRefundOut], Field(description="the order's refund, then its payments'")]
    history: Annotated[list[StepOut], Field(description="the order's steps, oldest first")]
    audit: Annotated[list[AuditEntryOut], Field(description="the operators' changes of it, newest first")]
    can_ship: bool
    can_cancel: bool
    can_refund: Annotated[bool, Field(description="paid and not shipped: an operator may refund it")]

    @classmethod
    def of(cls, detail: OrderDetail, blobs: BlobStore, pay_within: timedelta) -> AdminOrderDetail:
        order, buyer = detail.order, detail.buyer
        username = buyer.username if buyer else ""
        return cls(
            order=AdminOrderOut(
                **OrderOut.of(order, blobs, pay_within).model_dump(), user_id=order.user_id, username=username
            ),
            buyer=BuyerOut(id=buyer.id, username=buyer.username, email=buyer.email, phone=buyer.phone)
            if buyer
            else None,
            payments=[PaymentOut.of(p) for p in detail.payments],
            refunds=[AdminRefundOut.of(r) for r in detail.refunds],
            history=[StepOut.of(s) for s in detail.history],
            audit=[AuditEntryOut.of(e) for e in detail.audit],
            can_ship=order.status is OrderStatus.AWAITING_SHIPMENT,
            can_cancel=order.status is OrderStatus.AWAITING_PAYMENT,
            can_refund=order.status in REFUNDABLE,
        )


# --- users ----------------------------------------------------------------------------------


class UserRowOut(BaseModel):
    id: int
    username: str
    email: str
    phone: str
    is_admin: bool
    created_at: str | None
    balance: Amount
    orders: int

    @classmethod
    def of(cls, row: UserRow) -> UserRowOut:
        u = row.user
        return cls(
            id=u.id,
            username=u.username,
            email=u.email,
            phone=u.phone,
            is_admin=u.is_admin,
            created_at=_iso(u.created_at),
            balance=str(row.balance),
            orders=row.orders,
        )


class AdminUserDetail(BaseModel):
    id: int
    username: str
    email: str
    phone: str
    introduce: str
    avatar_url: str
    is_admin: bool
    created_at: str | None
    wallet: WalletOut
    addresses: list[AddressOut]
    orders: int

    @classmethod
    def of(cls, detail: UserDetail, avatar_url: str) -> AdminUserDetail:
        u = detail.user
        return cls(
            id=u.id,
            username=u.username,
            email=u.email,
            phone=u.phone,
            introduce=u.introduce,
            avatar_url=avatar_url,
            is_admin=u.is_admin,
            created_at=_iso(u.created_at),
            wallet=WalletOut.of(detail.wallet),
            addresses=[AddressOut.of(a) for a in detail.addresses],
            orders=detail.orders,
        )


class LedgerEntryOut(BaseModel):
    kind: Annotated[str, Field(description="recharge, payment or refund")]
    amount: Annotated[Amount, Field(description="positive; the kind says which way it went")]
    balance_after: Amount | None
    order_id: str | None
    note: str
    created_at: str | None

    @classmethod
    def of(cls, entry: LedgerEntry) -> LedgerEntryOut:
        return cls(
            kind=entry.kind.value,
            amount=str(entry.amount),
            balance_after=str(entry.balance_after) if entry.balance_after is not None else None,
            order_id=entry.order_id,
            note=entry.note,
            created_at=_iso(entry.created_at),
        )
