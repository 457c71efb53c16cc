"""The SQL unit of work: one connection, one transaction, the repositories bound to it."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from jiadian.adapters.search.analyzer import Analyzer
from jiadian.adapters.sql.accounts import SqlAddressRepository, SqlUserRepository, SqlWalletRepository
from jiadian.adapters.sql.catalog import SqlCatalogRepository
from jiadian.adapters.sql.engine import WRITER_OPTION, transaction_ended
from jiadian.adapters.sql.ordering import SqlOrderRepository, SqlStockRepository
from jiadian.adapters.sql.payments import SqlPaymentRepository
from jiadian.adapters.sql.refunds import SqlRefundRepository
from jiadian.adapters.sql.search import SqlSearchIndex
from jiadian.application.ports import Clock


class SqlUnitOfWork:
    catalog: SqlCatalogRepository
    users: SqlUserRepository
    addresses: SqlAddressRepository
    wallets: SqlWalletRepository
    orders: SqlOrderRepository
    stock: SqlStockRepository
    payments: SqlPaymentRepository
    search: SqlSearchIndex
    refunds: SqlRefundRepository

    def __init__(self, engine: AsyncEngine, clock: Clock, analyzer: Analyzer) -> None:
        self._engine = engine
        self._clock = clock
        self._analyzer = analyzer
        self._conn: AsyncConnection | None = None

    @property
    def connection(self) -> AsyncConnection:
        if self._conn is None:
            raise RuntimeError("the unit of work is not open")
        return self._conn

    async def __aenter__(self) -> Self:
        self._conn = await self._engine.connect()
        await self._conn.execution_options(**{WRITER_OPTION: True})
        await self._conn.begin()
        self.catalog = SqlCatalogRepository(self._conn, self._clock)
        self.users = SqlUserRepository(self._conn, self._clock)
        self.addresses = SqlAddressRepository(self._conn, self._clock)
        self.wallets = SqlWalletRepository(self._conn, self._clock)
        self.orders = SqlOrderRepository(self._conn)
        self.stock = SqlStockRepository(self._conn)
        self.payments = SqlPaymentRepository(self._conn)
        self.search = SqlSearchIndex(self._conn, self._analyzer, self._clock)
        self.refunds = SqlRefundRepository(self._conn)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            if conn.in_transaction():
                await conn.rollback()
            transaction_ended(conn)
        finally:
            await conn.close()

    async def commit(self) -> None:
        await self.connection.commit()

    async def rollback(self) -> None:
        await self.connection.rollback()
