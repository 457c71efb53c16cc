"""A fresh benchmark database: created, migrated by `jiadian db upgrade`, filled with bulk Core inserts, then
indexed for search by `jiadian search reindex` (the shop's own indexing, as for rows written by hand).

The catalogue is generated (4 categories, P products, K skus per product, one image per sku) with the
products' denormalised card columns (first_sku_id = the cheapest sku, ties the lowest id; its image; price
= its price, max_price = the dearest sku's; sales = summed sku sales) computed here, as `SqlCatalogRepository._refresh_card` would. Users are written directly with one
precomputed argon2 hash, a funded wallet (with its ledger entry) and a default address.
"""

from __future__ import annotations

import os
import random
import secrets
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import Connection, Engine

from jiadian.adapters.passwords import Argon2Hasher
from jiadian.adapters.sql.tables import (
    addresses,
    banners,
    categories,
    order_lines,
    orders,
    products,
    sku_images,
    skus,
    spus,
    users,
    wallet_ledger,
    wallets,
)

PASSWORD = "bench-password-123"
WALLET = Decimal("100000000.00")
FLASH_STRATEGIES = ("conditional", "pessimistic", "optimistic")
# The flash sale's runs: each stock strategy, then the conditional one behind the Redis stock gate; each
# with every stock and every number of buyers (wrk connections), on a sku of its own.
FLASH_RUNS = (*FLASH_STRATEGIES, "gate")
FLASH_STOCKS = (1000, 10000)
FLASH_BUYERS = (64, 256, 1024)


def flash_key(strategy: str, stock: int, buyers: int) -> str:
    return f"{strategy}/{stock}/{buyers}"


FLASH_KEYS = [flash_key(r, s, b) for r in FLASH_RUNS for s in FLASH_STOCKS for b in FLASH_BUYERS]
BIG_STOCK = 1_000_000
BATCH = 5000

CATEGORIES = [
    (
        "智能设备",
        "intelligence",
        ["Apple iPhone", "华为 Mate", "小米 Redmi", "OPPO Find", "vivo X", "荣耀 Magic"],
    ),
    (
        "家用电器",
        "electricity",
        ["美的 空调", "海尔 冰箱", "格力 空调", "西门子 洗衣机", "戴森 吸尘器", "九阳 豆浆机"],
    ),
    (
        "电脑产品",
        "computer",
        ["联想 ThinkPad", "华为 MateBook", "Apple MacBook", "戴尔 XPS", "华硕 灵耀", "惠普 战66"],
    ),
    ("高端耳机", "headset", ["索尼 WH", "Bose QC", "森海塞尔 HD", "Apple AirPods", "铁三角 ATH", "漫步者 W"]),
]
SUFFIXES = ["Pro", "Max", "Plus", "Ultra", "Air", "Lite", "SE", "青春版", "旗舰版", "标准版"]
COLORS = ["黑色", "白色", "银色", "金色", "蓝色", "绿色"]
SIZES = ["64GB", "128GB", "256GB", "512GB", "1TB", "标准", "大号", "小号"]
# What shoppers type: one word (a brand, a family, a category) — a page of these reads the rank index
# alone —, and two words, whose postings are intersected (the cost follows the rarer word's products).
SEARCH_TERMS = ["华为", "pro", "空调", "thinkpad", "apple", "耳机", "max", "小米"]
SEARCH_WORDS = ["华为 pro", "apple max", "空调 白色", "耳机 黑色", "小米 plus", "thinkpad 银色"]


@dataclass
class Seeded:
    products: int
    skus: int  # catalogue skus are ids 1..skus
    users: int  # bench users are ids 1..users
    floor_user: int
    flash_product: int
    flash_skus: dict[str, int]  # flash_key(strategy, stock, buyers) -> sku id (that stock)
    floor_hot_sku: int  # big stock, for the contended raw-transaction floor
    category_counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def server_url(db_url: str) -> str:
    """The sync (PyMySQL) URL of the server, without a database."""
    base, _, query = db_url.partition("?")
    base = base.rsplit("/", 1)[0] + "/"
    return base.replace("+aiomysql", "+pymysql") + ("?" + query if query else "")


def sync_url(db_url: str) -> str:
    return db_url.replace("+aiomysql", "+pymysql")


def create_database(db_url: str, name: str) -> None:
    engine = create_engine(server_url(db_url))
    with engine.begin() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
        conn.execute(text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"))
    engine.dispose()


def migrate(db_url: str, jiadian: Path, timeout: float = 120) -> None:
    env = {**os.environ, "JIADIAN_DATABASE_URL": db_url, "JIADIAN_AUTO_DEMO": "false"}
    subprocess.run(
        [str(jiadian), "db", "upgrade"], env=env, check=True, timeout=timeout, stdout=subprocess.DEVNULL
    )


def index_for_search(db_url: str, jiadian: Path, timeout: float = 1800) -> None:
    """Every product into the search index, through the shop's own `jiadian search reindex`."""
    env = {**os.environ, "JIADIAN_DATABASE_URL": db_url, "JIADIAN_AUTO_DEMO": "false"}
    subprocess.run(
        [str(jiadian), "search", "reindex"], env=env, check=True, timeout=timeout, stdout=subprocess.DEVNULL
    )


def _bulk(conn: Connection, table: Any, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), BATCH):
        conn.execute(insert(table), rows[start : start + BATCH])


