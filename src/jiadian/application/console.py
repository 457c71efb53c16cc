"""The operator console's reads: the dashboard's figures, the lists behind its pages, and the details.

Changes go through the operators' use cases of each capability (`CatalogAdmin`, `Fulfilment`,
`Payments`, `Wallets`, `Accounts`, `StockGates`), which write the audit log; this module only reads.
Days and weeks are the shop's (its time zone, weeks from Monday).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import TypeVar

from jiadian.application.catalog import is_possible_id
from jiadian.application.console_ports import (
    CategoryRow,
    ConsoleQueries,
    OrderFilter,
    OrderRow,
    ProductFilter,
    ProductRow,
    StockRow,
    UserFilter,
    UserRow,
    Window,
)
from jiadian.application.pagination import Page, clamp_page
from jiadian.application.ports import Clock
from jiadian.application.unit_of_work import UnitOfWorkFactory
from jiadian.domain.accounts import Address, User
from jiadian.domain.audit import AuditEntry, AuditQuery, target
from jiadian.domain.catalog import MAX_STOCK, Spu
from jiadian.domain.errors import NotFound, ValidationFailed
from jiadian.domain.money import Money
from jiadian.domain.ordering import Order, OrderStatus
from jiadian.domain.payments import Payment, PaymentState
from jiadian.domain.refunds import Refund, RefundOrigin, RefundState, order_subject, payment_subject
from jiadian.domain.wallet import LedgerEntry, Wallet

MAX_TEXT = 100
DAYS_SHOWN = 7
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Day:
    day: date
    figures: Window


@dataclass(frozen=True, slots=True)
class Dashboard:
    now: datetime
    today: Window
    week: Window  # since Monday
    days: list[Day]  # the last 7, oldest first
    awaiting_shipment: int
    expiring: int  # unpaid orders that expire within `expiring_within` (or are overdue)
    expiring_within_hours: int
    needs_refund: int
    needs_refund_amount: Money
    pending_trades: int  # started at the gateway, no answer yet
    refund_requests: int  # buyers' requests waiting for an operator's decision
    refunds_failed: int  # refused by the gateway for good: retry, or refund by hand
    low_stock: int  # skus with at most `low_stock_at_most` in stock
    low_stock_at_most: int


@dataclass(frozen=True, slots=True)
class Step:
    """One step of an order's history: what (placed, paid, shipped, received, completed, cancelled),
    when, and who — the buyer, an operator (from the audit log), or the shop itself (None)."""

    step: str
    at: datetime
    by: str | None
    note: str = ""


@dataclass(frozen=True, slots=True)
class OrderDetail:
    order: Order
    buyer: User | None
    payments: list[Payment]
    refunds: list[Refund]  # the order's own (at most one), then its payments'
    history: list[Step]
    audit: list[AuditEntry]


@dataclass(frozen=True, slots=True)
class UserDetail:
    user: User
    wallet: Wallet
    addresses: list[Address]
    orders: int


@dataclass(frozen=True, kw_only=True)
class Console:
    queries: ConsoleQueries
    uow: UnitOfWorkFactory
    clock: Clock
    zone: tzinfo = UTC  # the shop's days and weeks
    order_ttl_seconds: int = 24 * 3600
    expiring_within_seconds: int = 2 * 3600
    low_stock_at_most: int = 10
    max_page_size: int = 50

    # --- the dashboard ----------------------------------------------------------------------

    def _midnight(self, day: date) -> datetime:
        return datetime.combine(day, time.min, tzinfo=self.zone).astimezone(UTC)

    def expiring_before(self) -> datetime:
        """Unpaid orders placed before this expire within `expiring_within_seconds` (or are overdue)."""
        return self.clock.now() - timedelta(seconds=self.order_ttl_seconds - self.expiring_within_seconds)

    async def dashboard(self) -> Dashboard:
        now = self.clock.now()
        today = now.astimezone(self.zone).date()
        tomorrow = self._midnight(today + timedelta(days=1))
        days = [today - timedelta(days=back) for back in range(DAYS_SHOWN - 1, -1, -1)]
        shown = [
            Day(day, await self.queries.window(self._midnight(day), self._midnight(day + timedelta(days=1))))
            for day in days
        ]
        monday = today - timedelta(days=today.weekday())
        refunds, refund_amount = await self.queries.payment_totals(PaymentState.NEEDS_REFUND)
        pending, _ = await self.queries.payment_totals(PaymentState.PENDING)
        async with self.uow() as uow:
            requests = await uow.refunds.count(state=RefundState.REQUESTED)
            failed = await uow.refunds.count(state=RefundState.FAILED)
        return Dashboard(
            now=now,
            today=shown[-1].figures,
            week=await self.queries.window(self._midnight(monday), tomorrow),
            days=shown,
            awaiting_shipment=await self.queries.count_orders(OrderFilter(OrderStatus.AWAITING_SHIPMENT)),
            expiring=await self.queries.count_orders(
                OrderFilter(OrderStatus.AWAITING_PAYMENT, placed_until=self.expiring_before())
            ),
            expiring_within_hours=self.expiring_within_seconds // 3600,
            needs_refund=refunds,
            needs_refund_amount=refund_amount,
            pending_trades=pending,
            refund_requests=requests,
            refunds_failed=failed,
            low_stock=await self.queries.count_low_stock(self.low_stock_at_most),
            low_stock_at_most=self.low_stock_at_most,
        )

    # --- lists ------------------------------------------------------------------------------

    def _check_page_size(self, page_size: int) -> None:
        if not 1 <= page_size <= self.max_page_size:
            raise ValidationFailed(f"page_size 必须在 1 到 {self.max_page_size} 之间", page_size=page_size)

    async def _paged(
        self,
        count: Callable[[], Awaitable[int]],
        rows: Callable[[int, int], Awaitable[list[T]]],
        page: int,
        page_size: int,
    ) -> Page[T]:
        """A list's page: how many there are, then the rows of the page asked for (the last one, past it)."""
        total = await count()
        request = clamp_page(page, page_size, total)
        return Page(await rows(request.offset, page_size), request.page, page_size, total)

    async def orders(
        self,
        *,
        status: str | None = None,
        user: str | None = None,
        placed_from: date | None = None,
        placed_to: date | None = None,
        ref: str | None = None,
        expiring: bool = False,
        page: int = 1,
        page_size: int = 20,
    ) -> Page[OrderRow]:
        """Every shopper's orders, newest first: of a status, a user (id or username), placed within
        days of the shop (inclusive), an order id or trade number, or expiring soon (unpaid)."""
        self._check_page_size(page_size)
        if placed_from and placed_to and placed_from > placed_to:
            raise ValidationFailed("开始日期不能晚于结束日期", field="placed_from")
        wanted = OrderStatus.parse(status) if status else None
        until = self._midnight(placed_to + timedelta(days=1)) if placed_to else None
        if expiring:
            wanted = OrderStatus.AWAITING_PAYMENT
            bound = self.expiring_before()
            until = min(until, bound) if until else bound
        user_id = await self._user_id(user) if user else None
        where = OrderFilter(
            status=wanted,
            user_id=user_id,
            placed_from=self._midnight(placed_from) if placed_from else None,
            placed_until=until,
            ref=_text("订单号", ref) if ref else None,
        )
        if user_id == 0:  # no such user: nothing to show
            return Page([], 1, page_size, 0)
        return await self._paged(
            lambda: self.queries.count_orders(where),
            lambda offset, size: self.queries.orders(where, offset, size),
            page,
            page_size,
        )

    async def _user_id(self, user: str) -> int:
        """A user's id from their id or username; 0 for nobody."""
        text = _text("用户", user)
        if text.isdigit():
            return int(text) if is_possible_id(int(text)) else 0
        return await self.queries.user_id(text) or 0

    async def products(
        self,
        *,
        text: str | None = None,
        category_id: int | None = None,
        on_shelf: bool | None = None,
        page: int = 1,
        page_size: int = 20,
    ) -> Page[ProductRow]:
        """Every product, on shelf or not, newest first; by name (or id), category and shelf state."""
        self._check_page_size(page_size)
        where = ProductFilter(_text("搜索内容", text) if text else None, category_id, on_shelf)
        return await self._paged(
            lambda: self.queries.count_products(where),
            lambda offset, size: self.queries.products(where, offset, size),
            page,
            page_size,
        )

    async def low_stock(
        self, *, at_most: int | None = None, page: int = 1, page_size: int = 20
    ) -> Page[StockRow]:
        """Skus with at most `at_most` (default: the shop's threshold) in stock, least first."""
        self._check_page_size(page_size)
        limit = self.low_stock_at_most if at_most is None else at_most
        if not 0 <= limit <= MAX_STOCK:
            raise ValidationFailed("库存上限须为非负整数", at_most=limit)
        return await self._paged(
            lambda: self.queries.count_low_stock(limit),
            lambda offset, size: self.queries.low_stock(limit, offset, size),
            page,
            page_size,
        )

    async def categories(self) -> list[CategoryRow]:
        return await self.queries.categories()

    async def spus(self, *, category_id: int | None = None, text: str | None = None) -> list[Spu]:
        """Up to 20 spus (of a category) whose name contains `text`: what the product form suggests."""
        return await self.queries.spus(category_id, _text("系列名", text) if text else None, 20)

    async def users(
        self, *, text: str | None = None, is_admin: bool | None = None, page: int = 1, page_size: int = 20
    ) -> Page[UserRow]:
        """Every account, newest first; by username or e-mail (or id), and operators or not."""
        self._check_page_size(page_size)
        where = UserFilter(_text("搜索内容", text) if text else None, is_admin)
        return await self._paged(
            lambda: self.queries.count_users(where),
            lambda offset, size: self.queries.users(where, offset, size),
            page,
            page_size,
        )

    async def ledger(self, user_id: int, *, page: int = 1, page_size: int = 20) -> Page[LedgerEntry]:
        """A wallet's ledger, newest first."""
        self._check_page_size(page_size)
        await self.user(user_id)
        return await self._paged(
            lambda: self.queries.count_ledger(user_id),
            lambda offset, size: self.queries.ledger(user_id, offset, size),
            page,
            page_size,
        )

    async def audit(
        self,
        *,
        actor: str | None = None,
        action: str | None = None,
        target: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        page: int = 1,
        page_size: int = 20,
    ) -> Page[AuditEntry]:
        """The audit log, newest first: by who (`Actor.label`), what (an action, or a kind of target's
        actions), which target (or kind), and when (a time without a zone is the shop's)."""
        self._check_page_size(page_size)
        where = AuditQuery(actor, action, target, self._aware(since), self._aware(until))
        return await self._paged(
            lambda: self.queries.count_audit(where),
            lambda offset, size: self.queries.audit(where, offset, size),
            page,
            page_size,
        )

    def _aware(self, moment: datetime | None) -> datetime | None:
        if moment is None or moment.tzinfo is not None:
            return moment
        return moment.replace(tzinfo=self.zone)

    # --- details ----------------------------------------------------------------------------

    async def order(self, order_id: str) -> OrderDetail:
        """An order with its buyer, payments, history (each step's time and who took it) and the
        operators' changes of it."""
        row = await self.queries.order(_text("订单号", order_id))
        if row is None:
            raise NotFound("订单", order_id)
        order = row.order
        async with self.uow() as uow:
            buyer = await uow.users.get(order.user_id)
            payments = await uow.payments.of_order(order.id)
            subjects = [order_subject(order.id), *(payment_subject(p.id) for p in payments)]
            found = [await uow.refunds.of_subject(subject) for subject in subjects]
        refunds = [refund for refund in found if refund is not None]
        changes = await self.queries.audit(AuditQuery(target=target("order", order.id)), 0, 50)
        own = next((r for r in refunds if r.subject == order_subject(order.id)), None)
        history = _history(order, row.username, changes, own)
        return OrderDetail(order, buyer, payments, refunds, history, changes)

    async def user(self, user_id: int) -> UserDetail:
        if not is_possible_id(user_id):
            raise NotFound("用户", user_id)
        async with self.uow() as uow:
            user = await uow.users.get(user_id)
            wallet = await uow.wallets.get(user_id)
            addresses = await uow.addresses.list_for(user_id)
        if user is None or wallet is None:
            raise NotFound("用户", user_id)
        orders = await self.queries.count_orders(OrderFilter(user_id=user_id))
        return UserDetail(user, wallet, addresses, orders)


