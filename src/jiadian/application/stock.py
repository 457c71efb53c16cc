"""Taking stock for an order: three strategies, chosen by the setting `stock_strategy`.

Every strategy touches skus in ascending id order (so two orders never wait on each other in a
cycle) and either takes every count or raises `InsufficientStock` — the caller's transaction then
rolls back whatever was taken. None ever sells more than is in stock.

- conditional: one `UPDATE … SET stock = stock - n WHERE id = ? AND stock >= n` per sku.
- pessimistic: lock the rows (`SELECT … FOR UPDATE`), check, then update.
- optimistic: read stock and version, `UPDATE … WHERE id = ? AND version = ?`, up to 3 retries when
  another order got there first. A buyer who loses every race is not refused while stock remains:
  the last try waits its turn on the row lock, so "sold out" always means sold out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from jiadian.application.ordering_ports import StockLevel, StockRepository
from jiadian.domain.errors import InsufficientStock, ValidationFailed


class StockKeeper(Protocol):
    @property
    def name(self) -> str: ...

    async def take(self, stock: StockRepository, counts: dict[int, int]) -> None:
        """Take every count, or raise `InsufficientStock` (having possibly taken some: roll back)."""
        ...


def _refuse(sku_id: int, count: int, level: StockLevel | None) -> InsufficientStock:
    return InsufficientStock(sku_id, requested=count, available=level.stock if level else 0)


@dataclass(frozen=True, slots=True)
class ConditionalStock:
    name: str = "conditional"

    async def take(self, stock: StockRepository, counts: dict[int, int]) -> None:
        for sku_id in sorted(counts):
            if not await stock.take_if_available(sku_id, counts[sku_id]):
                level = (await stock.levels([sku_id], lock=False)).get(sku_id)
                raise _refuse(sku_id, counts[sku_id], level)


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


@dataclass(frozen=True, slots=True)
class OptimisticStock:
    retries: int = 3
    name: str = "optimistic"

    async def take(self, stock: StockRepository, counts: dict[int, int]) -> None:
        for sku_id in sorted(counts):
            await self._take_one(stock, sku_id, counts[sku_id])

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