def _money(value: int) -> Decimal:
    return Decimal(value).quantize(Decimal("0.01"))


def seed(db_url: str, *, products_n: int, skus_per_product: int, users_n: int, rnd_seed: int = 8) -> Seeded:
    rnd = random.Random(rnd_seed)
    now = datetime.now(UTC).replace(tzinfo=None)
    engine: Engine = create_engine(sync_url(db_url))
    k = skus_per_product
    with engine.begin() as conn:
        conn.execute(text("SET FOREIGN_KEY_CHECKS=0"))
        conn.execute(text("SET unique_checks=0"))
        _bulk(
            conn,
            categories,
            [
                {
                    "id": i,
                    "name": n,
                    "slug": s,
                    "image": f"bench/cat-{s}.png",
                    "created_at": now,
                    "updated_at": now,
                }
                for i, (n, s, _b) in enumerate(CATEGORIES, 1)
            ],
        )
        _bulk(
            conn,
            banners,
            [
                {
                    "id": i,
                    "name": f"活动 {i}",
                    "image": f"bench/banner-{i}.png",
                    "active": True,
                    "position": i,
                    "created_at": now,
                }
                for i in range(1, 5)
            ],
        )
        # One product line (spu) per 5 products, categories in turn.
        spu_rows, product_rows, sku_rows, image_rows = [], [], [], []
        spu_n = (products_n + 4) // 5
        spu_info: dict[int, tuple[int, str]] = {}
        for j in range(1, spu_n + 1):
            cat = (j - 1) % len(CATEGORIES) + 1
            brand = rnd.choice(CATEGORIES[cat - 1][2])
            name = f"{brand} {rnd.randint(1, 99)}"
            spu_info[j] = (cat, name)
            spu_rows.append(
                {
                    "id": j,
                    "name": name,
                    "detail": f"{name} 的详细介绍。" * 4,
                    "category_id": cat,
                    "created_at": now,
                    "updated_at": now,
                }
            )
        counts: dict[str, int] = {s: 0 for _n, s, _b in CATEGORIES}
        sku_id = 0
        for i in range(1, products_n + 1):
            spu = (i - 1) // 5 + 1
            cat, spu_name = spu_info[spu]
            counts[CATEGORIES[cat - 1][1]] += 1
            created = now - timedelta(
                seconds=rnd.randint(0, 365 * 24 * 3600), microseconds=rnd.randint(0, 999999)
            )
            updated = created + timedelta(seconds=rnd.randint(0, 3600))
            prices, sales = [], []
            first = sku_id + 1
            for v in range(k):
                sku_id += 1
                price = _money(rnd.randint(99, 19999))
                sold = rnd.randint(0, 5000)
                prices.append(price)
                sales.append(sold)
                sku_rows.append(
                    {
                        "id": sku_id,
                        "product_id": i,
                        "price": price,
                        "stock": BIG_STOCK,
                        "sales": sold,
                        "color": COLORS[(i + v) % len(COLORS)],
                        "size": SIZES[v % len(SIZES)],
                        "version": 0,
                        "created_at": created,
                        "updated_at": updated,
                    }
                )
                image_rows.append(
                    {
                        "id": sku_id,
                        "sku_id": sku_id,
                        "image": f"bench/sku-{sku_id}.png",
                        "created_at": created,
                    }
                )
            cheapest = first + prices.index(min(prices))  # the first of the cheapest
            product_rows.append(
                {
                    "id": i,
                    "name": f"{spu_name} {rnd.choice(SUFFIXES)} #{i}",
                    "spu_id": spu,
                    "category_id": cat,
                    "on_shelf": True,
                    "first_sku_id": cheapest,
                    "image": f"bench/sku-{cheapest}.png",
                    "price": min(prices),
                    "max_price": max(prices),
                    "sales": sum(sales),
                    "created_at": created,
                    "updated_at": updated,
                }
            )
        # The flash-sale product: one sku per flash run, and the contended floor's hot sku.
        flash_product = products_n + 1
        spu_n += 1
        spu_rows.append(
            {
                "id": spu_n,
                "name": "秒杀",
                "detail": "限时秒杀",
                "category_id": 1,
                "created_at": now,
                "updated_at": now,
            }
        )
        flash_skus: dict[str, int] = {}
        flash_first = sku_id + 1
        for key in (*FLASH_KEYS, "floor"):
            sku_id += 1
            flash_skus[key] = sku_id
            sku_rows.append(
                {
                    "id": sku_id,
                    "product_id": flash_product,
                    "price": _money(1999),
                    "stock": int(key.split("/")[1]) if key != "floor" else 10**9,
                    "sales": 0,
                    "color": key,
                    "size": "秒杀",
                    "version": 0,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            image_rows.append(
                {"id": sku_id, "sku_id": sku_id, "image": f"bench/sku-{sku_id}.png", "created_at": now}
            )
        product_rows.append(
            {
                "id": flash_product,
                "name": "秒杀 旗舰手机",
                "spu_id": spu_n,
                "category_id": 1,
                "on_shelf": True,
                "first_sku_id": flash_first,
                "image": f"bench/sku-{flash_first}.png",
                "price": _money(1999),
                "max_price": _money(1999),
                "sales": 0,
                "created_at": now - timedelta(days=400),
                "updated_at": now - timedelta(days=400),
            }
        )
        _bulk(conn, spus, spu_rows)
        _bulk(conn, products, product_rows)
        _bulk(conn, skus, sku_rows)
        _bulk(conn, sku_images, image_rows)

        password_hash = Argon2Hasher().hash(PASSWORD)
        user_rows, wallet_rows, ledger_rows, address_rows = [], [], [], []
        for u in range(1, users_n + 2):  # the last one is the raw-transaction floor's buyer
            name = f"bench{u:05d}" if u <= users_n else "benchfloor"
            user_rows.append(
                {
                    "id": u,
                    "username": name,
                    "email": f"{name}@bench.local",
                    "password_hash": password_hash,
                    "is_admin": False,
                    "created_at": now,
                }
            )
            wallet_rows.append(
                {"user_id": u, "balance": WALLET, "total_recharged": WALLET, "total_consumed": 0}
            )
            ledger_rows.append(
                {
                    "user_id": u,
                    "kind": "recharge",
                    "amount": WALLET,
                    "balance_after": WALLET,
                    "order_id": None,
                    "note": "bench",
                    "created_at": now,
                }
            )
            address_rows.append(
                {
                    "id": u,
                    "user_id": u,
                    "recipient": "压测",
                    "phone": "13800000000",
                    "province": "北京市",
                    "city": "北京市",
                    "county": "海淀区",
                    "detail": f"压测路 {u} 号",
                    "is_default": True,
                    "created_at": now,
                }
            )
        _bulk(conn, users, user_rows)
        _bulk(conn, wallets, wallet_rows)
        _bulk(conn, wallet_ledger, ledger_rows)
        _bulk(conn, addresses, address_rows)
        conn.execute(text("SET unique_checks=1"))
        conn.execute(text("SET FOREIGN_KEY_CHECKS=1"))
    with engine.begin() as conn:
        conn.execute(text("ANALYZE TABLE products, skus, sku_images, spus, categories"))
    engine.dispose()
    return Seeded(
        products=products_n,
        skus=products_n * k,
        users=users_n,
        floor_user=users_n + 1,
        flash_product=flash_product,
        flash_skus={k: flash_skus[k] for k in FLASH_KEYS},
        floor_hot_sku=flash_skus["floor"],
        category_counts=counts,
    )


def unpaid_orders(
    db_url: str, seeded: Seeded, per_user: int, users: int, rnd_seed: int = 9
) -> dict[int, list[str]]:
    """Orders awaiting payment, written directly (as `POST /api/orders` leaves them), for the pay scenario:
    `per_user` for each of the users 1..`users`.

    Stock is not taken for them: the catalogue skus hold a stock of a million each.
    """
    rnd = random.Random(rnd_seed)
    engine = create_engine(sync_url(db_url))
    now = datetime.now(UTC).replace(tzinfo=None)
    out: dict[int, list[str]] = {}
    order_rows, line_rows = [], []
    with engine.connect() as conn:
        prices = dict(
            conn.execute(text("SELECT id, price FROM skus WHERE id <= :n"), {"n": seeded.skus}).all()
        )
    for u in range(1, users + 1):
        ids = []
        for _ in range(per_user):
            oid = f"{now:%Y%m%d%H%M%S}{secrets.randbelow(10**10):010d}"
            sku = rnd.randint(1, seeded.skus)
            price = Decimal(prices[sku])
            ids.append(oid)
            order_rows.append(
                {
                    "id": oid,
                    "trade_no": f"JD{now:%Y%m%d%H%M%S}{secrets.token_hex(7)}",
                    "user_id": u,
                    "status": "1",
                    "pay_method": "",
                    "total_count": 1,
                    "amount": price,
                    "freight": Decimal("10.00"),
                    "total": price + Decimal("10.00"),
                    "address_id": u,
                    "recipient": "压测",
                    "phone": "13800000000",
                    "province": "北京市",
                    "city": "北京市",
                    "county": "海淀区",
                    "detail": f"压测路 {u} 号",
                    "mark": "",
                    "idempotency_key": None,
                    "version": 0,
                    "created_at": now,
                    "cancel_reason": "",
                }
            )
            line_rows.append(
                {
                    "order_id": oid,
                    "sku_id": sku,
                    "product_id": (sku - 1) // (seeded.skus // seeded.products) + 1,
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
        out[u] = ids
    with engine.begin() as conn:
        _bulk(conn, orders, order_rows)
        _bulk(conn, order_lines, line_rows)
    engine.dispose()
    return out


if __name__ == "__main__":  # pragma: no cover - a manual helper
    url = sys.argv[1]
    print(seed(url, products_n=int(sys.argv[2]), skus_per_product=3, users_n=8))
