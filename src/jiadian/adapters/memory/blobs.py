"""A blob store in memory: the `BlobStore` contract with a dict for a disk, for tests and experiments."""

from __future__ import annotations

import re
import secrets

from jiadian.domain.errors import NotFound, ValidationFailed

_EXTENSION = re.compile(r"^[a-z0-9]{0,6}$")


class MemoryBlobStore:
    def __init__(self, base_url: str = "/media", prefix: str = "mem") -> None:
        self._base_url = base_url.rstrip("/")
        self._prefix = prefix  # file ids are "<prefix>/<32 hex digits>.<extension>"
        self.files: dict[str, bytes] = {}  # file id -> content

    async def save(self, data: bytes, extension: str) -> str:
        extension = extension.lower().removeprefix(".")
        if not _EXTENSION.match(extension):
            raise ValidationFailed("文件扩展名不合法", extension=extension)
        name = secrets.token_hex(16)
        file_id = f"{self._prefix}/{name}" + (f".{extension}" if extension else "")
        self.files[file_id] = bytes(data)
        return file_id

    async def open(self, file_id: str) -> bytes:
        try:
            return self.files[file_id]
        except KeyError:
            raise NotFound("文件", file_id) from None

    async def delete(self, file_id: str) -> None:
        if self.files.pop(file_id, None) is None:
            raise NotFound("文件", file_id)

    def url(self, file_id: str) -> str:
        return f"{self._base_url}/{file_id}"

    async def ping(self) -> None:
        return None
