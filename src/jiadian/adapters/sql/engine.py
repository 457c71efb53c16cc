"""Engines and small helpers shared by the SQL adapters."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

WRITER_OPTION = "jiadian_writer"


def make_engine(url: str, *, pool_size: int = 10, echo: bool = False) -> AsyncEngine:
    """An async engine tuned per backend (READ COMMITTED on MySQL; WAL and a busy timeout on SQLite)."""
    if url.startswith("sqlite"):
        engine = create_async_engine(url, echo=echo, connect_args={"timeout": 30})

        @event.listens_for(engine.sync_engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @event.listens_for(engine.sync_engine, "begin")
        def _begin(conn: Any) -> None:
            # A unit of work (a writer) takes the write lock at BEGIN, so writers queue instead of
            # failing at COMMIT; plain reads begin deferred and never wait for writers (WAL).
            writer = conn.get_execution_options().get(WRITER_OPTION, False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if writer else "BEGIN")

        # Let the "begin" hook issue BEGIN itself.
        @event.listens_for(engine.sync_engine, "connect")
        def _no_auto_begin(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None

        return engine
    return create_async_engine(
        url,
        echo=echo,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        pool_recycle=3600,
        isolation_level="READ COMMITTED",
    )


def to_db(moment: datetime) -> datetime:
    """Timestamps are stored as naive UTC."""
    return moment.astimezone(UTC).replace(tzinfo=None)


def from_db(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
