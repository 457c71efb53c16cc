"""The testing kit: a whole shop in memory, driven from Python — for people who test with the shop.

```python
from jiadian.testing import in_memory_shop

shop = in_memory_shop()                                  # every port in memory, the clock at 2026-01-01 UTC
sku = await shop.given_sku(price="1999.00", stock=5)      # a category, a product, one sku
buyer = await shop.given_buyer(balance="5000.00")         # a user with a wallet and an address
order = await shop.given_paid_order(buyer, sku)           # placed, then paid from the wallet
await shop.advance(minutes=5)                             # the clock moves; automatic shipping runs
await shop.orders.confirm_receipt(buyer.id, order.id)
```

`in_memory_shop()` builds the composition root (`jiadian.container`) on the in-memory adapters —
database, cart, cache, sessions, codes, stock gate, mail, blob store — with a `FixedClock` and a task
queue on that clock (`ScheduledTaskQueue`): nothing touches the network, and no file is written
unless the test asks for one (the local blob store, an SQLite engine). The use cases are properties
named as in the container (`shop.checkout`, `shop.orders`, `shop.fulfilment`, …); the `given_*`
builders set up the usual starting points through those same use cases. The environment
(`JIADIAN_*` variables, `.env`) is not read: a shop is the same on every machine, and its settings
are the keyword arguments of `in_memory_shop`.

`jiadian.testing.plugin` offers all of it to pytest as fixtures (`shop`, `buyer`, `sku`,
`placed_order`, `paid_order`); see docs/testing.md.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from dependency_injector import providers
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

from jiadian.adapters.clock import FixedClock
from jiadian.adapters.memory.blobs import MemoryBlobStore
from jiadian.adapters.memory.mail import MemoryMailer, SentMail
from jiadian.adapters.memory.state import MemoryState
from jiadian.adapters.memory.tasks import ScheduledTask, ScheduledTaskQueue
from jiadian.adapters.passwords import Argon2Hasher
from jiadian.application.accounts import Accounts, Profiles, Registration
from jiadian.application.addresses import AddressBook, AddressFields
from jiadian.application.blobs import BlobFiles
from jiadian.application.cart import ShoppingCart, ViewingHistory
from jiadian.application.catalog import Catalog
from jiadian.application.catalog_admin import CatalogAdmin, ProductSpec, SkuSpec
from jiadian.application.checkout import BuyNow, Checkout, CheckoutRequest
from jiadian.application.fulfilment import Fulfilment
from jiadian.application.orders import Orders
from jiadian.application.passwords import Passwords
from jiadian.application.payments import Payments
from jiadian.application.refunds import Refunds
from jiadian.application.sign_in import SignIn
from jiadian.application.stock_gate import StockGates
from jiadian.application.tasks import Task
from jiadian.application.wallets import Wallets
from jiadian.container import Container, build_container, use_memory
from jiadian.domain.accounts import Address, User
from jiadian.domain.catalog import Category, Product, Sku
from jiadian.domain.errors import DomainError, InsufficientStock, NotFound, ValidationFailed
from jiadian.domain.money import Money
from jiadian.domain.ordering import IllegalTransition, Order, OrderStatus
from jiadian.domain.wallet import InsufficientBalance, Wallet
from jiadian.settings import Settings

# The kit, and the names a test of the shop needs most (all documented in docs/testing.md).
__all__ = [
    "PASSWORD",
    "START",
    "AddressFields",
    "BuyNow",
    "Buyer",
    "CheckoutRequest",
    "DomainError",
    "FixedClock",
    "IllegalTransition",
    "InMemoryShop",
    "InsufficientBalance",
    "InsufficientStock",
    "Money",
    "NotFound",
    "Order",
    "OrderStatus",
    "ProductSpec",
    "ScheduledTask",
    "ScheduledTaskQueue",
    "SentMail",
    "SkuSpec",
    "ValidationFailed",
    "in_memory_shop",
    "settings_only",
]

START = datetime(2026, 1, 1, tzinfo=UTC)
"""Where the clock of a new shop stands: 2026-01-01 00:00 UTC."""
PASSWORD = "test-Pa55word"  # noqa: S105 - a test shop's users, in memory only
"""The password of every user the builders create."""

_numbers = itertools.count(1)


class _ExplicitSettings(Settings):
    """Settings from keyword arguments only: no `JIADIAN_*` variables, no `.env` file."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)


def settings_only(**overrides: Any) -> Settings:
    """The settings of a test shop: the defaults (no demo catalogue, no migration) and `overrides` only.

    Any field of `jiadian.settings.Settings` can be given, e.g. `stock_strategy="pessimistic"`,
    `order_ttl_seconds=60`, `freight="0.00"`, `recharge_enabled=True`.
    """
    values: dict[str, Any] = {"auto_demo": False, "auto_migrate": False}
    values.update(overrides)
    return _ExplicitSettings(**values)


