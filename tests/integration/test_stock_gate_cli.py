"""`jiadian stock gate open/status/reconcile/close`, against the SQLite shop and Redis the shop uses."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
from redis import Redis
from tests.cart_support import given_product
from tests.conftest import settings_for
from typer.testing import CliRunner

from jiadian.adapters.sql.migrate import upgrade
from jiadian.container import build_container, shutdown
from jiadian.entrypoints.cli.main import app

OFF_NOTE = "JIADIAN_STOCK_GATE is off: checkout does not consult the gate until JIADIAN_STOCK_GATE=true"
MEMORY_NOTE = "JIADIAN_REDIS_URL is not set"


def _environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, redis_url: str | None) -> None:
    for name in list(os.environ):
        if name.startswith("JIADIAN_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)  # no stray .env file
    monkeypatch.setenv("JIADIAN_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("JIADIAN_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'shop.sqlite3'}")
    monkeypatch.setenv("COLUMNS", "200")
    if redis_url:
        monkeypatch.setenv("JIADIAN_REDIS_URL", redis_url)


def _seed(tmp_path: Path) -> tuple[int, int]:
    """Two skus, with 5 and 3 in stock."""

    async def main() -> tuple[int, int]:
        container = build_container(settings_for(tmp_path))
        try:
            await upgrade(container.engine())
            product = await given_product(container.catalog_admin(), ("8888.00", 5), ("99.00", 3))
            return product.skus[0].id, product.skus[1].id
        finally:
            await shutdown(container)

    return asyncio.run(main())


def jiadian(*args: str, code: int = 0) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == code, f"{args}: exit {result.exit_code}\n{result.output}\n{result.exception!r}"
    assert "Traceback" not in result.output
    return " ".join(result.output.replace("│", " ").split())  # table rows as "sku tokens stock drift"


@pytest.mark.redis
def test_open_status_reconcile_close(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, redis_url: str) -> None:
    first, second = _seed(tmp_path)
    _environment(tmp_path, monkeypatch, redis_url)

    assert "no sku is gated" in jiadian("stock", "gate", "status")
    opened = jiadian("stock", "gate", "open", str(first), str(second))
    assert f"sku {first}: gate open, 5 tokens" in opened
    assert f"sku {second}: gate open, 3 tokens" in opened
    assert OFF_NOTE in opened
    assert MEMORY_NOTE not in opened
    assert "not_found" in jiadian("stock", "gate", "open", str(first), "999999", code=1)

    redis = Redis.from_url(redis_url)
    try:
        redis.decrby(f"jiadian:gate:{first}", 2)  # tokens taken by a process that died before giving back
    finally:
        redis.close()
    status = jiadian("stock", "gate", "status")
    assert f"{first} 3 5 -2" in status
    assert f"{second} 3 3 +0" in status
    assert "2 gated skus" in status

    monkeypatch.setenv("JIADIAN_STOCK_GATE", "true")
    reconciled = jiadian("stock", "gate", "reconcile")
    assert f"sku {first}: tokens 3 → 5" in reconciled
    assert "2 gated skus: 1 re-synced, 0 closed" in reconciled
    assert OFF_NOTE not in reconciled
    assert f"{first} 5 5 +0" in jiadian("stock", "gate", "status")

    closed = jiadian("stock", "gate", "close", str(first), "999999")
    assert f"sku {first}: gate closed" in closed
    assert "sku 999999: was not gated" in closed
    assert f"{first} 5" not in jiadian("stock", "gate", "status")
    jiadian("stock", "gate", "close", str(second))
    assert "no sku is gated" in jiadian("stock", "gate", "status")
    assert "0 gated skus: 0 re-synced, 0 closed" in jiadian("stock", "gate", "reconcile")


def test_without_redis_the_commands_say_the_tokens_live_in_their_own_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, _second = _seed(tmp_path)
    _environment(tmp_path, monkeypatch, None)
    opened = jiadian("stock", "gate", "open", str(first))
    assert f"sku {first}: gate open, 5 tokens" in opened
    assert MEMORY_NOTE in opened
    assert "no sku is gated" in jiadian("stock", "gate", "status")  # a new process: a new memory


@pytest.mark.parametrize(
    "command",
    [
        ["stock"],
        ["stock", "gate"],
        *(["stock", "gate", name] for name in ("open", "close", "status", "reconcile")),
    ],
)
def test_help(command: list[str]) -> None:
    assert "Usage" in jiadian(*command, "--help")
