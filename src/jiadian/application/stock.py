"""Taking stock for an order: three strategies, chosen by the setting `stock_strategy`.

Every strategy touches skus in ascending id order (so two orders never wait on each other in a
cycle) and either takes every count or raises `InsufficientStock` — the caller's transaction then
rolls back whatever was taken. None ever sells more than is in stock.

- conditional: one `UPDATE … SET stock = stock - n WHERE id = ? AND stock >= n` per sku.
- pessimistic: lock the rows (`SELECT … FOR UPDATE`), check, then update.
- optimistic: read stock and version, `UPDATE … WHERE id = ? AND version = ?`, up to 3 retries when
  another order got there first. A buyer who loses every race is not refused while stock remains:
  the last try waits its turn on the row lock, so "sold out" always means sold out.

A batch of orders placed together (group commit, `jiadian.application.checkout`) takes its stock with
`take_for_batch`: the orders are served in arrival order while stock lasts, and each sku is updated
once, by the batch's total. Unlocked, conditional and optimistic first assume what they do for one order
(conditional: that every order fits; optimistic: the levels it read); when that loses a race the batch
is tried again locked (`SELECT … FOR UPDATE` in id order, then the allotment). Pessimistic always locks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from jiadian.application.ordering_ports import StockLevel, StockRepository
from jiadian.domain.errors import InsufficientStock, ValidationFailed

Refusals = list[InsufficientStock | None]


class LostRace(Exception):
    """A batch's unlocked assumption did not hold (another transaction took stock first): roll the batch
    back and take again with `locked=True`."""


class StockKeeper(Protocol):
    @property
    def name(self) -> str: ...

    async def take(self, stock: StockRepository, counts: dict[int, int]) -> None:
        """Take every count, or raise `InsufficientStock` (having possibly taken some: roll back)."""
        ...

    async def take_for_batch(
        self, stock: StockRepository, demands: Sequence[dict[int, int]], *, locked: bool
    ) -> Refusals:
        """Take the stock of the orders `demands` (in arrival order) that can be served, each sku once.

        Answers, per demand, None (taken) or its refusal. Raises `LostRace` when an unlocked try lost to
        another transaction (having possibly taken some: roll back, try again locked).
        """
        ...


def _refuse(sku_id: int, count: int, level: StockLevel | None) -> InsufficientStock:
    return InsufficientStock(sku_id, requested=count, available=level.stock if level else 0)


def allot(
    demands: Sequence[dict[int, int]], levels: dict[int, StockLevel]
) -> tuple[Refusals, dict[int, int]]:
    """Serve the demands in arrival order while stock lasts: the refusals (None: served) and the total
    to take per sku. A demand is served whole or refused at its first sku (by id) short of stock."""
    left = {sku_id: level.stock for sku_id, level in levels.items()}
    refusals: Refusals = []
    totals: dict[int, int] = {}
    for counts in demands:
        short = next((sku_id for sku_id in sorted(counts) if counts[sku_id] > left.get(sku_id, 0)), None)
        if short is not None:
            refusals.append(InsufficientStock(short, requested=counts[short], available=left.get(short, 0)))
            continue
        refusals.append(None)
        for sku_id, count in counts.items():
            left[sku_id] -= count
            totals[sku_id] = totals.get(sku_id, 0) + count
    return refusals, totals


def _totals(demands: Sequence[dict[int, int]]) -> dict[int, int]:
    totals: dict[int, int] = {}
    for counts in demands:
        for sku_id, count in counts.items():
            totals[sku_id] = totals.get(sku_id, 0) + count
    return totals


async def _take_locked(stock: StockRepository, demands: Sequence[dict[int, int]]) -> Refusals:
    """Lock the batch's skus (id order), allot, and take each sku's total."""
    levels = await stock.levels(sorted(_totals(demands)), lock=True)
    refusals, totals = allot(demands, levels)
    if not await stock.take_all(totals):
        raise RuntimeError("stock changed under a row lock")  # pragma: no cover
    return refusals


@dataclass(frozen=True, slots=True)
class ConditionalStock:
    name: str = "conditional"

    async def take(self, stock: StockRepository, counts: dict[int, int]) -> None:
        for sku_id in sorted(counts):
            if not await stock.take_if_available(sku_id, counts[sku_id]):
                level = (await stock.levels([sku_id], lock=False)).get(sku_id)
                raise _refuse(sku_id, counts[sku_id], level)

    async def take_for_batch(
        self, stock: StockRepository, demands: Sequence[dict[int, int]], *, locked: bool
    ) -> Refusals:
        """Unlocked: every order fits — one conditional update per sku, by the batch's total, no read."""
        if locked:
            return await _take_locked(stock, demands)
        if not await stock.take_all(_totals(demands)):
            raise LostRace()
        return [None] * len(demands)


@dataclass(frozen=True, slots=True)
class PessimisticStock:
    name: str = "pessimistic"

    async def take(self, stock: StockRepository, counts: dict[int, int]) -> None:
        ids = sorted(counts)
        levels = await stock.levels(ids, lock=True)
        for sku_id in ids:
            level = levels.get(sku_id)
            if level is None or level.stock < counts[sku_id]:
                raise _refuse(sku_id, counts[sku_id], level)
        for sku_id in ids:
            await stock.take(sku_id, counts[sku_id])

    async def take_for_batch(
        self, stock: StockRepository, demands: Sequence[dict[int, int]], *, locked: bool
    ) -> Refusals:
        return await _take_locked(stock, demands)


@dataclass(frozen=True, slots=True)
class OptimisticStock:
    retries: int = 3
    name: str = "optimistic"

    async def take(self, stock: StockRepository, counts: dict[int, int]) -> None:
        for sku_id in sorted(counts):
            await self._take_one(stock, sku_id, counts[sku_id])

    async def take_for_batch(
        self, stock: StockRepository, demands: Sequence[dict[int, int]], *, locked: bool
    ) -> Refusals:
        """Unlocked: allot on the levels read, and take only if every sku is still at the version read."""
        if locked:
            return await _take_locked(stock, demands)
        levels = await stock.levels(sorted(_totals(demands)), lock=False)
        refusals, totals = allot(demands, levels)
        if not await stock.take_all(totals, versions={sku_id: levels[sku_id].version for sku_id in totals}):
            raise LostRace()
        return refusals

    async def _take_one(self, stock: StockRepository, sku_id: int, count: int) -> None:
        for _attempt in range(1 + self.retries):
            level = (await stock.levels([sku_id], lock=False)).get(sku_id)
            if level is None or level.stock < count:
                raise _refuse(sku_id, count, level)
            if await stock.take_if_version(sku_id, count, level.version):
                return
        # Every try lost a race while stock remained: wait for the row instead of refusing the buyer.
        level = (await stock.levels([sku_id], lock=True)).get(sku_id)
        if level is None or level.stock < count:
            raise _refuse(sku_id, count, level)
        await stock.take(sku_id, count)


STRATEGIES: dict[str, StockKeeper] = {
    keeper.name: keeper for keeper in (ConditionalStock(), PessimisticStock(), OptimisticStock())
}


def stock_keeper(name: str) -> StockKeeper:
    try:
        return STRATEGIES[name]
    except KeyError:
        raise ValidationFailed(f"未知的库存策略：{name}", choices=sorted(STRATEGIES)) from None
