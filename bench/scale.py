"""The catalogue-size check: list, product-page and search latency at a small and a large catalogue.

For each size (default 1,000 and 100,000 products × 3 skus) a database of its own is created, migrated,
seeded and indexed for search, the server is started on it and list page 1, a deep list page, product
pages and searches (page 1 of one-word and of two-word queries) are measured at the run's concurrency.
Like is compared with like:

- the rendered-answer cache is off (`JIADIAN_RESPONSE_CACHE_SECONDS=0`), so every list request reaches
  MariaDB — the cache would otherwise answer both sizes alike and hide what the size costs;
- product pages are the same number of products (1,000) spread evenly over the catalogue, so the
  per-process page cache behaves the same at both sizes and only the database differs.

The target: p50 and p99 at the large size within 1.5× of the small one for list page 1, the product
page, one-word searches (a page of them is read from the search rank index alone; their counts are
kept per catalogue generation, like a list's) and two-word searches (a page of them is walked per pair
of weights from the rank index, stopping at the page's end). The deep page (80 % of the way through, an
OFFSET into the index) is reported beside them: its cost grows with the offset, by design of
page-number pagination.
"""

from __future__ import annotations

import math
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCALE_MODES = ("list", "list_deep", "detail", "search", "search_words")
TARGETED = ("list", "detail", "search", "search_words")
SCALE_FACTOR = 1.5
DETAIL_PAGES = 1000
SORTS = ("price", "-price", "sales", "-sales", "date", "-date")
PAGE_SIZE = 8  # the API's default page size


@dataclass
class ScaleContext:
    """What the scale check borrows from bench.run (kept as callables to avoid an import cycle)."""

    jiadian: Path
    base_env: dict[str, str]
    port: int
    workers: int
    tmp: Path
    redis_url: str
    db_url_for: Callable[[str], str]
    start_server: Callable[[dict[str, str], Path], Any]
    make_load: Callable[[Any, Path, Path], Any]
    http_call: Callable[..., Any]
    flush_redis: Callable[[str], None]
    log: Callable[[str], None]


