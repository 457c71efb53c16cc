"""Keeping stored files and the rows that refer to them consistent.

The blob store and the database share no transaction, so the order of the steps is the guarantee:

- a new file is stored first, then the row that refers to it is written; if that write does not
  commit, the new file is deleted again (no orphan);
- a file a row stops referring to (replaced or deleted) is deleted only after that change has
  committed, and only when nothing else still refers to it, e.g. an order line's snapshot (no
  dangling reference).

Deleting is best effort: a store that is down when a file should go leaves the file behind (and a
warning in the log); it never turns a successful change into an error, nor hides the original one.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from jiadian.application.blob_ports import FileReferences
from jiadian.application.ports import BlobStore
from jiadian.application.unit_of_work import UnitOfWork, UnitOfWorkFactory
from jiadian.domain.errors import FileTooLarge, NotFound

log = logging.getLogger(__name__)

T = TypeVar("T")

MAX_IMAGE_BYTES = 3 * 1024 * 1024


def check_image_size(data: bytes, limit: int = MAX_IMAGE_BYTES) -> None:
    """`FileTooLarge` for an image over `limit` bytes (3 MiB)."""
    if len(data) > limit:
        raise FileTooLarge(size=len(data), limit=limit)


def extension_of(file_id: str) -> str:
    """The extension of a file id ("ab/cd.png" -> "png"); "" when it has none."""
    name = file_id.rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[1].lower() if "." in name else ""


@dataclass(frozen=True, slots=True)
class Written(Generic[T]):
    """What a write that refers to a new file answers, and the file it stopped referring to."""

    value: T
    replaced: str = ""


async def discard(blobs: BlobStore, file_id: str) -> None:
    """Delete a file, best effort: a missing file is fine, a failing store is logged."""
    if not file_id:
        return
    try:
        await blobs.delete(file_id)
    except NotFound:
        pass
    except Exception:
        log.warning("could not delete file %s; it is left behind", file_id, exc_info=True)


async def release(blobs: BlobStore, references: FileReferences | None, file_id: str) -> None:
    """Delete a file that a committed change stopped referring to, unless something still does."""
    if not file_id:
        return
    if references is not None:
        try:
            if await references.count(file_id) > 0:
                return
        except Exception:
            log.warning("could not count references to %s; the file is kept", file_id, exc_info=True)
            return
    await discard(blobs, file_id)


async def write_with_new_file(
    blobs: BlobStore,
    uow: UnitOfWorkFactory,
    data: bytes,
    extension: str,
    write: Callable[[UnitOfWork, str], Awaitable[Written[T]]],
    references: FileReferences | None = None,
) -> T:
    """Store `data`, then run `write(uow, file_id)` in one transaction and commit it.

    Not committed (an error, a cancellation): the new file is deleted and the error goes on.
    Committed: the file the write replaced, if any, is released.
    """
    file_id = await blobs.save(data, extension)
    committed = False
    replaced = ""
    try:
        async with uow() as unit:
            written = await write(unit, file_id)
            await unit.commit()
            committed, replaced = True, written.replaced
    finally:
        if not committed:
            await discard(blobs, file_id)
        elif replaced and replaced != file_id:
            await release(blobs, references, replaced)
    return written.value
