"""What the fault tests share: a private redis-server, URLs through a proxy, a shopper over HTTP, and
the database facts that "nothing lost" is checked against."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

import jiadian
from jiadian.adapters.sql.tables import order_lines, orders, products, skus, wallet_ledger, wallets
from jiadian.application.catalog_ports import NewSku
from jiadian.container import Container
from jiadian.domain.accounts import Address
from jiadian.domain.money import Money
from jiadian.domain.wallet import EntryKind, LedgerEntry
from tests.conftest import IN_CI, ShopClient

PASSWORD = "secret-123"
SRC = Path(jiadian.__file__).resolve().parents[1]  # the tree under test (subprocesses import it too)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_of(url: str, default: int) -> int:
    return urlsplit(url.replace("+aiomysql", "")).port or default


def via(url: str, port: int) -> str:
    """The same URL, with its host and port replaced by 127.0.0.1:`port` (a proxy's)."""
    parts = urlsplit(url)
    userinfo = parts.netloc.rpartition("@")[0]
    netloc = f"{userinfo}@127.0.0.1:{port}" if userinfo else f"127.0.0.1:{port}"
    return urlunsplit(parts._replace(netloc=netloc))


def subprocess_env(**settings: object) -> dict[str, str]:
    """The environment of a `jiadian` subprocess: JIADIAN_* settings and this test's source tree."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("JIADIAN_")}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(SRC), env.get("PYTHONPATH", "")) if p)
    env["PYTHONUNBUFFERED"] = "1"
    env.update({f"JIADIAN_{k.upper()}": str(v) for k, v in settings.items()})
    return env


# --- a private Redis ------------------------------------------------------------------------------


class RedisServer:
    """A redis-server of the test's own on a free port (no persistence): it may be stopped at will."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        binary = shutil.which("redis-server")
        if binary is None:
            message = "redis-server is not installed (the fault tests start a private one)"
            if IN_CI:
                pytest.fail(message)
            pytest.skip(message)
        self.process = subprocess.Popen(
            [
                *(binary, "--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--dir", str(self.workdir), "--loglevel", "warning"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as conn:
                    conn.sendall(b"PING\r\n")
                    if conn.recv(16).startswith(b"+PONG"):
                        return self
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError("the private redis-server did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None


# --- a shop to fault ------------------------------------------------------------------------------


@dataclass
class Seeded:
    sku_id: int
    product_id: int
    user_id: int
    address_id: int
    stock: int
    price: Decimal


async def seed(
    container: Container, *, username: str = "buyer", stock: int = 10, balance: str = "1000.00"
) -> Seeded:
    """One on-shelf sku and one shopper (password `PASSWORD`, an address, a wallet)."""
    user = await container.accounts().create_user(username, f"{username}@example.com", PASSWORD)
    async with container.uow() as uow:
        category = await uow.catalog.find_category("intelligence")
        if category is None:
            category = await uow.catalog.add_category("智能设备", "intelligence", "")
        spu = await uow.catalog.add_spu("故障手机", "详情", category.id)
        product = await uow.catalog.add_product("故障手机 Pro", spu.id, category.id, True)
        sku = await uow.catalog.add_sku(
            product.id, NewSku(Money.of("100.00"), stock, "黑色", "标准", ["img/fault.png"])
        )
        await uow.wallets.apply(user.id, LedgerEntry(EntryKind.RECHARGE, Money.of(balance)))
        address = await uow.addresses.add(
            Address(0, user.id, "张三", "13812345678", "广东省", "深圳市", "南山区", "科技园 1 号", True)
        )
        await uow.commit()
    return Seeded(sku.id, product.id, user.id, address.id, stock, Decimal("100.00"))


async def cart_line_count(client: ShopClient, sku_id: int) -> int:
    response = await client.get("/api/cart")
    assert response.status_code == 200, response.text
    return sum(line["count"] for line in response.json()["lines"] if line["sku_id"] == sku_id)


def assert_clean_503(response: Any) -> None:
    """A failure the client can act on: 503 `service_unavailable` with the error body, no traceback."""
    assert response.status_code == 503, response.text
    body = response.json()
    assert body["code"] == "service_unavailable", body
    assert body["detail"]
    assert "Traceback" not in response.text
    assert 'File "' not in response.text


# --- the database's word --------------------------------------------------------------------------


@dataclass(frozen=True)
class Facts:
    stock: int
    sku_sales: int
    product_sales: int
    orders: int
    lines: int
    orders_without_lines: int
    sold: int  # units in order lines of orders that are not cancelled


async def facts(engine: AsyncEngine, seeded: Seeded) -> Facts:
    async with engine.connect() as conn:
        sku = (await conn.execute(select(skus.c.stock, skus.c.sales).where(skus.c.id == seeded.sku_id))).one()
        product_sales = (
            await conn.execute(select(products.c.sales).where(products.c.id == seeded.product_id))
        ).scalar_one()
        n_orders = (await conn.execute(select(func.count()).select_from(orders))).scalar_one()
        n_lines = (await conn.execute(select(func.count()).select_from(order_lines))).scalar_one()
        bare = (
            await conn.execute(
                select(func.count())
                .select_from(orders)
                .where(~select(order_lines.c.id).where(order_lines.c.order_id == orders.c.id).exists())
            )
        ).scalar_one()
        sold = (
            await conn.execute(
                select(func.coalesce(func.sum(order_lines.c["count"]), 0))
                .select_from(order_lines.join(orders, orders.c.id == order_lines.c.order_id))
                .where(order_lines.c.sku_id == seeded.sku_id, orders.c.status != "cancelled")
            )
        ).scalar_one()
    return Facts(
        int(sku.stock), int(sku.sales), int(product_sales), int(n_orders), int(n_lines), int(bare), int(sold)
    )


async def wallet_consistent(engine: AsyncEngine, user_id: int) -> tuple[Decimal, Decimal]:
    """(balance, sum of the ledger's signed entries) of one wallet."""
    async with engine.connect() as conn:
        balance = (
            await conn.execute(select(wallets.c.balance).where(wallets.c.user_id == user_id))
        ).scalar_one()
        ledger = (
            await conn.execute(
                select(func.coalesce(func.sum(wallet_ledger.c.amount), 0)).where(
                    wallet_ledger.c.user_id == user_id
                )
            )
        ).scalar_one()
    return Decimal(balance), Decimal(ledger)


# --- a real `jiadian worker` ----------------------------------------------------------------------


def jiadian_command() -> list[str]:
    """The `jiadian` command of this interpreter's environment."""
    binary = Path(sys.executable).parent / "jiadian"
    if binary.exists():
        return [str(binary)]
    return [sys.executable, "-c", "from jiadian.entrypoints.cli.main import app; app()"]


class WorkerProcess:
    """`jiadian worker` in a subprocess of its own, its log in a file."""

    def __init__(self, env: dict[str, str], log_path: Path, *, threads: int = 2) -> None:
        self.log_path = log_path
        self.process = subprocess.Popen(
            [*jiadian_command(), "worker", "--threads", str(threads)],
            env=env,
            stdout=(log := log_path.open("wb")),
            stderr=subprocess.STDOUT,
        )
        self._log = log

    @property
    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_started(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while "worker started" not in self.log:
            if self.process.poll() is not None:
                raise AssertionError(f"the worker exited ({self.process.returncode}):\n{self.log}")
            if time.monotonic() > deadline:
                raise AssertionError(f"the worker did not start:\n{self.log}")
            time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL: no shutdown, no requeue, no goodbye."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()
        self._log.close()
