"""The operators' refunds: the list, approving or refusing a buyer's request, asking the gateway again.
(Refunding an order or a payment is under their own paths: `orders.py`, `payments.py`; the buyer's
request is on the order.)"""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody, Parameter, QueryParameter

from jiadian.application.refunds import Refunds
from jiadian.entrypoints.http import refund_schemas as r
from jiadian.entrypoints.http import schemas as s
from jiadian.entrypoints.http.auth import AuthUser, current_admin
from jiadian.entrypoints.http.catalog import PageParam, parse_page


class AdminRefundsController(Controller):
    path = "/api/admin/refunds"
    tags = ["admin"]
    dependencies = {"admin": Provide(current_admin)}

    @get("", summary="Refunds, newest first; `state=requested` lists the buyers' requests to decide")
    async def list_refunds(
        self,
        admin: NamedDependency[AuthUser],
        refunds: NamedDependency[Refunds],
        page: PageParam = "1",
        page_size: Annotated[int, Parameter(description="refunds per page (1..50)")] = 20,
        refund_state: Annotated[
            str | None,
            QueryParameter(
                name="state", max_length=16, description="requested, refused, pending, refunded or failed"
            ),
        ] = None,
    ) -> s.Page[r.AdminRefundOut]:
        result = await refunds.list(refund_state, parse_page(page), page_size)
        return s.Page.of(result, [r.AdminRefundOut.of(refund) for refund in result.items])

    @get("/{refund_id:int}", summary="One refund, with the gateway's verified answer")
    async def show(
        self, refund_id: FromPath[int], admin: NamedDependency[AuthUser], refunds: NamedDependency[Refunds]
    ) -> r.AdminRefundOut:
        return r.AdminRefundOut.of(await refunds.show(refund_id))

    @post(
        "/{refund_id:int}/approve",
        status_code=200,
        summary="Approve a buyer's request: the order is refunded (stock back); the money goes back to the "
        "wallet at once, or through the gateway (pending until it confirms)",
    )
    async def approve(
        self, refund_id: FromPath[int], admin: NamedDependency[AuthUser], refunds: NamedDependency[Refunds]
    ) -> r.AdminRefundOut:
        return r.AdminRefundOut.of(await refunds.approve(refund_id, operator=admin.username))

    @post(
        "/{refund_id:int}/refuse",
        status_code=200,
        summary="Refuse a buyer's request, with an answer they see; the order awaits shipment again",
    )
    async def refuse(
        self,
        refund_id: FromPath[int],
        data: JSONBody[r.RefusalIn],
        admin: NamedDependency[AuthUser],
        refunds: NamedDependency[Refunds],
    ) -> r.AdminRefundOut:
        return r.AdminRefundOut.of(
            await refunds.refuse(refund_id, operator=admin.username, answer=data.answer)
        )

    @post(
        "/{refund_id:int}/retry",
        status_code=200,
        summary="Ask the gateway again for a refund it refused (failed → pending, the same out-request number)",
    )
    async def retry(
        self, refund_id: FromPath[int], admin: NamedDependency[AuthUser], refunds: NamedDependency[Refunds]
    ) -> r.AdminRefundOut:
        return r.AdminRefundOut.of(await refunds.retry_refund(refund_id, operator=admin.username))

    @post(
        "/{refund_id:int}/refunded",
        status_code=200,
        summary="Record that a refund the gateway refused was made by hand at its console (failed → refunded)",
    )
    async def refunded_by_hand(
        self, refund_id: FromPath[int], admin: NamedDependency[AuthUser], refunds: NamedDependency[Refunds]
    ) -> r.AdminRefundOut:
        return r.AdminRefundOut.of(await refunds.refunded_by_hand(refund_id, operator=admin.username))

    @post(
        "/settle",
        status_code=200,
        summary="Ask the gateway about every pending refund now (the worker does it every sweep interval)",
    )
    async def settle(
        self, admin: NamedDependency[AuthUser], refunds: NamedDependency[Refunds]
    ) -> r.SettleReportOut:
        return r.SettleReportOut.of(await refunds.settle_due())
