"""Where the in-memory state refers to blob-store files (`FileReferences`).

Rows are the dataclasses the memory repositories keep; a table absent from the state (nothing
written to it yet) has no references. Product cards are derived on the fly here, so the product
rows hold no image of their own.
"""

from __future__ import annotations

from dataclasses import replace

from jiadian.adapters.memory.state import MemoryState

# (table, attribute) of every row field holding a file id ("" means none).
FILE_FIELDS: tuple[tuple[str, str], ...] = (
    ("categories", "image"),
    ("sku_images", "image"),
    ("banners", "image"),
    ("users", "avatar"),
    ("order_lines", "image"),
)


class MemoryFileReferences:
    def __init__(self, state: MemoryState) -> None:
        self._s = state

    def _values(self) -> list[str]:
        return [
            value
            for table, name in FILE_FIELDS
            for row in self._s.tables.get(table, {}).values()
            if isinstance(value := getattr(row, name, ""), str) and value
        ]

    async def file_ids(self) -> list[str]:
        return sorted(set(self._values()))

    async def count(self, file_id: str) -> int:
        return sum(1 for value in self._values() if value == file_id) if file_id else 0

    async def rewrite(self, old: str, new: str) -> int:
        if not old:
            return 0
        changed = 0
        async with self._s.lock:  # as a unit of work does: one writer at a time
            for table, name in FILE_FIELDS:
                rows = self._s.tables.get(table, {})
                for key, row in list(rows.items()):
                    if getattr(row, name, None) == old:
                        rows[key] = replace(row, **{name: new})
                        changed += 1
        return changed
