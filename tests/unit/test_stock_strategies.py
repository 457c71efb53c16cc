"""The three ways of taking stock, against a scripted stock repository: order of work, refusals, races."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from jiadian.application.ordering_ports import SkuForSale, StockLevel
from jiadian.application.stock import (
    ConditionalStock,
    OptimisticStock,
    PessimisticStock,
    StockKeeper,
    stock_keeper,
)
from jiadian.domain.errors import InsufficientStock, ValidationFailed


@dataclass
class ScriptedStock:
    """Stock levels in a dict; `races` makes that many version-checked takes lose to "another buyer"."""

    stock: dict[int, int]
    races: int = 0
    taken_by_others: int = 0  # what each lost race takes from the sku
    calls: list[tuple[str, int]] = field(default_factory=list)
    versions: dict[int, int] = field(default_factory=dict)

    async def for_sale(self, sku_ids: list[int]) -> dict[int, SkuForSale]:
        raise AssertionError("not used by the strategies")

    async def levels(self, sku_ids: list[int], *, lock: bool) -> dict[int, StockLevel]:
        for sku_id in sku_ids:
            self.calls.append(("lock" if lock else "read", sku_id))
        return {i: StockLevel(i, self.stock[i], self.versions.get(i, 0)) for i in sku_ids if i in self.stock}

    def _take(self, sku_id: int, count: int) -> None:
        self.stock[sku_id] -= count
        self.versions[sku_id] = self.versions.get(sku_id, 0) + 1

    async def take_if_available(self, sku_id: int, count: int) -> bool:
        self.calls.append(("take_if_available", sku_id))
        if self.stock.get(sku_id, 0) < count:
            return False
        self._take(sku_id, count)
        return True

    async def take_if_version(self, sku_id: int, count: int, version: int) -> bool:
        self.calls.append(("take_if_version", sku_id))
        if self.races:
            self.races -= 1
            self._take(sku_id, self.taken_by_others)  # somebody else was quicker
            return False
        if self.versions.get(sku_id, 0) != version or self.stock[sku_id] < count:
            return False
        self._take(sku_id, count)
        return True

    async def take(self, sku_id: int, count: int) -> None:
        self.calls.append(("take", sku_id))
        assert self.stock[sku_id] >= count
        self._take(sku_id, count)

    async def give_back(self, sku_id: int, count: int) -> None:
        raise AssertionError("not used by the strategies")

    async def add_product_sales(self, changes: dict[int, int]) -> None:
        raise AssertionError("not used by the strategies")


KEEPERS: list[StockKeeper] = [ConditionalStock(), PessimisticStock(), OptimisticStock()]


@pytest.mark.parametrize("keeper", KEEPERS, ids=lambda k: k.name)
async def test_every_strategy_takes_every_count_working_in_sku_id_order(keeper: StockKeeper) -> None:
    repo = ScriptedStock({3: 5, 1: 5, 2: 5})
    await keeper.take(repo, {3: 1, 1: 2, 2: 3})
    assert repo.stock == {1: 3, 2: 2, 3: 4}
    for kind in {call for call, _sku in repo.calls}:  # each kind of step goes through the skus by id
        touched = [sku for call, sku in repo.calls if call == kind]
        assert touched == sorted(touched), kind


@pytest.mark.parametrize("keeper", KEEPERS, ids=lambda k: k.name)
async def test_every_strategy_refuses_what_is_not_in_stock(keeper: StockKeeper) -> None:
    repo = ScriptedStock({1: 5, 2: 1})
    with pytest.raises(InsufficientStock) as refused:
        await keeper.take(repo, {1: 1, 2: 2})
    assert refused.value.facts == {"sku_id": 2, "requested": 2, "available": 1}


async def test_pessimistic_locks_every_row_before_taking_any() -> None:
    repo = ScriptedStock({1: 5, 2: 5})
    await PessimisticStock().take(repo, {2: 1, 1: 1})
    assert repo.calls == [("lock", 1), ("lock", 2), ("take", 1), ("take", 2)]


async def test_optimistic_retries_a_lost_race_three_times() -> None:
    repo = ScriptedStock({1: 10}, races=3, taken_by_others=1)
    await OptimisticStock().take(repo, {1: 2})
    assert repo.calls.count(("take_if_version", 1)) == 4
    assert ("lock", 1) not in repo.calls
    assert repo.stock == {1: 5}  # 3 taken by the others, 2 by us


async def test_optimistic_waits_its_turn_after_losing_every_race() -> None:
    repo = ScriptedStock({1: 10}, races=10, taken_by_others=1)
    await OptimisticStock().take(repo, {1: 2})
    assert repo.calls.count(("take_if_version", 1)) == 4
    assert repo.calls[-2:] == [("lock", 1), ("take", 1)]
    assert repo.stock == {1: 4}


async def test_optimistic_says_sold_out_when_the_races_emptied_the_shelf() -> None:
    repo = ScriptedStock({1: 4}, races=10, taken_by_others=1)
    with pytest.raises(InsufficientStock) as refused:
        await OptimisticStock().take(repo, {1: 2})
    assert refused.value.facts["available"] == 1


def test_the_setting_names_a_strategy() -> None:
    assert [stock_keeper(n).name for n in ("conditional", "pessimistic", "optimistic")] == [
        "conditional",
        "pessimistic",
        "optimistic",
    ]
    with pytest.raises(ValidationFailed) as refused:
        stock_keeper("hopeful")
    assert (refused.value.detail, refused.value.facts) == (
        "未知的库存策略: hopeful",
        {"choices": ["conditional", "optimistic", "pessimistic"]},
    )


async def test_optimistic_takes_exactly_what_is_left_after_losing_every_race() -> None:
    repo = ScriptedStock({1: 6}, races=10, taken_by_others=1)
    await OptimisticStock().take(repo, {1: 2})  # four lost races leave 2: exactly enough
    assert repo.stock == {1: 0}


async def test_optimistic_refuses_at_once_when_the_stock_is_short_and_names_the_sku() -> None:
    repo = ScriptedStock({7: 2})
    with pytest.raises(InsufficientStock) as refused:
        await OptimisticStock().take(repo, {7: 3})
    assert refused.value.facts == {"sku_id": 7, "requested": 3, "available": 2}
    await OptimisticStock().take(repo, {7: 2})
    assert repo.stock == {7: 0}


class VanishingStock(ScriptedStock):
    """The sku is deleted while the buyer loses its races: the locked read finds no row."""

    async def levels(self, sku_ids: list[int], *, lock: bool) -> dict[int, StockLevel]:
        found = await super().levels(sku_ids, lock=lock)
        return {} if lock else found


async def test_optimistic_refuses_a_sku_gone_after_the_races_with_nothing_available() -> None:
    repo = VanishingStock({1: 10}, races=10, taken_by_others=1)
    with pytest.raises(InsufficientStock) as refused:
        await OptimisticStock().take(repo, {1: 2})
    assert refused.value.facts == {"sku_id": 1, "requested": 2, "available": 0}


async def test_optimistic_after_losing_every_race_names_what_is_left() -> None:
    repo = ScriptedStock({1: 5}, races=10, taken_by_others=1)
    with pytest.raises(InsufficientStock) as refused:
        await OptimisticStock().take(repo, {1: 2})  # four lost races leave 1, found under the lock
    assert refused.value.facts == {"sku_id": 1, "requested": 2, "available": 1}
    assert repo.calls[-1] == ("lock", 1)


async def test_conditional_reads_what_is_left_without_a_lock_to_say_why_it_refused() -> None:
    repo = ScriptedStock({1: 1})
    with pytest.raises(InsufficientStock):
        await ConditionalStock().take(repo, {1: 2})
    assert repo.calls == [("take_if_available", 1), ("read", 1)]