def _text(label: str, value: str | None) -> str:
    text = (value or "").strip()
    if not text:
        raise ValidationFailed(f"{label}不能为空")
    if len(text) > MAX_TEXT:
        raise ValidationFailed(f"{label}不能超过 {MAX_TEXT} 个字", length=len(text))
    return text


def _history(order: Order, buyer: str, changes: list[AuditEntry], refund: Refund | None) -> list[Step]:
    """The order's steps from the time of each transition (and of its refund's); who took a step an
    operator took comes from the audit log (or the refund), the buyer's steps are the buyer's, the rest
    the shop's own (expiry, the sweeps, the gateway's confirmation)."""
    by_operator = {entry.action: entry.actor.label for entry in reversed(changes)}
    steps = [Step("placed", order.created_at, buyer)]
    if order.paid_at:
        steps.append(Step("paid", order.paid_at, buyer, order.pay_method))
    if order.shipped_at:
        steps.append(Step("shipped", order.shipped_at, by_operator.get("order.ship")))
    if order.received_at:
        steps.append(Step("received", order.received_at, buyer))
    if order.completed_at:
        steps.append(Step("completed", order.completed_at, buyer))
    if order.cancelled_at:
        who = {"buyer": buyer, "operator": by_operator.get("order.cancel")}.get(order.cancel_reason)
        steps.append(Step("cancelled", order.cancelled_at, who, order.cancel_reason))
    if refund is not None:
        if refund.origin is RefundOrigin.BUYER:
            steps.append(Step("refund_requested", refund.created_at, buyer, refund.reason))
        if refund.decided_at and refund.state is RefundState.REFUSED:
            steps.append(Step("refund_refused", refund.decided_at, refund.operator or None, refund.answer))
        elif refund.decided_at:
            steps.append(
                Step("refund_decided", refund.decided_at, refund.operator or None, refund.method.value)
            )
        if refund.refunded_at:
            steps.append(Step("refunded", refund.refunded_at, None, refund.method.value))
    return sorted(steps, key=lambda step: step.at)
