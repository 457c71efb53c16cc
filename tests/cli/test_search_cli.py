"""`jiadian search` (reindex, aliases), `catalog rename-category`, and `db upgrade` indexing a shop's
products that were never indexed — on a temporary SQLite shop."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from jiadian.container import build_container, shutdown
from tests.catalog_support import ids
from tests.cli.test_cli import a_row, add_categories, write_lines
from tests.cli_support import Cli


def found(text: str) -> list[int]:
    async def read() -> list[int]:
        container = build_container()
        try:
            return ids((await container.search().products(text, 1, 50)).items)
        finally:
            await shutdown(container)

    return asyncio.run(read())


def imported(cli: Cli, tmp_path: Path) -> None:
    add_categories(cli)
    rows = [a_row("华为 Mate 60", spu_detail="鸿蒙手机"), a_row("电风扇 落地扇", "199.00", "electricity")]
    assert "imported 2 products" in cli("catalog", "import", str(write_lines(tmp_path / "p.jsonl", rows)))


def forget_the_index(root: Path) -> None:
    """As a shop from before search, or rows written by hand: products the index has never seen."""
    with sqlite3.connect(root / "cli.sqlite3") as db:
        db.execute("DELETE FROM search_terms")
        db.execute("DELETE FROM search_documents")


def test_aliases_list_add_remove(migrated: Cli, tmp_path: Path) -> None:
    imported(migrated, tmp_path)
    assert found("huawei") == []
    assert "alias huawei ↔ 华为 added" in migrated("search", "aliases", "add", "huawei", "华为")
    assert found("HUAWEI") == [1]
    assert "was there already" in migrated("search", "aliases", "add", "华为", "HuaWei")
    listed = migrated("search", "aliases", "list")
    assert "huawei" in listed
    assert "华为" in listed
    assert "removed" in migrated("search", "aliases", "remove", "华为", "huawei")
    assert found("huawei") == []
    assert "not_found" in migrated("search", "aliases", "remove", "华为", "huawei", code=1)
    assert "[validation_error]" in migrated("search", "aliases", "add", "%%", "华为", code=1)
    assert "[validation_error]" in migrated("search", "aliases", "add", "sony", "SONY", code=1)


def test_reindex_finds_products_the_index_never_saw(migrated: Cli, tmp_path: Path) -> None:
    imported(migrated, tmp_path)
    forget_the_index(tmp_path)
    assert found("华为") == []
    assert "indexed 2 products" in migrated("search", "reindex")
    assert found("华为") == [1]
    assert "indexed 0 products" in migrated("search", "reindex", "--missing-only")
    assert "indexed 2 products" in migrated("search", "reindex")


def test_db_upgrade_indexes_products_never_indexed(migrated: Cli, tmp_path: Path) -> None:
    imported(migrated, tmp_path)
    forget_the_index(tmp_path)
    output = migrated("db", "upgrade")
    assert "database at revision head" in output
    assert "indexed 2 products for search" in output
    assert found("鸿蒙") == [1]
    assert "indexed" not in migrated("db", "upgrade")  # nothing left to do


def test_rename_category(migrated: Cli, tmp_path: Path) -> None:
    imported(migrated, tmp_path)
    assert found("小家电") == []
    assert "category electricity: 小家电" in migrated("catalog", "rename-category", "electricity", "小家电")
    assert found("小家电") == [2]
    assert "[not_found]" in migrated("catalog", "rename-category", "toys", "玩具", code=1)
    assert "[validation_error]" in migrated("catalog", "rename-category", "electricity", "长" * 21, code=1)


def test_help_names_the_commands(cli: Cli) -> None:
    assert "reindex" in cli("search", "--help")
    for command in ("list", "add", "remove"):
        assert command in cli("search", "aliases", "--help")
