"""The soak: mixed shopper traffic against the real server for a while, then "nothing lost" in the database.

    .venv/bin/python -m bench.soak --minutes 10      (or: make soak SOAK_ARGS='--minutes 2')

1. A MariaDB database of its own (`jiadian_soak`, dropped and re-created), migrated, with the demo
   catalogue (every sku's stock set to `--stock`); `--shoppers` users with a wallet and an address.
2. A private redis-server on a free port (cache, cart, sessions and the dramatiq broker), or `--redis-url`.
3. `jiadian serve --workers 2` and `jiadian worker` in the production profile, with short order
   timers (unpaid orders expire after `--order-ttl` s, paid ones ship after `--ship-after` s, sweeps
   every `--sweep-interval` s) so that expiry and shipping run during the soak.
4. From this process: `--shoppers` virtual shoppers, each with at most `--max-actions` actions and a
   timeout on every request, browse, fill and change carts, order, pay by wallet, cancel, confirm
   receipt and review until the time is up.
5. Every 10 s the RSS of the server's worker processes and of the task worker is sampled.
6. Afterwards, once the timers are due and a sweep has run, the database must show: for every sku
   stock + sold = initial stock (and sales moved by the same amount), no negative stock; every
   wallet's balance = the sum of its ledger, total_consumed = the totals of its paid orders; every order
   has lines; no order stuck (unpaid past the TTL, or paid and unshipped past ship_after).
7. bench/results/soak.json and a printed summary, and the shop's /metrics at the end (all processes
   added up through PROMETHEUS_MULTIPROC_DIR) in bench/results/soak-metrics.txt; the exit status is 0
   only when every check held.

It stops by itself: the traffic ends at the deadline, every request has a timeout, and a watchdog ends
the whole run (servers included) if it overruns its budget. Not part of `make test`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
LOGS = RESULTS / "soak-logs"
HOST = "127.0.0.1"
PASSWORD = "soak-Pa55word"
SAMPLE_EVERY = 10.0
# Answers a shopper may meet in normal traffic (a race lost, a sold-out sku, a poor wallet ...).
EXPECTED = {200, 201, 204, 404, 409}
ACTIONS = {
    "browse": 34,
    "detail": 12,
    "cart_add": 14,
    "cart_view": 6,
    "cart_change": 4,
    "order": 12,
    "pay": 9,
    "cancel": 3,
    "receive": 3,
    "review": 1,
    "orders": 2,
}
SORTS = ["price", "-price", "sales", "-sales", "date", "-date"]
WORDS = ["手机", "iPhone", "华为", "电脑", "耳机", "冰箱", "洗衣机", "Pro"]


def log(message: str) -> None:
    print(f"[soak {time.strftime('%H:%M:%S')}] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def jiadian_bin() -> str:
    binary = Path(sys.executable).parent / "jiadian"
    if not binary.exists():
        raise SystemExit(f"{binary} not found: run `make soak` (it installs the project)")
    return str(binary)


# --- processes ------------------------------------------------------------------------------------


class Process:
    """A subprocess in its own process group, its output in a log file; stop() ends that group only."""

    def __init__(self, name: str, command: list[str], env: dict[str, str], cwd: Path) -> None:
        self.name = name
        self.log_path = LOGS / f"{name}.log"
        self._log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            command, env=env, cwd=cwd, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, timeout: float = 20) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=timeout)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=10)
        self._log.close()


def children(pid: int) -> list[int]:
    try:
        return [int(x) for x in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def server_workers(pid: int) -> list[int]:
    """The uvicorn worker processes of `jiadian serve` (not multiprocessing's resource tracker)."""
    found = []
    for child in sorted(children(pid)):
        try:
            command = Path(f"/proc/{child}/cmdline").read_bytes()
        except OSError:
            continue
        if b"resource_tracker" not in command:
            found.append(child)
    return found


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def start_redis(workdir: Path) -> tuple[Process, str]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is not installed: pass --redis-url")
    port = free_port()
    command = [binary, "--port", str(port), "--bind", HOST, "--save", "", "--appendonly", "no"]
    process = Process("redis", [*command, "--dir", str(workdir)], dict(os.environ), workdir)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection((HOST, port), timeout=0.5) as conn:
            conn.sendall(b"PING\r\n")
            if conn.recv(16).startswith(b"+PONG"):
                return process, f"redis://{HOST}:{port}/0"
        time.sleep(0.05)
    process.stop()
    raise SystemExit("the private redis-server did not start")


# --- the database ---------------------------------------------------------------------------------


def db_url_for(server_url: str, name: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


async def create_database(server_url: str, name: str) -> None:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(server_url)
    async with engine.begin() as conn:
        await conn.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
        await conn.execute(text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"))
    await engine.dispose()


async def drop_database(server_url: str, name: str) -> None:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(server_url)
    async with engine.begin() as conn:
        await conn.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
    await engine.dispose()


@dataclass
class Shopper:
    username: str
    user_id: int
    address_id: int


async def seed(env: dict[str, str], stock: int, shoppers: int, rnd: random.Random) -> dict[str, Any]:
    """Stock every sku, create the shoppers (a wallet and an address each); the initial figures."""
    from sqlalchemy import select, update

    from jiadian.adapters.sql.tables import products, skus
    from jiadian.container import build_container, shutdown
    from jiadian.domain.accounts import Address
    from jiadian.domain.money import Money
    from jiadian.domain.wallet import EntryKind, LedgerEntry
    from jiadian.settings import Settings

    settings = Settings(
        _env_file=None,
        database_url=env["JIADIAN_DATABASE_URL"],
        database_pool_size=2,
        var_dir=Path(env["JIADIAN_VAR_DIR"]),
    )
    container = build_container(settings)
    try:
        engine = container.engine()
        async with engine.begin() as conn:
            await conn.execute(update(skus).values(stock=stock))
        async with engine.connect() as conn:
            sku_rows = (
                await conn.execute(select(skus.c.id, skus.c.stock, skus.c.sales, skus.c.product_id))
            ).all()
            product_rows = (await conn.execute(select(products.c.id, products.c.sales))).all()
        people: list[Shopper] = []
        for n in range(shoppers):
            name = f"soak{n:03d}"
            user = await container.accounts().create_user(name, f"{name}@example.com", PASSWORD)
            async with container.uow() as uow:
                amount = Money.of(str(rnd.choice([50_000, 200_000, 1_000_000, 3_000_000])))
                await uow.wallets.apply(user.id, LedgerEntry(EntryKind.RECHARGE, amount, note="soak"))
                address = await uow.addresses.add(
                    Address(
                        0,
                        user.id,
                        "测试员",
                        "13812345678",
                        "广东省",
                        "深圳市",
                        "南山区",
                        f"科技园 {n} 号",
                        True,
                    )
                )
                await uow.commit()
            people.append(Shopper(name, user.id, address.id))
    finally:
        await shutdown(container)
    return {
        "skus": {
            r.id: {"stock": int(r.stock), "sales": int(r.sales), "product_id": r.product_id} for r in sku_rows
        },
        "products": {r.id: int(r.sales) for r in product_rows},
        "shoppers": people,
    }


# --- the traffic ----------------------------------------------------------------------------------


@dataclass
class Stats:
    by_action: Counter[str] = field(default_factory=Counter)
    by_status: Counter[str] = field(default_factory=Counter)
    unexpected: Counter[str] = field(default_factory=Counter)
    samples: list[str] = field(default_factory=list)  # a few unexpected answers, for the report
    latencies: dict[str, list[float]] = field(default_factory=dict)
    orders_placed: int = 0
    orders_paid: int = 0
    orders_cancelled: int = 0
    received: int = 0
    reviewed: int = 0

    def note(self, action: str, response: httpx.Response | None, seconds: float, error: str = "") -> None:
        self.by_action[action] += 1
        self.latencies.setdefault(action, []).append(seconds)
        if response is None:
            self.by_status["error"] += 1
            self.unexpected[f"{action}: {error}"] += 1
            if len(self.samples) < 20:
                self.samples.append(f"{action}: {error}")
            return
        self.by_status[str(response.status_code)] += 1
        if response.status_code not in EXPECTED:
            self.unexpected[f"{action}: {response.status_code}"] += 1
            if len(self.samples) < 20:
                self.samples.append(
                    f"{action} {response.request.url.path}: {response.status_code} {response.text[:200]}"
                )

    @property
    def requests(self) -> int:
        return sum(self.by_action.values())


class VirtualShopper:
    def __init__(
        self,
        who: Shopper,
        base_url: str,
        skus: list[int],
        products: list[int],
        stats: Stats,
        rnd: random.Random,
        timeout: float,
    ) -> None:
        self.who = who
        self.skus = skus
        self.products = products
        self.stats = stats
        self.rnd = rnd
        self.client = httpx.AsyncClient(base_url=base_url, timeout=timeout)
        self.unpaid: list[str] = []

    async def call(self, action: str, method: str, path: str, **kwargs: Any) -> httpx.Response | None:
        started = time.monotonic()
        try:
            response = await self.client.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            self.stats.note(action, None, time.monotonic() - started, type(exc).__name__)
            return None
        self.stats.note(action, response, time.monotonic() - started)
        return response

    async def sign_in(self) -> None:
        await self.client.get("/health")  # the CSRF cookie
        self.client.headers["x-csrftoken"] = self.client.cookies.get("csrftoken") or ""
        response = await self.call(
            "login", "POST", "/api/auth/login", json={"username": self.who.username, "password": PASSWORD}
        )
        if response is None or response.status_code != 200:
            raise RuntimeError(f"{self.who.username} could not sign in")

    async def run(self, deadline: float, max_actions: int) -> None:
        try:
            await self.sign_in()
            names, weights = list(ACTIONS), list(ACTIONS.values())
            for _ in range(max_actions):
                if time.monotonic() >= deadline:
                    break
                action = self.rnd.choices(names, weights)[0]
                await getattr(self, action)()
                await asyncio.sleep(self.rnd.uniform(0, 0.05))
        finally:
            await self.client.aclose()

    # --- actions ---

    async def browse(self) -> None:
        choice = self.rnd.randrange(4)
        if choice == 0:
            await self.call("browse", "GET", "/api/catalog/home")
        elif choice == 1:
            await self.call("browse", "GET", "/api/catalog/categories")
        elif choice == 2:
            slug = self.rnd.choice(["all", "intelligence", "electricity", "computer", "headset"])
            params = {"category": slug, "sort": self.rnd.choice(SORTS), "page": self.rnd.randint(1, 3)}
            await self.call("browse", "GET", "/api/catalog/products", params=params)
        else:
            await self.call("browse", "GET", "/api/catalog/search", params={"q": self.rnd.choice(WORDS)})

    async def detail(self) -> None:
        await self.call("detail", "GET", f"/api/catalog/products/{self.rnd.choice(self.products)}")

    async def cart_add(self) -> None:
        body = {"sku_id": self.rnd.choice(self.skus), "count": self.rnd.randint(1, 2)}
        await self.call("cart_add", "POST", "/api/cart/items", json=body)

    async def cart_view(self) -> httpx.Response | None:
        return await self.call("cart_view", "GET", "/api/cart")

    async def cart_change(self) -> None:
        cart = await self.cart_view()
        if cart is None or cart.status_code != 200 or not cart.json()["lines"]:
            return
        line = self.rnd.choice(cart.json()["lines"])
        if self.rnd.random() < 0.5:
            await self.call("cart_change", "DELETE", f"/api/cart/items/{line['sku_id']}")
        else:
            count = {"count": self.rnd.randint(1, 3)}
            await self.call("cart_change", "PUT", f"/api/cart/items/{line['sku_id']}", json=count)

    async def order(self) -> None:
        body: dict[str, Any] = {"address_id": self.who.address_id}
        if self.rnd.random() < 0.5:
            cart = await self.cart_view()
            lines = cart.json()["lines"] if cart is not None and cart.status_code == 200 else []
            if not lines:
                return
            chosen = self.rnd.sample(lines, k=min(len(lines), self.rnd.randint(1, 2)))
            body["sku_ids"] = [line["sku_id"] for line in chosen]
        else:
            body["buy_now"] = {"sku_id": self.rnd.choice(self.skus), "count": self.rnd.randint(1, 2)}
        headers = {"Idempotency-Key": secrets.token_hex(8)}
        response = await self.call("order", "POST", "/api/orders", json=body, headers=headers)
        if response is not None and response.status_code == 201:
            self.stats.orders_placed += 1
            self.unpaid.append(response.json()["order_id"])

    async def pay(self) -> None:
        if not self.unpaid:
            return
        order_id = self.unpaid.pop(self.rnd.randrange(len(self.unpaid)))
        response = await self.call(
            "pay", "POST", f"/api/orders/{order_id}/payments", json={"method": "wallet"}
        )
        if response is not None and response.status_code == 200:
            self.stats.orders_paid += 1

    async def cancel(self) -> None:
        if not self.unpaid:
            return
        order_id = self.unpaid.pop(self.rnd.randrange(len(self.unpaid)))
        response = await self.call("cancel", "POST", f"/api/orders/{order_id}/cancel")
        if response is not None and response.status_code == 200:
            self.stats.orders_cancelled += 1

    async def _orders(self, status: str) -> list[dict[str, Any]]:
        response = await self.call("orders", "GET", "/api/orders", params={"status": status, "page_size": 10})
        if response is None or response.status_code != 200:
            return []
        items: list[dict[str, Any]] = response.json()["items"]
        return items

    async def receive(self) -> None:
        shipped = await self._orders("3")
        if shipped:
            order_id = self.rnd.choice(shipped)["order_id"]
            response = await self.call("receive", "POST", f"/api/orders/{order_id}/confirm-receipt")
            if response is not None and response.status_code == 200:
                self.stats.received += 1

    async def review(self) -> None:
        received = await self._orders("4")
        if received:
            order = self.rnd.choice(received)
            for line in order["lines"]:
                if not line["reviewed"]:
                    body = {"score": self.rnd.choice([1, 3, 5]), "content": "好用"}
                    path = f"/api/orders/{order['order_id']}/lines/{line['line_id']}/review"
                    response = await self.call("review", "POST", path, json=body)
                    if response is not None and response.status_code == 201:
                        self.stats.reviewed += 1

    async def orders(self) -> None:
        await self._orders(self.rnd.choice(["1", "2", "3", "cancelled"]))


# --- memory ---------------------------------------------------------------------------------------


class MemorySampler(threading.Thread):
    """Every SAMPLE_EVERY seconds: the RSS of the server's workers and of the task worker."""

    def __init__(self, server: Process, worker: Process) -> None:
        super().__init__(name="rss-sampler", daemon=True)
        self.server = server
        self.worker = worker
        self.samples: list[dict[str, Any]] = []
        self.started_at = time.monotonic()
        self._halt = threading.Event()

    def sample(self) -> None:
        row: dict[str, Any] = {"t": round(time.monotonic() - self.started_at, 1)}
        for n, pid in enumerate(server_workers(self.server.pid)):
            row[f"server_worker_{n}"] = rss_mb(pid)
        row["server_master"] = rss_mb(self.server.pid)
        row["task_worker"] = rss_mb(self.worker.pid)
        self.samples.append(row)

    def run(self) -> None:
        self.sample()
        while not self._halt.wait(SAMPLE_EVERY):
            self.sample()

    def stop(self) -> None:
        self._halt.set()
        self.join(timeout=5)
        self.sample()


def slope_mb_per_min(points: list[tuple[float, float]]) -> float:
    if len(points) < 3:
        return 0.0
    xs, ys = [p[0] / 60 for p in points], [p[1] for p in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    var = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / var if var else 0.0


def memory_report(samples: list[dict[str, Any]], traffic_seconds: float) -> dict[str, Any]:
    """Per process: start, peak, end (MB) and the slope, over the run and over its second half.

    Bounded: the second half's slope is under 1 MB/min, or the process grew under 25 MB in all
    (start-up caches fill in the first minutes; a leak keeps climbing)."""
    names = sorted({k for s in samples for k in s if k != "t"})
    report: dict[str, Any] = {}
    for name in names:
        points = [
            (s["t"], s[name]) for s in samples if s.get(name) is not None and s["t"] <= traffic_seconds + 1
        ]
        if not points:
            continue
        half = [p for p in points if p[0] >= points[-1][0] / 2]
        growth = points[-1][1] - points[0][1]
        late = slope_mb_per_min(half)
        report[name] = {
            "start_mb": round(points[0][1], 1),
            "peak_mb": round(max(p[1] for p in points), 1),
            "end_mb": round(points[-1][1], 1),
            "slope_mb_per_min": round(slope_mb_per_min(points), 2),
            "second_half_slope_mb_per_min": round(late, 2),
            "samples": len(points),
            "bounded": late < 1.0 or growth < 25,
        }
    return report


# --- the checks -----------------------------------------------------------------------------------


async def gate_tokens(redis_url: str, skus: list[int]) -> dict[int, int]:
    from redis.asyncio import Redis

    from jiadian.adapters.redis.stock_gate import PREFIX

    client = Redis.from_url(redis_url)
    try:
        values = await client.mget([f"{PREFIX}{sku_id}" for sku_id in skus])
    finally:
        await client.aclose()
    return {sku_id: int(v) if v is not None else -1 for sku_id, v in zip(skus, values, strict=True)}


async def check(
    db_url: str, initial: dict[str, Any], ttl: int, ship_after: int, tokens: dict[int, int] | None = None
) -> dict[str, Any]:
    from sqlalchemy import func, select
    from sqlalchemy.ext.asyncio import create_async_engine

    from jiadian.adapters.sql.tables import order_lines, orders, products, skus, wallet_ledger, wallets

    engine = create_async_engine(db_url)
    problems: list[str] = []
    try:
        async with engine.connect() as conn:
            sold = {
                r.sku_id: int(r.n)
                for r in await conn.execute(
                    select(order_lines.c.sku_id, func.sum(order_lines.c["count"]).label("n"))
                    .join(orders, orders.c.id == order_lines.c.order_id)
                    .where(orders.c.status != "cancelled")
                    .group_by(order_lines.c.sku_id)
                )
            }
            now_skus = {r.id: r for r in await conn.execute(select(skus.c.id, skus.c.stock, skus.c.sales))}
            for sku_id, left in (tokens or {}).items():  # the stock gate's tokens end at MySQL's stock
                if left != now_skus[sku_id].stock:
                    problems.append(f"sku {sku_id}: {left} gate tokens, stock {now_skus[sku_id].stock}")
            for sku_id, start in initial["skus"].items():
                row, n = now_skus[sku_id], sold.get(sku_id, 0)
                if row.stock + n != start["stock"]:
                    problems.append(f"sku {sku_id}: stock {row.stock} + sold {n} != initial {start['stock']}")
                if row.sales - start["sales"] != n:
                    problems.append(f"sku {sku_id}: sales moved {row.sales - start['sales']}, sold {n}")
                if row.stock < 0:
                    problems.append(f"sku {sku_id}: negative stock {row.stock}")
            product_sold: Counter[int] = Counter()
            for sku_id, start in initial["skus"].items():
                product_sold[start["product_id"]] += sold.get(sku_id, 0)
            for r in await conn.execute(select(products.c.id, products.c.sales)):
                if r.sales - initial["products"][r.id] != product_sold[r.id]:
                    problems.append(f"product {r.id}: sales moved {r.sales - initial['products'][r.id]}")

            ledger = {
                r.user_id: Decimal(r.total)
                for r in await conn.execute(
                    select(wallet_ledger.c.user_id, func.sum(wallet_ledger.c.amount).label("total")).group_by(
                        wallet_ledger.c.user_id
                    )
                )
            }
            paid = {
                r.user_id: Decimal(r.total)
                for r in await conn.execute(
                    select(orders.c.user_id, func.sum(orders.c.total).label("total"))
                    .where(orders.c.pay_method == "wallet", orders.c.status.in_(["2", "3", "4", "5"]))
                    .group_by(orders.c.user_id)
                )
            }
            wallet_rows = (await conn.execute(select(wallets))).all()
            for w in wallet_rows:
                if Decimal(w.balance) != ledger.get(w.user_id, Decimal(0)):
                    problems.append(
                        f"wallet {w.user_id}: balance {w.balance} != ledger {ledger.get(w.user_id)}"
                    )
                if Decimal(w.total_consumed) != paid.get(w.user_id, Decimal(0)):
                    problems.append(
                        f"wallet {w.user_id}: consumed {w.total_consumed} != paid {paid.get(w.user_id)}"
                    )
                if Decimal(w.balance) < 0:
                    problems.append(f"wallet {w.user_id}: negative balance")

            bare = (
                await conn.execute(
                    select(func.count())
                    .select_from(orders)
                    .where(~select(order_lines.c.id).where(order_lines.c.order_id == orders.c.id).exists())
                )
            ).scalar_one()
            if bare:
                problems.append(f"{bare} orders without lines")
            mismatched = (
                await conn.execute(
                    select(func.count()).select_from(
                        select(orders.c.id)
                        .join(order_lines, order_lines.c.order_id == orders.c.id)
                        .group_by(orders.c.id, orders.c.amount)
                        .having(func.sum(order_lines.c.line_total) != orders.c.amount)
                        .subquery()
                    )
                )
            ).scalar_one()
            if mismatched:
                problems.append(f"{mismatched} orders whose amount is not the sum of their lines")

            now = datetime.now(UTC).replace(tzinfo=None)  # stored as naive UTC
            stuck_unpaid = (
                await conn.execute(
                    select(func.count())
                    .select_from(orders)
                    .where(orders.c.status == "1", orders.c.created_at < now - timedelta(seconds=ttl))
                )
            ).scalar_one()
            stuck_paid = (
                await conn.execute(
                    select(func.count())
                    .select_from(orders)
                    .where(orders.c.status == "2", orders.c.paid_at < now - timedelta(seconds=ship_after))
                )
            ).scalar_one()
            if stuck_unpaid:
                problems.append(f"{stuck_unpaid} orders unpaid past the TTL")
            if stuck_paid:
                problems.append(f"{stuck_paid} paid orders not shipped past ship_after")
            by_status = {
                r.status: int(r.n)
                for r in await conn.execute(
                    select(orders.c.status, func.count().label("n")).group_by(orders.c.status)
                )
            }
            reasons = {
                r.cancel_reason: int(r.n)
                for r in await conn.execute(
                    select(orders.c.cancel_reason, func.count().label("n"))
                    .where(orders.c.status == "cancelled")
                    .group_by(orders.c.cancel_reason)
                )
            }
    finally:
        await engine.dispose()
    return {
        "ok": not problems,
        "problems": problems[:50],
        "skus_checked": len(initial["skus"]),
        "wallets_checked": len(wallet_rows),
        "units_sold": sum(sold.values()),
        "orders_by_status": by_status,
        "cancelled_by_reason": reasons,
        "stuck_unpaid": int(stuck_unpaid),
        "stuck_paid": int(stuck_paid),
        "gate_skus_checked": len(tokens or {}),
    }


# --- the run --------------------------------------------------------------------------------------

# The shop's own figures, from its /metrics at the end of the run (all processes added up).
METRICS_SUMMARY = (
    "jiadian_orders_placed_total",
    "jiadian_orders_refused_total",
    "jiadian_payments_applied_total",
    "jiadian_payments_refused_total",
    "jiadian_tasks_failed_total",
    "jiadian_task_queue_depth",
    "jiadian_stock_gate_drift",
    "jiadian_payments_pending",
    "jiadian_db_pool_in_use",
    "jiadian_redis_pool_in_use",
    "jiadian_up",
)


async def scrape_metrics(base_url: str, out: Path) -> dict[str, float]:
    """GET /metrics (the soak is a loopback client): the whole text to `out`, the shop's figures back."""
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        response = await client.get("/metrics")
    response.raise_for_status()
    out.write_text(response.text)
    figures: dict[str, float] = {}
    for line in response.text.splitlines():
        if line.startswith(METRICS_SUMMARY):
            name, _, value = line.rpartition(" ")
            figures[name] = float(value)
    return figures


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__.split("\n")[0])
    p.add_argument("--minutes", type=float, default=10, help="how long the traffic runs")
    p.add_argument("--shoppers", type=int, default=16, help="virtual shoppers (concurrent)")
    p.add_argument("--max-actions", type=int, default=0, help="actions per shopper at most (0: 900 a minute)")
    p.add_argument("--timeout", type=float, default=15, help="seconds per request at most")
    p.add_argument("--stock", type=int, default=150, help="stock of every sku at the start")
    p.add_argument("--order-ttl", type=int, default=45, help="JIADIAN_ORDER_TTL_SECONDS of the run")
    p.add_argument("--ship-after", type=int, default=10, help="JIADIAN_SHIP_AFTER_SECONDS of the run")
    p.add_argument("--sweep-interval", type=int, default=10, help="JIADIAN_SWEEP_INTERVAL_SECONDS of the run")
    p.add_argument("--workers", type=int, default=2, help="server worker processes")
    p.add_argument(
        "--mysql-url",
        default=os.environ.get(
            "JIADIAN_TEST_MYSQL_URL", "mysql+aiomysql://root@127.0.0.1:3306/test?charset=utf8mb4"
        ),
        help="the MariaDB server (the database name is replaced by --database)",
    )
    p.add_argument("--database", default="jiadian_soak", help="dropped and re-created")
    p.add_argument("--keep-database", action="store_true", help="leave the database for inspection")
    p.add_argument("--redis-url", default="", help="an existing Redis (default: a private redis-server)")
    p.add_argument(
        "--stock-gate",
        action="store_true",
        help="checkout behind the Redis stock gate, every sku gated; checks the tokens end at MySQL's stock",
    )
    p.add_argument("--seed", type=int, default=20260101, help="random seed of the traffic")
    p.add_argument("--out", type=Path, default=RESULTS / "soak.json")
    return p.parse_args(argv)


class Overrun(Exception):
    pass


def _alarm(_signum: int, _frame: Any) -> None:
    raise Overrun("the soak overran its time budget")


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    traffic_seconds = args.minutes * 60
    settle = max(args.order_ttl, args.ship_after) + 2 * args.sweep_interval + 10
    budget = int(traffic_seconds + settle + 300)  # set-up, checks and stopping included
    signal.signal(signal.SIGALRM, _alarm)
    signal.signal(signal.SIGTERM, _alarm)
    signal.alarm(budget)
    try:
        return asyncio.run(run(args, traffic_seconds, settle))
    except (Overrun, KeyboardInterrupt) as exc:
        log(f"stopped: {exc or type(exc).__name__}")
        return 2
    finally:
        signal.alarm(0)


async def run(args: argparse.Namespace, traffic_seconds: float, settle: float) -> int:
    LOGS.mkdir(parents=True, exist_ok=True)
    work = LOGS / "var"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    rnd = random.Random(args.seed)
    db_url = db_url_for(args.mysql_url, args.database)
    processes: list[Process] = []
    started = datetime.now(UTC)
    try:
        redis_url = args.redis_url
        if not redis_url:
            redis, redis_url = start_redis(work)
            processes.append(redis)
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("JIADIAN_")}
        env.update(
            {
                "JIADIAN_DATABASE_URL": db_url,
                "JIADIAN_DATABASE_POOL_SIZE": "4",
                "JIADIAN_REDIS_URL": redis_url,
                "JIADIAN_BROKER": "redis",
                "JIADIAN_TASK_QUEUE_NAME": "jiadian_soak",
                "JIADIAN_AUTO_MIGRATE": "false",
                "JIADIAN_AUTO_DEMO": "false",
                "JIADIAN_VAR_DIR": str(work),
                "JIADIAN_CSRF_SECRET": secrets.token_hex(16),
                "JIADIAN_ORDER_TTL_SECONDS": str(args.order_ttl),
                "JIADIAN_SHIP_AFTER_SECONDS": str(args.ship_after),
                "JIADIAN_SWEEP_INTERVAL_SECONDS": str(args.sweep_interval),
                "JIADIAN_STOCK_GATE": str(args.stock_gate).lower(),
                "JIADIAN_PUBLIC_URL": f"http://{HOST}:{port}",
                # the server's workers and the task worker add up their metrics here (GET /metrics)
                "PROMETHEUS_MULTIPROC_DIR": str(work / "prometheus"),
            }
        )
        (work / "prometheus").mkdir()
        jiadian = jiadian_bin()
        log(f"database {args.database}, redis {redis_url}")
        await create_database(args.mysql_url, args.database)
        for command in (["db", "upgrade"], ["demo", "load"]):
            subprocess.run(
                [jiadian, *command], env=env, cwd=work, check=True, capture_output=True, timeout=300
            )
        initial = await seed(env, args.stock, args.shoppers, rnd)
        skus, products = sorted(initial["skus"]), sorted(initial["products"])
        log(f"seeded: {len(skus)} skus at stock {args.stock}, {args.shoppers} shoppers")
        if args.stock_gate:
            gate = [jiadian, "stock", "gate", "open", *map(str, skus)]
            subprocess.run(gate, env=env, cwd=work, check=True, capture_output=True, timeout=120)
            log(f"stock gate open on {len(skus)} skus")

        server = Process(
            "server",
            [jiadian, "serve", "--host", HOST, "--port", str(port), "--workers", str(args.workers)],
            env,
            work,
        )
        worker = Process("worker", [jiadian, "worker", "--threads", "2"], env, work)
        processes += [server, worker]
        base_url = f"http://{HOST}:{port}"
        await wait_ready(base_url, server, lambda: len(server_workers(server.pid)) >= args.workers)
        log(f"server up on {base_url} (workers {server_workers(server.pid)}), task worker {worker.pid}")

        sampler = MemorySampler(server, worker)
        sampler.start()
        stats = Stats()
        max_actions = args.max_actions or int(900 * args.minutes) + 1
        deadline = time.monotonic() + traffic_seconds
        shoppers = [
            VirtualShopper(s, base_url, skus, products, stats, random.Random(rnd.random()), args.timeout)
            for s in initial["shoppers"]
        ]
        log(
            f"traffic: {len(shoppers)} shoppers for {traffic_seconds:.0f} s, at most {max_actions} actions each"
        )
        began = time.monotonic()
        results = await asyncio.gather(
            *(s.run(deadline, max_actions) for s in shoppers), return_exceptions=True
        )
        elapsed = time.monotonic() - began
        failures = [repr(r) for r in results if isinstance(r, BaseException)]
        sampler.stop()
        log(
            f"traffic done: {stats.requests} requests in {elapsed:.0f} s; waiting {settle:.0f} s for the timers"
        )

        alive = {"server": server.alive(), "worker": worker.alive()}
        await asyncio.sleep(settle)
        for command in (["orders", "expire-unpaid"], ["orders", "ship-due"]):
            subprocess.run(
                [jiadian, *command], env=env, cwd=work, check=True, capture_output=True, timeout=120
            )
        metrics = await scrape_metrics(base_url, args.out.with_name("soak-metrics.txt"))
        tokens = await gate_tokens(redis_url, skus) if args.stock_gate else None
        checks = await check(db_url, initial, args.order_ttl, args.ship_after, tokens)
        memory = memory_report(sampler.samples, elapsed)
        ok = checks["ok"] and not failures and not stats.unexpected and all(alive.values())
        ok = ok and all(m["bounded"] for m in memory.values())
        report = {
            "started_at": started.isoformat(timespec="seconds"),
            "ok": ok,
            "settings": {
                k: getattr(args, k)
                for k in (
                    "minutes",
                    "shoppers",
                    "timeout",
                    "stock",
                    "order_ttl",
                    "ship_after",
                    "sweep_interval",
                    "workers",
                    "seed",
                    "stock_gate",
                )
            }
            | {"max_actions": max_actions},
            "traffic": {
                "seconds": round(elapsed, 1),
                "requests": stats.requests,
                "requests_per_second": round(stats.requests / elapsed, 1) if elapsed else 0,
                "by_action": dict(stats.by_action),
                "by_status": dict(stats.by_status),
                "unexpected": dict(stats.unexpected),
                "unexpected_samples": stats.samples,
                "shopper_failures": failures,
                "latency_ms": {
                    a: {
                        "p50": round(1000 * statistics.median(v), 1),
                        "p99": round(1000 * sorted(v)[int(0.99 * (len(v) - 1))], 1),
                        "max": round(1000 * max(v), 1),
                    }
                    for a, v in sorted(stats.latencies.items())
                },
                "orders_placed": stats.orders_placed,
                "orders_paid": stats.orders_paid,
                "orders_cancelled_by_shoppers": stats.orders_cancelled,
                "orders_received": stats.received,
                "lines_reviewed": stats.reviewed,
            },
            "processes_alive_after_traffic": alive,
            "metrics": metrics,
            "checks": checks,
            "memory": memory,
            "memory_samples": sampler.samples,
        }
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(report, ensure_ascii=False, indent=2, default=str))
        summarize(report, args.out)
        return 0 if ok else 1
    finally:
        for process in reversed(processes):
            process.stop()
        if not args.keep_database:
            with contextlib.suppress(Exception):
                await drop_database(args.mysql_url, args.database)


async def wait_ready(base_url: str, server: Process, workers_up: Any, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(base_url=base_url, timeout=5) as client:
        while time.monotonic() < deadline:
            if not server.alive():
                raise SystemExit(f"the server exited; see {server.log_path}")
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get("/ready")).status_code == 200 and workers_up():
                    return
            await asyncio.sleep(0.3)
    raise SystemExit(f"the server was not ready within {timeout:.0f} s; see {server.log_path}")


def problems(checks: dict[str, Any]) -> str:
    found: list[str] = checks["problems"]
    return "FAILED: " + "; ".join(found[:5]) + (f" (and {len(found) - 5} more)" if len(found) > 5 else "")


def summarize(report: dict[str, Any], path: Path) -> None:
    t, c = report["traffic"], report["checks"]
    print()
    print(
        f"soak: {'OK' if report['ok'] else 'FAILED'}  ({path.relative_to(ROOT) if path.is_relative_to(ROOT) else path})"
    )
    print(
        f"  traffic   {t['requests']} requests in {t['seconds']} s ({t['requests_per_second']}/s); "
        f"orders placed {t['orders_placed']}, paid {t['orders_paid']}, cancelled by shoppers "
        f"{t['orders_cancelled_by_shoppers']}, received {t['orders_received']}, lines reviewed {t['lines_reviewed']}"
    )
    print(f"  statuses  {t['by_status']}; unexpected {t['unexpected'] or 'none'}")
    print(
        f"  database  {'all checks held' if c['ok'] else problems(c)}: {c['skus_checked']} skus "
        f"(stock + sold = initial), {c['wallets_checked']} wallets (balance = ledger, consumed = paid), "
        f"{c['units_sold']} units sold; orders {c['orders_by_status']}, cancelled {c['cancelled_by_reason']}; "
        f"stuck unpaid {c['stuck_unpaid']}, stuck paid {c['stuck_paid']}"
        + (f"; gate tokens = stock for {c['gate_skus_checked']} skus" if c.get("gate_skus_checked") else "")
    )
    for name, m in report["memory"].items():
        print(
            f"  rss {name:16} start {m['start_mb']:7.1f} MB  peak {m['peak_mb']:7.1f}  end {m['end_mb']:7.1f}  "
            f"slope {m['slope_mb_per_min']:+.2f} MB/min (2nd half {m['second_half_slope_mb_per_min']:+.2f})  "
            f"{'bounded' if m['bounded'] else 'GROWING'}"
        )
    placed = report["metrics"].get("jiadian_orders_placed_total")
    print(f"  /metrics  orders placed {placed}; the whole text beside the report (soak-metrics.txt)")


if __name__ == "__main__":
    sys.exit(main())
