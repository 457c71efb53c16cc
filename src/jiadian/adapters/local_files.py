"""The local-directory blob store of the embedded default, served by the app under `/media/`."""

from __future__ import annotations

import asyncio
import os
import re
import secrets
from pathlib import Path

from jiadian.domain.errors import NotFound, StorageUnavailable, ValidationFailed

_FILE_ID = re.compile(r"^[0-9a-f]{2}/[0-9a-f]{32}\.[a-z0-9]{1,5}$")
_EXTENSION = re.compile(r"^[a-z0-9]{1,5}$")


class LocalBlobStore:
    def __init__(self, root: Path, base_url: str = "/media") -> None:
        self._root = root
        self._base_url = base_url.rstrip("/")

    def _path(self, file_id: str) -> Path:
        if not _FILE_ID.match(file_id):
            raise NotFound("文件", file_id)
        return self._root / file_id

    async def save(self, data: bytes, extension: str) -> str:
        extension = extension.lower().lstrip(".")
        if not _EXTENSION.match(extension):
            raise ValidationFailed("文件扩展名不合法", extension=extension)
        name = secrets.token_hex(16)
        file_id = f"{name[:2]}/{name}.{extension}"
        path = self._root / file_id

        def write() -> None:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".part")
            tmp.write_bytes(data)
            tmp.replace(path)

        try:
            await asyncio.to_thread(write)
        except OSError as exc:
            raise StorageUnavailable(f"无法保存文件: {exc.strerror}") from exc
        return file_id

    async def open(self, file_id: str) -> bytes:
        path = self._path(file_id)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError as exc:
            raise NotFound("文件", file_id) from exc
        except OSError as exc:
            raise StorageUnavailable(f"无法读取文件: {exc.strerror}") from exc

    async def delete(self, file_id: str) -> None:
        path = self._path(file_id)
        try:
            await asyncio.to_thread(path.unlink)
        except FileNotFoundError as exc:
            raise NotFound("文件", file_id) from exc
        except OSError as exc:
            raise StorageUnavailable(f"无法删除文件: {exc.strerror}") from exc

    def url(self, file_id: str) -> str:
        return f"{self._base_url}/{file_id}"

    async def ping(self) -> None:
        """The directory exists (or can be made) and this process may write into it."""

        def check() -> bool:
            self._root.mkdir(parents=True, exist_ok=True)
            return os.access(self._root, os.W_OK | os.X_OK)

        try:
            writable = await asyncio.to_thread(check)
        except OSError as exc:
            raise StorageUnavailable(f"无法使用文件目录: {exc.strerror}") from exc
        if not writable:
            raise StorageUnavailable("文件目录不可写")

    @property
    def root(self) -> Path:
        return self._root
