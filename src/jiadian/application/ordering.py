"""What every order use case shares: loading an order for its owner, conditional changes, cancels that
give stock back, and the follow-up work scheduled after commit. The use cases themselves live in
`checkout.py` (placing), `orders.py` (the shopper's orders) and `fulfilment.py` (operator and worker).

Every change of an order is one transaction whose status change is conditional on the status it
was read in (`OrderRepository.save(..., expected=…)`): of two racing changes exactly one wins, and
only the winner moves stock or money. Follow-up work (expiry, shipping) is scheduled after commit;
if the broker is down the order still stands and the sweeps catch it.

With the stock gate on (`jiadian.application.stock_gate`), checkout takes the order's counts from the
hot skus' tokens before its transaction and gives them back if no new order comes of it; a cancelled
order's tokens are given back after the cancellation commits.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from jiadian.application.ordering_ports import TransactionRetry
from jiadian.application.pagination import Page, clamp_page
from jiadian.application.ports import NO_METRICS, Clock, ShopMetrics
from jiadian.application.stock_gate import NO_GATE, StockGate, release_quietly
from jiadian.application.tasks import ExpireOrder, ShipOrder, Task, TaskQueue
from jiadian.application.unit_of_work import UnitOfWork, UnitOfWorkFactory
from jiadian.domain.errors import (
    NotFound,
    ValidationFailed,
)
from jiadian.domain.ordering import (
    CancelReason,
    IllegalTransition,
    Order,
    OrderCancelled,
    OrderEvent,
    OrderLine,
    OrderPaid,
    OrderPlaced,
    OrderRefunded,
    OrderStatus,
)

log = logging.getLogger(__name__)

SWEEP_BATCH = 500

# What a change of an order does besides, in its transaction, only when it wins (see `_change`).
Effect = Callable[[UnitOfWork, Order], Awaitable[None]]


def product_sales(lines: list[OrderLine], sign: int) -> dict[int, int]:
    changes: dict[int, int] = {}
    for line in lines:
        changes[line.product_id] = changes.get(line.product_id, 0) + sign * line.count
    return changes


@dataclass(frozen=True, kw_only=True)
class OrderUseCases:
    uow: UnitOfWorkFactory
    clock: Clock
    retry: TransactionRetry
    order_ttl_seconds: int = 24 * 3600
    ship_after_seconds: int = 5 * 60
    max_page_size: int = 50
    gate: StockGate = NO_GATE  # stock tokens of hot skus; NO_GATE when the setting `stock_gate` is off
    # Asked before a buyer or an operator cancels an unpaid order: closes a trade started at the payment
    # gateway, so no money can come for a cancelled order (see `Payments.close_for_cancel`).
    before_cancel: Callable[[Order], Awaitable[None]] | None = None
    metrics: ShopMetrics = NO_METRICS  # orders placed and refused, payments applied and refused
    # Told after commit of the products whose stock, sales or reviews an order changed (`LiveValues.moved`:
    # pages and carts show them afresh within a second).
    stock_moved: Callable[[set[int]], Awaitable[None]] | None = None

    @property
    def payment_window(self) -> timedelta:
        """How long an order may wait for payment before it expires."""
        return timedelta(seconds=self.order_ttl_seconds)

    async def _load(
        self, uow: UnitOfWork, order_id: str, user_id: int | None, *, lock: bool = False
    ) -> Order:
        """The order; for a buyer (`user_id` set) only their own — anybody else's is "not found"."""
        order = await uow.orders.get(order_id, lock=lock)
        if order is None or (user_id is not None and order.user_id != user_id):
            raise NotFound("订单", order_id)
        return order

    async def _change(
        self,
        order_id: str,
        user_id: int | None,
        change: Callable[[Order], None],
        effect: Effect | None = None,
    ) -> Order:
        """Apply `change` to the order and store it conditionally; `effect` runs only for the winner."""

        async def attempt() -> Order:
            async with self.uow() as uow:
                order = await self._load(uow, order_id, user_id)
                before = order.status
                change(order)
                if not await uow.orders.save(order, expected=before):
                    # Another transaction moved the order first: answer from the state it left.
                    current = await self._load(uow, order_id, user_id)
                    change(current)  # raises the fitting refusal
                    raise IllegalTransition(order_id, current.status, order.status)
                if effect is not None:
                    await effect(uow, order)
                await uow.commit()
            return order

        order = await self.retry.run(attempt)
        await self._publish(order.pull_events())
        return order

    async def _cancel(
        self, order_id: str, user_id: int | None, reason: CancelReason, also: Effect | None = None
    ) -> Order:
        """Cancel an unpaid order; its stock comes back. Its gateway trade, if one was started, is closed
        first: if the gateway says it was paid, the payment is applied and the cancel is refused.
        `also` runs in the cancel's transaction after the stock came back."""
        if self.before_cancel is not None:
            async with self.uow() as uow:
                order = await self._load(uow, order_id, user_id)
            if order.status is OrderStatus.AWAITING_PAYMENT:
                await self.before_cancel(order)
        now = self.clock.now()

        async def effect(uow: UnitOfWork, order: Order) -> None:
            await restock(uow, order)
            if also is not None:
                await also(uow, order)

        return await self._change(order_id, user_id, lambda o: o.cancel(reason, now), effect)

    async def _publish(self, events: list[OrderEvent]) -> None:
        """Follow-up work for what happened, after commit (see `Scheduling`): the products whose stock
        moved are told to the live values; a cancelled or refunded order's stock tokens go back to the gate
        (best effort: lost tokens come back at the next reconcile)."""
        await self._tell_moved(
            {
                product_id
                for event in events
                if isinstance(event, OrderPlaced | OrderCancelled | OrderRefunded)
                for _sku_id, product_id, _count in event.lines
            }
        )
        for event in events:
            if isinstance(event, OrderCancelled | OrderRefunded):
                held: dict[int, int] = {}
                for sku_id, _product_id, count in event.lines:
                    held[sku_id] = held.get(sku_id, 0) + count
                await release_quietly(self.gate, held)

    async def _tell_moved(self, product_ids: set[int]) -> None:
        """Best effort: a move not told shows on pages once the values kept expire."""
        if self.stock_moved is None or not product_ids:
            return
        try:
            await self.stock_moved(product_ids)
        except Exception:
            log.warning("could not tell the live values of products %s", sorted(product_ids), exc_info=True)

    def _check_page_size(self, page_size: int) -> None:
        if not 1 <= page_size <= self.max_page_size:
            raise ValidationFailed(f"page_size 必须在 1 到 {self.max_page_size} 之间", page_size=page_size)

    async def _page(
        self, user_id: int | None, status: OrderStatus | None, page: int, page_size: int
    ) -> Page[Order]:
        self._check_page_size(page_size)
        async with self.uow() as uow:
            count = await uow.orders.count(user_id=user_id, status=status)
            request = clamp_page(page, page_size, count)
            orders = await uow.orders.list(
                user_id=user_id, status=status, offset=request.offset, limit=page_size
            )
        return Page(orders, request.page, page_size, count)


