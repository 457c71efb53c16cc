"""HTTP on bad input: deep JSON answers 400, a client gone mid-body is no 500, forged payment callbacks are
throttled per client and pruned after the retention period, and /ready checks the blob store."""

from __future__ import annotations

import asyncio
import logging
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import ShopClient, open_client, settings_for

from jiadian.adapters.clock import FixedClock
from jiadian.container import Container, build_container
from jiadian.domain.errors import StorageUnavailable
from jiadian.entrypoints.http.app import create_app
from jiadian.entrypoints.http.requests import json_depth_exceeds

JSON = {"content-type": "application/json"}
NOTIFY = "/api/payments/alipay/notify"


@pytest.mark.parametrize(
    "path", ["/api/auth/login", "/api/cart/items", "/api/checkout/preview", "/api/orders"]
)
async def test_deeply_nested_json_answers_400_on_any_json_route(
    client: ShopClient, path: str, caplog: pytest.LogCaptureFixture
) -> None:
    response = await client.post(path, content=b"[" * 1000, headers=JSON)  # 1 KB
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "validation_error"
    assert "RecursionError" not in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_nesting_up_to_the_limit_is_read_as_usual(client: ShopClient) -> None:
    body = b'{"username": ' + b"[" * 30 + b"]" * 30 + b', "password": "x"}'
    response = await client.post("/api/auth/login", content=body, headers=JSON)
    assert response.status_code == 400  # a list is no username: the usual validation error
    assert response.json()["code"] == "validation_error"
    assert "errors" in response.json()


def test_the_depth_check_ignores_brackets_inside_strings() -> None:
    assert not json_depth_exceeds(b'{"a": "' + b"[" * 100 + b'"}', 32)
    assert not json_depth_exceeds(b'["\\"' + b"[" * 100 + b'"]', 32)
    assert json_depth_exceeds(b"[" * 33, 32)
    assert not json_depth_exceeds(b"[" * 32 + b"]" * 32 + b"[" * 32, 32)


async def test_a_client_that_leaves_mid_body_is_no_500(
    sqlite: Container, caplog: pytest.LogCaptureFixture
) -> None:
    """Straight to the ASGI app: the body's first half, then the disconnect the server reports (on the
    notify route: it reads its body before any check — a CSRF-protected route would refuse first)."""
    app = create_app(sqlite, prepare_database=False)
    messages: list[dict[str, Any]] = [
        {"type": "http.request", "body": b"out_trade_no=T1&si", "more_body": True},
        {"type": "http.disconnect"},
    ]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
        "path": NOTIFY, "raw_path": NOTIFY.encode(), "query_string": b"", "root_path": "",
        "headers": [(b"content-type", b"application/x-www-form-urlencoded"), (b"content-length", b"100")],
        "client": ("127.0.0.1", 5000), "server": ("testserver", 80), "state": {},
    }  # fmt: skip
    caplog.set_level(logging.DEBUG, logger="jiadian.http")
    async with app.lifespan():  # type: ignore[attr-defined]
        await app(scope, receive, send)  # type: ignore[arg-type]
    starts = [m for m in sent if m["type"] == "http.response.start"]
    assert starts
    assert starts[0]["status"] != 500
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text
    assert any("client disconnected" in r.getMessage() and r.levelno == logging.DEBUG for r in caplog.records)


# --- forged payment callbacks ------------------------------------------------------------------------


@pytest.fixture
async def limited(
    tmp_path: Path, clock: FixedClock, migrated_sqlite: Path
) -> AsyncIterator[tuple[Container, ShopClient]]:
    shutil.copyfile(migrated_sqlite, tmp_path / "shop.sqlite3")
    container = build_container(
        settings_for(tmp_path, notification_max_forged_per_client=3, notification_retention_days=30)
    )
    container.clock.override(clock)
    async for client in open_client(container):
        yield container, client
    await container.engine().dispose()


async def forged(client: ShopClient, n: int = 0) -> Any:
    return await client.post("/api/payments/alipay/notify", data={"out_trade_no": f"T{n}", "sign": "x" * 100})


async def test_forged_callbacks_are_throttled_per_client(
    limited: tuple[Container, ShopClient], clock: FixedClock
) -> None:
    container, client = limited
    for n in range(3):
        answer = await forged(client, n)
        assert (answer.status_code, answer.text) == (200, "fail")
    refused = await forged(client, 3)
    assert refused.status_code == 429
    assert refused.json()["code"] == "rate_limited"
    assert int(refused.headers["retry-after"]) > 0
    kept = await container.payments().notifications(None, 50)
    assert len(kept) == 3  # the refused one was not stored
    clock.advance(hours=1, seconds=1)
    assert (await forged(client, 4)).status_code == 200  # the window moved on


async def test_unverified_callbacks_are_pruned_after_the_retention_and_verified_ones_kept(
    limited: tuple[Container, ShopClient], clock: FixedClock
) -> None:
    container, client = limited
    payments = container.payments()
    await forged(client)
    applied = await _a_verified_notification(container)
    clock.advance(days=29)
    assert await payments.prune_notifications() == 0
    clock.advance(days=2)
    assert await payments.prune_notifications() == 1
    left = await payments.notifications(None, 50)
    assert [n.verdict for n in left] == [applied]
    assert payments.prune_notifications in container.periodic_jobs()


async def _a_verified_notification(container: Container) -> str:
    """A verified callback for an unknown trade (the simulator signs it): kept whatever its age."""
    simulator = container.payment_simulator()
    assert simulator is not None
    fields = dict(simulator.pay("T-not-ours", __import__("decimal").Decimal("1.00")))
    verdict = await container.payments().notify(fields, client="10.0.0.1")
    return str(verdict)


# --- readiness ---------------------------------------------------------------------------------------------


async def test_ready_checks_the_blob_store(sqlite: Container, monkeypatch: pytest.MonkeyPatch) -> None:
    async for client in open_client(sqlite):
        ready = await client.get("/ready")
        assert ready.json()["checks"]["blobs"] == "ok"

    async def down() -> None:
        raise StorageUnavailable()

    monkeypatch.setattr(sqlite.blobs(), "ping", down)
    async for client in open_client(sqlite):
        failing = await client.get("/ready")
        assert failing.status_code == 503
        assert failing.json()["checks"]["blobs"] == "failed: StorageUnavailable"


async def test_the_local_store_is_not_ready_when_it_cannot_write(tmp_path: Path) -> None:
    from jiadian.adapters.local_files import LocalBlobStore

    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(StorageUnavailable):
        await LocalBlobStore(blocker / "media").ping()
    await LocalBlobStore(tmp_path / "media").ping()
    await asyncio.sleep(0)
