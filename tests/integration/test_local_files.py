"""The local-directory blob store of the embedded default."""

from __future__ import annotations

from pathlib import Path

import pytest

from jiadian.adapters.local_files import LocalBlobStore
from jiadian.domain.errors import NotFound, ValidationFailed


@pytest.fixture
def store(tmp_path: Path) -> LocalBlobStore:
    return LocalBlobStore(tmp_path / "media", "/media/")


async def test_save_open_delete(store: LocalBlobStore, tmp_path: Path) -> None:
    file_id = await store.save(b"\x89PNG data", "png")
    assert file_id.endswith(".png")
    assert (tmp_path / "media" / file_id).read_bytes() == b"\x89PNG data"
    assert await store.open(file_id) == b"\x89PNG data"
    await store.delete(file_id)
    assert not (tmp_path / "media" / file_id).exists()
    with pytest.raises(NotFound):
        await store.open(file_id)


async def test_every_file_gets_its_own_id(store: LocalBlobStore) -> None:
    ids = {await store.save(b"same bytes", "jpg") for _ in range(5)}
    assert len(ids) == 5
    for file_id in ids:
        assert await store.open(file_id) == b"same bytes"
    assert [p.name for p in store.root.rglob("*.part")] == []  # no half-written files left


async def test_extensions_are_normalised_or_refused(store: LocalBlobStore) -> None:
    assert (await store.save(b"x", ".PNG")).endswith(".png")
    for bad in ("", "../png", "p/ng", "toolong", "pn g"):
        with pytest.raises(ValidationFailed):
            await store.save(b"x", bad)


async def test_url(store: LocalBlobStore) -> None:
    file_id = await store.save(b"x", "gif")
    assert store.url(file_id) == f"/media/{file_id}"
    assert LocalBlobStore(Path("/tmp/x"), "https://cdn.example.com/m").url("ab/c.png") == (
        "https://cdn.example.com/m/ab/c.png"
    )


@pytest.mark.parametrize(
    "bad",
    [
        "../secret.png",
        "../../etc/passwd",
        "/etc/passwd",
        "ab/../../x.png",
        "ab/0123456789abcdef0123456789abcdef.png/..",
        "AB/0123456789ABCDEF0123456789ABCDEF.png",
        "ab/0123456789abcdef0123456789abcdef",
        "ab\\0123456789abcdef0123456789abcdef.png",
        "",
    ],
)
async def test_ids_that_are_not_ours_are_refused(store: LocalBlobStore, tmp_path: Path, bad: str) -> None:
    (tmp_path / "secret.png").write_bytes(b"secret")
    with pytest.raises(NotFound):
        await store.open(bad)
    with pytest.raises(NotFound):
        await store.delete(bad)
    assert (tmp_path / "secret.png").read_bytes() == b"secret"


async def test_missing_files_are_not_found(store: LocalBlobStore) -> None:
    missing = "ab/0123456789abcdef0123456789abcdef.png"
    with pytest.raises(NotFound):
        await store.open(missing)
    with pytest.raises(NotFound):
        await store.delete(missing)
