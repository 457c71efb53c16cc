"""Results: bench/results/latest.json, latest.md (figure, floor, ratio) and latest.png (a bar chart)."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

from bench import scale

CATALOGUE = {
    "home": "home",
    "list": "list, sorted, page 1",
    "list_deep": "list, sorted, deep page",
    "detail": "product detail",
    "search": "search",
}
CART = {"cart_add": "cart add", "cart_view": "cart view"}
FLASH_LABELS = {"gate": "conditional + Redis stock gate"}
CATALOGUE_SHARE, CATALOGUE_P99_MS, CART_SHARE, ORDER_SHARE = 0.25, 50.0, 0.15, 0.50
FLASH_TARGET = 2000.0  # orders/s, the best flash sale (every other: exact sales, 0 oversell, 0 5xx)


def _row(
    figure: str,
    value: float | None,
    unit: str,
    floor_name: str,
    floor: float | None,
    target: str,
    ok: bool | None,
    p50: float | None = None,
    p99: float | None = None,
    note: str = "",
) -> dict[str, Any]:
    ratio = value / floor if value is not None and floor else None
    return {
        "figure": figure,
        "value": value,
        "unit": unit,
        "p50_ms": p50,
        "p99_ms": p99,
        "floor": floor_name,
        "floor_value": floor,
        "ratio": ratio,
        "target": target,
        "met": ok,
        "note": note,
    }


def rows(results: dict[str, Any]) -> list[dict[str, Any]]:
    sc, fl, skipped = results["scenarios"], results["floors"], results.get("skipped", {})
    hello = sc.get("hello", {}).get("rps")
    raw = fl.get("raw_tx", {}).get("tps")
    raw_hot = fl.get("raw_tx_contended", {}).get("tps")
    out: list[dict[str, Any]] = []

    def http_row(
        key: str,
        figure: str,
        floor_name: str,
        floor: float | None,
        share: float | None,
        p99_cap: float | None = None,
    ) -> None:
        if key not in sc:
            if key in skipped:
                out.append(_row(figure, None, "req/s", floor_name, floor, "", None, note=skipped[key]))
            return
        r = sc[key]
        ok: bool | None = None
        target = ""
        if share is not None and floor:
            ok = r["rps"] / floor >= share
            target = f"≥ {share:.0%}"
            if p99_cap is not None:
                ok = ok and r["p99_ms"] <= p99_cap
                target += f", p99 ≤ {p99_cap:.0f} ms"
        bad = (
            r["counts"]["other_4xx"] + r["counts"]["server_5xx"] + r["counts"]["other"]
            if "counts" in r
            else 0
        )
        errors = max(r["non_2xx"] - r["counts"].get("stock_409", 0), bad) + sum(r["socket_errors"].values())
        note = f"{errors} errors" if errors else ""
        if r.get("codes"):
            note += " (" + ", ".join(f"{k} ×{v}" for k, v in sorted(r["codes"].items())) + ")"
        if r["counts"].get("pay_exhausted"):
            note += f" (ran out of unpaid orders {r['counts']['pay_exhausted']}×)"
        out.append(
            _row(figure, r["rps"], "req/s", floor_name, floor, target, ok, r["p50_ms"], r["p99_ms"], note)
        )

    for key, figure in CATALOGUE.items():
        http_row(key, figure, "hello", hello, CATALOGUE_SHARE, CATALOGUE_P99_MS)
    for key, figure in CART.items():
        http_row(key, figure, "hello", hello, CART_SHARE)
    http_row("preview", "checkout preview", "hello", hello, None)
    http_row("order", "place order (no contention)", "raw tx", raw, ORDER_SHARE)
    http_row("pay", "wallet pay", "raw tx", raw, None)

    flash = results.get("flash", {})
    best = max((f["orders_per_s"] for f in flash.values()), default=None)
    for f in flash.values():
        exact = f["units_sold"] + f["final_stock"] == f["initial_stock"] and f["sales"] == f["units_sold"]
        clean = (
            exact
            and not f["oversell"]
            and f["server_5xx"] == 0
            and f.get("gate_tokens", f["final_stock"]) == f["final_stock"]
        )
        is_best = f["orders_per_s"] == best
        ok = clean and (not is_best or f["orders_per_s"] >= FLASH_TARGET)
        note = (
            f"sold {f['units_sold']}/{f['initial_stock']} in {f['orders']} orders, stock {f['final_stock']}, "
            f"oversell {'YES' if f['oversell'] else 'no'}, errors {f['errors']} (5xx {f['server_5xx']})"
            + ("" if f["sold_out"] else ", not sold out")
        )
        if "gate_tokens" in f:
            note += f", gate tokens left {f['gate_tokens']}"
        if f.get("codes"):
            note += " (" + ", ".join(f"{k} ×{v}" for k, v in sorted(f["codes"].items())) + ")"
        target = "exact, 0 oversell, 0 5xx" + (f", best ≥ {FLASH_TARGET:,.0f}/s" if is_best else "")
        out.append(
            _row(
                f"flash sale: {FLASH_LABELS.get(f['strategy'], f['strategy'])}, "
                f"{f['buyers']:,} buyers, stock {f['initial_stock']:,}",
                f["orders_per_s"],
                "orders/s",
                "raw tx contended",
                raw_hot,
                target,
                ok,
                f["p50_ms"],
                f["p99_ms"],
                note,
            )
        )
    if "flash" in skipped and not flash:
        out.append(
            _row("flash sale", None, "orders/s", "raw tx contended", raw_hot, "", None, note=skipped["flash"])
        )
    return out


def _fmt(x: float | None, digits: int = 1) -> str:
    return "—" if x is None else f"{x:,.{digits}f}"


def _noise(results: dict[str, Any]) -> str:
    others = [r["cpu_cores"].get("other", 0.0) for r in results["scenarios"].values()]
    worst = max(others, default=0.0)
    text = (
        f"Machine busy before the run: {results.get('machine_busy_before', 0):.2f} cores; other processes during "
        f"the measured runs: up to {worst:.2f} cores."
    )
    if worst > 0.3 or results.get("machine_busy_before", 0) > 0.3:
        text += " **Other work shared the machine: absolute figures are disturbed; compare ratios and CPU per request.**"
    return text


def markdown(results: dict[str, Any], table: list[dict[str, Any]]) -> str:
    sc, fl = results["scenarios"], results["floors"]
    cfg = results["config"]
    lines = [
        f"# jiadian benchmark — {results['started_at']}",
        "",
        f"{results['machine']['cpus']} CPUs, Python {results['machine']['python']}, {results.get('wrk', 'wrk')}; "
        f"`jiadian serve --workers {cfg['workers']} --server {cfg.get('server', 'uvicorn')}` on MariaDB + Redis; "
        f"wrk -t{cfg['threads']} -c{cfg['connections']}, {cfg['warmup']:g} s warm-up + {cfg['duration']:g} s per "
        f"scenario; {cfg['products']} products × {cfg['skus_per_product']} skus, {cfg['users']} users. "
        f"Whole run {results.get('elapsed_s', 0):.0f} s.",
        "",
        _noise(results),
        "",
        "## Floors (same run)",
        "",
        "| floor | value | p50 ms | p99 ms | CPU ms per request/tx (client · MariaDB) |",
        "|---|---:|---:|---:|---:|",
    ]
    if "hello" in sc:
        h = sc["hello"]
        lines.append(
            f"| hello (GET /bench/hello, same app/server/workers) | {_fmt(h['rps'])} req/s | "
            f"{_fmt(h['p50_ms'], 2)} | {_fmt(h['p99_ms'], 2)} | "
            f"{h.get('cpu_ms_per_request', {}).get('app', 0):.2f} (app) |"
        )
    for key, label in (
        ("raw_tx", "raw tx (aiomysql: update stock, insert order + line, commit), random sku"),
        ("raw_tx_contended", "raw tx, one hot sku (contended)"),
    ):
        if key in fl:
            f = fl[key]
            cpu = f.get("cpu_ms_per_tx", {})
            lines.append(
                f"| {label} | {_fmt(f['tps'])} tx/s | {_fmt(f['p50_ms'], 2)} | {_fmt(f['p99_ms'], 2)} | "
                f"{cpu.get('client', 0):.2f} · {cpu.get('db', 0):.2f} |"
            )
    lines += [
        "",
        "## Figures",
        "",
        "| figure | value | p50 ms | p99 ms | floor | ratio | target | met | notes |",
        "|---|---:|---:|---:|---|---:|---|:-:|---|",
    ]
    for r in table:
        met = "" if r["met"] is None else ("✅" if r["met"] else "❌")
        value = "not available" if r["value"] is None else f"{_fmt(r['value'])} {r['unit']}"
        floor = f"{r['floor']} {_fmt(r['floor_value'])}"
        ratio = "—" if r["ratio"] is None else f"{r['ratio']:.1%}"
        lines.append(
            f"| {r['figure']} | {value} | {_fmt(r['p50_ms'], 2)} | {_fmt(r['p99_ms'], 2)} | {floor} | {ratio} | "
            f"{r['target']} | {met} | {r['note']} |"
        )
    lines += [
        "",
        f"## CPU during each measured run (cores busy; the machine has {results['machine']['cpus']})",
        "",
        "| scenario | wrk | app workers | MariaDB | Redis | other (rest of the machine) | app CPU ms/req | "
        "MariaDB CPU ms/req |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in sc.items():
        c = r["cpu_cores"]
        per = r.get("cpu_ms_per_request", {})
        lines.append(
            f"| {name} | {c['wrk']:.2f} | {c['app']:.2f} | {c['db']:.2f} | {c['redis']:.2f} | "
            f"{c.get('other', 0):.2f} | {per.get('app', 0):.2f} | {per.get('db', 0):.2f} |"
        )
    for name, f in results.get("flash", {}).items():
        c = f["cpu_cores"]
        lines.append(
            f"| flash {name} | {c['wrk']:.2f} | {c['app']:.2f} | {c['db']:.2f} | {c['redis']:.2f} | "
            f"{c.get('other', 0):.2f} | | |"
        )
    if results.get("scale"):
        lines += scale.markdown(results["scale"])
    for name, why in results.get("skipped", {}).items():
        lines.append("")
        lines.append(f"- {name}: {why}")
    if results.get("profiles"):
        lines += ["", "## Profiles (py-spy, both workers, an extra run)", ""]
        for mode, p in results["profiles"].items():
            lines.append(
                f"- **{mode}** ({p.get('samples', 0)} samples) by package: "
                + ", ".join(f"{k} {v:.0%}" for k, v in p.get("by_package", [])[:8])
            )
            lines.append("  top self: " + ", ".join(f"{k} {v:.1%}" for k, v in p.get("top_self", [])[:8]))
    return "\n".join(lines) + "\n"


def chart(table: list[dict[str, Any]], path: Path) -> str | None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "matplotlib is not installed (pip install '.[bench]'): no chart"
    shown = [r for r in table if r["ratio"] is not None]
    if not shown:
        return None
    fig, ax = plt.subplots(figsize=(11, 0.45 * len(shown) + 1.5))
    names = [f"{r['figure']}  ({r['value']:,.0f} {r['unit']})" for r in shown]
    ratios = [r["ratio"] * 100 for r in shown]
    colours = ["#2e7d32" if r["met"] else ("#c62828" if r["met"] is False else "#757575") for r in shown]
    y = list(range(len(shown)))[::-1]
    ax.barh(y, ratios, color=colours)
    for yi, r in zip(y, shown, strict=True):
        m = re.search(r"≥ (\d+)%", r["target"]) if r["unit"] != "orders/s" else None
        if m:
            ax.plot([float(m.group(1))] * 2, [yi - 0.4, yi + 0.4], color="black", linewidth=2)
        ax.text(r["ratio"] * 100 + 0.5, yi, f"{r['ratio']:.0%} of {r['floor']}", va="center", fontsize=8)
    ax.set_yticks(y)
    ax.set_yticklabels(names, fontsize=8)
    ax.set_xlabel("% of the floor measured in the same run (black tick: target)")
    ax.set_title("jiadian: throughput as a share of its floor (green: target met, red: missed)")
    ax.set_xlim(0, max(100, max(ratios) * 1.15))
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return None


def write(results: dict[str, Any], out: Path) -> str:
    table = rows(results)
    results["table"] = table
    out.mkdir(parents=True, exist_ok=True)
    problem = chart(table, out / "latest.png")
    if problem:
        results["chart"] = problem
    md = markdown(results, table)
    (out / "latest.md").write_text(md)
    (out / "latest.json").write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str))
    return md


# --- py-spy stacks ------------------------------------------------------------------------------

_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^()]*?)(?::\d+)?\)$")


def _package(file: str) -> str:
    if "site-packages/" in file:
        file = file.split("site-packages/", 1)[1]
    if "/jiadian/" in file or file.startswith("jiadian/"):
        part = file.split("jiadian/", 1)[1].split("/")
        return "jiadian/" + part[0] if len(part) > 1 else "jiadian"
    if "/lib/python3" in file:
        return "stdlib:" + file.rsplit("/", 1)[-1]
    head = file.split("/", 1)[0]
    return head.removesuffix(".py")


# Leaf frames that are waiting, not computing: the event loop's poll (uvloop runs it under Runner.run),
# idle thread-pool and supervisor threads. Socket writes are kept but reported apart: on a busy 2-core
# machine the writer is often preempted there by the peer it wakes (MariaDB, Redis, wrk).
WAITS = {"Runner.run", "_worker", "Connection._recv", "Condition.wait", "Event.wait"}
SOCKET_WRITES = {"StreamWriter.write", "StreamWriter.writelines", "RequestResponseCycle.send"}


def summarise_stacks(stacks: dict[str, int]) -> dict[str, Any]:
    stacks = {
        k: v for k, v in stacks.items() if (_FRAME.match(k.rsplit(";", 1)[-1]) or [None, ""])[1] not in WAITS
    }
    total = sum(stacks.values()) or 1
    self_time: dict[str, int] = defaultdict(int)
    inclusive: dict[str, int] = defaultdict(int)
    by_package: dict[str, int] = defaultdict(int)
    for stack, n in stacks.items():
        frames = [f for f in stack.split(";") if f]
        names = []
        for f in frames:
            m = _FRAME.match(f)
            names.append((m.group("func"), m.group("file")) if m else (f, ""))
        if not names:
            continue
        func, file = names[-1]
        self_time[f"{func} ({file})"] += n
        by_package[_package(file)] += n
        for key in {f"{fn} ({fl})" for fn, fl in names}:
            inclusive[key] += n

    def top(d: dict[str, int], k: int = 25) -> list[tuple[str, float]]:
        return [(name, v / total) for name, v in sorted(d.items(), key=lambda x: -x[1])[:k]]

    writes = sum(v for k, v in self_time.items() if k.split(" (")[0] in SOCKET_WRITES)
    result = {
        "samples": total,
        "socket_writes": writes / total,
        "top_self": top(self_time),
        "top_inclusive": top(inclusive, 40),
        "by_package": top(by_package, 20),
    }
    text = [
        f"samples: {total} (waits in the event loop and idle threads left out)",
        f"socket writes (incl. being preempted by the woken peer): {writes / total:.1%}",
        "",
        "self time by package:",
    ]
    text += [f"  {v:6.1%}  {k}" for k, v in result["by_package"]]
    text += ["", "self time by function:"] + [f"  {v:6.1%}  {k}" for k, v in result["top_self"]]
    text += ["", "inclusive time by function:"] + [f"  {v:6.1%}  {k}" for k, v in result["top_inclusive"]]
    result["text"] = "\n".join(text) + "\n"
    return result
