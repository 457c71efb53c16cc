"""The whole account journey through HTTP, with the code mailed by a dramatiq worker (on the real
Redis broker, then on RabbitMQ) through a real SMTP server started in the test."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from tests.accounts_support import PASSWORD, SmtpServer, code_in, delete_rabbitmq_queues, eventually
from tests.conftest import ShopClient, open_client, settings_for
from tests.files_support import png

from jiadian.adapters.sql.migrate import upgrade
from jiadian.container import Container, build_container
from jiadian.entrypoints.http.web import web_assets
from jiadian.entrypoints.worker import TaskWorker
from jiadian.settings import Settings

EMAIL = "xiaoming@example.com"


@dataclass
class Shop:
    client: ShopClient
    container: Container
    smtp: SmtpServer


@pytest.fixture
def smtp() -> Any:
    with SmtpServer() as server:
        yield server


async def running_shop(settings: Settings, smtp: SmtpServer) -> AsyncIterator[Shop]:
    """The web app (in this loop) and a dramatiq worker (its own container, threads and loop)."""
    web = build_container(settings)
    await upgrade(web.engine())
    worker = TaskWorker(build_container(settings), threads=2, worker_timeout_ms=100)
    worker.start()
    try:
        async for client in open_client(web):
            yield Shop(client, web, smtp)
    finally:
        await asyncio.to_thread(worker.stop)


def mail_settings(tmp_path: Path, smtp: SmtpServer, **overrides: Any) -> Settings:
    return settings_for(
        tmp_path,
        mailer="smtp",
        smtp_host="127.0.0.1",
        smtp_port=smtp.port,
        mail_from="家电之选 <noreply@jiadian.test>",
        recharge_enabled=True,
        task_queue_name=f"jiadian_t_{secrets.token_hex(4)}",
        **overrides,
    )


@pytest.fixture
async def on_redis(tmp_path: Path, smtp: SmtpServer, redis_url: str) -> AsyncIterator[Shop]:
    async for shop in running_shop(mail_settings(tmp_path, smtp, broker="redis", redis_url=redis_url), smtp):
        yield shop


@pytest.fixture
async def on_rabbitmq(tmp_path: Path, smtp: SmtpServer, rabbitmq_url: str) -> AsyncIterator[Shop]:
    settings = mail_settings(tmp_path, smtp, broker="rabbitmq", rabbitmq_url=rabbitmq_url)
    try:
        async for shop in running_shop(settings, smtp):
            yield shop
    finally:
        delete_rabbitmq_queues(rabbitmq_url, settings.task_queue_name)


async def journey(shop: Shop) -> None:
    client = shop.client
    ready = await client.get("/ready")
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"]["broker"] == "ok"

    # Ask for a code; the worker mails it through SMTP.
    asked = await client.post("/api/auth/verification-codes", json={"username": "xiaoming", "email": EMAIL})
    assert asked.status_code == 202, asked.text
    [mail] = await eventually(lambda: shop.smtp.inbox.to(EMAIL), what="the verification mail")
    assert mail["Subject"] == "【家电之选】注册验证码"
    code = code_in(mail.get_content())

    registered = await client.post(
        "/api/auth/register",
        json={"username": "xiaoming", "email": EMAIL, "password": PASSWORD, "code": code},
    )
    assert registered.status_code == 201, registered.text
    assert registered.json()["username"] == "xiaoming"
    user_id = registered.json()["id"]

    signed_in = await client.login("xiaoming", PASSWORD)
    assert signed_in.json() == {"id": user_id, "username": "xiaoming", "is_admin": False}
    me = (await client.get("/api/me")).json()
    assert (me["email"], me["phone"], me["avatar_url"]) == (
        EMAIL,
        "",
        web_assets().url("storefront/default-avatar.svg"),
    )
    assert me["wallet"] == {"balance": "0.00", "total_recharged": "0.00", "total_consumed": "0.00"}
    assert (await client.get(me["avatar_url"])).status_code == 200

    # Profile.
    changed = await client.patch("/api/me", json={"phone": "13800138000", "introduce": "喜欢家电"})
    assert changed.status_code == 200, changed.text
    assert (changed.json()["phone"], changed.json()["introduce"], changed.json()["email"]) == (
        "13800138000",
        "喜欢家电",
        EMAIL,
    )

    # Avatar: stored, served, and the old one gone once replaced.
    first = await client.put("/api/me/avatar", files={"image": ("a.png", png("red"), "image/png")})
    assert first.status_code == 200, first.text
    first_url = first.json()["avatar_url"]
    assert (await client.get(first_url)).content == png("red")
    second = await client.put("/api/me/avatar", files={"image": ("b.png", png("blue"), "image/png")})
    second_url = second.json()["avatar_url"]
    assert (await client.get("/api/me")).json()["avatar_url"] == second_url
    assert (await client.get(second_url)).content == png("blue")
    assert (await client.get(first_url)).status_code == 404

    # Addresses: a second default takes over.
    body = {"recipient": "小明", "phone": "13800138000", "province": "广东省", "city": "深圳市",
            "county": "南山区", "detail": "科技园 1 号"}  # fmt: skip
    home = await client.post("/api/me/addresses", json={**body, "is_default": True})
    office = await client.post(
        "/api/me/addresses", json={**body, "detail": "软件园 2 号", "is_default": True}
    )
    assert (home.status_code, office.status_code) == (201, 201)
    listed = (await client.get("/api/me/addresses")).json()
    assert [(a["id"], a["is_default"]) for a in listed] == [
        (office.json()["id"], True),
        (home.json()["id"], False),
    ]

    # Wallet: empty, then recharged by an admin.
    assert (await client.get("/api/me/wallet")).json()["balance"] == "0.00"
    await shop.container.accounts().create_user("boss", "boss@example.com", PASSWORD, is_admin=True)
    await client.post("/api/auth/logout")
    await client.login("boss", PASSWORD)
    recharged = await client.post(f"/api/admin/users/{user_id}/wallet/recharge", json={"amount": "88.80"})
    assert recharged.status_code == 200, recharged.text
    assert recharged.json()["balance"] == "88.80"
    await client.post("/api/auth/logout")
    await client.login("xiaoming", PASSWORD)
    assert (await client.get("/api/me/wallet")).json() == {
        "balance": "88.80",
        "total_recharged": "88.80",
        "total_consumed": "0.00",
    }


@pytest.mark.redis
async def test_the_account_journey_on_redis(on_redis: Shop) -> None:
    await journey(on_redis)


@pytest.mark.rabbitmq
async def test_the_account_journey_on_rabbitmq(on_rabbitmq: Shop) -> None:
    await journey(on_rabbitmq)


async def test_ready_names_a_broker_that_does_not_answer(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, broker="rabbitmq", rabbitmq_url="amqp://guest:guest@127.0.0.1:1/%2F")
    container = build_container(settings)
    await upgrade(container.engine())
    async for client in open_client(container):
        response = await client.get("/ready")
        assert response.status_code == 503
        checks = response.json()["checks"]
        assert checks["database"] == checks["cache"] == "ok"
        assert checks["broker"].startswith("failed")
