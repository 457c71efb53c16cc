"""A shop set up for checkout tests: skus, buyers with wallets and addresses, and the order use cases.

Works on any container (memory, SQLite, MariaDB): everything goes through the unit of work.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select

from jiadian.adapters.clock import FixedClock
from jiadian.adapters.sql.retry import DatabaseRetry
from jiadian.adapters.sql.tables import products
from jiadian.application.accounts_ports import NewUser
from jiadian.application.catalog_ports import NewSku
from jiadian.application.checkout import BuyNow, Checkout, CheckoutRequest
from jiadian.application.fulfilment import Fulfilment
from jiadian.application.orders import Orders
from jiadian.application.stock import stock_keeper
from jiadian.application.stock_gate import NO_GATE, StockGate
from jiadian.container import Container
from jiadian.domain.accounts import Address
from jiadian.domain.catalog import Sku
from jiadian.domain.errors import InsufficientStock
from jiadian.domain.money import Money
from jiadian.domain.ordering import Order
from jiadian.domain.wallet import EntryKind, LedgerEntry
from tests.fakes.tasks import RecordingTaskQueue

_names = itertools.count(1)


@dataclass
class OrderingShop:
    container: Container
    clock: FixedClock
    tasks: RecordingTaskQueue = field(default_factory=RecordingTaskQueue)
    strategy: str = "conditional"
    gate: StockGate = NO_GATE
    group_commit: bool = False
    group_commit_max: int = 200

    def __post_init__(self) -> None:
        common = {
            "uow": self.container.uow,
            "clock": self.clock,
            "retry": DatabaseRetry(),
            "order_ttl_seconds": 24 * 3600,
            "ship_after_seconds": 300,
            "gate": self.gate,
            "stock_moved": self.container.live_values().moved,  # as the container wires them
        }
        self.carts = self.container.cart_store()
        self.checkout = Checkout(
            carts=self.carts,
            stock=stock_keeper(self.strategy),
            catalog=self.container.catalog(),
            tasks=self.tasks,
            group_commit=self.group_commit,
            group_commit_max=self.group_commit_max,
            **common,  # type: ignore[arg-type]
        )
        self.orders = Orders(tasks=self.tasks, **common)  # type: ignore[arg-type]
        self.fulfilment = Fulfilment(**common)  # type: ignore[arg-type]

    # --- catalogue ---

    async def given_sku(
        self,
        *,
        price: str = "100.00",
        stock: int = 10,
        on_shelf: bool = True,
        product_id: int | None = None,
        size: str = "标准",
        color: str = "黑色",
    ) -> Sku:
        async with self.container.uow() as uow:
            if product_id is None:
                category = await uow.catalog.find_category("intelligence")
                if category is None:
                    category = await uow.catalog.add_category("智能设备", "intelligence", "")
                n = next(_names)
                spu = await uow.catalog.add_spu(f"手机 {n}", "详情", category.id)
                product = await uow.catalog.add_product(f"手机 {n} Pro", spu.id, category.id, on_shelf)
                product_id = product.id
            sku = await uow.catalog.add_sku(
                product_id, NewSku(Money.of(price), stock, color, size, [f"img/{next(_names)}.png"])
            )
            await uow.commit()
        return sku

    async def sku(self, sku_id: int) -> Sku:
        async with self.container.uow() as uow:
            found = await uow.catalog.get_sku(sku_id)
        assert found is not None
        return found

    async def product_sales(self, product_id: int) -> int:
        """The denormalised products.sales column (SQL only)."""
        async with self.container.engine().connect() as conn:
            return int(
                (await conn.execute(select(products.c.sales).where(products.c.id == product_id))).scalar_one()
            )

    # --- buyers ---

    async def given_buyer(self, *, balance: str = "0.00", name: str | None = None) -> tuple[int, int]:
        """A user with a wallet holding `balance` and one address: (user_id, address_id)."""
        async with self.container.uow() as uow:
            user = await uow.users.add(NewUser(name or f"buyer{next(_names)}", "b@example.com", "not-a-hash"))
            if Decimal(balance) > 0:
                await uow.wallets.apply(user.id, LedgerEntry(EntryKind.RECHARGE, Money.of(balance)))
            address = await uow.addresses.add(
                Address(0, user.id, "张三", "13812345678", "广东省", "深圳市", "南山区", "科技园 1 号", True)
            )
            await uow.commit()
        return user.id, address.id

    async def balance(self, user_id: int) -> Money:
        async with self.container.uow() as uow:
            wallet = await uow.wallets.get(user_id)
        assert wallet is not None
        return wallet.balance

    # --- shortcuts ---

    async def buy(
        self, user_id: int, address_id: int, sku_id: int, count: int = 1, **kwargs: object
    ) -> Order:
        return await self.checkout.place(
            user_id,
            CheckoutRequest(buy_now=BuyNow(sku_id, count)),
            address_id=address_id,
            **kwargs,  # type: ignore[arg-type]
        )


@dataclass(frozen=True)
class Sale:
    """How a flash sale ended: the orders placed, the buyers refused, and how long it took."""

    placed: list[Order]
    refused: list[InsufficientStock]
    seconds: float


async def flash_sale(shop: OrderingShop, people: list[tuple[int, int]], sku_id: int) -> Sale:
    """Every buyer buys one of the sku at once; anything but an order or a refusal fails the test."""
    started = time.perf_counter()
    results = await asyncio.gather(
        *(shop.buy(user, address, sku_id) for user, address in people), return_exceptions=True
    )
    seconds = time.perf_counter() - started
    unexpected = [r for r in results if not isinstance(r, Order | InsufficientStock)]
    assert unexpected == []
    return Sale(
        [r for r in results if isinstance(r, Order)],
        [r for r in results if isinstance(r, InsufficientStock)],
        seconds,
    )
