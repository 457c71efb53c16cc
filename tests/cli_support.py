"""The `jiadian` command line under test: Typer's CliRunner on a temporary SQLite shop."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from jiadian.container import build_container, shutdown
from jiadian.domain.catalog import SortKey
from jiadian.entrypoints.cli.main import app


class Cli:
    def __init__(self, var: Path) -> None:
        self.var = var

    def __call__(self, *args: str, code: int = 0) -> str:
        result: Result = CliRunner().invoke(app, list(args))
        output = result.output  # stdout and stderr, as a terminal shows them
        assert result.exit_code == code, f"{args}: exit {result.exit_code}\n{output}\n{result.exception!r}"
        if code == 0:
            assert result.exception is None, result.exception
        else:
            assert "Traceback" not in output
            assert isinstance(result.exception, SystemExit), repr(result.exception)
        return " ".join(output.split())

    def products(self) -> list[dict[str, Any]]:
        """Every on-shelf product as cards, read through the use cases (not through the CLI)."""

        async def read() -> list[dict[str, Any]]:
            container = build_container()
            try:
                page = await container.catalog().list_products("all", SortKey.DATE, 1, 50)
                return [
                    {"id": c.id, "name": c.name, "price": str(c.price), "sku_id": c.sku_id}
                    for c in page.items
                ]
            finally:
                await shutdown(container)

        return asyncio.run(read())

    def count(self) -> int:
        async def read() -> int:
            container = build_container()
            try:
                return await container.catalog_admin().product_count()
            finally:
                await shutdown(container)

        return asyncio.run(read())


def use_shop(root: Path, monkeypatch: pytest.MonkeyPatch) -> Cli:
    """Point the `jiadian` settings at a shop under `root`: root/cli.sqlite3 and root/var."""
    for name in list(os.environ):
        if name.startswith("JIADIAN_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(root)  # no stray .env file
    monkeypatch.setenv("JIADIAN_VAR_DIR", str(root / "var"))
    monkeypatch.setenv("JIADIAN_DATABASE_URL", f"sqlite+aiosqlite:///{root / 'cli.sqlite3'}")
    return Cli(root / "var")
