"""The in-memory "database": plain dicts, copied on entry to a unit of work and restored on rollback."""

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

    def table(self, name: str) -> dict[Any, Any]:
        return self.tables.setdefault(name, {})

    def next_id(self, name: str) -> int:
        return next(self.counters.setdefault(name, itertools.count(1)))

    def snapshot(self) -> dict[str, dict[Any, Any]]:
        return copy.deepcopy(self.tables)

    def restore(self, snapshot: dict[str, dict[Any, Any]]) -> None:
        self.tables = snapshot