@dataclass(frozen=True, slots=True)
class Buyer:
    """A user the builders made: signed up with `PASSWORD`, a wallet, and one (default) address."""

    user: User
    address: Address

    @property
    def id(self) -> int:
        return self.user.id

    @property
    def address_id(self) -> int:
        return self.address.id

    @property
    def username(self) -> str:
        return self.user.username


@dataclass
class InMemoryShop:
    """A shop on the in-memory adapters: its container, state, clock, and its use cases by name.

    Build it with `in_memory_shop()`. The use cases are the container's (the same objects the HTTP API,
    the CLI and the worker call), so what a test sees here is what a shopper would see.
    """

    container: Container
    state: MemoryState
    clock: FixedClock
    tasks: ScheduledTaskQueue
    blobs: MemoryBlobStore
    mailer: MemoryMailer = field(repr=False)

    # --- the use cases, by name ---

    @property
    def settings(self) -> Settings:
        return self.container.settings()

    @property
    def catalog(self) -> Catalog:
        """What shoppers browse: home, lists, search, product detail, reviews."""
        return self.container.catalog()

    @property
    def catalog_admin(self) -> CatalogAdmin:
        """The operator's catalogue: categories, products, skus, stock, prices, images, banners."""
        return self.container.catalog_admin()

    @property
    def cart(self) -> ShoppingCart:
        return self.container.shopping_cart()

    @property
    def history(self) -> ViewingHistory:
        return self.container.viewing_history()

    @property
    def checkout(self) -> Checkout:
        """Preview and place orders (`CheckoutRequest(sku_ids=…)` from the cart, or `buy_now=BuyNow(…)`)."""
        return self.container.checkout()

    @property
    def orders(self) -> Orders:
        """A shopper's own orders: list, detail, pay, cancel, confirm receipt, review."""
        return self.container.orders()

    @property
    def fulfilment(self) -> Fulfilment:
        """The operator's and the worker's side: ship, cancel, expire, and the sweeps."""
        return self.container.fulfilment()

    @property
    def payments(self) -> Payments:
        """Gateway payments (the simulator by default): notifications, reconcile, `simulate_pay`."""
        return self.container.payments()

    @property
    def refunds(self) -> Refunds:
        """Refunds of paid, unshipped orders: the buyer's request, the operator's approval or refusal."""
        return self.container.refunds()

    @property
    def accounts(self) -> Accounts:
        return self.container.accounts()

    @property
    def registration(self) -> Registration:
        return self.container.registration()

    @property
    def sign_in(self) -> SignIn:
        return self.container.sign_in()

    @property
    def passwords(self) -> Passwords:
        """Forgotten passwords (a code by mail) and password changes."""
        return self.container.passwords()

    @property
    def profiles(self) -> Profiles:
        return self.container.profiles()

    @property
    def addresses(self) -> AddressBook:
        return self.container.address_book()

    @property
    def wallets(self) -> Wallets:
        return self.container.wallets()

    @property
    def stock_gates(self) -> StockGates:
        return self.container.stock_gates()

    @property
    def blob_files(self) -> BlobFiles:
        return self.container.blob_files()

    # --- time ---

    async def advance(self, **delta: float) -> list[Task]:
        """Move the clock (`hours=24`, `minutes=5`, …) and run the background tasks that came due.

        What the worker would have done meanwhile: expire unpaid orders, ship paid ones. Returns the
        tasks that ran. (`shop.clock.advance(...)` moves the clock alone, like a stopped worker.)
        """
        self.clock.advance(**delta)
        return await self.tasks.run_due()

    # --- the usual givens ---

    async def given_category(self, slug: str = "intelligence", name: str = "智能设备") -> Category:
        """The category of that slug: made when missing."""
        async with self.container.uow() as uow:
            found = await uow.catalog.find_category(slug)
        if found is not None:
            return found
        return await self.catalog_admin.add_category(name, slug)

    async def given_product(
        self,
        *skus: SkuSpec | tuple[str, int],
        category: str = "intelligence",
        spu: str | None = None,
        name: str | None = None,
        on_shelf: bool = True,
    ) -> Product:
        """A product with skus — `SkuSpec`s, or (price, stock) pairs — in a category (made when missing).

        By default one sku at 100.00 with 10 in stock; names are numbered so each call makes a new product.
        """
        await self.given_category(category, _CATEGORY_NAMES.get(category, category))
        number = next(_numbers)
        specs = [
            spec
            if isinstance(spec, SkuSpec)
            else SkuSpec(spec[0], spec[1], color=f"颜色{i}", size=f"规格{i}")
            for i, spec in enumerate(skus or [("100.00", 10)])
        ]
        spec = ProductSpec(
            category, spu or f"系列{number}", name or f"商品{number}", specs, on_shelf=on_shelf
        )
        return await self.catalog_admin.upsert_product(spec)

    async def given_sku(
        self,
        *,
        price: str = "100.00",
        stock: int = 10,
        color: str = "黑色",
        size: str = "标准",
        category: str = "intelligence",
        on_shelf: bool = True,
    ) -> Sku:
        """One sku of a new product."""
        spec = SkuSpec(price, stock, color=color, size=size)
        product = await self.given_product(spec, category=category, on_shelf=on_shelf)
        return product.skus[0]

    async def given_buyer(
        self, *, balance: str = "0.00", username: str | None = None, email: str | None = None
    ) -> Buyer:
        """A user (password `PASSWORD`) with `balance` in the wallet and one default address."""
        name = username or f"buyer{next(_numbers)}"
        user = await self.accounts.create_user(name, email or f"{name}@example.com", PASSWORD)
        if Decimal(balance) > 0:
            await self.wallets.recharge(user.id, balance)
        address = await self.addresses.add(
            user.id, AddressFields("张三", "13812345678", "广东省", "深圳市", "南山区", "科技园1号", True)
        )
        return Buyer(user, address)

    async def given_cart(self, buyer: Buyer | int, lines: dict[int, int]) -> None:
        """Put {sku_id: count} in the buyer's cart (through the cart use case: stock is checked)."""
        for sku_id, count in lines.items():
            await self.cart.add(_user_id(buyer), sku_id, count)

    async def given_placed_order(
        self, buyer: Buyer, *skus: Sku | int, count: int = 1, mark: str = ""
    ) -> Order:
        """An order awaiting payment: "buy now" of one sku, or several skus through the cart.

        `count` of each sku; without skus, a new one at 100.00.
        """
        ids = [each.id if isinstance(each, Sku) else each for each in skus]
        if not ids:
            ids = [(await self.given_sku()).id]
        if len(ids) == 1:
            request = CheckoutRequest(buy_now=BuyNow(ids[0], count))
        else:
            await self.given_cart(buyer, dict.fromkeys(ids, count))
            request = CheckoutRequest(sku_ids=tuple(ids))
        return await self.checkout.place(buyer.id, request, address_id=buyer.address_id, mark=mark)

    async def given_paid_order(self, buyer: Buyer, *skus: Sku | int, count: int = 1) -> Order:
        """An order paid from the wallet (awaiting shipment). The wallet is topped up first if short."""
        order = await self.given_placed_order(buyer, *skus, count=count)
        wallet = await self.wallets.show(buyer.id)
        if wallet.balance < order.total:
            await self.wallets.recharge(buyer.id, str(order.total - wallet.balance))
        paid = await self.orders.pay(buyer.id, order.id, "wallet")
        assert isinstance(paid, Order)
        return paid

    # --- reading back ---

    async def sku(self, sku_id: int) -> Sku:
        """A sku as stored now (stock, sales)."""
        async with self.container.uow() as uow:
            found = await uow.catalog.get_sku(sku_id)
        if found is None:
            raise LookupError(f"no sku {sku_id}")
        return found

    async def order(self, order_id: str) -> Order:
        """An order as stored now."""
        return await self.fulfilment.show(order_id)

    async def wallet(self, buyer: Buyer | int) -> Wallet:
        return await self.wallets.show(_user_id(buyer))


