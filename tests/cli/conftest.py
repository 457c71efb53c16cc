"""Fixtures of the command-line tests: a temporary SQLite shop that the `jiadian` settings point at."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli_support import Cli, use_shop


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Cli:
    return use_shop(tmp_path, monkeypatch)


@pytest.fixture
def migrated(cli: Cli) -> Cli:
    cli("db", "upgrade")
    return cli
