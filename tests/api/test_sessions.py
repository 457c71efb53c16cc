"""Sessions: created at login only, gone at logout; passwords never leave the request that carries them."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis
from tests.accounts_support import PASSWORD
from tests.api.account_support import Api, open_api
from tests.conftest import open_client, settings_for

from jiadian.adapters.clock import FixedClock
from jiadian.adapters.sql.migrate import upgrade
from jiadian.container import build_container
from jiadian.entrypoints.http.auth import SESSION_COOKIE


@pytest.fixture
async def api(tmp_path: Path, clock: FixedClock) -> AsyncIterator[Api]:
    async for a in open_api(tmp_path, clock):
        yield a


async def session_keys(redis: Redis) -> list[bytes]:
    return [key async for key in redis.scan_iter("jiadian:session*")]


@pytest.mark.redis
async def test_anonymous_requests_store_no_session(tmp_path: Path, redis_url: str) -> None:
    container = build_container(settings_for(tmp_path, redis_url=redis_url))
    await upgrade(container.engine())
    await container.accounts().create_user("buyer", "buyer@example.com", PASSWORD)
    redis = Redis.from_url(redis_url)
    try:
        async for client in open_client(container):
            paths = ["/api/catalog/home", "/api/catalog/categories", "/api/catalog/banners"]
            paths += ["/api/catalog/products?category=all", "/api/catalog/search?q=phone"]
            for i in range(100):
                response = await client.get(paths[i % len(paths)])
                assert response.status_code == 200, response.text
            await client.post("/api/auth/login", json={"username": "buyer", "password": "wrong-password"})
            await client.post("/api/auth/logout")
            assert await client.get("/api/me") is not None
            assert await session_keys(redis) == []
            assert SESSION_COOKIE not in client.cookies

            await client.login("buyer", PASSWORD)
            assert len(await session_keys(redis)) == 1
            await client.post("/api/auth/logout")
            assert await session_keys(redis) == []
    finally:
        await redis.aclose()


async def test_a_logged_out_cookie_no_longer_works(api: Api) -> None:
    await api.sign_in("buyer")
    token = api.client.cookies[SESSION_COOKIE]
    assert (await api.client.get("/api/me")).status_code == 200

    logout = await api.client.post("/api/auth/logout")
    assert logout.status_code == 204
    api.client.cookies.set(SESSION_COOKIE, token)  # a copy of the cookie, kept by someone
    response = await api.client.get("/api/me")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


async def test_login_failures_answer_alike_for_unknown_users_and_wrong_passwords(api: Api) -> None:
    await api.container.accounts().create_user("buyer", "buyer@example.com", PASSWORD)
    unknown = await api.client.post("/api/auth/login", json={"username": "nobody", "password": PASSWORD})
    wrong = await api.client.post("/api/auth/login", json={"username": "buyer", "password": PASSWORD + "x"})
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json() == wrong.json() == {"code": "invalid_credentials", "detail": "用户名或密码错误"}
    assert SESSION_COOKIE not in unknown.cookies
    assert SESSION_COOKIE not in wrong.cookies


async def test_passwords_never_appear_in_logs_or_responses(
    tmp_path: Path, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "Zq8-very-secret-password"
    container = build_container(settings_for(tmp_path))  # the console mailer: the code is in the log
    container.clock.override(clock)
    await upgrade(container.engine())
    responses: list[Any] = []
    async for client in open_client(container):
        caplog.set_level(logging.DEBUG)
        asked = await client.post(
            "/api/auth/verification-codes", json={"username": "newcomer", "email": "new@example.com"}
        )
        responses.append(asked)
        found = await _eventually_code(caplog)
        body = {"username": "newcomer", "email": "new@example.com", "code": found}
        responses.append(await client.post("/api/auth/register", json={**body, "password": secret[:5]}))
        responses.append(await client.post("/api/auth/register", json={**body, "password": secret}))
        responses.append(
            await client.post("/api/auth/login", json={"username": "newcomer", "password": "x" + secret})
        )
        responses.append(
            await client.post("/api/auth/login", json={"username": "nobody", "password": secret})
        )
        responses.append(
            await client.post("/api/auth/login", json={"username": "newcomer", "password": secret})
        )
        responses.append(await client.get("/api/me"))
        responses.append(
            await client.post("/api/auth/login", json={"username": "newcomer", "password": secret * 10})
        )

    assert [r.status_code for r in responses] == [202, 400, 201, 401, 401, 200, 200, 400]
    assert "mail to new@example.com" in caplog.text  # the log was captured
    for leaked in (secret, secret[:5]):
        assert leaked not in caplog.text
        assert all(leaked not in r.text for r in responses)


async def _eventually_code(caplog: pytest.LogCaptureFixture) -> str:
    import asyncio

    for _ in range(200):
        found = re.search(r"验证码是：([A-Za-z0-9]{6})", caplog.text)
        if found:
            return found.group(1)
        await asyncio.sleep(0.01)
    raise AssertionError("no code in the log")
