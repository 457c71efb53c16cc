"""The raw-transaction floor: what placing one order must do, written directly on the driver (aiomysql).

Each transaction: a conditional stock update (`UPDATE skus SET stock = stock - 1 … WHERE id = ? AND
stock >= 1`, rowcount checked), insert the order, insert its line, commit — READ COMMITTED, like the
shop's engine. `--concurrency` transactions are kept in flight, split over `--procs` processes (the
server runs 2 workers, so does the floor). `--hot-sku` makes every transaction hit one sku (the
contended floor of the flash sale); otherwise each picks a random sku of 1..--skus.

    python -m bench.floor_tx --db-url mysql+aiomysql://root@127.0.0.1:3306/jiadian_bench --skus 30000

prints one JSON line: {"tps", "transactions", "failed", "p50_ms", "p99_ms", ...}.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from decimal import Decimal

ORDER_SQL = (
    "INSERT INTO orders (id, trade_no, user_id, status, pay_method, total_count, amount, freight, total, "
    "address_id, recipient, phone, province, city, county, detail, mark, version, created_at, cancel_reason) "
    "VALUES (%s, %s, %s, '1', '', 1, %s, 10.00, %s, %s, '压测', '13800000000', '北京市', '北京市', '海淀区', "
    "'压测路', '', 0, %s, '')"
)
LINE_SQL = (
    "INSERT INTO order_lines (order_id, sku_id, product_id, name, size, color, image, count, unit_price, "
    "line_total, reviewed) VALUES (%s, %s, 0, 'floor', '', '', '', 1, %s, %s, 0)"
)
TAKE_SQL = (
    "UPDATE skus SET stock = stock - 1, sales = sales + 1, version = version + 1 WHERE id = %s AND stock >= 1"
)


async def worker(args: argparse.Namespace) -> dict[str, object]:
    import aiomysql
    from sqlalchemy.engine import make_url

    url = make_url(args.db_url)
    pool = await aiomysql.create_pool(
        host=url.host or "127.0.0.1",
        port=url.port or 3306,
        user=url.username or "root",
        password=url.password or "",
        db=url.database,
        charset="utf8mb4",
        autocommit=False,
        minsize=args.concurrency,
        maxsize=args.concurrency,
        init_command="SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED",
    )
    price = Decimal("1999.00")
    start = time.perf_counter()
    measure_from = start + args.warmup
    deadline = measure_from + args.duration
    latencies: list[float] = []
    failed = 0
    no_stock = 0

    async def loop(conn: aiomysql.Connection) -> None:
        nonlocal failed, no_stock
        rnd = random.Random(secrets.randbits(32))
        while True:
            t0 = time.perf_counter()
            if t0 >= deadline:
                return
            sku = args.hot_sku or rnd.randint(1, args.skus)
            now = datetime.now(UTC).replace(tzinfo=None)
            oid = f"{now:%Y%m%d%H%M%S}{secrets.randbelow(10**10):010d}"
            try:
                await conn.begin()
                async with conn.cursor() as cur:
                    taken = await cur.execute(TAKE_SQL, (sku,))
                    if taken != 1:
                        await conn.rollback()
                        no_stock += 1
                        continue
                    await cur.execute(
                        ORDER_SQL,
                        (
                            oid,
                            f"JD{now:%Y%m%d%H%M%S}{secrets.token_hex(7)}",
                            args.user,
                            price,
                            price + 10,
                            args.user,
                            now,
                        ),
                    )
                    await cur.execute(LINE_SQL, (oid, sku, price, price))
                await conn.commit()
            except Exception:
                failed += 1
                await conn.rollback()
                continue
            t1 = time.perf_counter()
            if t0 >= measure_from and t1 <= deadline:
                latencies.append(t1 - t0)

    conns = [await pool.acquire() for _ in range(args.concurrency)]
    try:
        await asyncio.gather(*(loop(c) for c in conns))
    finally:
        for c in conns:
            pool.release(c)
        pool.close()
        await pool.wait_closed()
    return {"transactions": len(latencies), "failed": failed, "no_stock": no_stock, "latencies": latencies}


def _write_result(path: str, result: dict[str, object]) -> None:
    with open(path, "w") as f:
        json.dump(result, f)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, int(q / 100 * len(values)))]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--db-url", required=True)
    p.add_argument("--concurrency", type=int, default=64, help="transactions in flight, in all processes")
    p.add_argument("--procs", type=int, default=2)
    p.add_argument("--duration", type=float, default=8)
    p.add_argument("--warmup", type=float, default=2)
    p.add_argument("--skus", type=int, default=30000)
    p.add_argument("--hot-sku", type=int, default=0)
    p.add_argument("--user", type=int, default=1, help="the buyer of the floor's orders")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--result-file", default="", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        try:
            import uvloop

            uvloop.install()
        except ImportError:  # pragma: no cover
            pass
        _write_result(args.result_file, asyncio.run(worker(args)))
        return
    per = [
        args.concurrency // args.procs + (1 if i < args.concurrency % args.procs else 0)
        for i in range(args.procs)
    ]
    base = [
        f"--db-url={args.db_url}",
        f"--duration={args.duration}",
        f"--warmup={args.warmup}",
        f"--skus={args.skus}",
        f"--hot-sku={args.hot_sku}",
        f"--user={args.user}",
    ]
    cmds = []
    with tempfile.TemporaryDirectory(prefix="floor_tx") as tmp:
        for i, n in enumerate(per):
            out = os.path.join(tmp, f"worker-{i}.json")
            argv = [
                sys.executable,
                "-m",
                "bench.floor_tx",
                *base,
                "--worker",
                f"--concurrency={n}",
                f"--result-file={out}",
            ]
            cmds.append((out, subprocess.Popen(argv)))
        results = []
        try:
            for out, proc in cmds:
                if proc.wait(timeout=args.warmup + args.duration + 60) != 0:
                    raise SystemExit(f"a floor worker failed ({proc.returncode})")
                with open(out) as f:
                    results.append(json.load(f))
        finally:
            for _out, proc in cmds:
                if proc.poll() is None:
                    proc.kill()
    latencies = [x for r in results for x in r["latencies"]]
    print(
        json.dumps(
            {
                "tps": len(latencies) / args.duration,
                "transactions": len(latencies),
                "failed": sum(r["failed"] for r in results),
                "no_stock": sum(r["no_stock"] for r in results),
                "p50_ms": percentile(latencies, 50) * 1000,
                "p99_ms": percentile(latencies, 99) * 1000,
                "concurrency": args.concurrency,
                "procs": args.procs,
                "hot_sku": args.hot_sku,
            }
        )
    )


if __name__ == "__main__":
    main()
