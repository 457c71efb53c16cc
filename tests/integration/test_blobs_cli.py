"""`jiadian blobs` and `jiadian catalog add-image` against SQLite, the local directory and the in-test FastDFS."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import pytest
from tests.fakes.fastdfs_server import FakeFastDfs, fastdfs_server  # noqa: F401  (a fixture)
from tests.files_support import png
from typer.testing import CliRunner, Result

from jiadian.adapters.fastdfs import is_file_id
from jiadian.application.blobs import BlobMigration, Outcome
from jiadian.application.catalog_admin import ProductSpec, SkuSpec
from jiadian.container import Container, build_container, shutdown
from jiadian.domain.errors import StorageUnavailable
from jiadian.entrypoints.cli.main import app

T = TypeVar("T")
IMAGE_BASE_URL = "http://img.jiadian.test:8888"


@dataclass
class Cli:
    tmp: Path
    server: FakeFastDfs
    monkeypatch: pytest.MonkeyPatch

    def __call__(self, *args: str, code: int = 0) -> str:
        result: Result = CliRunner().invoke(app, list(args))
        output = result.output  # stdout and stderr, as a terminal shows them
        assert result.exit_code == code, f"{args}: exit {result.exit_code}\n{output}\n{result.exception!r}"
        return " ".join(output.split())

    def use_fastdfs(self) -> None:
        self.monkeypatch.setenv("JIADIAN_BLOB_STORE", "fastdfs")

    def with_container(self, action: Callable[[Container], Awaitable[T]]) -> T:
        async def main() -> T:
            container = build_container()
            try:
                return await action(container)
            finally:
                await shutdown(container)

        return asyncio.run(main())

    def referenced(self) -> list[str]:
        return self.with_container(lambda c: c.file_references().file_ids())

    @property
    def media(self) -> Path:
        return self.tmp / "media"


@pytest.fixture
def cli(tmp_path: Path, fastdfs_server: FakeFastDfs, monkeypatch: pytest.MonkeyPatch) -> Cli:  # noqa: F811
    """The `jiadian` command with settings from the environment: SQLite and media under tmp_path."""
    host, port = fastdfs_server.tracker_address
    env = {
        "JIADIAN_VAR_DIR": str(tmp_path),
        "JIADIAN_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'shop.sqlite3'}",
        "JIADIAN_REDIS_URL": "",
        "JIADIAN_BLOB_STORE": "local",
        "JIADIAN_AUTO_DEMO": "false",
        "JIADIAN_FASTDFS_TRACKERS": json.dumps([f"{host}:{port}"]),
        "JIADIAN_FASTDFS_BASE_URL": IMAGE_BASE_URL,
        "JIADIAN_FASTDFS_TIMEOUT": "2",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    runner = Cli(tmp_path, fastdfs_server, monkeypatch)
    runner("db", "upgrade")
    return runner


@pytest.fixture
def demo(cli: Cli) -> dict[str, bytes]:
    """The demo catalogue on local files; answers every referenced file id with its content."""
    cli("demo", "load")
    files = {file_id: (cli.media / file_id).read_bytes() for file_id in cli.referenced()}
    assert len(files) > 40  # 4 categories, 36+ sku images, 4 banners
    return files


# --- migrate -------------------------------------------------------------------------------------


def test_migrate_moves_the_demo_catalogue_into_fastdfs(cli: Cli, demo: dict[str, bytes]) -> None:
    async def given_avatar(c: Container) -> tuple[int, str]:
        user = await c.accounts().create_user("alice", "alice@example.com", "secret123")
        return user.id, await c.profiles().change_avatar(user.id, png("purple"))

    user_id, avatar = cli.with_container(given_avatar)
    demo[avatar] = png("purple")

    output = cli("blobs", "migrate", "--to", "fastdfs")

    assert f"copied {len(demo)}," in output
    after = cli.referenced()
    assert len(after) == len(demo)
    assert all(is_file_id(file_id) for file_id in after)
    assert sorted(cli.server.files) == after
    assert sorted(cli.server.files.values()) == sorted(demo.values())
    assert all((cli.media / file_id).is_file() for file_id in demo)  # the local files are kept
    user, _wallet = cli.with_container(lambda c: c.accounts().get(user_id))
    assert is_file_id(user.avatar)
    assert cli.server.files[user.avatar] == png("purple")

    cli.use_fastdfs()
    home = cli.with_container(lambda c: c.catalog().home())
    urls = [c.image_url for c in home.categories] + [b.image_url for b in home.banners]
    urls += [p.image_url for c in home.categories for p in c.products]
    assert urls
    assert all(url.startswith(IMAGE_BASE_URL + "/group1/M00/") for url in urls)


def test_a_second_migration_copies_nothing(cli: Cli, demo: dict[str, bytes]) -> None:
    cli("blobs", "migrate", "--to", "fastdfs")
    copies = dict(cli.server.files)
    references = cli.referenced()

    output = cli("blobs", "migrate", "--to", "fastdfs")

    assert "copied 0," in output
    assert f"already in fastdfs {len(demo)}" in output
    assert cli.server.files == copies
    assert cli.referenced() == references


def test_an_interrupted_migration_resumes_without_duplicates(
    cli: Cli, demo: dict[str, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = BlobMigration.copy
    calls = 0

    async def ctrl_c_after_five(self: BlobMigration, file_id: str) -> Outcome:
        nonlocal calls
        calls += 1
        if calls > 5:
            raise KeyboardInterrupt
        return await copy(self, file_id)

    monkeypatch.setattr(BlobMigration, "copy", ctrl_c_after_five)
    output = cli("blobs", "migrate", "--to", "fastdfs", code=130)
    monkeypatch.setattr(BlobMigration, "copy", copy)

    assert "run the command again" in output
    assert len(cli.server.files) == 5
    assert sum(is_file_id(f) for f in cli.referenced()) == 5

    output = cli("blobs", "migrate", "--to", "fastdfs")

    assert f"copied {len(demo) - 5}, already in fastdfs 5" in output
    assert len(cli.server.files) == len(demo)  # nothing stored twice
    assert sorted(cli.server.files.values()) == sorted(demo.values())
    assert sorted(cli.server.files) == cli.referenced()


def test_a_migration_stopped_by_fastdfs_going_down_resumes(cli: Cli, demo: dict[str, bytes]) -> None:
    def tracker_dies_after_seven(file_id: str, outcome: Outcome) -> None:
        if len(cli.server.files) == 7:
            cli.server.stop_tracker()

    async def migrate(c: Container) -> None:
        await c.migration_to_fastdfs().run(on_file=tracker_dies_after_seven)

    with pytest.raises(StorageUnavailable):
        cli.with_container(migrate)
    cli.server.start_tracker()
    assert sum(is_file_id(f) for f in cli.referenced()) == 7

    output = cli("blobs", "migrate", "--to", "fastdfs")

    assert f"copied {len(demo) - 7}, already in fastdfs 7" in output
    assert len(cli.server.files) == len(demo)
    assert sorted(cli.server.files) == cli.referenced()


def test_migrate_with_a_limit_and_with_fastdfs_down(cli: Cli, demo: dict[str, bytes]) -> None:
    output = cli("blobs", "migrate", "--to", "fastdfs", "--limit", "3")
    assert (
        f"copied 3, already in fastdfs 0, missing 0, no longer referred to 0, left for a later run {len(demo) - 3}"
        in output
    )

    cli.server.stop_tracker()
    output = cli("blobs", "migrate", "--to", "fastdfs", code=69)  # a service does not answer
    assert "storage_unavailable" in output
    assert len(cli.server.files) == 3


def test_migrate_reports_a_file_missing_from_the_local_store(cli: Cli, demo: dict[str, bytes]) -> None:
    gone = next(iter(demo))
    (cli.media / gone).unlink()

    output = cli("blobs", "migrate", "--to", "fastdfs")

    assert f"missing {gone}" in output
    assert f"copied {len(demo) - 1}, already in fastdfs 0, missing 1" in output
    assert gone in cli.referenced()


def test_migrate_help_says_the_local_files_are_kept(cli: Cli) -> None:
    assert "The local files are kept" in cli("blobs", "migrate", "--help")


# --- put and rm ----------------------------------------------------------------------------------


def test_put_and_rm_on_the_local_store(cli: Cli, tmp_path: Path) -> None:
    source = tmp_path / "photo.PNG"
    source.write_bytes(png())

    file_id, url = cli("blobs", "put", str(source)).split()

    assert file_id.endswith(".png")
    assert url == f"/media/{file_id}"
    assert (cli.media / file_id).read_bytes() == png()
    assert f"deleted {file_id}" in cli("blobs", "rm", file_id)
    assert not (cli.media / file_id).exists()
    assert "not_found" in cli("blobs", "rm", file_id, code=1)


def test_put_and_rm_on_fastdfs(cli: Cli, tmp_path: Path) -> None:
    cli.use_fastdfs()
    source = tmp_path / "manual.pdf"
    source.write_bytes(b"%PDF-1.4")

    file_id, url = cli("blobs", "put", str(source)).split()

    assert cli.server.files[file_id] == b"%PDF-1.4"
    assert url == f"{IMAGE_BASE_URL}/{file_id}"
    cli("blobs", "rm", file_id)
    assert cli.server.files == {}


def test_put_needs_an_extension(cli: Cli, tmp_path: Path) -> None:
    source = tmp_path / "README"
    source.write_text("x")

    assert "extension" in cli("blobs", "put", str(source), code=1)


def test_rm_keeps_a_file_the_shop_refers_to_unless_forced(cli: Cli, demo: dict[str, bytes]) -> None:
    file_id = next(iter(demo))

    output = cli("blobs", "rm", file_id, code=1)

    assert "conflict" in output
    assert (cli.media / file_id).is_file()
    cli("blobs", "rm", "--force", file_id)
    assert not (cli.media / file_id).exists()


# --- catalog add-image ----------------------------------------------------------------------------


def test_catalog_add_image_stores_in_fastdfs(cli: Cli, tmp_path: Path) -> None:
    cli.use_fastdfs()

    async def given_sku(c: Container) -> int:
        admin = c.catalog_admin()
        await admin.add_category("智能设备", "intelligence")
        product = await admin.upsert_product(
            ProductSpec("intelligence", "iPhone 14", "iPhone 14 Pro", [SkuSpec("1.00", 1)])
        )
        return product.skus[0].id

    sku_id = cli.with_container(given_sku)
    source = tmp_path / "photo.png"
    source.write_bytes(png("green"))

    output = cli("catalog", "add-image", str(sku_id), str(source))

    (file_id,) = cli.server.files
    assert file_id in output
    assert cli.server.files[file_id] == png("green")
    assert file_id in cli.referenced()
    detail = cli.with_container(lambda c: c.catalog().detail(1))
    assert detail.images == [f"{IMAGE_BASE_URL}/{file_id}"]

    assert "not_found" in cli("catalog", "add-image", "999", str(source), code=1)
    assert list(cli.server.files) == [file_id]  # the upload for the unknown sku was removed
