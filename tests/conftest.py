"""Shared fixtures: containers on memory / SQLite / MariaDB, Redis, and an HTTP client with CSRF.

Services come from environment variables (defaults: the local ones). Where one is unreachable,
its tests skip with the reason — except under CI=true, where that is a failure.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import socket
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlparse

import httpx
import pytest
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from jiadian.adapters.clock import FixedClock
from jiadian.adapters.memory.state import MemoryState
from jiadian.adapters.sql.migrate import upgrade
from jiadian.adapters.sql.tables import metadata
from jiadian.container import Container, build_container
from jiadian.entrypoints.http.app import create_app
from jiadian.settings import Settings
from jiadian.testing import InMemoryShop, in_memory_shop

MYSQL_URL = os.environ.get(
    "JIADIAN_TEST_MYSQL_URL", "mysql+aiomysql://root@127.0.0.1:3306/test?charset=utf8mb4"
)
REDIS_URL = os.environ.get("JIADIAN_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
RABBITMQ_URL = os.environ.get("JIADIAN_TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url.replace("+aiomysql", ""))
    try:
        with socket.create_connection(
            (parsed.hostname or "127.0.0.1", parsed.port or default_port), timeout=1
        ):
            return True
    except OSError:
        return False


def require(name: str, url: str, default_port: int) -> None:
    if _reachable(url, default_port):
        return
    message = f"{name} is not reachable at {url}"
    if IN_CI:
        pytest.fail(f"{message} (CI=true: the service must run)")
    pytest.skip(message)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under mutation testing (mutmut sets MUTANT_UNDER_TEST), the cheapest tests first: mutmut stops at
    the first test that notices a mutant, and plain domain tests (few fixtures) notice most of them."""
    if os.environ.get("MUTANT_UNDER_TEST"):
        items.sort(key=lambda item: len(getattr(item, "fixturenames", ())))


# --- containers -------------------------------------------------------------------------------


