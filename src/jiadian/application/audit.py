"""What the audit log keeps of each thing an operator changes: flat snapshots of plain values.

An operator use case takes a snapshot before and after its change and records both in the same unit of
work (`uow.audit.record`); the log keeps only the fields that moved. Money is written as its string
("8888.00"), a product's skus as `skus.<id>.<field>`.
"""

from __future__ import annotations

from jiadian.application.unit_of_work import UnitOfWorkFactory
from jiadian.domain.accounts import User
from jiadian.domain.audit import Actor, Fields
from jiadian.domain.catalog import Banner, Category, Product, Sku, SkuImage, Spu
from jiadian.domain.ordering import Order
from jiadian.domain.payments import Payment
from jiadian.domain.refunds import Refund
from jiadian.domain.wallet import Wallet

Snapshot = dict[str, str | int | bool | None]


def sku_fields(sku: Sku) -> Snapshot:
    return {"price": str(sku.price), "stock": sku.stock, "color": sku.color, "size": sku.size}


def product_fields(product: Product, spu: Spu | None = None) -> Snapshot:
    fields: Snapshot = {
        "name": product.name,
        "on_shelf": product.on_shelf,
        "category_id": product.category_id,
        "spu_id": product.spu_id,
    }
    if spu is not None:
        fields |= {"spu": spu.name, "spu_detail": spu.detail}
    for sku in product.skus:
        fields |= {f"skus.{sku.id}.{key}": value for key, value in sku_fields(sku).items()}
    return fields


def category_fields(category: Category) -> Snapshot:
    return {"name": category.name, "slug": category.slug, "image": category.image}


def images_order(images: list[SkuImage]) -> Snapshot:
    return {"order": ",".join(str(image.id) for image in images)}


def banner_fields(banner: Banner) -> Snapshot:
    return {
        "name": banner.name,
        "image": banner.image,
        "active": banner.active,
        "position": banner.position,
    }


def order_fields(order: Order) -> Snapshot:
    return {"status": order.status.value, "cancel_reason": order.cancel_reason}


def payment_fields(payment: Payment) -> Snapshot:
    return {"state": payment.state.value, "order_id": payment.order_id, "amount": str(payment.amount)}


def refund_fields(refund: Refund) -> Snapshot:
    """A refund as the log keeps it beside its order or payment."""
    return {
        "refund_id": refund.id,
        "refund_state": refund.state.value,
        "refund_method": refund.method.value,
        "refund_amount": str(refund.amount),
    }


def wallet_fields(wallet: Wallet) -> Snapshot:
    return {"balance": str(wallet.balance), "total_recharged": str(wallet.total_recharged)}


def user_fields(user: User) -> Snapshot:
    return {"username": user.username, "email": user.email, "is_admin": user.is_admin}


async def audit_after(
    uow: UnitOfWorkFactory | None,
    by: Actor,
    action: str,
    target: str,
    before: Fields | None,
    after: Fields | None,
) -> None:
    """One entry in a transaction of its own, for a change made outside the database (a file, the stock
    gate's tokens in Redis) just before; nothing without a unit of work to write it in."""
    if uow is None:
        return
    async with uow() as unit:
        await unit.audit.record(by, action, target, before, after)
        await unit.commit()
