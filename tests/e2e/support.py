"""The storefront in Debian's Chromium: the real server as a subprocess, an in-test SMTP server, Playwright.

No browser is downloaded: Playwright drives /usr/bin/chromium (`.ci/run` installs it with apt-get, with
fonts-wqy-microhei for Chinese). Without Chromium, Playwright or a CJK font the tests skip with the
reason — under CI=true that is a failure, like an unreachable service.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.accounts_support import Inbox
from tests.conftest import IN_CI

CHROMIUM = Path(os.environ.get("JIADIAN_TEST_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
JIADIAN = Path(sys.executable).with_name("jiadian")
START_TIMEOUT = 90.0  # an upper bound for slow machines (migrations and the demo's images), not a measure


def _missing_browser() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed (pip install -e '.[browser]'; never `playwright install`)"
    if not CHROMIUM.exists():
        return f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
    fc_list = shutil.which("fc-list")
    fonts = (
        subprocess.run([fc_list, ":lang=zh", "family"], capture_output=True, text=True).stdout
        if fc_list
        else ""
    )
    if not fonts.strip():
        return "no CJK font: Chinese would render as boxes (apt-get install fonts-wqy-microhei)"
    return None


def require_browser() -> None:
    """Skip with the reason when the browser cannot run — fail instead under CI=true."""
    missing = _missing_browser()
    if missing is None:
        return
    if IN_CI:
        pytest.fail(f"{missing} (CI=true: the browser tests must run)")
    pytest.skip(missing)


@dataclass
class Shop:
    """The real shop, `jiadian serve` on a free port over SQLite in a temporary directory."""

    base_url: str
    var_dir: Path
    env: dict[str, str]
    inbox: Inbox
    log: Path

    def cli(self, *args: str, stdin: str | None = None) -> str:
        """Run `jiadian ARGS` against the same shop (an operator at the console)."""
        done = subprocess.run(
            [str(JIADIAN), *args],
            input=stdin,
            env=self.env,
            cwd=self.var_dir,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, f"jiadian {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    def has_command(self, *args: str) -> bool:
        done = subprocess.run(
            [str(JIADIAN), *args, "--help"], env=self.env, cwd=self.var_dir, capture_output=True, timeout=120
        )
        return done.returncode == 0

    def log_tail(self, lines: int = 40) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def shop_env(var_dir: Path, port: int, smtp_port: int) -> dict[str, str]:
    # Nothing of the developer's own JIADIAN_* settings leaks in (a MariaDB URL, say): the embedded
    # default on SQLite, with mail going to the test's SMTP server.
    env = {k: v for k, v in os.environ.items() if not k.startswith("JIADIAN_")}
    env.update(
        {
            "JIADIAN_VAR_DIR": str(var_dir),
            "JIADIAN_PUBLIC_URL": f"http://127.0.0.1:{port}",
            "JIADIAN_MAILER": "smtp",
            "JIADIAN_SMTP_HOST": "127.0.0.1",
            "JIADIAN_SMTP_PORT": str(smtp_port),
            "JIADIAN_SMTP_TIMEOUT": "10",
            "JIADIAN_RECHARGE_ENABLED": "true",  # only used when the CLI cannot recharge
            "JIADIAN_AUTO_MIGRATE": "true",
            "JIADIAN_AUTO_DEMO": "true",
            "JIADIAN_BROKER": "inline",
        }
    )
    return env


def wait_until_up(process: subprocess.Popen[bytes], base_url: str, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"jiadian serve exited with {process.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{base_url}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"jiadian serve did not answer within {START_TIMEOUT:.0f} s:\n{log.read_text()}")
