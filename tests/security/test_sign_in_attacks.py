"""Sign-in tried as an attacker would, on the production profile (MariaDB, Redis sessions and counters).

One test per finding of issue 16, each of which failed before the change: name variants counted apart,
a victim locked out by somebody else's wrong guesses, usernames probed through registration without a
limit, a demoted operator keeping admin access, sessions surviving a sign-in, a reset and a change, and
the production profile starting on the published CSRF secret.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn
from dependency_injector import providers
from typer.testing import CliRunner

from jiadian.adapters.clock import FixedClock
from jiadian.adapters.memory.mail import MemoryMailer
from jiadian.adapters.tasks.inline import InlineTaskQueue
from jiadian.container import Container, build_container
from jiadian.entrypoints.cli.main import app as cli
from jiadian.entrypoints.http.app import create_app
from jiadian.settings import DEFAULT_CSRF_SECRET, InsecureSettings
from tests.accounts_support import code_in
from tests.conftest import ShopClient, open_client, settings_for, truncate_all
from tests.security.support import PASSWORD, make_user, sibling

pytestmark = [pytest.mark.mysql, pytest.mark.redis]


@dataclass
class Shop:
    container: Container
    client: ShopClient
    clock: FixedClock
    mailer: MemoryMailer

    def browser(self, ip: str = "127.0.0.1") -> ShopClient:
        """A browser of its own, seen from `ip`."""
        app = self.client._transport.app  # type: ignore[attr-defined]
        transport = httpx.ASGITransport(app=app, client=(ip, 40000))
        return ShopClient(transport=transport, base_url="http://testserver")

    async def mail_code(self, email: str) -> str:
        queue = self.container.task_queue()
        assert isinstance(queue, InlineTaskQueue)
        await queue.join()
        return code_in(self.mailer.to(email)[-1].body)


@pytest.fixture
async def shop(mysql_database: str, redis_url: str, tmp_path: Path, clock: FixedClock) -> AsyncIterator[Shop]:
    """The production profile: MariaDB, and Redis for sessions, codes and failure counts."""
    container = build_container(
        settings_for(tmp_path, database_url=mysql_database, redis_url=redis_url, database_pool_size=10)
    )
    container.clock.override(clock)
    mailer = MemoryMailer()
    container.mailer.override(providers.Object(mailer))
    await truncate_all(container.engine())
    try:
        async for client in open_client(container):
            yield Shop(container, client, clock, mailer)
    finally:
        await container.engine().dispose()


async def sign_in(browser: ShopClient, name: str, password: str = PASSWORD) -> httpx.Response:
    return await browser.post("/api/auth/login", json={"username": name, "password": password})


def status(response: httpx.Response) -> tuple[int, str]:
    return response.status_code, response.json().get("code", "") if response.content else ""


async def test_case_and_trailing_space_variants_of_a_name_share_one_failure_count(shop: Shop) -> None:
    await make_user(shop.container, "alice")
    attacker = shop.browser("203.0.113.5")
    for variant in ["Alice", "ALICE", "alice ", "aLiCe", "ALICE  "]:  # MariaDB finds alice for each
        assert status(await sign_in(attacker, variant, "guess-123")) == (401, "invalid_credentials")
    for variant in ["alice", "Alice", "alice   "]:  # the sixth try, however spelled, is refused
        assert status(await sign_in(attacker, variant)) == (429, "rate_limited")
    assert (await sign_in(shop.browser("198.51.100.1"), "alice")).status_code == 200


async def test_wrong_guesses_from_elsewhere_do_not_lock_the_owner_out(shop: Shop) -> None:
    await make_user(shop.container, "victim")
    attacker = shop.browser("203.0.113.6")
    for _ in range(5):
        await sign_in(attacker, "victim", "guess-123")
    assert status(await sign_in(attacker, "victim", "guess-123")) == (429, "rate_limited")
    owner = shop.browser("198.51.100.2")
    assert (await sign_in(owner, "victim")).status_code == 200


async def test_guessing_from_many_addresses_meets_a_growing_delay_never_a_lock(shop: Shop) -> None:
    await make_user(shop.container, "target")
    bar = shop.container.settings().login_account_failures_before_delay
    for n in range(bar):  # a botnet: a guess or two from each of many addresses
        assert (await sign_in(shop.browser(f"203.0.113.{n + 10}"), "target", "guess-123")).status_code == 401
    waits = []
    for n in range(8):
        refused = await sign_in(shop.browser(f"203.0.113.{n + 100}"), "target", "guess-123")
        if refused.status_code == 429:
            waits.append(int(refused.headers["Retry-After"]))
            shop.clock.advance(seconds=waits[-1])
            refused = await sign_in(shop.browser(f"203.0.113.{n + 100}"), "target", "guess-123")
        assert refused.status_code == 401
    assert waits == sorted(waits), waits  # it grows ...
    assert waits[-1] > waits[0], waits
    assert max(waits) <= shop.container.settings().login_max_delay_seconds  # ... to a bound
    owner = shop.browser("198.51.100.3")
    answer = await sign_in(owner, "target")
    assert answer.status_code == 429  # the owner waits too, but never longer than the bound
    shop.clock.advance(seconds=int(answer.headers["Retry-After"]))
    assert (await sign_in(owner, "target")).status_code == 200


async def test_registration_cannot_probe_names_past_the_client_limit(shop: Shop) -> None:
    for n in range(3):
        await make_user(shop.container, f"taken{n}")
    prober = shop.browser("203.0.113.7")
    limit = shop.container.settings().login_max_failures_per_client
    for n in range(limit):
        asked = await prober.post(
            "/api/auth/verification-codes", json={"username": f"taken{n % 3}", "email": f"p{n}@example.com"}
        )
        assert status(asked) == (409, "username_taken")
    for path, body in [
        ("/api/auth/verification-codes", {"username": "taken0", "email": "p@example.com"}),
        (
            "/api/auth/register",
            {"username": "taken1", "email": "p@example.com", "password": PASSWORD, "code": "AAAAAA"},
        ),
        ("/api/auth/login", {"username": "taken2", "password": PASSWORD}),
    ]:
        assert status(await prober.post(path, json=body)) == (429, "rate_limited"), path
    assert (await sign_in(shop.browser("198.51.100.4"), "taken2")).status_code == 200


async def test_an_operator_made_a_shopper_loses_admin_access_at_the_next_request(shop: Shop) -> None:
    user_id, _ = await make_user(shop.container, "boss", admin=True)
    boss = shop.browser()
    await boss.login("boss", PASSWORD)
    assert (await boss.get("/api/admin/payments")).status_code == 200
    async with shop.container.uow() as uow:
        user = await uow.users.get(user_id)
        assert user is not None
        user.is_admin = False
        await uow.users.save(user)
        await uow.commit()
    assert status(await boss.get("/api/admin/payments")) == (403, "forbidden")
    assert (await boss.get("/api/me")).json()["is_admin"] is False


async def test_a_new_sign_in_ends_the_browsers_earlier_session(shop: Shop) -> None:
    await make_user(shop.container, "carol")
    browser = shop.browser()
    await browser.login("carol", PASSWORD)
    copied = browser.cookies["jiadian_session"]
    await browser.login("carol", PASSWORD)
    assert browser.cookies["jiadian_session"] != copied
    thief = shop.browser("203.0.113.8")
    thief.cookies.set("jiadian_session", copied)
    assert (await thief.get("/api/me")).status_code == 401
    assert (await browser.get("/api/me")).status_code == 200


async def test_a_password_change_ends_every_other_session(shop: Shop) -> None:
    await make_user(shop.container, "dave")
    laptop, phone, stolen = shop.browser(), shop.browser(), shop.browser("203.0.113.9")
    for browser in (laptop, phone, stolen):
        await browser.login("dave", PASSWORD)
    changed = await laptop.put(
        "/api/me/password", json={"current_password": PASSWORD, "new_password": "n3w-Password"}
    )
    assert changed.status_code == 204, changed.text
    assert (await laptop.get("/api/me")).status_code == 200
    for browser in (phone, stolen):
        assert (await browser.get("/api/me")).status_code == 401
    assert (await sign_in(shop.browser(), "dave")).status_code == 401
    assert (await sign_in(shop.browser(), "dave", "n3w-Password")).status_code == 200


async def test_a_password_reset_ends_every_session(shop: Shop) -> None:
    await make_user(shop.container, "erin")
    phone, stolen = shop.browser(), shop.browser("203.0.113.10")
    for browser in (phone, stolen):
        await browser.login("erin", PASSWORD)
    forgetful = shop.browser("198.51.100.5")
    asked = await forgetful.post("/api/auth/password-reset", json={"email": "erin@example.com"})
    assert asked.status_code == 202, asked.text
    code = await shop.mail_code("erin@example.com")
    reset = await forgetful.post(
        "/api/auth/password-reset/confirm",
        json={"username": "erin", "email": "erin@example.com", "code": code, "password": "n3w-Password"},
    )
    assert reset.status_code == 204, reset.text
    for browser in (phone, stolen):
        assert (await browser.get("/api/me")).status_code == 401
    assert (await sign_in(forgetful, "erin", "n3w-Password")).status_code == 200


def test_the_production_profile_refuses_the_published_csrf_secret(
    mysql_database: str, tmp_path: Path
) -> None:
    for production in ({"database_url": mysql_database}, {"redis_url": "redis://127.0.0.1:6379/3"}):
        settings = settings_for(tmp_path, test_deployment=False, **production)
        assert settings.csrf_secret.get_secret_value() == DEFAULT_CSRF_SECRET
        with pytest.raises(InsecureSettings, match="JIADIAN_CSRF_SECRET"):
            create_app(build_container(settings), prepare_database=False)
        short = settings_for(
            tmp_path, test_deployment=False, csrf_secret="change-me-in-production", **production
        )
        with pytest.raises(InsecureSettings, match="at least 32 characters"):
            create_app(build_container(short), prepare_database=False)
        create_app(build_container(settings_for(tmp_path, **production)), prepare_database=False)  # a test
        own = settings_for(tmp_path, test_deployment=False, csrf_secret="f" * 64, **production)
        create_app(build_container(own), prepare_database=False)
    create_app(build_container(settings_for(tmp_path, test_deployment=False)), prepare_database=False)


def test_serve_says_why_it_will_not_start(mysql_database: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("JIADIAN_CSRF_SECRET", "JIADIAN_TEST_DEPLOYMENT", "JIADIAN_AUTO_MIGRATE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("JIADIAN_DATABASE_URL", mysql_database)

    def started(*args: object, **kwargs: object) -> None:
        raise AssertionError("the server started")

    monkeypatch.setattr(uvicorn, "run", started)
    result = CliRunner().invoke(cli, ["serve"])
    assert result.exit_code == 1
    assert "JIADIAN_CSRF_SECRET" in result.output


async def test_sessions_of_other_users_are_untouched(shop: Shop) -> None:
    await make_user(shop.container, "frank")
    await make_user(shop.container, "grace")
    frank, grace = shop.browser(), sibling(shop.client)
    await frank.login("frank", PASSWORD)
    await grace.login("grace", PASSWORD)
    changed = await frank.put(
        "/api/me/password", json={"current_password": PASSWORD, "new_password": "n3w-Password"}
    )
    assert changed.status_code == 204
    assert (await grace.get("/api/me")).json()["username"] == "grace"