def spread(n_products: int, k: int = DETAIL_PAGES) -> list[int]:
    """`k` product ids spread evenly over 1..n (the bench seed puts every product on shelf)."""
    k = min(k, n_products)
    return [1 + (i * n_products) // k for i in range(k)]


def deep_pages(seeded: Any) -> dict[str, int]:
    """Per category slug (and `all`): the page 80 % of the way through its list."""
    counts = {**seeded.category_counts, "all": seeded.products}
    return {c: max(1, int(math.ceil(n / PAGE_SIZE) * 0.8)) for c, n in counts.items()}


def listing_params(seeded: Any) -> dict[str, str]:
    """The list scenarios' paths: every category (and `all`) in every sort, on page 1 and a deep page."""
    deep = deep_pages(seeded)
    cats = ["all", *seeded.category_counts]
    return {
        "list_paths": " ".join(
            f"/api/catalog/products?category={c}&sort={s}&page=1" for c in cats for s in SORTS
        ),
        "list_deep_paths": " ".join(
            f"/api/catalog/products?category={c}&sort={s}&page={deep[c]}" for c in cats for s in SORTS
        ),
    }


def search_params() -> dict[str, str]:
    """The search scenarios' queries (URL-quoted, space-separated)."""
    from bench.seed import SEARCH_TERMS, SEARCH_WORDS

    return {
        "search_terms": " ".join(urllib.parse.quote(t) for t in SEARCH_TERMS),
        "search_words": " ".join(urllib.parse.quote(t) for t in SEARCH_WORDS),
    }


def params_for(seeded: Any, anon_csrf: str) -> dict[str, Any]:
    return {
        "products": seeded.products,
        "skus": seeded.skus,
        "anon_csrf": anon_csrf,
        **listing_params(seeded),
        **search_params(),
        "detail_ids": " ".join(map(str, spread(seeded.products))),
    }


def run_scale(
    ctx: ScaleContext, sizes: list[int], database: str, warmup: float, duration: float
) -> dict[str, Any]:
    from bench.seed import create_database, index_for_search, migrate, seed

    out: dict[str, Any] = {"sizes": sizes, "runs": {}, "seed_s": {}, "factor_target": SCALE_FACTOR}
    for size in sizes:
        name = f"{database}_p{size}"
        db_url = ctx.db_url_for(name)
        t = time.monotonic()
        create_database(db_url, name)
        migrate(db_url, ctx.jiadian)
        seeded = seed(db_url, products_n=size, skus_per_product=3, users_n=1)
        index_for_search(db_url, ctx.jiadian)
        out["seed_s"][size] = round(time.monotonic() - t, 1)
        ctx.log(f"scale: {size} products seeded in {out['seed_s'][size]:.0f} s ({name})")
        ctx.flush_redis(ctx.redis_url)  # the catalogue's shared cache belongs to one database at a time
        env = {**ctx.base_env, "JIADIAN_DATABASE_URL": db_url, "JIADIAN_RESPONSE_CACHE_SECONDS": "0"}
        server = ctx.start_server(env, ctx.tmp / f"server-scale-{size}.log")
        try:
            _s, anon, _b = ctx.http_call(ctx.port, "GET", "/health")
            params_file, users_file = ctx.tmp / f"params-scale-{size}.txt", ctx.tmp / "users-none.tsv"
            params_file.write_text(
                "".join(f"{k}={v}\n" for k, v in params_for(seeded, anon["csrftoken"]).items())
            )
            users_file.write_text("")
            # Fill the per-generation caches one request at a time (a cold cache under load is a stampede):
            # the categories, the home, and each search's count.
            queries = [
                f"/api/catalog/search?q={q}"
                for key in ("search_terms", "search_words")
                for q in search_params()[key].split()
            ]
            for path in ("/api/catalog/categories", "/api/catalog/home", *queries):
                ctx.http_call(ctx.port, "GET", path, cookies={"csrftoken": anon["csrftoken"]}, timeout=60)
            load = ctx.make_load(server, users_file, params_file)
            runs = {mode: load.measure(mode, warmup, duration) for mode in SCALE_MODES}
        finally:
            server.stop()
        out["runs"][size] = runs
    small, large = sizes[0], sizes[-1]
    out["factors"] = {
        mode: {
            q: round(out["runs"][large][mode][f"{q}_ms"] / max(out["runs"][small][mode][f"{q}_ms"], 1e-6), 2)
            for q in ("p50", "p99")
        }
        for mode in SCALE_MODES
    }
    out["met"] = all(out["factors"][m][q] <= SCALE_FACTOR for m in TARGETED for q in ("p50", "p99"))
    return out


def markdown(scale: dict[str, Any]) -> list[str]:
    sizes = scale["sizes"]
    small, large = sizes[0], sizes[-1]
    labels = {
        "list": "list, sorted, page 1",
        "list_deep": "list, deep page",
        "detail": "product detail",
        "search": "search, one word",
        "search_words": "search, two words",
    }
    lines = [
        "",
        f"## Catalogue size: {small:,} vs {large:,} products (same concurrency, answer cache off)",
        "",
        f"| figure | {small:,}: req/s · p50 · p99 ms | {large:,}: req/s · p50 · p99 ms | p50 × | p99 × | "
        f"target | met |",
        "|---|---:|---:|---:|---:|---|:-:|",
    ]
    for mode in SCALE_MODES:
        a, b = scale["runs"][small][mode], scale["runs"][large][mode]
        f = scale["factors"][mode]
        targeted = mode in TARGETED
        ok = f["p50"] <= SCALE_FACTOR and f["p99"] <= SCALE_FACTOR
        lines.append(
            f"| {labels[mode]} | {a['rps']:,.0f} · {a['p50_ms']:.2f} · {a['p99_ms']:.2f} | "
            f"{b['rps']:,.0f} · {b['p50_ms']:.2f} · {b['p99_ms']:.2f} | {f['p50']:.2f} | {f['p99']:.2f} | "
            + (f"≤ {SCALE_FACTOR}× | {'✅' if ok else '❌'} |" if targeted else "(reported) | |")
        )
    seeds = ", ".join(f"{size:,}: {s:.0f} s" for size, s in scale["seed_s"].items())
    lines += ["", f"Seeding (create, migrate, fill, index for search): {seeds}."]
    return lines
