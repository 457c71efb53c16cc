"""The pytest plugin of the testing kit (registered as the `pytest11` entry point `jiadian`).

Installed with the shop, it offers these fixtures to every test session:

- `shop_settings` — a dict of settings for the shop (override it in a conftest.py to change them);
- `shop` — a fresh `InMemoryShop` per test (synchronous: it only builds objects);
- `buyer`, `sku`, `placed_order`, `paid_order` — the usual givens, built in the test's event loop:
  a buyer with 10000.00 in the wallet and an address; a sku at 1999.00 with 10 in stock; that buyer's
  order of one of that sku, awaiting payment; the same order paid from the wallet.

The shop's use cases are coroutines, so its tests are `async def` and need pytest-asyncio: with
`asyncio_mode = "auto"` nothing needs marking; in the default strict mode mark each test
`@pytest.mark.asyncio`. The async fixtures are declared through pytest-asyncio and work in both
modes; without pytest-asyncio installed only `shop_settings` and `shop` are offered.

Turn the plugin off with `-p no:jiadian`.
"""

from __future__ import annotations

from typing import Any

import pytest

from jiadian.domain.catalog import Sku
from jiadian.domain.ordering import Order
from jiadian.testing import Buyer, InMemoryShop, in_memory_shop

BUYER_BALANCE = "10000.00"
SKU_PRICE = "1999.00"
SKU_STOCK = 10


@pytest.fixture
def shop_settings() -> dict[str, Any]:
    """Settings of the `shop` fixture (keyword arguments of `in_memory_shop`); none by default."""
    return {}


@pytest.fixture
def shop(shop_settings: dict[str, Any]) -> InMemoryShop:
    """A whole shop in memory, its clock at 2026-01-01 00:00 UTC."""
    return in_memory_shop(**shop_settings)


try:
    import pytest_asyncio
except ImportError:  # pragma: no cover - the kit's synchronous fixtures still work
    pass
else:

    @pytest_asyncio.fixture
    async def buyer(shop: InMemoryShop) -> Buyer:
        """A user with 10000.00 in the wallet and one default address."""
        return await shop.given_buyer(balance=BUYER_BALANCE)

    @pytest_asyncio.fixture
    async def sku(shop: InMemoryShop) -> Sku:
        """A sku at 1999.00 with 10 in stock, on the shelf, in the category `intelligence`."""
        return await shop.given_sku(price=SKU_PRICE, stock=SKU_STOCK)

    @pytest_asyncio.fixture
    async def placed_order(shop: InMemoryShop, buyer: Buyer, sku: Sku) -> Order:
        """The buyer's order of one `sku`, awaiting payment."""
        return await shop.given_placed_order(buyer, sku)

    @pytest_asyncio.fixture
    async def paid_order(shop: InMemoryShop, buyer: Buyer, placed_order: Order) -> Order:
        """`placed_order`, paid from the buyer's wallet (awaiting shipment)."""
        paid = await shop.orders.pay(buyer.id, placed_order.id, "wallet")
        assert isinstance(paid, Order)
        return paid
