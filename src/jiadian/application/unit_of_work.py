"""The unit of work: one transaction over the repositories a use case writes through."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Protocol, Self

from jiadian.application.accounts_ports import AddressRepository, UserRepository, WalletRepository
from jiadian.application.catalog_ports import CatalogRepository
from jiadian.application.ordering_ports import OrderRepository, StockRepository
from jiadian.application.payments_ports import PaymentRepository
from jiadian.application.refunds_ports import RefundRepository
from jiadian.application.search_ports import SearchIndex


class UnitOfWork(Protocol):
    """`async with uow_factory() as uow: ...; await uow.commit()` — rolled back unless committed."""

    catalog: CatalogRepository
    users: UserRepository
    addresses: AddressRepository
    wallets: WalletRepository
    orders: OrderRepository
    stock: StockRepository
    payments: PaymentRepository
    search: SearchIndex
    refunds: RefundRepository

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...

    async def commit(self) -> None: ...

    async def rollback(self) -> None: ...


UnitOfWorkFactory = Callable[[], UnitOfWork]
