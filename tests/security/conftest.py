"""Fixtures of the security tests: a shop on a migrated SQLite copy, and people in each role on it."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from dependency_injector import providers

from jiadian.adapters.clock import FixedClock
from jiadian.container import Container, build_container
from tests.conftest import ShopClient, open_client, settings_for
from tests.fakes.alipay_gateway import FakeAlipayGateway, RsaKeyPair, generate_rsa_key_pair
from tests.fakes.tasks import RecordingTaskQueue
from tests.ordering_support import OrderingShop
from tests.security.support import Person, person, sibling


@dataclass
class Shop:
    """The app over its own database, an anonymous browser, and the order set-up helpers."""

    container: Container
    client: ShopClient
    clock: FixedClock
    tasks: RecordingTaskQueue
    orders: OrderingShop
    browsers: list[ShopClient] = field(default_factory=list)

    async def person(self, name: str, *, admin: bool = False, balance: str = "0.00") -> Person:
        someone = await person(self.container, self.client, name, admin=admin, balance=balance)
        self.browsers.append(someone.client)
        return someone

    def anonymous(self) -> ShopClient:
        browser = sibling(self.client)
        self.browsers.append(browser)
        return browser


ShopFactory = Callable[..., AbstractAsyncContextManager[Shop]]


@pytest.fixture
def make_shop(tmp_path: Path, migrated_sqlite: Path, clock: FixedClock) -> ShopFactory:
    """`async with make_shop(**settings) as shop:` — a shop whose settings differ from the default.

    Its background tasks are recorded, not run, unless `record_tasks=False`."""

    @asynccontextmanager
    async def factory(*, record_tasks: bool = True, **overrides: object) -> AsyncIterator[Shop]:
        home = tmp_path / f"shop{len(list(tmp_path.glob('shop*')))}"
        home.mkdir()
        shutil.copyfile(migrated_sqlite, home / "shop.sqlite3")
        container = build_container(settings_for(home, **overrides))
        container.clock.override(clock)
        tasks = RecordingTaskQueue()
        if record_tasks:  # else the configured queue runs them (inline by default)
            container.task_queue.override(providers.Object(tasks))
        try:
            async for client in open_client(container):
                shop = Shop(container, client, clock, tasks, OrderingShop(container, clock, tasks))
                try:
                    yield shop
                finally:
                    for browser in shop.browsers:
                        await browser.aclose()
        finally:
            await container.engine().dispose()

    return factory


@pytest.fixture
async def shop(make_shop: ShopFactory) -> AsyncIterator[Shop]:
    async with make_shop() as shop:
        yield shop


# --- Alipay: keys made at run time (one pair standing in for Alipay's) and the local fake gateway ---

ALIPAY_APP_ID = "2021000000000001"


@dataclass(frozen=True)
class AlipayKeys:
    app: RsaKeyPair
    alipay: RsaKeyPair

    def settings(self, gateway_url: str) -> dict[str, object]:
        return {
            "payment_gateway": "alipay",
            "alipay_app_id": ALIPAY_APP_ID,
            "alipay_app_private_key": self.app.private_pem,
            "alipay_public_key": self.alipay.public_pem,
            "alipay_gateway_url": gateway_url,
        }


@pytest.fixture(scope="session")
def alipay_keys() -> AlipayKeys:
    return AlipayKeys(generate_rsa_key_pair(), generate_rsa_key_pair())


@pytest.fixture
def fake_alipay(alipay_keys: AlipayKeys, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeAlipayGateway]:
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)  # urllib would send the gateway's requests to a proxy
    with FakeAlipayGateway(
        app_id=ALIPAY_APP_ID,
        app_public_key_pem=alipay_keys.app.public_pem,
        alipay_private_key_pem=alipay_keys.alipay.private_pem,
    ) as gateway:
        yield gateway
