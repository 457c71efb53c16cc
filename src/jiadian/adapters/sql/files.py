"""Where the SQL schema refers to blob-store files (`FileReferences`)."""

from __future__ import annotations

from sqlalchemy import Column, func, literal_column, select, union, update
from sqlalchemy.ext.asyncio import AsyncEngine

from jiadian.adapters.sql.tables import banners, categories, order_lines, products, sku_images, users

# Every column holding a file id ("" means none). Keep in step with tables.py.
FILE_COLUMNS: tuple[Column[str], ...] = (
    categories.c.image,
    sku_images.c.image,
    products.c.image,  # the card: a copy of its first sku's first image
    banners.c.image,
    users.c.avatar,
    order_lines.c.image,  # the snapshot taken when the order was placed
)


class SqlFileReferences:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def file_ids(self) -> list[str]:
        query = union(
            *(select(column.label("file_id")).where(column != "").distinct() for column in FILE_COLUMNS)
        ).subquery()
        async with self._engine.connect() as conn:
            rows = await conn.execute(select(query.c.file_id).order_by(query.c.file_id))
            return [str(row.file_id) for row in rows]

    async def count(self, file_id: str) -> int:
        if not file_id:
            return 0
        async with self._engine.connect() as conn:
            total = 0
            for column in FILE_COLUMNS:
                query = (
                    select(func.count(literal_column("*"))).select_from(column.table).where(column == file_id)
                )
                total += int((await conn.execute(query)).scalar_one())
            return total

    async def rewrite(self, old: str, new: str) -> int:
        if not old:
            return 0
        changed = 0
        async with self._engine.begin() as conn:
            for column in FILE_COLUMNS:
                table = column.table
                result = await conn.execute(update(table).where(column == old).values({column.name: new}))
                changed += result.rowcount
        return changed
