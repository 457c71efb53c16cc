"""`jiadian wallet show|recharge` and `jiadian worker`, as an operator runs them."""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tests.conftest import settings_for
from typer.testing import CliRunner

from jiadian.adapters.sql.migrate import upgrade
from jiadian.adapters.tasks.broker import DramatiqTaskQueue, redis_broker
from jiadian.application.tasks import SendVerificationCode
from jiadian.container import build_container, shutdown
from jiadian.entrypoints.cli.main import app

PASSWORD = "secret-123"


def environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        "JIADIAN_VAR_DIR": str(tmp_path),
        "JIADIAN_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'shop.sqlite3'}",
        "JIADIAN_AUTO_DEMO": "false",
        "COLUMNS": "200",
        **extra,
    }


@pytest.fixture
def shop_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for key, value in environment(tmp_path).items():
        monkeypatch.setenv(key, value)
    for key in ("JIADIAN_REDIS_URL", "JIADIAN_BROKER", "JIADIAN_RECHARGE_ENABLED"):
        monkeypatch.delenv(key, raising=False)

    async def seed() -> None:
        container = build_container(settings_for(tmp_path))
        try:
            await upgrade(container.engine())
            await container.accounts().create_user("alice", "alice@example.com", PASSWORD)
        finally:
            await shutdown(container)

    asyncio.run(seed())
    return tmp_path


def test_the_cli_recharges_whatever_the_http_setting(shop_env: Path) -> None:
    runner = CliRunner()
    first = runner.invoke(app, ["wallet", "recharge", "alice", "100.5"])
    assert first.exit_code == 0, first.output
    second = runner.invoke(app, ["wallet", "recharge", "alice", "0.50"])
    assert second.exit_code == 0, second.output
    shown = runner.invoke(app, ["wallet", "show", "alice"])
    assert shown.exit_code == 0, shown.output
    assert "101.00" in shown.output


@pytest.mark.parametrize(
    ("username", "amount", "message"),
    [("alice", "0", "金额必须大于 0"), ("alice", "-3", "invalid_amount"), ("nobody", "1.00", "not_found")],
)
def test_a_bad_cli_recharge_exits_1_and_changes_nothing(
    shop_env: Path, username: str, amount: str, message: str
) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["wallet", "recharge", "--", username, amount])
    assert result.exit_code == 1
    assert message in result.output
    assert "0.00" in runner.invoke(app, ["wallet", "show", "alice"]).output


def test_there_is_no_worker_for_the_inline_broker(shop_env: Path) -> None:
    result = CliRunner().invoke(app, ["worker"])
    assert result.exit_code == 78  # the settings are wrong for this command
    assert "error [settings]" in result.output
    assert "broker=inline" in result.output


@pytest.mark.redis
def test_the_worker_command_runs_tasks_until_told_to_stop(tmp_path: Path, redis_url: str) -> None:
    queue = f"jiadian_t_{secrets.token_hex(4)}"
    env = {**os.environ, **environment(tmp_path, JIADIAN_BROKER="redis", JIADIAN_REDIS_URL=redis_url)}
    env["JIADIAN_TASK_QUEUE_NAME"] = queue
    log = tmp_path / "worker.log"
    with log.open("wb") as out:
        worker = subprocess.Popen(
            [sys.executable, "-m", "jiadian.entrypoints.cli.main", "worker", "--threads", "1"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:

            async def send() -> None:
                tasks = DramatiqTaskQueue(redis_broker(redis_url), queue)
                await tasks.send(SendVerificationCode("li@example.com", "Ab3dE9"))
                await tasks.close()

            asyncio.run(send())
            deadline = time.monotonic() + 60
            # The mail itself (the code alone may first show in a failed attempt's log line, retried later).
            while "mail to li@example.com" not in log.read_text(encoding="utf-8", errors="replace"):
                assert worker.poll() is None, log.read_text(encoding="utf-8", errors="replace")
                assert time.monotonic() < deadline, "the worker never mailed the code"
                time.sleep(0.1)
        finally:
            worker.send_signal(signal.SIGTERM)
            code = worker.wait(timeout=60)
    text = log.read_text(encoding="utf-8", errors="replace")
    assert code == 0, text
    assert "Ab3dE9" in text.split("mail to li@example.com", 1)[1]
    assert "worker stopped" in text


def test_a_redis_broker_needs_a_redis_url(shop_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JIADIAN_BROKER", "redis")
    result = CliRunner().invoke(app, ["worker"])
    assert result.exit_code == 78
    assert "JIADIAN_REDIS_URL" in result.output
