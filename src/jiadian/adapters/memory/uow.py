"""The in-memory unit of work: one at a time, all-or-nothing by the before-images of the tables it
touches (`MemoryState`)."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from jiadian.adapters.memory.accounts import (
    MemoryAddressRepository,
    MemoryUserRepository,
    MemoryWalletRepository,
)
from jiadian.adapters.memory.audit import MemoryAuditLog
from jiadian.adapters.memory.catalog import MemoryCatalogRepository
from jiadian.adapters.memory.ordering import MemoryOrderRepository, MemoryStockRepository
from jiadian.adapters.memory.payments import MemoryPaymentRepository
from jiadian.adapters.memory.refunds import MemoryRefundRepository
from jiadian.adapters.memory.search import MemorySearchIndex
from jiadian.adapters.memory.state import MemoryState
from jiadian.adapters.search.analyzer import Analyzer
from jiadian.application.ports import Clock


class MemoryUnitOfWork:
    catalog: MemoryCatalogRepository
    users: MemoryUserRepository
    addresses: MemoryAddressRepository
    wallets: MemoryWalletRepository
    orders: MemoryOrderRepository
    stock: MemoryStockRepository
    payments: MemoryPaymentRepository
    audit: MemoryAuditLog
    search: MemorySearchIndex
    refunds: MemoryRefundRepository

    def __init__(self, state: MemoryState, clock: Clock, analyzer: Analyzer) -> None:
        self._state = state
        self._clock = clock
        self._analyzer = analyzer

    async def __aenter__(self) -> Self:
        await self._state.lock.acquire()
        self._state.begin()
        self.catalog = MemoryCatalogRepository(self._state, self._clock)
        self.users = MemoryUserRepository(self._state, self._clock)
        self.addresses = MemoryAddressRepository(self._state)
        self.wallets = MemoryWalletRepository(self._state, self._clock)
        self.orders = MemoryOrderRepository(self._state)
        self.stock = MemoryStockRepository(self._state)
        self.payments = MemoryPaymentRepository(self._state)
        self.audit = MemoryAuditLog(self._state, self._clock)
        self.search = MemorySearchIndex(self._state, self._analyzer)
        self.refunds = MemoryRefundRepository(self._state)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            await self.rollback()
        finally:
            self._state.end()
            self._state.lock.release()

    async def commit(self) -> None:
        self._state.begin()

    async def rollback(self) -> None:
        self._state.rollback()
