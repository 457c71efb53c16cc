"""The storefront in Debian's Chromium: the real server as a subprocess, an in-test SMTP server, Playwright.

No browser is downloaded: Playwright drives /usr/bin/chromium (`.ci/run` installs it with apt-get, with
fonts-wqy-microhei for Chinese). Without Chromium, Playwright or a CJK font the tests skip with the
reason — under CI=true that is a failure, like an unreachable service.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

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
    pid: int  # the server's process, leader of its process group (a test may pause the group: SIGSTOP)

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


SIZES = {"mobile": (375, 812), "desktop": (1366, 900)}
EXPECT_TIMEOUT_MS = 15_000  # upper bounds for a slow machine, not measures


def money(text: str) -> Decimal:
    """'¥1,299.00' → Decimal('1299.00')."""
    return Decimal(re.sub(r"[^0-9.]", "", text))


class Journey:
    """One shopper in one browser page, saving a screenshot of each page it shows."""

    def __init__(self, page: Any, shop: Shop, shots: Path, size: tuple[int, int]) -> None:
        self.page = page
        self.shop = shop
        self.shots = shots
        self.size = size
        self.taken: list[Path] = []

    def tid(self, testid: str) -> Any:
        return self.page.get_by_test_id(testid)

    @property
    def error(self) -> Any:
        return self.tid("error-message")

    @property
    def notice(self) -> Any:
        return self.tid("notice-message")

    def shot(self, name: str) -> None:
        """A screenshot of the whole page once every image (lazy ones too) and the fonts have loaded.

        The viewport grows to the page's height for it, so sticky bars (header, cart total, buy buttons)
        sit where they belong instead of over the middle of the page. No page may scroll sideways.
        """
        page = self.page
        width, height = self.size
        page.evaluate(
            "() => document.querySelectorAll('img[loading=lazy]').forEach(i => { i.loading = 'eager'; })"
        )
        page.wait_for_function("() => Array.from(document.images).every(i => i.complete)")
        page.evaluate("() => document.fonts.ready.then(() => true)")
        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"the {name} page scrolls sideways by {overflow}px at {width}x{height}"
        full = page.evaluate("() => document.documentElement.scrollHeight")
        page.set_viewport_size({"width": width, "height": max(height, full)})
        page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
        path = self.shots / f"{name}-{width}x{height}.png"
        page.screenshot(path=str(path), full_page=True)
        page.set_viewport_size({"width": width, "height": height})
        self.taken.append(path)

    def shot_both(self, name: str) -> None:
        """The page as it stands at both screen sizes (for a page a test shows at one size only)."""
        size = self.size
        try:
            for other in SIZES.values():
                self.size = other
                self.page.set_viewport_size({"width": other[0], "height": other[1]})
                self.shot(name)
        finally:
            self.size = size
            self.page.set_viewport_size({"width": size[0], "height": size[1]})

    def order_id(self) -> str:
        found = re.search(r"#/pay/([^/?]+)", self.page.url)
        assert found, f"not on a payment page: {self.page.url}"
        return found.group(1)


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


ADDRESS = {
    "recipient": "李雷",
    "phone": "13800138000",
    "province": "广东省",
    "city": "深圳市",
    "county": "南山区",
    "detail": "科技园南路 88 号",
    "is_default": True,
}


def create_shopper(shop: Shop, username: str, *, balance: str | None = None, address: bool = True) -> None:
    """An account made by the operator's CLI, funded, with a default address (added over HTTP)."""
    from tests.accounts_support import PASSWORD

    shop.cli("users", "create", username, "--email", f"{username}@example.com", stdin=f"{PASSWORD}\n")
    if balance:
        shop.cli("wallet", "recharge", username, balance)
    if address:
        with httpx.Client(base_url=shop.base_url) as client:
            client.get("/health")
            headers = {"x-csrftoken": client.cookies["csrftoken"]}
            signed = client.post(
                "/api/auth/login", json={"username": username, "password": PASSWORD}, headers=headers
            )
            assert signed.status_code == 200, signed.text
            added = client.post("/api/me/addresses", json=ADDRESS, headers=headers)
            assert added.status_code == 201, added.text


def api_get(shop: Shop, path: str) -> Any:
    response = httpx.get(f"{shop.base_url}{path}")
    assert response.status_code == 200, response.text
    return response.json()
