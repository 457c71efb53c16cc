"""Per request, in one process: the app's CPU, its Python function calls and its round trips (socket sends
to MariaDB and Redis) — the ASGI app called directly, no server and no socket between client and app.

On a machine shared with other work, wrk's figures (and CPU time) move with the load; the calls and the
round trips per request do not, so they tell whether a change made a request cheaper. Run it on the
database and Redis a bench run left (`jiadian_bench`, Redis 12):

    .venv/bin/python -m bench.inprocess hello detail cart_add cart_view preview order pay --n 2000 --profile -
    .venv/bin/python -m bench.inprocess detail --profile /tmp/p   # writes /tmp/p.detail (pstats)

`--products N` narrows the product ids (and skus) the requests pick: with a few, what is kept stays kept
(the warm path); with all 10,000 at this tool's low rates, most of what a request needs is cold.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import pstats
import random
import time
from collections.abc import Callable
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

os.environ.setdefault(
    "JIADIAN_DATABASE_URL", "mysql+aiomysql://root@127.0.0.1:3306/jiadian_bench?charset=utf8mb4"
)
os.environ.setdefault("JIADIAN_REDIS_URL", "redis://127.0.0.1:6379/12")
os.environ.setdefault("JIADIAN_BROKER", "redis")
os.environ["JIADIAN_AUTO_MIGRATE"] = "false"
os.environ["JIADIAN_AUTO_DEMO"] = "false"
os.environ.setdefault("JIADIAN_CSRF_SECRET", "bench-inprocess-" + "x" * 32)
os.environ.setdefault("JIADIAN_TEST_DEPLOYMENT", "true")
os.environ["JIADIAN_BENCH_ROUTES"] = "true"
os.environ.setdefault(
    "JIADIAN_VAR_DIR", str(Path(__file__).resolve().parent / "results" / "tmp" / "inprocess")
)

from jiadian.entrypoints.http.asgi import app as make_app


class Client:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def call(
        self, method: str, path: str, *, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        path, _, query = path.partition("?")
        raw_headers = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
        raw_headers.append((b"host", b"127.0.0.1"))
        if body:
            raw_headers.append((b"content-length", str(len(body)).encode()))
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": query.encode(),
            "root_path": "",
            "headers": raw_headers,
            "client": ("127.0.0.1", 1234),
            "server": ("127.0.0.1", 8000),
            "state": dict(self.state),
        }
        sent = False

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            await asyncio.sleep(3600)
            return {"type": "http.disconnect"}

        status = 0
        out_headers: dict[str, str] = {}
        chunks: list[bytes] = []

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                for k, v in message.get("headers", []):
                    key = k.decode().lower()
                    if key == "set-cookie":
                        out_headers.setdefault("set-cookie", "")
                        out_headers["set-cookie"] += v.decode() + "\n"
                    else:
                        out_headers[key] = v.decode()
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, send)
        return status, out_headers, b"".join(chunks)

    async def lifespan(self) -> Any:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        started = asyncio.Event()
        self.state: dict[str, Any] = {}

        async def receive() -> dict[str, Any]:
            return await queue.get()

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "lifespan.startup.complete":
                started.set()
            elif message["type"].endswith("failed"):
                raise RuntimeError(message)

        task = asyncio.ensure_future(
            self.app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": self.state}, receive, send)
        )
        await queue.put({"type": "lifespan.startup"})
        await started.wait()
        return queue, task


def cookies_of(headers: dict[str, str]) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    for line in headers.get("set-cookie", "").splitlines():
        if line:
            jar.load(line)
    return {k: m.value for k, m in jar.items()}


async def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("modes", nargs="+")
    p.add_argument("--n", type=int, default=2000)
    p.add_argument("--c", type=int, default=32)
    p.add_argument("--users", type=int, default=64)
    p.add_argument("--profile", default="")
    p.add_argument("--flash-sku", type=int, default=0)
    p.add_argument("--products", type=int, default=10000)
    args = p.parse_args()
    app = make_app()
    client = Client(app)
    queue, life = await client.lifespan()
    _s, h, _b = await client.call("GET", "/health")
    csrf = cookies_of(h)["csrftoken"]
    sessions = []
    for u in range(1, args.users + 1):
        status, h, body = await client.call(
            "POST",
            "/api/auth/login",
            body=json.dumps({"username": f"bench{u:05d}", "password": "bench-password-123"}).encode(),
            headers={"content-type": "application/json", "cookie": f"csrftoken={csrf}", "x-csrftoken": csrf},
        )
        assert status == 200, body
        sessions.append((u, cookies_of(h)["jiadian_session"]))
    rnd = random.Random(1)
    skus = 30000
    products = args.products

    def request(mode: str, i: int) -> tuple[str, str, bytes, dict[str, str]]:
        user, session = sessions[i % len(sessions)]
        auth = {
            "cookie": f"jiadian_session={session}; csrftoken={csrf}",
            "x-csrftoken": csrf,
            "content-type": "application/json",
        }
        anon = {"cookie": f"csrftoken={csrf}"}
        if mode == "hello":
            return "GET", "/bench/hello", b"", anon
        if mode == "home":
            return "GET", "/api/catalog/home", b"", anon
        if mode == "detail":
            return "GET", f"/api/catalog/products/{rnd.randint(1, products)}", b"", anon
        if mode == "cart_add":
            return (
                "POST",
                "/api/cart/items",
                json.dumps({"sku_id": rnd.randint(1, products * 3), "count": 1}).encode(),
                auth,
            )
        if mode == "cart_view":
            return "GET", "/api/cart", b"", auth
        if mode == "preview":
            return (
                "POST",
                "/api/checkout/preview",
                json.dumps({"buy_now": {"sku_id": rnd.randint(1, products * 3), "count": 1}}).encode(),
                auth,
            )
        if mode in ("order", "flash"):
            sku = args.flash_sku if mode == "flash" else rnd.randint(1, skus)
            h = dict(auth)
            h["idempotency-key"] = f"h{time.time_ns()}-{i}"
            return (
                "POST",
                "/api/orders",
                json.dumps({"buy_now": {"sku_id": sku, "count": 1}, "address_id": user}).encode(),
                h,
            )
        if mode == "pay":
            order_id = to_pay[user].pop()
            return "POST", f"/api/orders/{order_id}/payments", json.dumps({"method": "wallet"}).encode(), auth
        raise SystemExit(mode)

    to_pay: dict[int, list[str]] = {user: [] for user, _session in sessions}
    for mode in args.modes:
        if mode == "pay":  # unpaid orders to pay: placed first, through the API
            for i in range(args.n + args.n // 10 + len(sessions)):
                method, path, body, headers = request("order", i)
                status, _h, out = await client.call(method, path, body=body, headers=headers)
                assert status == 201, out[:300]
                to_pay[sessions[i % len(sessions)][0]].append(json.loads(out)["order_id"])
        await measure(client, mode, request, args)
    await queue.put({"type": "lifespan.shutdown"})
    await life


async def measure(
    client: Client,
    mode: str,
    request: Callable[[str, int], tuple[str, str, bytes, dict[str, str]]],
    args: argparse.Namespace,
) -> None:
    """A warm-up of a tenth, then `--n` requests from `--c` concurrent callers; one line of figures."""
    counter = iter(range(10**9))
    codes: dict[int, int] = {}

    async def caller(n: int) -> None:
        for _ in range(n):
            method, path, body, headers = request(mode, next(counter))
            status, _h, out = await client.call(method, path, body=body, headers=headers)
            codes[status] = codes.get(status, 0) + 1
            if status >= 500:
                print(status, out[:300])

    await asyncio.gather(*(caller(max(1, args.n // 10 // args.c)) for _ in range(args.c)))
    codes.clear()
    prof = cProfile.Profile() if args.profile else None
    cpu0, t0 = time.process_time(), time.perf_counter()
    if prof:
        prof.enable()
    await asyncio.gather(*(caller(args.n // args.c) for _ in range(args.c)))
    if prof:
        prof.disable()
        if args.profile != "-":
            prof.dump_stats(f"{args.profile}.{mode}")
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - t0
    n = sum(codes.values())
    extra = ""
    if prof:
        stats = pstats.Stats(prof)
        send = "<method 'send' of '_socket.socket' objects>"
        sends = sum(v[1] for k, v in stats.stats.items() if k[2] == send)
        extra = f"  calls/req {stats.total_calls / n:7.0f}  sends/req {sends / n:5.2f}"
    print(
        f"{mode:10s} n={n:6d} cpu {cpu / n * 1000:6.3f} ms/req   wall {n / wall:8.1f} req/s{extra}   codes {codes}",
        flush=True,
    )


if __name__ == "__main__":
    asyncio.run(main())
