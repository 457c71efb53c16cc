"""The Alembic migrations: they reach head on an empty database and create exactly `tables.metadata`."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from tests.conftest import MYSQL_URL, require

from jiadian.adapters.clock import SystemClock
from jiadian.adapters.sql.catalog import SqlCatalogRepository
from jiadian.adapters.sql.engine import make_engine
from jiadian.adapters.sql.migrate import alembic_config, current, head, upgrade
from jiadian.adapters.sql.tables import metadata


def _literal(default: str | None) -> str | None:
    """A server default as a plain value: "('')" and "''" are the empty string; "'0'", "0.00" are "0"."""
    if default is None:
        return None
    value = default.strip()
    while value.startswith("(") and value.endswith(")"):
        value = value[1:-1].strip()
    if len(value) >= 2 and value[0] == value[-1] == "'":
        value = value[1:-1]
    try:
        return str(Decimal(value).normalize())  # MariaDB answers "0.00" for a DECIMAL's "0"
    except InvalidOperation:
        return value


def defaults_differ(
    _context: object,
    _inspected_column: object,
    _metadata_column: object,
    inspected_default: str | None,
    _metadata_default: object,
    rendered_metadata_default: str | None,
) -> bool:
    # Alembic's own comparison renders the empty-string default as nothing and reports every
    # `server_default=""` column as changed; compare the values instead.
    return _literal(inspected_default) != _literal(rendered_metadata_default)


def differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "compare_server_default": defaults_differ}
    )
    return list(compare_metadata(context, metadata))


async def schema_differences(engine: AsyncEngine) -> list[Any]:
    async with engine.connect() as conn:
        return await conn.run_sync(differences)


async def table_names(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as conn:
        return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))


@pytest.fixture
async def empty_sqlite(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'empty.sqlite3'}")
    yield engine
    await engine.dispose()


@pytest.fixture
async def empty_mariadb() -> AsyncIterator[AsyncEngine]:
    """A new, empty MariaDB database of its own (the session's test database is already migrated)."""
    require("MariaDB", MYSQL_URL, 3306)
    name = f"jiadian_m_{secrets.token_hex(4)}"
    server = create_async_engine(MYSQL_URL.replace("/test?", "/?"))
    async with server.begin() as conn:
        await conn.execute(text(f"CREATE DATABASE {name} CHARACTER SET utf8mb4"))
    engine = make_engine(MYSQL_URL.replace("/test?", f"/{name}?"))
    try:
        yield engine
    finally:
        await engine.dispose()
        async with server.begin() as conn:
            await conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        await server.dispose()


def test_there_is_one_head() -> None:
    assert head() == "0007"


async def test_upgrade_an_empty_sqlite_database_to_head(empty_sqlite: AsyncEngine) -> None:
    assert await current(empty_sqlite) is None
    await upgrade(empty_sqlite)
    assert await current(empty_sqlite) == head()
    assert await table_names(empty_sqlite) == set(metadata.tables) | {"alembic_version"}
    await upgrade(empty_sqlite)  # again: nothing to do
    assert await current(empty_sqlite) == head()


async def test_sqlite_schema_matches_the_tables(empty_sqlite: AsyncEngine) -> None:
    await upgrade(empty_sqlite)
    assert await schema_differences(empty_sqlite) == []


@pytest.mark.mysql
async def test_upgrade_an_empty_mariadb_database_to_head(empty_mariadb: AsyncEngine) -> None:
    assert await current(empty_mariadb) is None
    await upgrade(empty_mariadb)
    assert await current(empty_mariadb) == head()
    assert await table_names(empty_mariadb) == set(metadata.tables) | {"alembic_version"}


@pytest.mark.mysql
async def test_mariadb_schema_matches_the_tables(empty_mariadb: AsyncEngine) -> None:
    await upgrade(empty_mariadb)
    assert await schema_differences(empty_mariadb) == []


async def test_the_comparison_sees_a_difference(empty_sqlite: AsyncEngine) -> None:
    """The check above can fail: a column the migrations do not create is reported."""
    await upgrade(empty_sqlite)
    async with empty_sqlite.begin() as conn:
        await conn.execute(text("ALTER TABLE products ADD COLUMN stray INTEGER"))
    found = await schema_differences(empty_sqlite)
    assert [d[0] for d in found] == ["remove_column"]
    assert found[0][3].name == "stray"


@pytest.mark.mysql
async def test_the_comparison_sees_a_changed_default(empty_mariadb: AsyncEngine) -> None:
    await upgrade(empty_mariadb)
    async with empty_mariadb.begin() as conn:
        await conn.execute(text("ALTER TABLE skus ALTER COLUMN color SET DEFAULT 'red'"))
        await conn.execute(text("ALTER TABLE products ALTER COLUMN price SET DEFAULT 1"))
    found = await schema_differences(empty_mariadb)
    changed = sorted((d[0][0], d[0][2], d[0][3]) for d in found)
    assert changed == [("modify_default", "products", "price"), ("modify_default", "skus", "color")]


CATALOGUE_AT_0003 = [
    "INSERT INTO categories (id, name, slug, image, created_at, updated_at) "
    "VALUES (1, '手机', 'phones', '', :now, :now)",
    "INSERT INTO spus (id, name, detail, category_id, created_at, updated_at) "
    "VALUES (1, 'Redmi', '', 1, :now, :now)",
    # The card as an older shop may have left it: the first sku (the dearer), its price and image.
    "INSERT INTO products (id, name, spu_id, category_id, on_shelf, first_sku_id, image, price, sales, "
    "created_at, updated_at) VALUES (1, 'Redmi Note Turbo 12', 1, 1, 1, 1, 'dear.png', 2099.00, 0, :now, :now)",
    "INSERT INTO skus (id, product_id, price, stock, sales, color, size, version, created_at, updated_at) "
    "VALUES (1, 1, 2099.00, 5, 0, '黑色', '12G+256G', 0, :now, :now)",
    "INSERT INTO skus (id, product_id, price, stock, sales, color, size, version, created_at, updated_at) "
    "VALUES (2, 1, 1999.00, 5, 0, '黑色', '8G+256G', 0, :now, :now)",
    "INSERT INTO skus (id, product_id, price, stock, sales, color, size, version, created_at, updated_at) "
    "VALUES (3, 1, 1999.00, 5, 0, '白色', '8G+256G', 0, :now, :now)",
    "INSERT INTO sku_images (id, sku_id, image, created_at) VALUES (1, 1, 'dear.png', :now)",
    "INSERT INTO sku_images (id, sku_id, image, created_at) VALUES (2, 2, 'cheap.png', :now)",
]


async def check_0006_prices_every_card(engine: AsyncEngine) -> None:
    await upgrade(engine, "0003")
    async with engine.begin() as conn:
        for statement in CATALOGUE_AT_0003:
            await conn.execute(text(statement), {"now": "2026-11-01 10:00:00"})
    await upgrade(engine)
    async with engine.connect() as conn:
        card = (
            await conn.execute(
                text("SELECT first_sku_id, price, max_price, image FROM products WHERE id = 1")
            )
        ).one()
    # The cheapest sku, the lower id of the two at 1999.00, with its image; and the dearest price.
    assert (card.first_sku_id, Decimal(card.price), Decimal(card.max_price), card.image) == (
        2,
        Decimal("1999.00"),
        Decimal("2099.00"),
        "cheap.png",
    )


async def test_0006_prices_every_card_from_its_cheapest_sku_on_sqlite(empty_sqlite: AsyncEngine) -> None:
    await check_0006_prices_every_card(empty_sqlite)


@pytest.mark.mysql
async def test_0006_prices_every_card_from_its_cheapest_sku_on_mariadb(empty_mariadb: AsyncEngine) -> None:
    await check_0006_prices_every_card(empty_mariadb)


async def _sku_with_images(engine: AsyncEngine) -> None:
    """A category, product, sku and three images, as revision 0003 stores them (no order column)."""
    async with engine.begin() as conn:
        now = "2026-01-01 00:00:00"
        await conn.execute(
            text(
                f"INSERT INTO categories (id, name, slug, image, created_at, updated_at) VALUES (1, 'c', 'c', '', '{now}', '{now}')"
            )
        )
        await conn.execute(
            text(
                f"INSERT INTO spus (id, name, detail, category_id, created_at, updated_at) VALUES (1, 's', '', 1, '{now}', '{now}')"
            )
        )
        await conn.execute(
            text(
                "INSERT INTO products (id, name, spu_id, category_id, on_shelf, image, price, sales, created_at, updated_at) "
                f"VALUES (1, 'p', 1, 1, 1, '', 0, 0, '{now}', '{now}')"
            )
        )
        await conn.execute(
            text(
                f"INSERT INTO skus (id, product_id, price, stock, sales, version, created_at, updated_at) VALUES (1, 1, 1, 1, 0, 0, '{now}', '{now}')"
            )
        )
        for image_id in (3, 1, 2):
            await conn.execute(
                text(
                    f"INSERT INTO sku_images (id, sku_id, image, created_at) VALUES ({image_id}, 1, 'f{image_id}.png', '{now}')"
                )
            )


async def _images_in_order(engine: AsyncEngine) -> list[int]:

    async with engine.connect() as conn:
        return [image.id for image in await SqlCatalogRepository(conn, SystemClock()).list_sku_images(1)]


async def _check_0007_keeps_the_images_order_and_goes_back(engine: AsyncEngine) -> None:
    await upgrade(engine, "0003")
    await _sku_with_images(engine)
    await upgrade(engine)
    assert await _images_in_order(engine) == [1, 2, 3]  # every position 0: the upload order, as before
    assert "audit_log" in await table_names(engine)
    await _downgrade(engine, "0003")
    assert "audit_log" not in await table_names(engine)
    await upgrade(engine)
    assert await schema_differences(engine) == []


async def _downgrade(engine: AsyncEngine, revision: str) -> None:
    def run(connection: Connection) -> None:
        command.downgrade(alembic_config(connection), revision)

    async with engine.begin() as conn:
        await conn.run_sync(run)


async def test_0007_on_sqlite(empty_sqlite: AsyncEngine) -> None:
    await _check_0007_keeps_the_images_order_and_goes_back(empty_sqlite)


@pytest.mark.mysql
async def test_0007_on_mariadb(empty_mariadb: AsyncEngine) -> None:
    await _check_0007_keeps_the_images_order_and_goes_back(empty_mariadb)
