"""The operator's file use cases: put and remove files, and move every referenced file to another store."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from jiadian.application.audit import audit_after
from jiadian.application.blob_ports import FileReferences
from jiadian.application.files import discard, extension_of
from jiadian.application.ports import BlobStore
from jiadian.application.unit_of_work import UnitOfWorkFactory
from jiadian.domain.audit import SYSTEM, Actor, target
from jiadian.domain.errors import Conflict, NotFound


@dataclass(frozen=True, slots=True)
class StoredFile:
    file_id: str
    url: str


@dataclass(frozen=True)
class BlobFiles:
    """Files in the configured blob store, by hand."""

    blobs: BlobStore
    references: FileReferences
    uow: UnitOfWorkFactory | None = None  # where the audit log is written (none: not written)

    async def put(self, data: bytes, extension: str) -> StoredFile:
        file_id = await self.blobs.save(data, extension)
        return StoredFile(file_id, self.blobs.url(file_id))

    async def remove(self, file_id: str, *, force: bool = False, by: Actor = SYSTEM) -> None:
        """Delete a file; one the shop still refers to is refused (it would dangle) unless `force`.

        The store has no transaction: the audit log's entry is written once the file is gone."""
        used = await self.references.count(file_id)
        if used and not force:
            raise Conflict(f"文件仍被 {used} 处引用，未删除", file_id=file_id, references=used)
        await self.blobs.delete(file_id)
        await audit_after(self.uow, by, "file.delete", target("file", file_id), {"references": used}, None)


class Outcome(StrEnum):
    COPIED = "copied"  # stored in the target, every reference rewritten
    MISSING = "missing"  # referred to, but the source has no such file: left as it is
    VANISHED = "vanished"  # no longer referred to by the time it was copied: the copy was deleted


@dataclass(slots=True)
class MigrationReport:
    total: int = 0  # distinct files referred to
    skipped: int = 0  # already in the target
    copied: int = 0
    missing: list[str] = field(default_factory=list)
    vanished: int = 0

    @property
    def pending(self) -> int:
        """Files this run left for a later one (stopped by a limit)."""
        return self.total - self.skipped - self.copied - len(self.missing) - self.vanished


@dataclass(frozen=True)
class BlobMigration:
    """Copy every file the shop refers to from `source` into `target`, rewriting the references.

    Idempotent: a reference `in_target` already is skipped. Resumable: each file is copied and
    its references rewritten (one transaction) before the next one, so a run that stops — an
    error, Ctrl-C, a limit — leaves every reference pointing at a complete file, and the next run
    continues with the files left. A copy whose references could not be rewritten is deleted
    from the target again. The source's files are never deleted.
    """

    references: FileReferences
    source: BlobStore
    target: BlobStore
    in_target: Callable[[str], bool]
    uow: UnitOfWorkFactory | None = None  # where the audit log is written (none: not written)

    async def pending(self) -> tuple[list[str], int]:
        """The referenced files still to copy, and how many are in the target already."""
        file_ids = await self.references.file_ids()
        todo = [f for f in file_ids if not self.in_target(f)]
        return todo, len(file_ids) - len(todo)

    async def copy(self, file_id: str) -> Outcome:
        """Copy one file and rewrite its references."""
        try:
            data = await self.source.open(file_id)
        except NotFound:
            return Outcome.MISSING
        new_id = await self.target.save(data, extension_of(file_id))
        try:
            changed = await self.references.rewrite(file_id, new_id)
        except BaseException:
            await discard(self.target, new_id)
            raise
        if not changed:
            await discard(self.target, new_id)
            return Outcome.VANISHED
        return Outcome.COPIED

    async def run(
        self,
        *,
        limit: int | None = None,
        on_start: Callable[[int], None] = lambda _total: None,
        on_file: Callable[[str, Outcome], None] = lambda _file_id, _outcome: None,
        by: Actor = SYSTEM,
    ) -> MigrationReport:
        """Copy the files left (at most `limit`); `on_start(count)` first, `on_file` after each; what it
        came to is written to the audit log after (each file's references were rewritten in a
        transaction of their own)."""
        todo, done = await self.pending()
        report = MigrationReport(total=len(todo) + done, skipped=done)
        if limit is not None:
            todo = todo[:limit]
        on_start(len(todo))
        for file_id in todo:
            outcome = await self.copy(file_id)
            if outcome is Outcome.COPIED:
                report.copied += 1
            elif outcome is Outcome.MISSING:
                report.missing.append(file_id)
            else:
                report.vanished += 1
            on_file(file_id, outcome)
        summary = {"copied": report.copied, "missing": len(report.missing), "vanished": report.vanished}
        if report.copied or report.missing or report.vanished:
            await audit_after(self.uow, by, "file.migrate", target("files", "all"), None, summary)
        return report
