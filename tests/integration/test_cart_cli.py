"""`jiadian cart show USERNAME`, against the same database and Redis the shop uses."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from redis import Redis
from tests.cart_support import given_product
from tests.conftest import REDIS_URL, require, settings_for
from typer.testing import CliRunner

from jiadian.adapters.sql.migrate import upgrade
from jiadian.container import build_container, shutdown
from jiadian.entrypoints.cli.main import app


def _environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, redis_url: str | None) -> None:
    monkeypatch.setenv("JIADIAN_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("JIADIAN_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'shop.sqlite3'}")
    monkeypatch.setenv("JIADIAN_AUTO_DEMO", "false")
    monkeypatch.setenv("COLUMNS", "200")
    if redis_url:
        monkeypatch.setenv("JIADIAN_REDIS_URL", redis_url)
    else:
        monkeypatch.delenv("JIADIAN_REDIS_URL", raising=False)


def _seed(tmp_path: Path, redis_url: str | None, *, with_lines: bool) -> None:
    async def main() -> None:
        container = build_container(settings_for(tmp_path, redis_url=redis_url))
        try:
            await upgrade(container.engine())
            user = await container.accounts().create_user("alice", "alice@example.com", "secret-123")
            if with_lines:
                admin, cart = container.catalog_admin(), container.shopping_cart()
                product = await given_product(admin, ("8888.00", 5), ("99.50", 3))
                shelved = await given_product(admin, ("10.00", 2))
                await cart.add(user.id, product.skus[0].id, 2)
                await cart.add(user.id, product.skus[1].id, 1)
                await cart.add(user.id, shelved.skus[0].id, 1)
                await admin.unshelve(shelved.id)
        finally:
            await shutdown(container)

    asyncio.run(main())


@pytest.mark.redis
def test_cart_show_lists_lines_and_totals(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    require("Redis", REDIS_URL, 6379)
    redis = Redis.from_url(REDIS_URL)
    redis.flushdb()
    try:
        _seed(tmp_path, REDIS_URL, with_lines=True)
        _environment(tmp_path, monkeypatch, REDIS_URL)
        result = CliRunner().invoke(app, ["cart", "show", "alice"])
    finally:
        redis.flushdb()
        redis.close()
    assert result.exit_code == 0, result.output
    assert "17776.00" in result.output
    assert "99.50" in result.output
    assert "off_shelf" in result.output
    assert "3 lines; available: 3 items, amount 17875.50" in result.output


def test_cart_show_of_an_empty_cart_and_of_an_unknown_user(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _seed(tmp_path, None, with_lines=False)
    _environment(tmp_path, monkeypatch, None)
    result = CliRunner().invoke(app, ["cart", "show", "alice"])
    assert result.exit_code == 0, result.output
    assert "alice's cart is empty" in result.output
    result = CliRunner().invoke(app, ["cart", "show", "nobody"])
    assert result.exit_code == 1