def settings_for(tmp: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "var_dir": tmp,
        "auto_demo": False,
        "database_url": f"sqlite+aiosqlite:///{tmp / 'shop.sqlite3'}",
        "test_deployment": True,  # tests on MariaDB or Redis use the development CSRF secret
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def memory_shop(tmp_path: Path, clock: FixedClock) -> InMemoryShop:
    """The testing kit's shop (`jiadian.testing`) on the test clock: every port in memory."""
    return in_memory_shop(clock=clock, var_dir=tmp_path)


@pytest.fixture
def memory(memory_shop: InMemoryShop) -> tuple[Container, MemoryState]:
    """The container and state of `memory_shop`, for tests that wire use cases of their own."""
    return memory_shop.container, memory_shop.state


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty SQLite file at head, migrated once per session; `sqlite` copies it."""
    path = tmp_path_factory.mktemp("migrated") / "shop.sqlite3"

    async def migrate() -> None:
        engine = create_async_engine(f"sqlite+aiosqlite:///{path}")
        await upgrade(engine)
        await engine.dispose()

    asyncio.run(migrate())
    return path


@pytest.fixture
async def sqlite(tmp_path: Path, clock: FixedClock, migrated_sqlite: Path) -> AsyncIterator[Container]:
    """A container on a migrated SQLite file (a copy of the session's, the same as migrating)."""
    shutil.copyfile(migrated_sqlite, tmp_path / "shop.sqlite3")
    container = build_container(settings_for(tmp_path))
    container.clock.override(clock)
    yield container
    await container.engine().dispose()


@pytest.fixture(scope="session")
def mysql_database() -> Iterator[str]:
    """A private, migrated MariaDB database for this test session (dropped at the end)."""
    require("MariaDB", MYSQL_URL, 3306)

    name = f"jiadian_t_{secrets.token_hex(4)}"
    server_url = MYSQL_URL.replace("/test?", "/?") if "/test?" in MYSQL_URL else MYSQL_URL
    url = MYSQL_URL.replace("/test?", f"/{name}?")

    async def create() -> None:
        engine = create_async_engine(server_url)
        async with engine.begin() as conn:
            await conn.execute(text(f"CREATE DATABASE {name} CHARACTER SET utf8mb4"))
        await engine.dispose()
        engine = create_async_engine(url)
        await upgrade(engine)
        await engine.dispose()

    async def drop() -> None:
        engine = create_async_engine(server_url)
        async with engine.begin() as conn:
            await conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        await engine.dispose()

    asyncio.run(create())
    yield url
    asyncio.run(drop())


async def truncate_all(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.execute(text("SET FOREIGN_KEY_CHECKS=0"))
        for table in reversed(metadata.sorted_tables):
            await conn.execute(text(f"TRUNCATE TABLE {table.name}"))
        await conn.execute(text("SET FOREIGN_KEY_CHECKS=1"))


@pytest.fixture
async def mysql(mysql_database: str, tmp_path: Path, clock: FixedClock) -> AsyncIterator[Container]:
    """A container on the session's MariaDB database, emptied before the test."""
    container = build_container(settings_for(tmp_path, database_url=mysql_database, database_pool_size=20))
    container.clock.override(clock)
    await truncate_all(container.engine())
    yield container
    await container.engine().dispose()


@asynccontextmanager
async def flushed_redis() -> AsyncIterator[Redis]:
    """A client of the test Redis database, flushed before and after (skips, or fails under CI, without it)."""
    require("Redis", REDIS_URL, 6379)
    client = Redis.from_url(REDIS_URL)
    await client.flushdb()
    try:
        yield client
    finally:
        await client.flushdb()
        await client.aclose()


@pytest.fixture
async def redis_url() -> AsyncIterator[str]:
    """A Redis database for tests, flushed before and after."""
    async with flushed_redis():
        yield REDIS_URL


@pytest.fixture
def rabbitmq_url() -> str:
    """RabbitMQ for tests; a test names its own queues (and deletes them) so runs do not mix."""
    require("RabbitMQ", RABBITMQ_URL, 5672)
    return RABBITMQ_URL


# --- HTTP -------------------------------------------------------------------------------------


class ShopClient(httpx.AsyncClient):
    """An HTTP client that behaves like the storefront: it echoes the CSRF cookie on unsafe requests."""

    async def send(self, request: httpx.Request, **kwargs: object) -> httpx.Response:  # type: ignore[override]
        if request.method not in {"GET", "HEAD", "OPTIONS"}:
            if "csrftoken" not in self.cookies:
                await super().send(self.build_request("GET", "/health"))
                # This request's Cookie header was built before the token existed: build it again.
                request.headers.pop("cookie", None)
                self.cookies.set_cookie_header(request)
            token = self.cookies.get("csrftoken")
            if token and "x-csrftoken" not in request.headers:
                request.headers["x-csrftoken"] = token
        return await super().send(request, **kwargs)  # type: ignore[arg-type]

    async def login(self, username: str, password: str) -> httpx.Response:
        response = await self.post("/api/auth/login", json={"username": username, "password": password})
        assert response.status_code == 200, response.text
        return response


async def open_client(container: Container) -> AsyncIterator[ShopClient]:
    """The app in its lifespan, held by one task (anyio wants enter and exit in the same task)."""
    app = create_app(container, prepare_database=False)
    started, stop = asyncio.Event(), asyncio.Event()

    async def hold_lifespan() -> None:
        async with app.lifespan():  # type: ignore[attr-defined]
            started.set()
            await stop.wait()

    holder = asyncio.create_task(hold_lifespan())
    await started.wait()
    try:
        transport = httpx.ASGITransport(app=app)
        async with ShopClient(transport=transport, base_url="http://testserver") as client:
            yield client
    finally:
        stop.set()
        await holder


@pytest.fixture
async def client(sqlite: Container) -> AsyncIterator[ShopClient]:
    """An HTTP client on the app over a migrated SQLite database."""
    async for c in open_client(sqlite):
        yield c
