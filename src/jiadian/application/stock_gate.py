"""The stock gate: an optional counter of stock tokens for hot skus, consulted before the database.

In a flash sale most buyers are refused, and without a gate every refusal is a database transaction
that queues on the hot sku's row. With the gate open for a sku, checkout first takes the order's
counts from the sku's tokens (one atomic step in Redis); a buyer the tokens cannot serve is refused
at once (`InsufficientStock`) without touching the database. An admitted buyer goes on to the usual
transaction, where the stock strategy takes the stock from MySQL as before.

MySQL stays the authority; the tokens are only an estimate of its stock, and they may drift:

- Too many tokens (over-admission) is harmless: the buyer reaches the transaction and the
  database's conditional update refuses them as it always would. Tokens are too many for a while
  after a reconcile that ran while orders were in flight, or when tokens were given back for an
  order whose commit went through after all.
- Too few tokens (under-admission) refuses buyers while stock remains. It happens when tokens are
  lost: a process killed between taking tokens and giving them back, a release that failed because
  Redis did not answer, a cancellation whose tokens could not be returned. `StockGates.reconcile`
  sets every gated sku's tokens to its MySQL stock again; the worker runs it every sweep interval
  when the gate is on, so lost tokens come back by themselves.

Tokens go back when the order's transaction fails (any error, or a retry answered with the earlier
order), and after an order is cancelled (buyer, operator, expiry). A gate that does not answer is
skipped: checkout goes on to the database (availability wins; the database alone never oversells).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

from jiadian.application.unit_of_work import UnitOfWorkFactory
from jiadian.domain.audit import SYSTEM, Actor, target
from jiadian.domain.errors import NotFound

log = logging.getLogger(__name__)


class StockGate(Protocol):
    """Stock tokens of the gated skus (the skus that have a token counter)."""

    async def admit(self, counts: dict[int, int]) -> dict[int, int]:
        """Take the counts of the gated skus among `counts`, atomically, all or none.

        Returns what was taken (only gated skus; {} when none is gated). When a gated sku has fewer
        tokens than asked, takes nothing and raises `InsufficientStock(sku_id, requested, available=tokens)`.
        """
        ...

    async def release(self, held: dict[int, int]) -> None:
        """Give tokens back, only to skus still gated (a closed gate stays closed)."""
        ...

    async def open(self, levels: dict[int, int]) -> None:
        """Gate these skus with these tokens (their MySQL stock); an open gate gets the new count."""
        ...

    async def close(self, sku_ids: Iterable[int]) -> list[int]:
        """Stop gating these skus; returns those that were gated."""
        ...

    async def tokens(self) -> dict[int, int]:
        """Every gated sku and its tokens."""
        ...

    async def sync(self, levels: dict[int, int]) -> dict[int, tuple[int, int]]:
        """Set the tokens of the gated skus among `levels`; returns {sku_id: (before, after)} for those."""
        ...


class NoGate:
    """No sku is gated: admits without taking anything, everything else does nothing (the default)."""

    async def admit(self, counts: dict[int, int]) -> dict[int, int]:
        return {}

    async def release(self, held: dict[int, int]) -> None:
        return None

    async def open(self, levels: dict[int, int]) -> None:
        return None

    async def close(self, sku_ids: Iterable[int]) -> list[int]:
        return []

    async def tokens(self) -> dict[int, int]:
        return {}

    async def sync(self, levels: dict[int, int]) -> dict[int, tuple[int, int]]:
        return {}


NO_GATE = NoGate()
FEW_SKUS = 20  # an operator's change of more skus than this syncs only those the gate holds


async def release_quietly(gate: StockGate, held: dict[int, int]) -> None:
    """Give tokens back; a gate that does not answer is logged (lost tokens: reconcile brings them back)."""
    if not held:
        return
    try:
        await gate.release(held)
    except Exception:
        log.warning("could not give %r back to the stock gate; reconcile will", held, exc_info=True)


async def sync_quietly(gate: StockGate, levels: dict[int, int]) -> None:
    """Re-sync gated skus after an operator's stock change; best effort (reconcile catches up).

    A big change (a catalogue import) first asks which skus are gated, and syncs only those.
    """
    if not levels:
        return
    try:
        if len(levels) > FEW_SKUS:
            gated = await gate.tokens()
            levels = {sku_id: stock for sku_id, stock in levels.items() if sku_id in gated}
            if not levels:
                return
        await gate.sync(levels)
    except Exception:
        log.warning(
            "could not re-sync the stock gate for skus %s; reconcile will", sorted(levels), exc_info=True
        )


# --- the operator -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GateStatus:
    sku_id: int
    tokens: int
    stock: int | None  # MySQL's stock; None when the sku no longer exists

    @property
    def drift(self) -> int | None:
        """tokens - stock: > 0 over-admits (harmless), < 0 under-admits (reconcile repairs)."""
        return None if self.stock is None else self.tokens - self.stock


@dataclass(frozen=True, slots=True)
class GateChange:
    sku_id: int
    before: int
    after: int


@dataclass(frozen=True, slots=True)
class GateReconciliation:
    gated: int  # skus gated when the reconcile started
    changed: list[GateChange]  # tokens re-synced to MySQL's stock (only those that differed)
    closed: list[int]  # gated skus that no longer exist: their gate was closed


@dataclass(frozen=True, kw_only=True)
class StockGates:
    """The operator's side of the gate: open it for hot skus, close it, look at it, re-sync it."""

    uow: UnitOfWorkFactory
    gate: StockGate
    checkout_uses_it: bool = False  # the setting `stock_gate`: whether checkout takes these tokens

    async def _stock(self, sku_ids: list[int]) -> dict[int, int]:
        async with self.uow() as uow:
            levels = await uow.stock.levels(sku_ids, lock=False)
        return {sku_id: level.stock for sku_id, level in levels.items()}

    async def open(self, sku_ids: Iterable[int], *, by: Actor = SYSTEM) -> dict[int, int]:
        """Gate these skus with their MySQL stock as tokens (again, for one already gated)."""
        ids = sorted(set(sku_ids))
        stock = await self._stock(ids)
        for sku_id in ids:
            if sku_id not in stock:
                raise NotFound("商品规格", sku_id)
        before = await self.gate.tokens()
        await self.gate.open(stock)
        await self._audit(by, "gate.open", {i: before.get(i) for i in ids}, stock)
        return stock

    async def close(self, sku_ids: Iterable[int], *, by: Actor = SYSTEM) -> list[int]:
        """Stop gating these skus; returns those that were gated."""
        before = await self.gate.tokens()
        closed = await self.gate.close(sorted(set(sku_ids)))
        await self._audit(by, "gate.close", {i: before.get(i) for i in closed}, dict.fromkeys(closed))
        return closed

    async def _audit(
        self, by: Actor, action: str, before: Mapping[int, int | None], after: Mapping[int, int | None]
    ) -> None:
        """The gate lives outside the database (Redis): its changes are written to the audit log after
        they are made, one entry per sku, in one transaction."""
        if not after:
            return
        async with self.uow() as uow:
            for sku_id in sorted(after):
                await uow.audit.record(
                    by,
                    action,
                    target("sku", sku_id),
                    {"gate_tokens": before.get(sku_id)},
                    {"gate_tokens": after[sku_id]},
                )
            await uow.commit()

    async def status(self) -> list[GateStatus]:
        """Every gated sku: its tokens beside its MySQL stock."""
        tokens = await self.gate.tokens()
        stock = await self._stock(sorted(tokens))
        return [GateStatus(sku_id, tokens[sku_id], stock.get(sku_id)) for sku_id in sorted(tokens)]

    async def reconcile(self, *, by: Actor | None = None) -> GateReconciliation:
        """Set every gated sku's tokens to its MySQL stock; close the gates of skus that are gone.

        The worker runs it every sweep; run by an operator (`by`), what it changed is written to the
        audit log."""
        report = await self._reconcile()
        if by is not None:
            await self._audit(
                by,
                "gate.reconcile",
                {c.sku_id: c.before for c in report.changed},
                {c.sku_id: c.after for c in report.changed},
            )
            await self._audit(by, "gate.close", {}, dict.fromkeys(report.closed))
        return report

    async def _reconcile(self) -> GateReconciliation:
        gated = sorted(await self.gate.tokens())
        if not gated:
            return GateReconciliation(0, [], [])
        stock = await self._stock(gated)
        gone = [sku_id for sku_id in gated if sku_id not in stock]
        if gone:
            await self.gate.close(gone)
        synced = await self.gate.sync(stock)
        changed = [
            GateChange(sku_id, before, after)
            for sku_id, (before, after) in sorted(synced.items())
            if before != after
        ]
        if changed or gone:
            log.info("stock gate reconciled: %d re-synced, %d closed", len(changed), len(gone))
        return GateReconciliation(len(gated), changed, gone)
