"""An HTTP shop on SQLite with the inline task queue, a test clock and a mailer that keeps its mail."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dependency_injector import providers
from tests.accounts_support import PASSWORD, code_in
from tests.conftest import ShopClient, open_client, settings_for

from jiadian.adapters.clock import FixedClock
from jiadian.adapters.memory.mail import MemoryMailer
from jiadian.adapters.sql.migrate import upgrade
from jiadian.adapters.tasks.inline import InlineTaskQueue
from jiadian.container import Container, build_container
from jiadian.domain.accounts import Address


@dataclass
class Api:
    client: ShopClient
    container: Container
    mailer: MemoryMailer
    clock: FixedClock

    async def code_for(self, email: str, username: str = "newcomer") -> str:
        response = await self.client.post(
            "/api/auth/verification-codes", json={"username": username, "email": email}
        )
        assert response.status_code == 202, response.text
        queue = self.container.task_queue()
        assert isinstance(queue, InlineTaskQueue)
        await queue.join()
        return code_in(self.mailer.to(email)[-1].body)

    async def register(self, username: str = "newcomer", email: str = "new@example.com") -> int:
        code = await self.code_for(email, username)
        response = await self.client.post(
            "/api/auth/register",
            json={"username": username, "email": email, "password": PASSWORD, "code": code},
        )
        assert response.status_code == 201, response.text
        return int(response.json()["id"])

    async def sign_in(self, username: str = "buyer", *, admin: bool = False) -> int:
        user = await self.container.accounts().create_user(
            username, f"{username}@example.com", PASSWORD, is_admin=admin
        )
        await self.client.post("/api/auth/logout")
        await self.client.login(username, PASSWORD)
        return user.id

    def media_files(self) -> list[Path]:
        return [p for p in self.container.settings().media_dir.rglob("*") if p.is_file()]


async def open_api(tmp_path: Path, clock: FixedClock, **overrides: Any) -> AsyncIterator[Api]:
    container = build_container(settings_for(tmp_path, **overrides))
    container.clock.override(clock)
    mailer = MemoryMailer()
    container.mailer.override(providers.Object(mailer))
    await upgrade(container.engine())
    async for client in open_client(container):
        yield Api(client, container, mailer, clock)


async def sign_in_with_address(
    client: ShopClient, container: Container, username: str, *, admin: bool = False
) -> tuple[int, int]:
    """Create the user with a default address and sign `client` in as them: (user_id, address_id)."""
    user = await container.accounts().create_user(
        username, f"{username}@example.com", PASSWORD, is_admin=admin
    )
    async with container.uow() as uow:
        address = await uow.addresses.add(
            Address(0, user.id, "李四", "13912345678", "北京市", "北京市", "海淀区", "中关村 2 号", True)
        )
        await uow.commit()
    client.cookies.clear()
    await client.login(username, PASSWORD)
    return user.id, address.id
