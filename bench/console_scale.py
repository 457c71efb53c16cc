"""The operator console's lists at 100,000 products and orders: their plans (EXPLAIN) and their times.

    .venv/bin/python -m bench.console_scale [--products 100000 --orders 100000 --keep-database]

Creates the MariaDB database `jiadian_console_scale` (dropped afterwards unless --keep-database),
migrates it with `jiadian db upgrade`, seeds the bench catalogue (`bench.seed`, 2 skus per product,
1,000 users), then 100,000 orders over 90 days in every status (one line each), a gateway payment for
a fifth of them and 50,000 audit entries, all with bulk inserts. For every console list — with each
filter the console offers, at page 1 and at a deep page (80 % of the way through) — and for every count
and figure of the dashboard it prints MariaDB's plan (the index used, the rows it expects to read,
and whether it sorts), and the median of 5 runs through `SqlConsoleQueries` itself. Results:
bench/results/console_scale.md.

A list answers from its index when its plan for the page's keys reads the index alone ("Using index")
and does not sort ("Using filesort"): a deep page then walks index entries, never rows.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert, text
from sqlalchemy.dialects import mysql
from sqlalchemy.sql import Select

from bench.seed import BATCH, create_database, migrate, seed, server_url, sync_url
from jiadian.adapters.sql import console as c
from jiadian.adapters.sql.console import SqlConsoleQueries
from jiadian.adapters.sql.engine import make_engine
from jiadian.adapters.sql.tables import audit_log, order_lines, orders, payments, products, skus
from jiadian.application.console_ports import OrderFilter, ProductFilter, UserFilter
from jiadian.domain.audit import AuditQuery
from jiadian.domain.ordering import OrderStatus
from jiadian.domain.payments import PaymentState

DEFAULT_URL = os.environ.get(
    "JIADIAN_BENCH_MYSQL_URL", "mysql+aiomysql://root@127.0.0.1:3306/test?charset=utf8mb4"
)
NAME = "jiadian_console_scale"
RESULTS = Path(__file__).with_name("results") / "console_scale.md"
STATUSES = [("1", 5), ("2", 10), ("3", 20), ("4", 15), ("5", 40), ("cancelled", 10)]
ACTORS = ["boss", "alice-ops", "cli:root", "cli:deploy", "bob-ops"]
ACTIONS = ["sku.price", "sku.stock", "order.ship", "order.cancel", "product.update", "banner.order"]
PAGE = 20
RUNS = 5


def seed_orders(db_url: str, n: int, users: int, skus: int, now: datetime, rnd: random.Random) -> None:
    """`n` orders over the last 90 days, statuses in the shares of STATUSES, with a line each; a gateway
    payment for a fifth of the paid ones, 50 kept for a refund."""
    engine = create_engine(sync_url(db_url))
    weights = [w for _s, w in STATUSES]
    rows, lines, paid_rows = [], [], []
    for i in range(n):
        created = now - timedelta(
            seconds=rnd.randint(0, 90 * 24 * 3600), microseconds=rnd.randint(0, 999_999)
        )
        status = rnd.choices([s for s, _w in STATUSES], weights)[0]
        paid = created + timedelta(minutes=rnd.randint(1, 60)) if status not in ("1", "cancelled") else None
        price = Decimal(rnd.randint(99, 19999))
        order_id = f"{created:%Y%m%d%H%M%S}{i:010d}"
        rows.append(
            {
                "id": order_id,
                "trade_no": f"JD{created:%Y%m%d%H%M%S}{i:014x}",
                "user_id": rnd.randint(1, users),
                "status": status,
                "pay_method": "" if paid is None else rnd.choice(["wallet", "alipay"]),
                "total_count": 1,
                "amount": price,
                "freight": Decimal("10.00"),
                "total": price + Decimal("10.00"),
                "recipient": "压测",
                "phone": "13800000000",
                "province": "北京市",
                "city": "北京市",
                "county": "海淀区",
                "detail": "压测路 1 号",
                "mark": "",
                "version": 0,
                "created_at": created,
                "paid_at": paid,
                "shipped_at": paid + timedelta(minutes=5) if paid and status in ("3", "4", "5") else None,
                "cancelled_at": created + timedelta(hours=24) if status == "cancelled" else None,
                "cancel_reason": "expired" if status == "cancelled" else "",
            }
        )
        sku = rnd.randint(1, skus)
        lines.append(
            {
                "order_id": order_id,
                "sku_id": sku,
                "product_id": (sku + 1) // 2,
                "name": "bench",
                "size": "",
                "color": "",
                "image": f"bench/sku-{sku}.png",
                "count": 1,
                "unit_price": price,
                "line_total": price,
                "reviewed": False,
            }
        )
        if paid is not None and i % 5 == 0:
            state = PaymentState.NEEDS_REFUND.value if len(paid_rows) < 50 else PaymentState.APPLIED.value
            paid_rows.append(
                {
                    "order_id": order_id,
                    "method": "alipay",
                    "trade_no": rows[-1]["trade_no"],
                    "gateway_trade_no": f"2026{i:020d}",
                    "amount": price + Decimal("10.00"),
                    "state": state,
                    "created_at": created,
                }
            )
    with engine.begin() as conn:
        for table, batch in ((orders, rows), (order_lines, lines), (payments, paid_rows)):
            for start in range(0, len(batch), BATCH):
                conn.execute(insert(table), batch[start : start + BATCH])
        conn.execute(text("ANALYZE TABLE orders, order_lines, payments"))
    engine.dispose()


def seed_audit(db_url: str, n: int, skus: int, now: datetime, rnd: random.Random) -> None:
    engine = create_engine(sync_url(db_url))
    rows = []
    for i in range(n):
        action = rnd.choice(ACTIONS)
        kind = action.split(".")[0]
        actor = rnd.choice(ACTORS)
        rows.append(
            {
                "at": now - timedelta(seconds=rnd.randint(0, 90 * 24 * 3600), microseconds=i % 999_999),
                "actor": actor,
                "actor_id": None if actor.startswith("cli:") else 1,
                "via": "cli" if actor.startswith("cli:") else "http",
                "action": action,
                "target": f"{kind}:{rnd.randint(1, skus)}",
                "before_values": '{"price": "1.00"}',
                "after_values": '{"price": "2.00"}',
            }
        )
    with engine.begin() as conn:
        for start in range(0, len(rows), BATCH):
            conn.execute(insert(audit_log), rows[start : start + BATCH])
        conn.execute(text("ANALYZE TABLE audit_log"))
    engine.dispose()


def explain(db_url: str, query: Select[Any]) -> list[dict[str, Any]]:
    sql = str(query.compile(dialect=mysql.dialect(), compile_kwargs={"literal_binds": True}))
    engine = create_engine(sync_url(db_url))
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(text("EXPLAIN " + sql))]
    engine.dispose()
    return rows


def plan_text(rows: list[dict[str, Any]]) -> str:
    """One step per table: table (key, rows; extra)."""
    return " → ".join(
        f"{r['table']} ({r['key'] or 'no index'}, {r['rows']} rows; {r['Extra'] or '-'})" for r in rows
    )


async def timed(call: Callable[[], Awaitable[Any]]) -> float:
    samples = []
    for _ in range(RUNS):
        started = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


async def measure(db_url: str, now: datetime, products_n: int, orders_n: int) -> list[tuple[str, str, float]]:
    """(what, plan, median ms) of every console read."""
    engine = make_engine(db_url)
    queries = SqlConsoleQueries(engine)
    out: list[tuple[str, str, float]] = []

    async def case(what: str, plan_of: Select[Any] | None, call: Callable[[], Awaitable[Any]]) -> None:
        plan = plan_text(explain(db_url, plan_of)) if plan_of is not None else "(several statements)"
        out.append((what, plan, await timed(call)))
        print(f"{out[-1][2]:8.1f} ms  {what}\n           {plan}", flush=True)

    week = now - timedelta(days=7)
    order_filters: list[tuple[str, OrderFilter]] = [
        ("orders, all", OrderFilter()),
        ("orders, status 2", OrderFilter(status=OrderStatus.AWAITING_SHIPMENT)),
        ("orders, one user", OrderFilter(user_id=7)),
        ("orders, one user, status 5", OrderFilter(status=OrderStatus.COMPLETED, user_id=7)),
        ("orders, last 7 days", OrderFilter(placed_from=week)),
        ("orders, status 5, last 7 days", OrderFilter(status=OrderStatus.COMPLETED, placed_from=week)),
    ]
    for what, where in order_filters:
        total = await queries.count_orders(where)
        await case(
            f"{what}: count ({total})",
            c._count(orders, c._orders_where(where)),
            lambda w=where: queries.count_orders(w),
        )
        for label, offset in (("page 1", 0), ("deep page", max(0, total * 8 // 10 // PAGE * PAGE))):
            await case(
                f"{what}: {label} (offset {offset})",
                c.orders_page(where, offset, PAGE),
                lambda w=where, o=offset: queries.orders(w, o, PAGE),
            )
    ref = "JD" + "0" * 20
    await case(
        "orders, by trade number",
        c.orders_page(OrderFilter(ref=ref), 0, PAGE),
        lambda: queries.orders(OrderFilter(ref=ref), 0, PAGE),
    )

    product_filters = [
        ("products, all", ProductFilter()),
        ("products, on shelf", ProductFilter(on_shelf=True)),
        ("products, one category", ProductFilter(category_id=2)),
        ("products, one category on shelf", ProductFilter(category_id=2, on_shelf=True)),
    ]
    for what, pwhere in product_filters:
        total = await queries.count_products(pwhere)
        await case(
            f"{what}: count ({total})",
            c._count(products, c._products_where(pwhere)),
            lambda w=pwhere: queries.count_products(w),
        )
        for label, offset in (("page 1", 0), ("deep page", total * 8 // 10 // PAGE * PAGE)):
            await case(
                f"{what}: {label} (offset {offset})",
                c.products_page(pwhere, offset, PAGE),
                lambda w=pwhere, o=offset: queries.products(w, o, PAGE),
            )
    text_filter = ProductFilter(text="华为")
    await case(
        "products, name contains 华为: count (a scan)",
        c._count(products, c._products_where(text_filter)),
        lambda: queries.count_products(text_filter),
    )
    await case(
        "products, name contains 华为: page 1",
        c.products_page(text_filter, 0, PAGE),
        lambda: queries.products(text_filter, 0, PAGE),
    )

    low = await queries.count_low_stock(10)
    await case(
        f"skus low on stock (≤ 10): count ({low})",
        c._count(skus, [skus.c.stock <= 10]),
        lambda: queries.count_low_stock(10),
    )
    await case(
        "skus low on stock: page 1", c.low_stock_page(10, 0, PAGE), lambda: queries.low_stock(10, 0, PAGE)
    )

    for what, uwhere in (("users, all", UserFilter()), ("users, name contains 12", UserFilter(text="12"))):
        await case(
            f"{what}: page 1", c.users_page(uwhere, 0, PAGE), lambda w=uwhere: queries.users(w, 0, PAGE)
        )

    audit_filters = [
        ("audit, all", AuditQuery()),
        ("audit, one actor", AuditQuery(actor="boss")),
        ("audit, one action", AuditQuery(action="sku.price")),
        ("audit, one target", AuditQuery(target="sku:12")),
        ("audit, last 7 days", AuditQuery(since=week)),
    ]
    for what, awhere in audit_filters:
        total = await queries.count_audit(awhere)
        await case(
            f"{what}: count ({total})",
            c._count(audit_log, c._audit_where(awhere)),
            lambda w=awhere: queries.count_audit(w),
        )
        for label, offset in (("page 1", 0), ("deep page", total * 8 // 10 // PAGE * PAGE)):
            await case(
                f"{what}: {label} (offset {offset})",
                c.audit_page(awhere, offset, PAGE),
                lambda w=awhere, o=offset: queries.audit(w, o, PAGE),
            )

    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    await case("dashboard: one day's placed, paid, revenue", None, lambda: queries.window(today, now))
    await case(
        "dashboard: needs_refund count and amount",
        None,
        lambda: queries.payment_totals(PaymentState.NEEDS_REFUND),
    )
    await engine.dispose()
    return out


def write(results: list[tuple[str, str, float]], products_n: int, orders_n: int, seconds: float) -> None:
    lines = [
        "# The console's lists at scale",
        "",
        f"`python -m bench.console_scale`: {products_n:,} products (2 skus each), {orders_n:,} orders, "
        f"50,000 audit entries on MariaDB; median of {RUNS} runs through `SqlConsoleQueries`, page size "
        f"{PAGE}; the machine was not quiet (seeding took {seconds:.0f} s).",
        "",
        "| read | ms | plan (table: index, rows expected; extra) |",
        "|---|---:|---|",
    ]
    lines += [f"| {what} | {ms:.1f} | {plan} |" for what, plan, ms in results]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"\nwritten to {RESULTS}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument(
        "--database", default=DEFAULT_URL, help="a MariaDB URL; its database name is replaced"
    )
    parser.add_argument("--keep-database", action="store_true")
    args = parser.parse_args()
    db_url = args.database.replace("/test?", f"/{NAME}?")
    jiadian = Path(sys.executable).with_name("jiadian")
    started = time.perf_counter()
    create_database(db_url, NAME)
    try:
        migrate(db_url, jiadian)
        seeded = seed(db_url, products_n=args.products, skus_per_product=2, users_n=1000)
        now = datetime.now(UTC).replace(tzinfo=None)
        rnd = random.Random(15)
        seed_orders(db_url, args.orders, seeded.users, seeded.skus, now, rnd)
        seed_audit(db_url, 50_000, seeded.skus, now, rnd)
        seconds = time.perf_counter() - started
        print(f"seeded in {seconds:.0f} s", flush=True)
        results = asyncio.run(measure(db_url, now.replace(tzinfo=UTC), args.products, args.orders))
        write(results, args.products, args.orders, seconds)
    finally:
        if not args.keep_database:
            engine = create_engine(server_url(db_url))
            with engine.begin() as conn:
                conn.execute(text(f"DROP DATABASE IF EXISTS `{NAME}`"))
            engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
