"""The `jiadian` command line (Typer's CliRunner) on a temporary SQLite shop: db, demo and catalog."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from typer.testing import CliRunner

from jiadian.container import build_container, shutdown
from jiadian.entrypoints.cli.main import (
    WORKER_HEALTHCHECK_SECONDS,
    app,
    granian,
    server_options,
    uvicorn_options,
)
from jiadian.entrypoints.http import asgi
from tests.cli_support import Cli, use_shop
from tests.conftest import settings_for


def write_lines(path: Path, rows: list[Any]) -> Path:
    path.write_text(
        "\n".join(r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows) + "\n"
    )
    return path


def a_row(
    name: str, price: object = "1999.00", category: str = "intelligence", **extra: Any
) -> dict[str, Any]:
    return {
        "category": category,
        "spu": "测试系列",
        "name": name,
        "skus": [{"price": price, "stock": 5, "color": "黑色", "size": "标准"}],
        **extra,
    }


def add_categories(cli: Cli) -> None:
    """The demo's categories (the CLI has no command for them: an empty demo is the easy way)."""

    async def add() -> None:
        container = build_container()
        try:
            admin = container.catalog_admin()
            for name, slug in [("智能设备", "intelligence"), ("家用电器", "electricity")]:
                await admin.add_category(name, slug)
        finally:
            await shutdown(container)

    asyncio.run(add())


# --- db --------------------------------------------------------------------------------------


def test_db_upgrade_and_current(cli: Cli) -> None:
    assert "current: (empty database)" in cli("db", "current")
    assert "database at revision head" in cli("db", "upgrade")
    assert "current: 0007 head: 0007" in cli("db", "current")
    assert "database at revision head" in cli("db", "upgrade")  # again: nothing to do


# --- demo ------------------------------------------------------------------------------------


def test_demo_load_twice(migrated: Cli) -> None:
    assert "demo catalogue loaded" in migrated("demo", "load")
    products = migrated.products()
    assert len(products) == 24
    assert migrated.count() == 24
    assert any(migrated.var.joinpath("media").rglob("*.png"))
    files = sorted(p.name for p in migrated.var.joinpath("media").rglob("*") if p.is_file())

    assert "nothing changed" in migrated("demo", "load")
    assert migrated.products() == products
    assert migrated.count() == 24
    assert sorted(p.name for p in migrated.var.joinpath("media").rglob("*") if p.is_file()) == files


# --- catalog import --------------------------------------------------------------------------


def test_import_a_good_file(migrated: Cli, tmp_path: Path) -> None:
    add_categories(migrated)
    good = write_lines(
        tmp_path / "good.jsonl",
        [a_row("手机 A"), "", a_row("手机 B", 2999), a_row("电扇", "199.00", "electricity", on_shelf=False)],
    )
    assert "imported 3 products" in migrated("catalog", "import", str(good))
    assert migrated.count() == 3
    assert [(p["name"], p["price"]) for p in migrated.products()] == [
        ("手机 A", "1999.00"),
        ("手机 B", "2999.00"),
    ]
    # Importing again updates the same products: no duplicates.
    assert "imported 3 products" in migrated("catalog", "import", str(good))
    assert migrated.count() == 3


def test_import_a_json_array(migrated: Cli, tmp_path: Path) -> None:
    add_categories(migrated)
    array = tmp_path / "products.json"
    array.write_text(json.dumps([a_row("手机 A"), a_row("手机 B")], ensure_ascii=False, indent=2))
    assert "imported 2 products" in migrated("catalog", "import", str(array))
    assert migrated.count() == 2


@pytest.mark.parametrize(
    "bad",
    [
        '{"category": "intelligence", "spu": "x", "name": ',  # not JSON
        json.dumps({"category": "intelligence", "spu": "x", "name": "no skus"}),  # a missing field
        json.dumps(a_row("坏价格", "abc")),  # a bad price
        json.dumps(a_row("三位小数", "1.999")),
        json.dumps(a_row("巨大的价格", "1e30")),
        json.dumps(a_row("未知分类", category="toys")),
        json.dumps(a_row("   ")),  # an empty name
        "[1, 2]",  # not an object
    ],
)
def test_a_bad_row_on_line_3_imports_nothing(migrated: Cli, tmp_path: Path, bad: str) -> None:
    add_categories(migrated)
    path = write_lines(tmp_path / "bad.jsonl", [a_row("手机 A"), a_row("手机 B"), bad, a_row("手机 D")])
    output = migrated("catalog", "import", str(path), code=1)
    assert "第 3 行" in output
    assert "error" in output
    assert migrated.count() == 0


