"""The app's request class: JSON bodies nested past a depth answer 400, and a client that leaves mid-body is
a `ClientDisconnected` (logged at debug, never a 500).

msgspec decodes a deeply nested body by recursion and fails with a RecursionError (`[` × 1000, 2 KB,
to any JSON route); the depth is checked on the raw bytes first. Counting brackets is done by C code
(`bytes.count`), so an ordinary body — fewer brackets than the limit — costs two counts, no scan.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from litestar import Request
from litestar.exceptions import InternalServerException
from litestar.types import Empty

from jiadian.domain.errors import ValidationFailed

DEFAULT_MAX_DEPTH = 32
_OPEN, _CLOSE, _QUOTE, _ESCAPE = frozenset(b"[{"), frozenset(b"]}"), ord('"'), ord("\\")


class ClientDisconnected(Exception):
    """The client closed the connection before its request body had arrived."""


class JsonTooDeep(ValidationFailed):
    def __init__(self, limit: int) -> None:
        super().__init__(f"JSON 嵌套层数不能超过 {limit}", max_depth=limit)


def json_depth_exceeds(body: bytes, limit: int) -> bool:
    """Whether arrays and objects nest deeper than `limit` (brackets inside strings do not count)."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    depth, in_string, escaped = 0, False, False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == _ESCAPE:
                escaped = True
            elif byte == _QUOTE:
                in_string = False
        elif byte == _QUOTE:
            in_string = True
        elif byte in _OPEN:
            depth += 1
            if depth > limit:
                return True
        elif byte in _CLOSE:
            depth -= 1
    return False


class ShopRequest(Request[Any, Any, Any]):
    async def json(self) -> Any:
        if self._json is Empty and self._connection_state.json is Empty:
            limit = self.app.state.get("max_json_depth", DEFAULT_MAX_DEPTH)
            if json_depth_exceeds(await self.body(), limit):
                raise JsonTooDeep(limit)
        return await super().json()

    async def stream(self) -> AsyncGenerator[bytes, None]:
        try:
            async for chunk in super().stream():
                yield chunk
        except InternalServerException as exc:
            if "disconnected" in str(exc.detail):
                raise ClientDisconnected(str(exc.detail)) from exc
            raise