@dataclass(frozen=True, kw_only=True)
class Scheduling(OrderUseCases):
    """Use cases whose events schedule background work: expiry after placing, shipping after payment."""

    tasks: TaskQueue

    async def _publish(self, events: list[OrderEvent]) -> None:
        await super()._publish(events)
        due: dict[int, list[Task]] = {}  # tasks by their delay: each delay's sent in one go
        for event in events:
            if isinstance(event, OrderPlaced):
                due.setdefault(self.order_ttl_seconds, []).append(ExpireOrder(event.order_id))
            elif isinstance(event, OrderPaid):
                due.setdefault(self.ship_after_seconds, []).append(ShipOrder(event.order_id))
        for delay_seconds, tasks in due.items():
            await self._schedule(tasks, delay_seconds)

    async def _schedule(self, tasks: list[Task], delay_seconds: int) -> None:
        try:
            await self.tasks.send_many(tasks, delay_seconds=delay_seconds)
        except Exception:  # the broker is down: the orders stand, the sweep will catch them
            named = ", ".join(map(repr, tasks))
            log.warning("could not schedule %s; the periodic sweep will handle it", named, exc_info=True)


async def restock(uow: UnitOfWork, order: Order) -> None:
    """Give a cancelled or refunded order's stock back and take its sales off (skus, then products, by id)."""
    for line in sorted(order.lines, key=lambda each: each.sku_id):
        await uow.stock.give_back(line.sku_id, line.count)
    await uow.stock.add_product_sales(product_sales(order.lines, -1))
