"""The MariaDB engine's pool: no pre-ping, so a connection the server dropped must cost one clean 503
(never a 500, never a hung request), after which the pool has connected afresh; and no ROLLBACK on
return after a unit of work that ended its transaction itself."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine
from tests.conftest import open_client, settings_for

from jiadian.adapters.clock import FixedClock
from jiadian.adapters.search.analyzer import shared_analyzer
from jiadian.adapters.sql.engine import make_engine
from jiadian.adapters.sql.uow import SqlUnitOfWork
from jiadian.container import build_container

pytestmark = pytest.mark.mysql


async def test_a_pooled_connection_the_server_dropped_answers_503_once_then_recovers(
    mysql_database: str, tmp_path: Path
) -> None:
    app = build_container(settings_for(tmp_path, database_url=mysql_database, database_pool_size=1))
    await app.accounts().create_user("dropped", "dropped@example.com", "secret-123")
    server = create_async_engine(mysql_database)
    try:
        async for client in open_client(app):
            await client.login("dropped", "secret-123")
            assert (await client.get("/api/orders")).status_code == 200
            async with app.engine().connect() as conn:  # the one pooled connection
                pooled = (await conn.execute(text("SELECT CONNECTION_ID()"))).scalar_one()
            async with server.connect() as conn:
                await conn.execute(text(f"KILL CONNECTION {int(pooled)}"))

            first = await client.get("/api/orders")
            assert first.status_code == 503, first.text
            assert first.json()["code"] == "service_unavailable"
            again = await client.get("/api/orders")
            assert again.status_code == 200, again.text
    finally:
        await server.dispose()
        await app.engine().dispose()


async def _rollbacks(conn: AsyncConnection) -> tuple[int, int]:
    """(this session's ROLLBACK count, its connection id), from MariaDB's own counters."""
    row = (await conn.execute(text("SHOW SESSION STATUS LIKE 'Com_rollback'"))).one()
    return int(row[1]), int((await conn.execute(text("SELECT CONNECTION_ID()"))).scalar_one())


async def test_a_connection_goes_back_to_the_pool_without_a_second_rollback(mysql_database: str) -> None:
    """After a unit of work's COMMIT (or its own ROLLBACK) the pool adds none; anything else is rolled back."""
    engine = make_engine(mysql_database, pool_size=1)
    clock = FixedClock(datetime(2026, 1, 1, tzinfo=UTC))
    try:
        async with SqlUnitOfWork(engine, clock, shared_analyzer()) as uow:
            before, conn_id = await _rollbacks(uow.connection)
            await uow.commit()
        async with SqlUnitOfWork(engine, clock, shared_analyzer()) as uow:
            assert await _rollbacks(uow.connection) == (before, conn_id)  # the same connection, no ROLLBACK
            # Left without a commit (holding a row lock): rolled back exactly once.
            await uow.connection.execute(text("SELECT id FROM users WHERE id = 1 FOR UPDATE"))
        async with engine.connect() as conn:
            assert await _rollbacks(conn) == (before + 1, conn_id)
            await conn.commit()  # not a unit of work: the pool rolls back on return, as it always did
        async with engine.connect() as conn:
            assert await _rollbacks(conn) == (before + 2, conn_id)
    finally:
        await engine.dispose()
