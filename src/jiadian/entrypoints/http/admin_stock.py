"""The operators' endpoints of the stock gate for hot skus (`jiadian stock gate …` over HTTP).

In the embedded default the tokens live in the shop's own memory, which only this server reaches; with
Redis these and the CLI work on the same tokens.
"""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, delete, get, post, put
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath
from pydantic import BaseModel, Field

from jiadian.application.stock_gate import GateReconciliation, GateStatus, StockGates
from jiadian.entrypoints.http.auth import AuthUser, current_admin
from jiadian.entrypoints.http.errors import error_responses


class GatedSkuOut(BaseModel):
    sku_id: int
    tokens: int
    stock: Annotated[int | None, Field(description="MySQL's stock; null when the sku no longer exists")]
    drift: Annotated[
        int | None, Field(description="tokens - stock: > 0 over-admits (harmless), < 0 refuses buyers early")
    ]

    @classmethod
    def of(cls, status: GateStatus) -> GatedSkuOut:
        return cls(sku_id=status.sku_id, tokens=status.tokens, stock=status.stock, drift=status.drift)


class StockGateOut(BaseModel):
    checkout_uses_it: Annotated[bool, Field(description="JIADIAN_STOCK_GATE: whether checkout takes tokens")]
    skus: list[GatedSkuOut]


class TokenChangeOut(BaseModel):
    sku_id: int
    before: int
    after: int


class ReconciliationOut(BaseModel):
    gated: Annotated[int, Field(description="skus gated when the reconcile started")]
    changed: Annotated[list[TokenChangeOut], Field(description="tokens re-synced to MySQL's stock")]
    closed: Annotated[list[int], Field(description="skus that no longer exist: their gate was closed")]

    @classmethod
    def of(cls, report: GateReconciliation) -> ReconciliationOut:
        return cls(
            gated=report.gated,
            changed=[TokenChangeOut(sku_id=c.sku_id, before=c.before, after=c.after) for c in report.changed],
            closed=report.closed,
        )


class AdminStockGateController(Controller):
    path = "/api/admin/stock-gate"
    tags = ["operator: stock gate"]
    dependencies = {"admin": Provide(current_admin)}

    @get("", summary="The gated skus: their tokens beside MySQL's stock")
    async def status(
        self, admin: NamedDependency[AuthUser], stock_gates: NamedDependency[StockGates]
    ) -> StockGateOut:
        rows = await stock_gates.status()
        return StockGateOut(
            checkout_uses_it=stock_gates.checkout_uses_it, skus=[GatedSkuOut.of(r) for r in rows]
        )

    @put(
        "/{sku_id:int}",
        summary="Gate a sku: its tokens are set to its MySQL stock (re-synced if already gated)",
        responses=error_responses(404),
    )
    async def open_gate(
        self,
        sku_id: FromPath[int],
        admin: NamedDependency[AuthUser],
        stock_gates: NamedDependency[StockGates],
    ) -> GatedSkuOut:
        stock = (await stock_gates.open([sku_id], by=admin.actor))[sku_id]
        return GatedSkuOut(sku_id=sku_id, tokens=stock, stock=stock, drift=0)

    @delete("/{sku_id:int}", status_code=204, summary="Stop gating a sku (checkout then asks MySQL only)")
    async def close_gate(
        self,
        sku_id: FromPath[int],
        admin: NamedDependency[AuthUser],
        stock_gates: NamedDependency[StockGates],
    ) -> None:
        await stock_gates.close([sku_id], by=admin.actor)

    @post(
        "/reconcile",
        status_code=200,
        summary="Set every gated sku's tokens to its MySQL stock (the worker also does, every sweep)",
    )
    async def reconcile(
        self, admin: NamedDependency[AuthUser], stock_gates: NamedDependency[StockGates]
    ) -> ReconciliationOut:
        return ReconciliationOut.of(await stock_gates.reconcile(by=admin.actor))
