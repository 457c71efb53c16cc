"""Engines and small helpers shared by the SQL adapters."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import PoolResetState

WRITER_OPTION = "jiadian_writer"
_ENDED = "jiadian_transaction_ended"


def transaction_ended(conn: AsyncConnection) -> None:
    """Say that `conn` ended its transaction itself (COMMIT or ROLLBACK) and ran nothing since: the pool
    then takes it back without a ROLLBACK of its own (a round trip for nothing, after every unit of work)."""
    if not conn.invalidated:
        conn.info[_ENDED] = True


def _reset_on_return(dbapi_connection: Any, record: Any, state: PoolResetState) -> None:
    """The pool's reset of a returned connection (both engines set `pool_reset_on_return=None` and
    listen with this): a rollback, unless the transaction is known to be over."""
    ended = record is not None and record.info.pop(_ENDED, False)
    if ended or state.transaction_was_reset or not state.asyncio_safe:
        return
    dbapi_connection.rollback()


def make_engine(url: str, *, pool_size: int = 10, echo: bool = False) -> AsyncEngine:
    """An async engine tuned per backend (READ COMMITTED on MySQL; WAL and a busy timeout on SQLite)."""
    if url.startswith("sqlite"):
        engine = create_async_engine(url, echo=echo, connect_args={"timeout": 30}, pool_reset_on_return=None)
        event.listen(engine.sync_engine, "reset", _reset_on_return)

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
    # No pre-ping (a round trip on every checkout): connections are recycled well within the server's
    # wait_timeout, and one the server dropped anyway (a restart) fails its first statement. That
    # disconnect invalidates the whole pool, the request answers 503 (DBAPIError, never retried: the
    # commit may have happened), and the next checkouts connect afresh.
    engine = create_async_engine(
        url,
        echo=echo,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_recycle=3600,
        pool_reset_on_return=None,
        isolation_level="READ COMMITTED",
    )
    event.listen(engine.sync_engine, "reset", _reset_on_return)
    return engine


def to_db(moment: datetime) -> datetime:
    """Timestamps are stored as naive UTC."""
    return moment.astimezone(UTC).replace(tzinfo=None)


def from_db(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
