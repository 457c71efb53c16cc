"""Payments: Alipay's notification and browser return, the simulator's page, and the operators' endpoints.

The notification is authenticated by its signature (no session, no CSRF token: see `CSRF_EXEMPT`) and
answered in plain text, `success` or `fail`, as Alipay expects.
"""

from __future__ import annotations

import html
from typing import Annotated, Any

from litestar import Controller, MediaType, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, JSONBody, Parameter, QueryParameter
from litestar.response import Redirect

from jiadian.application.payments import Payments
from jiadian.application.ports import BlobStore
from jiadian.application.refunds import Refunds
from jiadian.domain.errors import NotFound
from jiadian.entrypoints.http import payment_schemas as p
from jiadian.entrypoints.http import refund_schemas as r
from jiadian.entrypoints.http import schemas as s
from jiadian.entrypoints.http.accounts import client_address
from jiadian.entrypoints.http.auth import AuthUser, current_admin
from jiadian.entrypoints.http.catalog import PageParam, parse_page
from jiadian.entrypoints.http.errors import error_responses

NOTIFICATION_MAX_BYTES = 64 * 1024  # Alipay's notifications are a few KiB
OrderRef = Annotated[str, Parameter(max_length=64, description="an order id or its trade number")]


def _fields(pairs: Any) -> dict[str, str]:
    return {str(key): value for key, value in pairs if isinstance(value, str)}


class PaymentsController(Controller):
    path = "/api/payments"
    tags = ["payments"]

    @post(
        "/alipay/notify",
        status_code=200,
        media_type=MediaType.TEXT,
        request_max_body_size=NOTIFICATION_MAX_BYTES,
        summary="Alipay's asynchronous notification (form-encoded): `success` when verified and applied "
        "(or applied before), `fail` otherwise; 429 to a client past the limit of callbacks that failed "
        "verification (nothing stored)",
        responses=error_responses(429),
    )
    async def alipay_notify(
        self, request: Request[Any, Any, Any], payments: NamedDependency[Payments]
    ) -> str:
        form = await request.form()
        verdict = await payments.notify(_fields(form.multi_items()), client=client_address(request))
        return "success" if verdict.acknowledged else "fail"

    @get(
        "/alipay/return",
        summary="Alipay's browser return: verified, then the trade is queried and applied when paid; "
        "redirects to the storefront (or answers JSON when asked for it)",
        responses={
            200: ResponseSpec(
                p.PaymentStateOut, description="The order's state (with Accept: application/json)"
            ),
            303: ResponseSpec(None, description="To the storefront's /#/pay/{order_id}/success"),
            **error_responses(400, 404),
        },
    )
    async def alipay_return(
        self, request: Request[Any, Any, Any], payments: NamedDependency[Payments]
    ) -> Response[Any]:
        outcome = await payments.browser_return(_fields(request.query_params.multi_items()))
        if request.accept.best_match(["text/html", "application/json"]) == "application/json":
            return Response(p.PaymentStateOut.of(outcome), media_type=MediaType.JSON)
        return Redirect(f"/#/pay/{outcome.order.id}/success", status_code=303)

    @get(
        "/simulator/{trade_no:str}",
        media_type=MediaType.HTML,
        summary="The payment SIMULATOR's cashier page: it only explains how an operator marks the trade paid",
    )
    async def simulator_page(
        self,
        trade_no: FromPath[Annotated[str, Parameter(max_length=64)]],
        payments: NamedDependency[Payments],
    ) -> str:
        if payments.simulator is None:
            raise NotFound("模拟交易", trade_no)
        trade = html.escape(trade_no)
        return (
            '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
            "<title>支付模拟器 SIMULATOR - 家电之选</title></head><body>"
            "<h1>支付模拟器（SIMULATOR）</h1>"
            "<p><strong>这里不会发生真实支付。</strong>本商城正以支付模拟器运行"
            "（<code>JIADIAN_PAYMENT_GATEWAY=simulator</code>）。</p>"
            f"<p>交易号：<code>{trade}</code></p>"
            "<p>订单只能由运营人员标记为已支付：</p>"
            f"<pre>jiadian payments simulate-pay {trade}</pre>"
            f"<p>或由管理员调用 <code>POST /api/admin/payments/simulator/{trade}/pay</code>。</p>"
            '<p><a href="/#/orders">返回我的订单</a></p></body></html>'
        )


class AdminPaymentsController(Controller):
    path = "/api/admin/payments"
    tags = ["admin"]
    dependencies = {"admin": Provide(current_admin)}

    @get("", summary="Gateway payments, newest first; `state=needs_refund` lists the money to give back")
    async def list_payments(
        self,
        admin: NamedDependency[AuthUser],
        payments: NamedDependency[Payments],
        page: PageParam = "1",
        page_size: Annotated[int, Parameter(description="payments per page (1..50)")] = 20,
        payment_state: Annotated[
            str | None,
            QueryParameter(
                name="state",
                max_length=16,
                description="pending, applied, needs_refund, refunding, refunded or closed",
            ),
        ] = None,
    ) -> s.Page[p.PaymentOut]:
        result = await payments.list(payment_state, parse_page(page), page_size)
        return s.Page.of(result, [p.PaymentOut.of(payment) for payment in result.items])

    @post(
        "/{payment_id:int}/refunded",
        status_code=200,
        summary="Record that a needs_refund payment was refunded by hand at the gateway's console",
    )
    async def mark_refunded(
        self, payment_id: FromPath[int], admin: NamedDependency[AuthUser], payments: NamedDependency[Payments]
    ) -> p.PaymentOut:
        return p.PaymentOut.of(await payments.mark_refunded(payment_id))

    @post(
        "/{payment_id:int}/refund",
        status_code=200,
        summary="Give a needs_refund payment back through its gateway (needs_refund → refunding → refunded)",
    )
    async def refund(
        self,
        payment_id: FromPath[int],
        admin: NamedDependency[AuthUser],
        refunds: NamedDependency[Refunds],
        data: JSONBody[r.RefundRequestIn | None] = None,
    ) -> r.AdminRefundOut:
        reason = r.RefundRequestIn.reason_of(data)
        return r.AdminRefundOut.of(
            await refunds.refund_payment(payment_id, operator=admin.username, reason=reason)
        )

    @get(
        "/notifications", summary="The newest gateway callbacks received, verified or not, with the verdicts"
    )
    async def notifications(
        self,
        admin: NamedDependency[AuthUser],
        payments: NamedDependency[Payments],
        trade_no: Annotated[str | None, Parameter(max_length=64)] = None,
        limit: Annotated[int, Parameter(ge=1, le=200)] = 50,
    ) -> list[p.NotificationOut]:
        return [p.NotificationOut.of(n) for n in await payments.notifications(trade_no, limit)]

    @post(
        "/simulator/{order_ref:str}/pay",
        status_code=200,
        summary="SIMULATOR only: the buyer 'paid' the order (its total, or `amount`); the simulated "
        "notification goes through every check",
    )
    async def simulate_pay(
        self,
        order_ref: FromPath[OrderRef],
        admin: NamedDependency[AuthUser],
        payments: NamedDependency[Payments],
        blobs: NamedDependency[BlobStore],
        data: JSONBody[p.SimulatedPaymentIn | None] = None,
    ) -> p.SimulatedPaymentOut:
        outcome = await payments.simulate_pay(order_ref, data.amount if data is not None else None)
        return p.SimulatedPaymentOut.of(outcome, blobs)
