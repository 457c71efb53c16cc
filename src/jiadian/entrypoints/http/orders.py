"""Checkout and orders (the signed-in shopper, with a refund request), and the operator's shipping and
refunds."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, HeaderParameter, JSONBody, Parameter

from jiadian.application.checkout import Checkout
from jiadian.application.fulfilment import Fulfilment
from jiadian.application.orders import Orders, PaymentRedirect
from jiadian.application.ports import BlobStore
from jiadian.application.refunds import Refunds
from jiadian.entrypoints.http import order_schemas as o
from jiadian.entrypoints.http import refund_schemas as r
from jiadian.entrypoints.http import schemas as s
from jiadian.entrypoints.http.auth import AuthUser, current_admin, current_user
from jiadian.entrypoints.http.catalog import PageParam, parse_page

OrderId = Annotated[str, Parameter(max_length=32, description="the order's id")]


class CheckoutController(Controller):
    path = "/api/checkout"
    tags = ["orders"]
    dependencies = {"user": Provide(current_user)}

    @post("/preview", status_code=200, summary="Lines, counts and totals of a prospective order")
    async def preview(
        self,
        data: JSONBody[o.CheckoutIn],
        user: NamedDependency[AuthUser],
        checkout: NamedDependency[Checkout],
        blobs: NamedDependency[BlobStore],
    ) -> o.PreviewOut:
        return o.PreviewOut.of(await checkout.preview(user.id, data.request()), blobs)


class OrdersController(Controller):
    path = "/api/orders"
    tags = ["orders"]
    dependencies = {"user": Provide(current_user)}

    @post(
        "",
        status_code=201,
        summary="Place an order (one transaction); a retry with the same Idempotency-Key answers the first",
    )
    async def place(
        self,
        data: JSONBody[o.PlaceOrderIn],
        user: NamedDependency[AuthUser],
        checkout: NamedDependency[Checkout],
        blobs: NamedDependency[BlobStore],
        idempotency_key: Annotated[
            str | None,
            HeaderParameter(name="Idempotency-Key", max_length=64, description="any unique string per order"),
        ] = None,
    ) -> o.OrderOut:
        order = await checkout.place(
            user.id,
            data.request(),
            address_id=data.address_id,
            mark=data.mark,
            idempotency_key=idempotency_key,
        )
        return o.OrderOut.of(order, blobs)

    @get(
        "",
        summary="The shopper's orders, newest first; filter by status (1-5, cancelled, refund_requested, refunded)",
    )
    async def list_orders(
        self,
        user: NamedDependency[AuthUser],
        orders: NamedDependency[Orders],
        blobs: NamedDependency[BlobStore],
        page: PageParam = "1",
        page_size: Annotated[int, Parameter(description="orders per page (1..50)")] = 8,
        status: Annotated[
            str | None,
            Parameter(max_length=16, description="1..5, cancelled, refund_requested or refunded"),
        ] = None,
    ) -> s.Page[o.OrderOut]:
        result = await orders.list(user.id, status, parse_page(page), page_size)
        return s.Page.of(result, [o.OrderOut.of(order, blobs) for order in result.items])

    @get("/{order_id:str}", summary="One of the shopper's orders (anybody else's answers 404)")
    async def detail(
        self,
        order_id: FromPath[OrderId],
        user: NamedDependency[AuthUser],
        orders: NamedDependency[Orders],
        blobs: NamedDependency[BlobStore],
    ) -> o.OrderOut:
        return o.OrderOut.of(await orders.detail(user.id, order_id), blobs)

    @post(
        "/{order_id:str}/payments",
        status_code=200,
        summary="Pay: wallet → the paid order; alipay → {payment_url} (paid on Alipay's notification)",
    )
    async def pay(
        self,
        order_id: FromPath[OrderId],
        data: JSONBody[o.PaymentIn],
        user: NamedDependency[AuthUser],
        orders: NamedDependency[Orders],
        blobs: NamedDependency[BlobStore],
    ) -> o.OrderOut | o.PaymentUrlOut:
        outcome = await orders.pay(user.id, order_id, data.method)
        if isinstance(outcome, PaymentRedirect):
            return o.PaymentUrlOut(payment_url=outcome.url)
        return o.OrderOut.of(outcome, blobs)

    @post("/{order_id:str}/cancel", status_code=200, summary="Cancel an unpaid order; its stock comes back")
    async def cancel(
        self,
        order_id: FromPath[OrderId],
        user: NamedDependency[AuthUser],
        orders: NamedDependency[Orders],
        blobs: NamedDependency[BlobStore],
    ) -> o.OrderOut:
        return o.OrderOut.of(await orders.cancel(user.id, order_id), blobs)

    @post(
        "/{order_id:str}/refund",
        status_code=201,
        summary="Ask for the refund of a paid, unshipped order (once); it does not ship until an operator "
        "approves (refunded) or refuses (it awaits shipment again)",
    )
    async def request_refund(
        self,
        order_id: FromPath[OrderId],
        user: NamedDependency[AuthUser],
        orders: NamedDependency[Orders],
        data: JSONBody[r.RefundRequestIn | None] = None,
    ) -> r.RefundOut:
        return r.RefundOut.of(
            await orders.request_refund(user.id, order_id, r.RefundRequestIn.reason_of(data))
        )

    @get("/{order_id:str}/refund", summary="The order's refund (or refund request); 404 when it has none")
    async def refund(
        self, order_id: FromPath[OrderId], user: NamedDependency[AuthUser], orders: NamedDependency[Orders]
    ) -> r.RefundOut:
        return r.RefundOut.of(await orders.refund(user.id, order_id))

    @post("/{order_id:str}/confirm-receipt", status_code=200, summary="Confirm a shipped order arrived")
    async def confirm_receipt(
        self,
        order_id: FromPath[OrderId],
        user: NamedDependency[AuthUser],
        orders: NamedDependency[Orders],
        blobs: NamedDependency[BlobStore],
    ) -> o.OrderOut:
        return o.OrderOut.of(await orders.confirm_receipt(user.id, order_id), blobs)

    @post(
        "/{order_id:str}/lines/{line_id:int}/review",
        status_code=201,
        summary="Review a line of a received order (once; score 1, 3 or 5)",
    )
    async def review(
        self,
        order_id: FromPath[OrderId],
        line_id: FromPath[int],
        data: JSONBody[o.ReviewIn],
        user: NamedDependency[AuthUser],
        orders: NamedDependency[Orders],
    ) -> s.Review:
        return s.Review.of(await orders.review(user.id, order_id, line_id, data.score, data.content))


class AdminOrdersController(Controller):
    path = "/api/admin/orders"
    tags = ["admin"]
    dependencies = {"admin": Provide(current_admin)}

    @post("/{order_id:str}/ship", status_code=200, summary="Ship a paid order (admins)")
    async def ship(
        self,
        order_id: FromPath[OrderId],
        admin: NamedDependency[AuthUser],
        fulfilment: NamedDependency[Fulfilment],
        blobs: NamedDependency[BlobStore],
    ) -> o.OrderOut:
        return o.OrderOut.of(await fulfilment.ship(order_id), blobs)

    @post(
        "/{order_id:str}/refund",
        status_code=200,
        summary="Refund a paid, unshipped order in full (approving its buyer's request, if any): stock back, "
        "the money to the wallet at once or through the gateway",
    )
    async def refund(
        self,
        order_id: FromPath[OrderId],
        admin: NamedDependency[AuthUser],
        refunds: NamedDependency[Refunds],
        data: JSONBody[r.RefundRequestIn | None] = None,
    ) -> r.AdminRefundOut:
        reason = r.RefundRequestIn.reason_of(data)
        return r.AdminRefundOut.of(
            await refunds.refund_order(order_id, operator=admin.username, reason=reason)
        )
