"""Moving referenced files to another store, and putting/removing files by hand, on the in-memory adapters."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from dependency_injector import providers
from tests.catalog_support import product, sku
from tests.files_support import png

from jiadian.adapters.memory.blobs import MemoryBlobStore
from jiadian.adapters.memory.files import MemoryFileReferences
from jiadian.adapters.memory.state import MemoryState
from jiadian.application.blobs import BlobFiles, BlobMigration, Outcome
from jiadian.application.catalog_admin import CatalogAdmin
from jiadian.container import Container
from jiadian.domain.errors import Conflict, NotFound, StorageUnavailable


@dataclass
class World:
    admin: CatalogAdmin
    state: MemoryState
    references: MemoryFileReferences
    local: MemoryBlobStore
    remote: MemoryBlobStore

    def migration(self) -> BlobMigration:
        return BlobMigration(self.references, self.local, self.remote, lambda f: f.startswith("dfs/"))

    async def referenced(self) -> list[str]:
        return await self.references.file_ids()


@pytest.fixture
async def world(memory: tuple[Container, MemoryState]) -> World:
    """A category, a product with two images on one sku, and two banners: five files, all local."""
    container, state = memory
    local, remote = MemoryBlobStore(prefix="local"), MemoryBlobStore(prefix="dfs")
    container.blobs.override(providers.Object(local))
    admin = container.catalog_admin()
    await admin.add_category("智能设备", "intelligence", await local.save(png("gray"), "png"))
    created = await admin.upsert_product(
        product("intelligence", "iPhone 14", "iPhone 14 Pro", sku("8888.00"))
    )
    await admin.add_sku_image(created.skus[0].id, png("red"), "png")
    await admin.add_sku_image(created.skus[0].id, png("green"), "png")
    await admin.upload_banner("一", png("blue"), "png")
    await admin.upload_banner("二", png("white"), "png")
    return World(admin, state, container.file_references(), local, remote)


async def test_every_referenced_file_is_copied_and_every_reference_rewritten(world: World) -> None:
    before = {file_id: world.local.files[file_id] for file_id in await world.referenced()}

    report = await world.migration().run()

    assert (report.total, report.copied, report.skipped, report.missing) == (5, 5, 0, [])
    after = await world.referenced()
    assert all(f.startswith("dfs/") for f in after)
    assert sorted(world.remote.files.values()) == sorted(before.values())
    assert sorted(after) == sorted(world.remote.files)
    assert world.local.files.keys() >= before.keys()  # the local files are kept


async def test_a_second_run_copies_nothing(world: World) -> None:
    await world.migration().run()
    copies = dict(world.remote.files)

    report = await world.migration().run()

    assert (report.copied, report.skipped) == (0, 5)
    assert world.remote.files == copies


async def test_a_run_stopped_half_way_is_completed_by_the_next(world: World) -> None:
    seen: list[str] = []

    def stop_after_two(file_id: str, outcome: Outcome) -> None:
        seen.append(file_id)
        if len(seen) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        await world.migration().run(on_file=stop_after_two)
    assert len(world.remote.files) == 2

    report = await world.migration().run()

    assert (report.copied, report.skipped) == (3, 2)
    assert len(world.remote.files) == 5  # no file copied twice
    assert sorted(await world.referenced()) == sorted(world.remote.files)


async def test_limit_copies_at_most_n_files(world: World) -> None:
    started: list[int] = []

    report = await world.migration().run(limit=2, on_start=started.append)

    assert started == [2]
    assert (report.copied, report.pending) == (2, 3)
    assert len(world.remote.files) == 2


async def test_a_file_missing_from_the_source_is_reported_and_left_alone(world: World) -> None:
    await world.admin.add_banner("旧图", "local/0123456789abcdef0123456789abcdef.png")

    report = await world.migration().run()

    assert report.missing == ["local/0123456789abcdef0123456789abcdef.png"]
    assert report.copied == 5
    assert "local/0123456789abcdef0123456789abcdef.png" in await world.referenced()


async def test_a_copy_whose_references_cannot_be_rewritten_is_deleted(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def database_down(old: str, new: str) -> int:
        raise ConnectionError("database down")

    monkeypatch.setattr(world.references, "rewrite", database_down)

    with pytest.raises(ConnectionError):
        await world.migration().run()

    assert world.remote.files == {}


async def test_a_file_no_longer_referred_to_is_not_kept_in_the_target(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def gone(old: str, new: str) -> int:
        return 0

    monkeypatch.setattr(world.references, "rewrite", gone)

    report = await world.migration().run()

    assert report.vanished == 5
    assert world.remote.files == {}


async def test_a_store_failure_stops_the_run_with_what_was_done_in_place(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    saves = 0
    save = world.remote.save

    async def failing_third(data: bytes, extension: str) -> str:
        nonlocal saves
        saves += 1
        if saves == 3:
            raise StorageUnavailable(operation="save")
        return await save(data, extension)

    monkeypatch.setattr(world.remote, "save", failing_third)

    with pytest.raises(StorageUnavailable):
        await world.migration().run()

    referenced = await world.referenced()
    assert sum(f.startswith("dfs/") for f in referenced) == 2
    assert all(f in world.local.files or f in world.remote.files for f in referenced)


# --- put and remove by hand ----------------------------------------------------------------------


async def test_put_answers_the_file_id_and_its_url(world: World) -> None:
    files = BlobFiles(world.local, world.references)

    stored = await files.put(b"%PDF-1.4", "pdf")

    assert world.local.files[stored.file_id] == b"%PDF-1.4"
    assert stored.url == f"/media/{stored.file_id}"


async def test_remove_refuses_a_file_the_shop_refers_to_unless_forced(world: World) -> None:
    files = BlobFiles(world.local, world.references)
    (banner, *_) = await world.admin.banners()

    with pytest.raises(Conflict):
        await files.remove(banner.image)
    assert banner.image in world.local.files

    await files.remove(banner.image, force=True)
    assert banner.image not in world.local.files


async def test_remove_deletes_an_unreferenced_file_and_a_missing_one_is_not_found(world: World) -> None:
    files = BlobFiles(world.local, world.references)
    stored = await files.put(b"x", "txt")

    await files.remove(stored.file_id)

    assert stored.file_id not in world.local.files
    with pytest.raises(NotFound):
        await files.remove(stored.file_id)
