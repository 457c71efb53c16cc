"""Fixtures of the storefront's browser tests (see support.py)."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.accounts_support import SmtpServer, free_port
from tests.e2e.support import CHROMIUM, CHROMIUM_ARGS, JIADIAN, Shop, require_browser, shop_env, wait_until_up


@pytest.fixture(scope="module")  # the sync API runs a loop: close it before async tests run
def browser() -> Iterator[Any]:
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def screenshots(pytestconfig: pytest.Config) -> Path:
    """Where the page screenshots go (gitignored)."""
    path = pytestconfig.rootpath / "test-output" / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def shop(tmp_path: Path, browser: Any) -> Iterator[Shop]:
    """A fresh shop per test (the demo catalogue auto-loaded) and the SMTP server it mails to."""
    var_dir = tmp_path / "var"
    var_dir.mkdir()
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    log = tmp_path / "server.log"
    with SmtpServer() as smtp, log.open("wb") as out:
        env = shop_env(var_dir, port, smtp.port)
        process = subprocess.Popen(
            [str(JIADIAN), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            cwd=var_dir,  # no .env file of the developer's
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: a test pauses the server and its workers at once
        )
        try:
            wait_until_up(process, base_url, log)
            yield Shop(
                base_url=base_url, var_dir=var_dir, env=env, inbox=smtp.inbox, log=log, pid=process.pid
            )
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
