"""Helpers of the security tests: a shop with the demo catalogue, people in each role, JSON walkers."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx

from jiadian.adapters.demo import DemoLoader
from jiadian.container import Container
from jiadian.domain.accounts import Address
from jiadian.domain.money import Money
from jiadian.domain.wallet import EntryKind, LedgerEntry
from tests.conftest import ShopClient

PASSWORD = "s3cret-Pa55word"
AMOUNT = re.compile(r"^\d{1,9}\.\d{2}$")
# Every key under which the API answers an amount of money.
MONEY_KEYS = frozenset(
    {
        "price",
        "unit_price",
        "line_total",
        "amount",
        "freight",
        "total",
        "balance",
        "total_recharged",
        "total_consumed",
    }
)


async def load_demo(container: Container) -> None:
    """The demo catalogue (4 categories, 24 products, 36 skus, 4 banners), as `make run` loads it."""
    assert await DemoLoader(container.catalog_admin(), container.blobs(), container.search_admin()).load()


async def make_user(
    container: Container, name: str, *, admin: bool = False, balance: str = "0.00"
) -> tuple[int, int]:
    """An account with a wallet holding `balance` and one default address: (user_id, address_id)."""
    user = await container.accounts().create_user(name, f"{name}@example.com", PASSWORD, is_admin=admin)
    async with container.uow() as uow:
        if Money.of(balance) > Money.zero():
            await uow.wallets.apply(user.id, LedgerEntry(EntryKind.RECHARGE, Money.of(balance)))
        address = await uow.addresses.add(
            Address(0, user.id, "王五", "13712345678", "浙江省", "杭州市", "西湖区", "文三路 3 号", True)
        )
        await uow.commit()
    return user.id, address.id


def sibling(client: ShopClient) -> ShopClient:
    """Another browser on the same app (its own cookies)."""
    return ShopClient(transport=client._transport, base_url="http://testserver")


@dataclass
class Person:
    name: str
    user_id: int
    address_id: int
    client: ShopClient


async def person(
    container: Container, client: ShopClient, name: str, *, admin: bool = False, balance: str = "0.00"
) -> Person:
    """A signed-in person with their own client on the app."""
    user_id, address_id = await make_user(container, name, admin=admin, balance=balance)
    own = sibling(client)
    await own.login(name, PASSWORD)
    return Person(name, user_id, address_id, own)


def strict_json(response: httpx.Response) -> Any:
    """The body as JSON, failing on any float (amounts must be strings; counts are integers)."""

    def no_float(text: str) -> Any:
        raise AssertionError(f"a float in {response.request.method} {response.request.url}: {text}")

    return json.loads(response.text, parse_float=no_float)


def walk(value: Any, path: str = "$") -> Iterator[tuple[str, dict[str, Any], str, Any]]:
    """(path, object, key, value) of every member of every object, depth first."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield path, value, key, item
            yield from walk(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from walk(item, f"{path}[{index}]")


def money_members(value: Any) -> list[tuple[str, Any]]:
    """(path, value) of every member named like an amount of money (a page's `total` is a count)."""
    return [
        (f"{path}.{key}", item)
        for path, parent, key, item in walk(value)
        if key in MONEY_KEYS and not (key == "total" and "pages" in parent)
    ]