_CATEGORY_NAMES = {
    "intelligence": "智能设备",
    "electricity": "家用电器",
    "computer": "电脑产品",
    "headset": "高端耳机",
}


def _user_id(buyer: Buyer | int) -> int:
    return buyer if isinstance(buyer, int) else buyer.id


def in_memory_shop(
    *, clock: FixedClock | None = None, start: datetime | None = None, **settings: Any
) -> InMemoryShop:
    """A whole shop in memory, on a clock of its own (or `clock`), built from `settings` alone.

    `start` sets where a new clock stands (default 2026-01-01 00:00 UTC). Passwords are hashed with
    argon2 at its cheapest cost (real hashes, in well under a millisecond).
    """
    container = build_container(settings_only(**settings))
    clock = clock or FixedClock(start or START)
    container.clock.override(providers.Object(clock))
    state = use_memory(container)
    container.hasher.override(providers.Object(Argon2Hasher(time_cost=1, memory_cost=8, parallelism=1)))
    mailer = MemoryMailer()
    container.mailer.override(providers.Object(mailer))
    tasks = ScheduledTaskQueue(container.task_handlers, clock)
    container.task_queue.override(providers.Object(tasks))
    blobs = container.blobs()
    assert isinstance(blobs, MemoryBlobStore)
    return InMemoryShop(container, state, clock, tasks, blobs, mailer)
