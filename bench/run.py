"""The benchmark: one command that seeds MariaDB, starts the real server, loads it with wrk and reports.

    .venv/bin/python -m bench.run [--products 10000 --skus-per-product 3 --users 128 --duration 8]

1. a fresh MariaDB database (`jiadian_bench`), migrated by `jiadian db upgrade`, seeded in bulk;
2. `jiadian serve --workers 2` in the production profile (MariaDB, Redis, redis broker) on 127.0.0.1,
   with JIADIAN_BENCH_ROUTES=true for the hello-world floor;
3. wrk (bench/wrk/shop.lua) from a separate process, 64 connections, users signed in beforehand
   (sessions written through the shop's session store; session and CSRF cookies handed to wrk in a file);
4. every endpoint's requests/s and latency p50/p99; the flash sale per stock strategy and behind the
   stock gate (server restarted for each), for 64, 256 and 1,024 buyers and a stock of 1,000 and
   10,000, with sales, oversell and errors checked in the database;
5. floors in the same run: GET /bench/hello on the same server, and a raw aiomysql transaction loop
   (bench/floor_tx.py) at the same concurrency;
6. bench/results/latest.{json,md,png}; the table is printed.

Traffic goes to 127.0.0.1 only. The server is always stopped at the end, Ctrl-C included.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import math
import os
import platform
import random
import re
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

from bench import report
from bench.scale import ScaleContext, deep_pages, listing_params, run_scale, search_params
from bench.seed import FLASH_BUYERS, FLASH_RUNS, FLASH_STOCKS, Seeded, flash_key, index_for_search

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
RESULTS = BENCH / "results"
TMP = RESULTS / "tmp"
LUA = BENCH / "wrk" / "shop.lua"
HOST = "127.0.0.1"
# Endpoints written by other work in progress: the scenario runs when its path is in the OpenAPI schema.
NEEDS = {
    "cart_add": "/api/cart/items",
    "cart_view": "/api/cart",
    "preview": "/api/checkout/preview",
    "order": "/api/orders",
    "pay": "/api/orders/{order_id}/payments",
    "flash": "/api/orders",
}


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


class Interrupted(Exception):
    pass


def _on_signal(signum: int, _frame: Any) -> None:
    raise Interrupted(f"signal {signum}")


# --- small HTTP client (stdlib) ------------------------------------------------------------------


def http_call(
    port: int,
    method: str,
    path: str,
    *,
    body: object | None = None,
    cookies: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 10,
) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        h = dict(headers or {})
        if cookies:
            h["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        conn.request(method, path, body=data, headers=h)
        resp = conn.getresponse()
        payload = resp.read()
        set_cookies: dict[str, str] = {}
        for name, value in resp.getheaders():
            if name.lower() == "set-cookie":
                jar: SimpleCookie = SimpleCookie()
                jar.load(value)
                set_cookies.update({k: m.value for k, m in jar.items()})
        return resp.status, set_cookies, payload
    finally:
        conn.close()


# --- processes -----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """utime + stime of one process, from /proc (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> float:
    """CPU seconds spent busy by the whole machine (all processes), from /proc/stat."""
    values = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return (sum(values[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    try:
        return [int(x) for x in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def pids_named(*names: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if (entry / "comm").read_text().strip() in names:
                    found.append(int(entry.name))
    return found


class Server:
    """`jiadian serve --workers N` in its own process group; stop() ends that group (and only it)."""

    def __init__(
        self,
        jiadian: Path,
        env: dict[str, str],
        port: int,
        workers: int,
        log_path: Path,
        server: str = "granian",
    ) -> None:
        self.jiadian, self.env, self.port, self.workers, self.log_path = jiadian, env, port, workers, log_path
        self.server = server
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60) -> None:
        self.log_file = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [
                str(self.jiadian),
                "serve",
                "--host",
                HOST,
                "--port",
                str(self.port),
                "--workers",
                str(self.workers),
                "--server",
                self.server,
            ],
            env=self.env,
            cwd=TMP,
            stdout=self.log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited with {self.proc.returncode}; see {self.log_path}")
            with contextlib.suppress(OSError):
                status, _c, _b = http_call(self.port, "GET", "/ready", timeout=5)
                if status == 200 and len(self.worker_pids()) >= self.workers:
                    return
            time.sleep(0.3)
        raise RuntimeError(f"the server was not ready within {timeout:.0f} s; see {self.log_path}")

    def worker_pids(self) -> list[int]:
        return children(self.proc.pid) if self.proc else []

    def all_pids(self) -> list[int]:
        return [self.proc.pid, *self.worker_pids()] if self.proc else []

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        # Workers left behind by a killed master are in the same group.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        self.log_file.close()


# --- setup ---------------------------------------------------------------------------------------


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    log("wrk is missing: apt-get install wrk")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, timeout=300, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, timeout=300, env=env)
    found = shutil.which("wrk")
    if not found:
        raise RuntimeError("wrk could not be installed")
    return found


def flush_redis(url: str) -> None:
    from redis import Redis

    client = Redis.from_url(url, socket_timeout=5)
    try:
        client.flushdb()
    finally:
        client.close()


@dataclass
class Session:
    user_id: int
    session: str
    csrf: str
    address: int
    skus: list[int] = field(default_factory=list)
    orders: list[str] = field(default_factory=list)


def sign_in(
    port: int, db_url: str, redis_url: str, seeded: Seeded, rnd_skus: Iterator[list[int]]
) -> list[Session]:
    """Every bench user signed in as a sign-in leaves them — a session in the shop's own session store —
    without a sign-in each (its argon2 check costs ~40 ms of CPU: a thousand of them, most of a minute).
    One CSRF cookie serves them all (it is not tied to a session)."""
    import asyncio

    from jiadian.container import build_container
    from jiadian.domain.accounts import User
    from jiadian.settings import Settings

    _s, cookies, _b = http_call(port, "GET", "/health")
    csrf = cookies["csrftoken"]
    settings = Settings(_env_file=None, database_url=db_url, redis_url=redis_url)  # type: ignore[call-arg]

    async def create() -> list[str]:
        container = build_container(settings)
        sessions = container.sessions()
        try:
            return [
                await sessions.create(User(u, f"bench{u:05d}", f"bench{u:05d}@bench.local", ""))
                for u in range(1, seeded.users + 1)
            ]
        finally:
            redis = container.redis()
            if redis is not None:
                await redis.aclose()

    tokens = asyncio.run(create())
    made = [Session(u, token, csrf, u, next(rnd_skus)) for u, token in enumerate(tokens, start=1)]
    status, _c, body = http_call(
        port, "GET", "/api/me", cookies={"jiadian_session": made[0].session, "csrftoken": csrf}
    )
    if status != 200:
        raise RuntimeError(f"a bench session does not sign in: {status} {body[:200]!r}")
    return made


def fill_carts(port: int, sessions: list[Session]) -> None:
    """Put each user's skus in their cart (count 1 more each), whatever the cart-add run managed."""

    def one(s: Session) -> None:
        for sku in s.skus:
            status, _c, body = http_call(
                port,
                "POST",
                "/api/cart/items",
                body={"sku_id": sku, "count": 1},
                cookies={"jiadian_session": s.session, "csrftoken": s.csrf},
                headers={"x-csrftoken": s.csrf},
                timeout=30,
            )
            if status != 200:
                raise RuntimeError(f"cart add for user {s.user_id} failed: {status} {body[:200]!r}")

    with ThreadPoolExecutor(8) as pool:
        for f in [pool.submit(one, s) for s in sessions]:
            f.result(timeout=120)


def view_every_page(port: int, products: int, csrf: str, threads: int = 16) -> None:
    """GET every product page once (kept-alive connections, `threads` at a time)."""

    def walk(first: int) -> None:
        conn = http.client.HTTPConnection(HOST, port, timeout=30)
        try:
            for product in range(first, products + 1, threads):
                conn.request(
                    "GET", f"/api/catalog/products/{product}", headers={"Cookie": f"csrftoken={csrf}"}
                )
                response = conn.getresponse()
                response.read()
                if response.status != 200:
                    raise RuntimeError(f"product page {product}: {response.status}")
        finally:
            conn.close()

    with ThreadPoolExecutor(threads) as pool:
        for done in [pool.submit(walk, n) for n in range(1, threads + 1)]:
            done.result(timeout=600)


def write_users(path: Path, sessions: list[Session]) -> None:
    with path.open("w") as f:
        for s in sessions:
            skus = ",".join(map(str, s.skus))
            orders = ",".join(s.orders)
            f.write(f"{s.user_id}\t{s.session}\t{s.csrf}\t{s.address}\t{skus}\t{orders}\n")


# --- one wrk run ---------------------------------------------------------------------------------


@dataclass
class Load:
    wrk: str
    port: int
    threads: int
    connections: int
    users_file: Path
    params_file: Path
    server: Server
    db_pids: list[int]
    redis_pids: list[int]

    def run(
        self,
        mode: str,
        duration: float,
        *,
        flash_sku: int | None = None,
        connections: int | None = None,
        users: Path | None = None,
    ) -> dict[str, Any]:
        params = self.params_file
        if flash_sku is not None:
            params = TMP / f"params-{mode}.txt"
            params.write_text(self.params_file.read_text() + f"flash_sku={flash_sku}\n")
        env = {
            **os.environ,
            "BENCH_MODE": mode,
            "BENCH_THREADS": str(self.threads),
            "BENCH_USERS": str(users or self.users_file),
            "BENCH_PARAMS": str(params),
        }
        cmd = [
            self.wrk,
            f"-t{self.threads}",
            f"-c{connections or self.connections}",
            f"-d{max(1, round(duration))}s",
            "--timeout",
            "10s",
            "-s",
            str(LUA),
            f"http://{HOST}:{self.port}",
        ]
        watched = {
            "app": self.server.all_pids(),
            "db": self.db_pids,
            "redis": self.redis_pids,
        }
        before = {k: sum(cpu_seconds(p) for p in v) for k, v in watched.items()}
        ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        busy0 = machine_busy_seconds()
        t0 = time.monotonic()
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=duration + 60)
        wall = time.monotonic() - t0
        ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        busy = (machine_busy_seconds() - busy0) / wall
        line = next((x for x in proc.stdout.splitlines() if x.startswith("BENCH_JSON ")), None)
        if proc.returncode != 0 or line is None:
            raise RuntimeError(f"wrk failed ({proc.returncode}): {proc.stderr.strip()} {proc.stdout[-500:]}")
        data: dict[str, Any] = json.loads(line[len("BENCH_JSON ") :])
        seconds = data["duration_us"] / 1e6
        cpu = {k: (sum(cpu_seconds(p) for p in v) - before[k]) / wall for k, v in watched.items()}
        cpu["wrk"] = (ru1.ru_utime + ru1.ru_stime - ru0.ru_utime - ru0.ru_stime) / wall
        # Everything else on the machine (other people's tests, the kernel's network work, this script).
        cpu["other"] = max(0.0, busy - sum(cpu.values()))
        lat = data["latency_us"]
        return {
            "mode": mode,
            "rps": data["requests"] / seconds if seconds else 0.0,
            "requests": data["requests"],
            "seconds": seconds,
            "p50_ms": lat["p50"] / 1000,
            "p90_ms": lat["p90"] / 1000,
            "p99_ms": lat["p99"] / 1000,
            "max_ms": lat["max"] / 1000,
            "non_2xx": data["errors"]["status"],
            "socket_errors": {k: v for k, v in data["errors"].items() if k != "status"},
            "counts": data["counts"],
            "codes": data.get("codes", {}),
            "cpu_cores": {k: round(v, 2) for k, v in cpu.items()},
            # CPU time per request (ms): steadier than throughput when the machine is shared.
            "cpu_ms_per_request": {
                k: round(cpu[k] * wall / max(1, data["requests"]) * 1000, 3)
                for k in ("app", "db", "redis", "wrk")
            },
        }

    def settle(self, limit: float = 30) -> float:
        """Wait until the workers are idle again (requests abandoned by wrk may still be running)."""
        t0 = time.monotonic()
        while time.monotonic() - t0 < limit:
            before = sum(cpu_seconds(p) for p in self.server.all_pids())
            time.sleep(0.5)
            if sum(cpu_seconds(p) for p in self.server.all_pids()) - before < 0.05:
                break
        return time.monotonic() - t0

    def measure(self, mode: str, warmup: float, duration: float, **kw: Any) -> dict[str, Any]:
        waited = self.settle()
        if waited > 2:
            log(f"waited {waited:.0f} s for the server to finish earlier work")
        if warmup > 0:
            self.run(mode, warmup, **kw)
        result = self.run(mode, duration, **kw)
        log(
            f"{mode:10s} {result['rps']:9.1f} req/s  p50 {result['p50_ms']:7.2f} ms  p99 {result['p99_ms']:7.2f} ms  "
            f"non-2xx {result['non_2xx']}  cpu {result['cpu_cores']}"
        )
        return result


# --- the flash sale ------------------------------------------------------------------------------


def flash_check(db_url: str, sku: int, initial: int) -> dict[str, Any]:
    """What the sale left in the database. Orders per second: those committed from the first order to the
    last one's commit, over that span (a batch's orders share their `created_at`: the last batch's are
    not counted, as its time is where the span ends)."""
    from sqlalchemy import create_engine, text

    from bench.seed import sync_url

    engine = create_engine(sync_url(db_url))
    live = "l.sku_id = :s AND o.status <> 'cancelled'"
    try:
        with engine.connect() as conn:
            stock, sales = conn.execute(text("SELECT stock, sales FROM skus WHERE id = :s"), {"s": sku}).one()
            orders_n, units, first, last = conn.execute(
                text(
                    "SELECT COUNT(DISTINCT o.id), COALESCE(SUM(l.count), 0), MIN(o.created_at), MAX(o.created_at) "
                    f"FROM order_lines l JOIN orders o ON o.id = l.order_id WHERE {live}"
                ),
                {"s": sku},
            ).one()
            before_last = conn.execute(
                text(
                    "SELECT COUNT(DISTINCT o.id) FROM order_lines l JOIN orders o ON o.id = l.order_id "
                    f"WHERE {live} AND o.created_at < :last"
                ),
                {"s": sku, "last": last},
            ).scalar_one()
    finally:
        engine.dispose()
    units = int(units)
    span = (last - first).total_seconds() if first is not None and last is not None else 0.0
    return {
        "initial_stock": initial,
        "final_stock": int(stock),
        "sales": int(sales),
        "orders": int(orders_n),
        "units_sold": units,
        "sold_out": int(stock) == 0,
        "oversell": int(stock) < 0 or units > initial or units + int(stock) != initial,
        "span_s": span,
        "orders_per_s": int(before_last) / span if span > 0 else 0.0,
    }


def gate_tokens(redis_url: str, sku: int) -> int | None:
    import redis

    from jiadian.adapters.redis.stock_gate import PREFIX

    client = redis.Redis.from_url(redis_url)
    try:
        value = client.get(f"{PREFIX}{sku}")
    finally:
        client.close()
    return None if value is None else int(value)


def run_floor(
    db_url: str, seeded: Seeded, args: argparse.Namespace, load: Load, *, hot: bool
) -> dict[str, Any]:
    cmd = [
        sys.executable,
        "-m",
        "bench.floor_tx",
        f"--db-url={db_url}",
        f"--concurrency={args.connections}",
        f"--procs={args.workers}",
        f"--duration={args.duration}",
        f"--warmup={args.warmup}",
        f"--skus={seeded.skus}",
        f"--hot-sku={seeded.floor_hot_sku if hot else 0}",
        f"--user={seeded.floor_user}",
    ]
    watched = load.db_pids
    db0 = sum(cpu_seconds(p) for p in watched)
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run(
        cmd, capture_output=True, text=True, cwd=ROOT, timeout=args.duration + args.warmup + 90
    )
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    db_cpu = sum(cpu_seconds(p) for p in watched) - db0
    if proc.returncode != 0:
        raise RuntimeError(f"floor_tx failed: {proc.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    # CPU per transaction over the whole run (warm-up included): the client's, and MariaDB's.
    all_tx = max(1.0, result["tps"] * (args.duration + args.warmup))
    client_cpu = ru1.ru_utime + ru1.ru_stime - ru0.ru_utime - ru0.ru_stime
    result["cpu_ms_per_tx"] = {
        "client": round(client_cpu / all_tx * 1000, 3),
        "db": round(db_cpu / all_tx * 1000, 3),
    }
    log(
        f"raw tx {'contended' if hot else 'uncontended'}: {result['tps']:.1f} tx/s  p50 {result['p50_ms']:.2f} ms  "
        f"p99 {result['p99_ms']:.2f} ms  failed {result['failed']}"
    )
    return result


def profile(server: Server, load: Load, mode: str, seconds: float, out: Path, **kw: Any) -> dict[str, Any]:
    """py-spy on every worker during an extra run of `mode` (not the measured one): the top functions."""
    pyspy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(pyspy).exists():
        return {"error": "py-spy is not installed (pip install py-spy)"}
    out_dir, raw_dir = out / "profile", TMP / "profile"
    out_dir.mkdir(parents=True, exist_ok=True)
    raw_dir.mkdir(parents=True, exist_ok=True)
    procs = []
    for pid in server.worker_pids():
        raw = TMP / f"pyspy-{mode}-{pid}.txt"
        procs.append(
            (
                raw,
                subprocess.Popen(
                    [
                        pyspy,
                        "record",
                        "--pid",
                        str(pid),
                        "--duration",
                        str(int(seconds)),
                        "--rate",
                        "250",
                        "--format",
                        "raw",
                        "--output",
                        str(raw),
                        "--nonblocking",
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                ),
            )
        )
    time.sleep(0.5)
    load.run(mode, seconds, **kw)
    stacks: dict[str, int] = {}
    for raw, proc in procs:
        proc.wait(timeout=seconds + 30)
        if raw.exists():
            for line in raw.read_text().splitlines():
                stack, _, n = line.rpartition(" ")
                if n.isdigit():
                    stacks[stack] = stacks.get(stack, 0) + int(n)
    summary = report.summarise_stacks(stacks)
    (out_dir / f"{mode}.txt").write_text(summary["text"])
    # Collapsed stacks (for flamegraph.pl or speedscope) stay out of the repository: they are megabytes.
    (raw_dir / f"{mode}.collapsed").write_text("".join(f"{k} {v}\n" for k, v in stacks.items()))
    return {k: v for k, v in summary.items() if k != "text"}


# --- main ----------------------------------------------------------------------------------------


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m bench.run", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--products", type=int, default=10_000)
    p.add_argument("--skus-per-product", type=int, default=3)
    p.add_argument("--users", type=int, default=128, help="signed-in users (at least --connections)")
    p.add_argument("--duration", type=float, default=8, help="seconds measured per scenario")
    p.add_argument("--warmup", type=float, default=2, help="seconds of warm-up before each scenario")
    p.add_argument(
        "--flash-duration",
        type=float,
        default=None,
        help="seconds of each flash-sale run (default: long enough to sell out at the measured order rate, 6-25 s)",
    )
    p.add_argument("--connections", type=int, default=64)
    p.add_argument("--threads", type=int, default=2, help="wrk threads")
    p.add_argument("--workers", type=int, default=2, help="server worker processes")
    p.add_argument(
        "--server", choices=["granian", "uvicorn"], default="granian", help="what `jiadian serve` runs"
    )
    p.add_argument(
        "--mysql",
        default="mysql+aiomysql://root@127.0.0.1:3306/?charset=utf8mb4",
        help="the MariaDB server (the database name is replaced by --database)",
    )
    p.add_argument("--database", default="jiadian_bench")
    p.add_argument(
        "--redis", default="redis://127.0.0.1:6379/12", help="a Redis database the bench may flush"
    )
    p.add_argument("--only", default="", help="comma-separated scenarios to run (default: all)")
    p.add_argument(
        "--profile", default="", help="comma-separated scenarios to profile with py-spy afterwards"
    )
    p.add_argument(
        "--scale",
        default="1000,100000",
        help="catalogue sizes for the size check (list and product-page latency), smallest first; '' skips it",
    )
    p.add_argument("--scale-duration", type=float, default=4, help="seconds measured per size-check scenario")
    p.add_argument("--out", type=Path, default=RESULTS)
    args = p.parse_args(argv)
    if args.users < args.connections:
        p.error("--users must be at least --connections (one user per connection in flight)")
    for url in (args.mysql, args.redis):
        host = url.split("@")[-1].split("//")[-1].split(":")[0].split("/")[0]
        if host not in {"127.0.0.1", "localhost"}:
            p.error(f"traffic stays on 127.0.0.1: {url}")
    return args


def _exclusive(path: Path, what: str) -> Any:
    """Refuse to start while another run uses the same database or Redis: it would drop or flush them."""
    import fcntl

    handle = path.open("w")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise SystemExit(
            f"another benchmark is running on {what}: wait for it, or give this one its own --database and --redis"
        ) from None
    return handle  # held while the handle lives (until main returns)


def db_url_for(server_url: str, name: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    started = time.monotonic()
    signal.signal(signal.SIGINT, signal.default_int_handler)  # Ctrl-C, even when started with SIGINT ignored
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGHUP, _on_signal)
    global TMP
    # Runs on other databases and Redis databases may go on beside this one; each keeps its own files.
    TMP = RESULTS / "tmp" / args.database
    TMP.mkdir(parents=True, exist_ok=True)
    _held = [
        _exclusive(TMP / ".lock", f"database {args.database}"),
        _exclusive(RESULTS / "tmp" / f".redis-{re.sub(r'[^A-Za-z0-9]+', '-', args.redis)}.lock", args.redis),
    ]
    args.out.mkdir(parents=True, exist_ok=True)
    jiadian = Path(sys.executable).with_name("jiadian")
    wrk = ensure_wrk()
    wrk_out = subprocess.run([wrk, "-v"], capture_output=True, text=True, timeout=10).stdout
    wrk_version = " ".join(wrk_out.split()[:2]) or "wrk"
    only = {x for x in args.only.split(",") if x}
    busy0 = machine_busy_seconds()
    time.sleep(1)
    busy_before = machine_busy_seconds() - busy0
    if busy_before > 0.3:
        log(f"WARNING: the machine is already busy ({busy_before:.1f} cores) — figures will be disturbed")

    def wanted(name: str) -> bool:
        return not only or name in only

    from bench.seed import create_database, migrate, seed, unpaid_orders

    db_url = db_url_for(args.mysql, args.database)
    results: dict[str, Any] = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "wrk": wrk_version,
        "machine_busy_before": round(busy_before, 2),
        "config": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "scenarios": {},
        "floors": {},
        "flash": {},
        "skipped": {},
    }
    server: Server | None = None
    started_servers: list[Server] = []
    try:
        t = time.monotonic()
        log(
            f"database {args.database}: create, migrate, seed {args.products} products × {args.skus_per_product} skus"
        )
        create_database(db_url, args.database)
        migrate(db_url, jiadian)
        users_n = max(args.users, *FLASH_BUYERS) if wanted("flash") else args.users  # one per buyer
        seeded = seed(
            db_url, products_n=args.products, skus_per_product=args.skus_per_product, users_n=users_n
        )
        index_for_search(db_url, jiadian)
        seeded.seconds = time.monotonic() - t
        results["seed"] = {**vars(seeded)}
        log(f"seeded in {seeded.seconds:.1f} s ({seeded.skus} skus, {seeded.users} users)")
        flush_redis(args.redis)

        port = free_port()
        base_env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("JIADIAN_")},
            "JIADIAN_DATABASE_URL": db_url,
            "JIADIAN_REDIS_URL": args.redis,
            "JIADIAN_BROKER": "redis",
            "JIADIAN_AUTO_MIGRATE": "false",
            "JIADIAN_AUTO_DEMO": "false",
            "JIADIAN_BENCH_ROUTES": "true",
            "JIADIAN_CSRF_SECRET": secrets.token_hex(16),
            "JIADIAN_VAR_DIR": str(TMP / "var"),
            "JIADIAN_WORKERS": str(args.workers),
        }

        def start(strategy: str, *, gate: bool = False) -> Server:
            s = Server(
                jiadian,
                {**base_env, "JIADIAN_STOCK_STRATEGY": strategy, "JIADIAN_STOCK_GATE": str(gate).lower()},
                port,
                args.workers,
                TMP / "server.log",
                args.server,
            )
            started_servers.append(s)  # stopped in `finally` even when start() is interrupted
            s.start()
            log(
                f"server up on {HOST}:{port} (strategy {strategy}{', stock gate' if gate else ''}, workers {s.worker_pids()})"
            )
            return s

        server = start("conditional")
        status, _c, schema_body = http_call(port, "GET", "/schema/openapi.json", timeout=30)
        paths = set(json.loads(schema_body).get("paths", {})) if status == 200 else set()
        available = {name: path in paths for name, path in NEEDS.items()}
        for name, ok in available.items():
            if not ok:
                results["skipped"][name] = f"not available: {NEEDS[name]} is not served yet"
                log(f"{name}: not available ({NEEDS[name]} is not in the schema) — skipped")

        rnd = random.Random(7)
        sku_sets = iter(lambda: sorted(rnd.sample(range(1, seeded.skus + 1), 5)), None)
        signed_in = sign_in(port, db_url, args.redis, seeded, sku_sets)
        sessions = signed_in[: args.users]  # the endpoint scenarios' users; the flash sale's buyers are all
        write_users(TMP / "users-flash.tsv", signed_in)
        _s, anon, _b = http_call(port, "GET", "/health")
        users_file, params_file = TMP / "users.tsv", TMP / "params.txt"
        write_users(users_file, sessions)
        params = {
            "products": seeded.products,
            "skus": seeded.skus,
            "anon_csrf": anon["csrftoken"],
            **listing_params(seeded),
            **search_params(),
        }
        params_file.write_text("".join(f"{k}={v}\n" for k, v in params.items()))
        load = Load(
            wrk,
            port,
            args.threads,
            args.connections,
            users_file,
            params_file,
            server,
            pids_named("mariadbd", "mysqld"),
            pids_named("redis-server"),
        )
        results["deep_pages"] = deep_pages(seeded)
        # Fill the caches once, one request at a time: the figures are steady-state ones. (A cold cache under
        # 64 connections is a stampede: every request computes the home page at once.)
        for path in ("/api/catalog/home", "/api/catalog/categories", "/api/catalog/banners"):
            http_call(port, "GET", path, cookies={"csrftoken": anon["csrftoken"]}, timeout=60)

        for mode in [
            "hello",
            "home",
            "list",
            "list_deep",
            "detail",
            "search",
            "cart_add",
            "cart_view",
            "preview",
            "order",
        ]:
            if mode == "cart_view" and available["cart_add"] and (wanted("cart_view") or wanted("preview")):
                load.settle()
                fill_carts(port, sessions)  # every line that cart view and checkout preview name
            if mode == "detail" and wanted(mode):
                # A shop's product pages are kept (2 h per generation, shared): view each once first.
                t = time.monotonic()
                view_every_page(port, seeded.products, anon["csrftoken"])
                log(f"detail: every product page viewed once first ({time.monotonic() - t:.0f} s)")
            if wanted(mode) and available.get(mode, True):
                results["scenarios"][mode] = load.measure(mode, args.warmup, args.duration)
        if wanted("pay") and available["pay"]:
            order_rps = results["scenarios"].get("order", {}).get("rps", 500.0)
            per_user = math.ceil(max(500.0, 3 * order_rps) * (args.warmup + args.duration) / len(sessions))
            t = time.monotonic()
            made = unpaid_orders(db_url, seeded, per_user, len(sessions))
            log(
                f"{per_user * len(sessions)} unpaid orders written for the pay scenario in {time.monotonic() - t:.1f} s"
            )
            # Each wrk run starts at the top of the users' lists: the warm-up pays its own orders.
            warm_n = math.ceil(per_user * args.warmup / (args.warmup + args.duration))
            for s in sessions:
                s.orders = made[s.user_id][:warm_n]
            write_users(users_file, sessions)
            load.settle()
            load.run("pay", args.warmup)
            for s in sessions:
                s.orders = made[s.user_id][warm_n:]
            write_users(users_file, sessions)
            results["scenarios"]["pay"] = load.measure("pay", 0, args.duration)

        if wanted("floor"):
            results["floors"]["raw_tx"] = run_floor(db_url, seeded, args, load, hot=False)
            results["floors"]["raw_tx_contended"] = run_floor(db_url, seeded, args, load, hot=True)

        if wanted("flash") and available["flash"]:
            order_rps = results["scenarios"].get("order", {}).get("rps", 0.0)
            estimate = max(order_rps, 1000.0)  # orders/s, to size each run: long enough to sell out

            def flash_seconds(stock: int) -> float:
                if args.flash_duration is not None:
                    return float(args.flash_duration)
                return min(20.0, max(3.0, 1.5 * stock / estimate))

            results["flash_seconds"] = {stock: flash_seconds(stock) for stock in FLASH_STOCKS}
            for strategy in FLASH_RUNS:
                runs = [(stock, buyers) for stock in FLASH_STOCKS for buyers in FLASH_BUYERS]
                skus = {run: seeded.flash_skus[flash_key(strategy, *run)] for run in runs}
                server.stop()
                if strategy == "gate":  # conditional, behind the stock gate of these skus
                    open_gate = [str(jiadian), "stock", "gate", "open", *map(str, skus.values())]
                    subprocess.run(open_gate, env=base_env, check=True, capture_output=True, timeout=60)
                    server = start("conditional", gate=True)
                else:
                    server = start(strategy)
                load.server = server
                load.settle()
                load.run("order", args.warmup)  # warm the new workers' pools, on other skus
                for (stock, buyers), sku in skus.items():
                    load.settle()
                    run = load.run(
                        "flash",
                        flash_seconds(stock),
                        flash_sku=sku,
                        connections=buyers,
                        users=TMP / "users-flash.tsv",
                    )
                    load.settle()  # requests in flight when wrk stopped finish first (their tokens, their orders)
                    check = flash_check(db_url, sku, stock)
                    if strategy == "gate":  # the tokens must end where MySQL's stock is
                        check["gate_tokens"] = gate_tokens(args.redis, sku)
                    c = run["counts"]
                    sock = sum(run["socket_errors"].values())
                    flash = {
                        **check,
                        "strategy": strategy,
                        "buyers": buyers,
                        "sku": sku,
                        "seconds": run["seconds"],
                        "created_201": c["ok"],
                        "refused_409": c["stock_409"],
                        "errors": c["other_4xx"] + c["server_5xx"] + c["other"] + sock,
                        "server_5xx": c["server_5xx"],
                        "socket_errors": run["socket_errors"],
                        "codes": run["codes"],
                        "requests": run["requests"],
                        "p50_ms": run["p50_ms"],
                        "p99_ms": run["p99_ms"],
                        "cpu_cores": run["cpu_cores"],
                    }
                    results["flash"][flash_key(strategy, stock, buyers)] = flash
                    log(
                        f"flash {strategy:12s} {buyers:5d} buyers {flash['orders_per_s']:8.1f} orders/s  sold "
                        f"{flash['units_sold']}/{stock}  stock {flash['final_stock']}  oversell {flash['oversell']}  "
                        f"errors {flash['errors']} (5xx {flash['server_5xx']})"
                    )

        for mode in [m for m in args.profile.split(",") if m]:
            if mode in results["scenarios"] or mode == "flash":
                log(f"profiling {mode} with py-spy")
                kw = {"flash_sku": seeded.floor_hot_sku} if mode == "flash" else {}
                results.setdefault("profiles", {})[mode] = profile(
                    server, load, mode, args.duration, args.out, **kw
                )

        sizes = sorted(int(x) for x in args.scale.split(",") if x.strip())
        if wanted("scale") and len(sizes) >= 2:
            server.stop()

            def scale_server(env: dict[str, str], log_path: Path) -> Server:
                s = Server(jiadian, env, port, args.workers, log_path, args.server)
                started_servers.append(s)
                s.start()
                return s

            def scale_load(s: Server, users: Path, params: Path) -> Load:
                return replace(load, server=s, users_file=users, params_file=params)

            ctx = ScaleContext(
                jiadian=jiadian,
                base_env={**base_env, "JIADIAN_STOCK_STRATEGY": "conditional"},
                port=port,
                workers=args.workers,
                tmp=TMP,
                redis_url=args.redis,
                db_url_for=lambda name: db_url_for(args.mysql, name),
                start_server=scale_server,
                make_load=scale_load,
                http_call=http_call,
                flush_redis=flush_redis,
                log=log,
            )
            results["scale"] = run_scale(ctx, sizes, args.database, args.warmup, args.scale_duration)
            for mode, f in results["scale"]["factors"].items():
                log(
                    f"scale {mode:10s} p50 ×{f['p50']:.2f}  p99 ×{f['p99']:.2f} ({sizes[0]} → {sizes[-1]} products)"
                )
    except (KeyboardInterrupt, Interrupted) as exc:
        log(f"interrupted ({str(exc) or 'Ctrl-C'}): stopping the server")
        results["interrupted"] = True
        raise SystemExit(130) from None
    finally:
        for s in started_servers:
            s.stop()
        if started_servers:
            log("server stopped")
        results["elapsed_s"] = round(time.monotonic() - started, 1)
        if any(results.get(part) for part in ("scenarios", "floors", "flash", "scale")):
            table = report.write(results, args.out)
            print()
            print(table)
            log(f"done in {results['elapsed_s']:.0f} s: {args.out / 'latest.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
