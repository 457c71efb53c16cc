"""The operator console's own endpoints: the dashboard's figures, the audit log, and the settings the
console needs to know (the pages themselves are static files under /admin/)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from litestar import Controller, get
from litestar.di import NamedDependency, Provide
from litestar.params import Parameter

from jiadian.application.console import Console
from jiadian.domain.audit import MAX_ACTION, MAX_ACTOR, MAX_TARGET
from jiadian.entrypoints.http import console_schemas as cs
from jiadian.entrypoints.http import schemas as s
from jiadian.entrypoints.http.auth import AuthUser, current_admin
from jiadian.entrypoints.http.catalog import PageParam, parse_page
from jiadian.settings import Settings

PageSize = Annotated[int, Parameter(description="entries per page (1..50)")]


class AdminConsoleController(Controller):
    path = "/api/admin"
    tags = ["operator: console"]
    dependencies = {"admin": Provide(current_admin)}

    @get("/dashboard", summary="Today's and this week's orders and revenue, and what needs an operator")
    async def dashboard(
        self, admin: NamedDependency[AuthUser], console: NamedDependency[Console]
    ) -> cs.DashboardOut:
        return cs.DashboardOut.of(await console.dashboard())

    @get("/console", summary="The shop's settings the console shows or offers by")
    async def settings(
        self, admin: NamedDependency[AuthUser], settings: NamedDependency[Settings]
    ) -> cs.ConsoleSettingsOut:
        return cs.ConsoleSettingsOut(
            recharge_enabled=settings.recharge_enabled,
            payment_gateway=settings.payment_gateway,
            stock_gate=settings.stock_gate,
            low_stock_at_most=settings.low_stock_at_most,
            timezone=settings.shop_timezone,
        )

    @get("/audit", summary="The audit log, newest first: every change an operator made, before and after")
    async def audit(
        self,
        admin: NamedDependency[AuthUser],
        console: NamedDependency[Console],
        actor: Annotated[
            str | None, Parameter(max_length=MAX_ACTOR, description='a username, or "cli:login"')
        ] = None,
        action: Annotated[
            str | None, Parameter(max_length=MAX_ACTION, description='"sku.price", or a kind: "sku"')
        ] = None,
        target: Annotated[
            str | None, Parameter(max_length=MAX_TARGET, description='"sku:12", or a kind: "sku"')
        ] = None,
        since: Annotated[datetime | None, Parameter(description="at or after (ISO 8601)")] = None,
        until: Annotated[datetime | None, Parameter(description="before (ISO 8601)")] = None,
        page: PageParam = "1",
        page_size: PageSize = 20,
    ) -> s.Page[cs.AuditEntryOut]:
        result = await console.audit(
            actor=actor,
            action=action,
            target=target,
            since=since,
            until=until,
            page=parse_page(page),
            page_size=page_size,
        )
        return s.Page.of(result, [cs.AuditEntryOut.of(entry) for entry in result.items])
