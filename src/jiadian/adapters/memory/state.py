"""The in-memory "database": plain dicts. Within a unit of work, each table is copied the first time it is
touched (its before-image), and those copies are put back on rollback: a transaction costs the tables
it uses, not the whole database."""

from __future__ import annotations

import asyncio
import copy
import itertools
from dataclasses import dataclass, field
from typing import Any


@dataclass
class MemoryState:
    tables: dict[str, dict[Any, Any]] = field(default_factory=dict)
    counters: dict[str, itertools.count[int]] = field(default_factory=dict)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    # The before-images of the tables touched in the open unit of work (None: none is open). A unit of
    # work holds `lock`, so there is at most one; a read outside it may save a table early, unchanged.
    _before: dict[str, dict[Any, Any]] | None = None

    def table(self, name: str) -> dict[Any, Any]:
        if self._before is not None and name not in self._before:
            self._before[name] = copy.deepcopy(self.tables.get(name, {}))
        return self.tables.setdefault(name, {})

    def next_id(self, name: str) -> int:
        return next(self.counters.setdefault(name, itertools.count(1)))

    def begin(self) -> None:
        """A unit of work starts (or goes on after a commit or a rollback): nothing touched yet."""
        self._before = {}

    def rollback(self) -> None:
        """The tables touched since `begin` as they were then."""
        for name, before in (self._before or {}).items():
            self.tables[name] = before
        self._before = {}

    def end(self) -> None:
        self._before = None