def test_a_bad_product_in_an_array_is_named_by_position(migrated: Cli, tmp_path: Path) -> None:
    add_categories(migrated)
    array = tmp_path / "products.json"
    array.write_text(json.dumps([a_row("手机 A"), a_row("坏价格", "-5")], ensure_ascii=False))
    output = migrated("catalog", "import", str(array), code=1)
    assert "第 2 条商品" in output
    assert migrated.count() == 0


def test_import_a_missing_file(migrated: Cli, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["catalog", "import", str(tmp_path / "nope.jsonl")])
    assert result.exit_code == 2
    assert "Invalid value" in result.output


# --- catalog list, set-stock, set-price ------------------------------------------------------


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A shop with the demo catalogue, loaded once for the module through the CLI itself."""
    root = tmp_path_factory.mktemp("demo")
    with pytest.MonkeyPatch.context() as monkeypatch:
        cli = use_shop(root, monkeypatch)
        cli("db", "upgrade")
        assert "demo catalogue loaded" in cli("demo", "load")
    return root


@pytest.fixture
def demo(demo_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Cli:
    shutil.copy(demo_template / "cli.sqlite3", tmp_path / "cli.sqlite3")
    shutil.copytree(demo_template / "var", tmp_path / "var")
    return use_shop(tmp_path, monkeypatch)


def test_catalog_list(demo: Cli) -> None:
    output = demo("catalog", "list", "--sort", "-price", "--page-size", "5")
    assert "page 1/5" in output
    assert "24499.00" in output  # the dearest demo product first
    by_category = demo("catalog", "list", "--category", "headset", "--sort", "price")
    assert "headset" in by_category
    assert "intelligence" not in by_category
    assert "not_found" in demo("catalog", "list", "--category", "toys", code=1)
    assert demo("catalog", "list", "--sort", "name", code=2)


def test_set_stock(demo: Cli) -> None:
    sku_id = demo.products()[0]["sku_id"]
    assert f"sku {sku_id}: stock 0" in demo("catalog", "set-stock", str(sku_id), "0")
    assert f"sku {sku_id}: stock 77" in demo("catalog", "set-stock", str(sku_id), "77")
    assert "not_found" in demo("catalog", "set-stock", "9999", "1", code=1)
    assert "usage_error" in demo("catalog", "set-stock", "99999999999999999999", "1", code=2)
    demo("catalog", "set-stock", str(sku_id), "--", "-1", code=2)
    demo("catalog", "set-stock", str(sku_id), "-1", code=2)  # a negative number, not an option
    # the HTTP API's bound, on every database (MySQL's column would overflow past it, SQLite would not)
    assert "usage_error" in demo("catalog", "set-stock", str(sku_id), "2000000001", code=2)
    assert f"sku {sku_id}: stock 2000000000" in demo("catalog", "set-stock", str(sku_id), "2000000000")


def test_set_price(demo: Cli) -> None:
    first = demo.products()[0]
    sku_id = first["sku_id"]
    assert f"sku {sku_id}: price 1234.50" in demo("catalog", "set-price", str(sku_id), "1234.5")
    assert next(p for p in demo.products() if p["id"] == first["id"])["price"] == "1234.50"
    for bad in ("abc", "1.001", "1e30", "1000000000"):
        assert "invalid_amount" in demo("catalog", "set-price", str(sku_id), bad, code=1)
    demo("catalog", "set-price", str(sku_id), "--", "-1", code=1)
    assert next(p for p in demo.products() if p["id"] == first["id"])["price"] == "1234.50"
    assert "not_found" in demo("catalog", "set-price", "9999", "1.00", code=1)


# --- the audit log and operators ---------------------------------------------------------------


def test_the_cli_writes_the_audit_log_and_lists_it(demo: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUDO_USER", "ops")  # the login behind sudo names the operator
    sku_id = demo.products()[0]["sku_id"]
    demo("catalog", "set-price", str(sku_id), "1234.50")
    demo("catalog", "set-stock", str(sku_id), "7")
    table = demo("audit", "list", "--actor", "cli:ops")
    assert "2 entries" in table
    assert "sku.stock" in table
    assert "sku.price" in table
    lines = demo.json_lines("audit", "list", "--actor", "cli:ops", "--json")
    assert [line["action"] for line in lines] == ["sku.stock", "sku.price"]
    assert lines[1]["after"] == {"price": "1234.50"}
    assert lines[1]["actor"] == "cli:ops"
    assert f"sku:{sku_id}" in demo("audit", "list", "--target", f"sku:{sku_id}")
    assert "0 entries" in demo("audit", "list", "--actor", "cli:ops", "--since", "2999-01-01")
    assert "validation_error" in demo(
        "audit", "list", "--since", "2999-01-01", "--until", "2000-01-01", code=1
    )
    assert "24 entries" in demo("audit", "list", "--action", "product.create")  # the demo, as the shop's own


def test_users_made_and_unmade_operators(demo: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUDO_USER", "ops")
    created = demo("users", "create", "chief", "--email", "c@example.com", "--admin", stdin="secret-123\n")
    assert "(admin) created" in created
    demo("users", "create", "alice", "--email", "a@example.com", stdin="secret-123\n")
    assert "alice: admin" in demo("users", "admin", "alice")
    assert "alice: not an admin" in demo("users", "admin", "alice", "--remove")
    assert "not_found" in demo("users", "admin", "nobody", code=1)
    listed = demo.json_lines("audit", "list", "--target", "user", "--json")
    assert [line["action"] for line in listed] == ["user.admin", "user.admin", "user.create", "user.create"]
    assert listed[0]["before"] == {"is_admin": True}
    assert listed[0]["after"] == {"is_admin": False}


# --- help ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "group",
    [[], ["db"], ["demo"], ["catalog"], ["users"], ["audit"]],
)
def test_help_on_every_command_group(cli: Cli, group: list[str]) -> None:
    output = cli(*group, "--help")
    assert "Usage" in output
    assert "Traceback" not in output


@pytest.mark.parametrize(
    "command",
    [
        ["db", "upgrade"],
        ["db", "current"],
        ["demo", "load"],
        ["catalog", "import"],
        ["catalog", "list"],
        ["catalog", "set-stock"],
        ["catalog", "set-price"],
        ["catalog", "shelve"],
        ["catalog", "unshelve"],
        ["catalog", "add-image"],
        ["audit", "list"],
        ["users", "admin"],
        ["serve"],
    ],
)
def test_help_on_every_catalogue_command(cli: Cli, command: list[str]) -> None:
    assert "Usage" in cli(*command, "--help")


def test_every_group_is_listed_in_the_main_help(cli: Cli) -> None:
    output = cli("--help")
    for group in ("db", "demo", "catalog", "users", "audit", "serve"):
        assert group in output


def test_serve_listens_where_it_is_told(tmp_path: Path) -> None:
    assert server_options(settings_for(tmp_path), host=None, port=None, workers=None) == {
        "host": "127.0.0.1",
        "port": 8000,
        "workers": 1,
    }
    options = server_options(settings_for(tmp_path), host="0.0.0.0", port=9000, workers=3)
    assert options == {"host": "0.0.0.0", "port": 9000, "workers": 3}
    assert uvicorn_options(options)["proxy_headers"] is False  # the app's own middleware decides
    server = granian(options)
    assert (server.bind_addr, server.bind_port, server.workers) == ("0.0.0.0", 9000, 3)


@pytest.mark.parametrize(("allowed", "seen"), [(None, "10.0.0.5"), ("10.0.0.5,10.1.0.0/16", "203.0.113.7")])
async def test_the_client_address_is_taken_from_proxies_only_when_they_are_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, allowed: str | None, seen: str
) -> None:
    """The server's factory: X-Forwarded-For from a proxy named in JIADIAN_FORWARDED_ALLOW_IPS (and only
    then) becomes the client's address, under granian and uvicorn alike."""
    monkeypatch.chdir(tmp_path)
    for name, value in {"VAR_DIR": str(tmp_path), "AUTO_DEMO": "false", "BENCH_ROUTES": "true"}.items():
        monkeypatch.setenv(f"JIADIAN_{name}", value)
    if allowed is None:
        monkeypatch.delenv("JIADIAN_FORWARDED_ALLOW_IPS", raising=False)
    else:
        monkeypatch.setenv("JIADIAN_FORWARDED_ALLOW_IPS", allowed)
    monkeypatch.setattr(asgi.gc, "freeze", lambda: None)  # a worker's tuning, not this test session's
    monkeypatch.setattr(asgi.gc, "set_threshold", lambda *_: None)
    application = asgi.app()
    clients: list[Any] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        return None

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/bench/hello",
        "raw_path": b"/bench/hello",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"shop"), (b"x-forwarded-for", b"203.0.113.7")],
        "client": ("10.0.0.5", 4321),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    inner = application.app if allowed is not None else application  # type: ignore[attr-defined]
    original = inner.asgi_handler

    async def probe(scope: Any, receive: Any, send: Any) -> None:
        clients.append(scope["client"][0])
        await original(scope, receive, send)

    inner.asgi_handler = probe
    await application(scope, receive, send)  # type: ignore[arg-type]
    assert clients == [seen]


def test_a_worker_slow_to_start_is_not_taken_for_hung(tmp_path: Path) -> None:
    options = uvicorn_options(server_options(settings_for(tmp_path), host=None, port=None, workers=2))
    assert options["timeout_worker_healthcheck"] == WORKER_HEALTHCHECK_SECONDS >= 30  # uvicorn's default: 5
    uvicorn.Config("jiadian.entrypoints.http.asgi:app", **options)  # options uvicorn knows
