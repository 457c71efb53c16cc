"""Logging for every process of the shop: text or JSON lines, each with the request id it serves.

The request id lives in a context variable: set by the HTTP middleware for each request (from the
`X-Request-ID` header when it is sane, else new), copied by asyncio into the tasks a request starts,
carried in the dramatiq message of every task it schedules, and set again by the worker while the task
runs — so the log lines of a use case, and of the tasks it scheduled, carry the id of the request.

`configure_logging` is called by the entrypoints that own a process (`jiadian serve`'s workers,
`jiadian worker`, and the CLI when asked); nothing configures logging at import.
"""

from __future__ import annotations

import itertools
import json
import logging
import re
import secrets
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import IO, Any

request_id: ContextVar[str | None] = ContextVar("jiadian_request_id", default=None)

_SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


_PROCESS = secrets.token_hex(4)  # random per process: ids of several processes do not collide
_counter = itertools.count(1)


def new_request_id() -> str:
    """Cheap (no system call per request): this process's random prefix and a counter."""
    return f"{_PROCESS}-{next(_counter):x}"


def sane_request_id(value: str | None) -> str:
    """The caller's id when it is short and plain (it ends up in logs), else a new one."""
    return value if value is not None and _SANE_ID.match(value) else new_request_id()


class RequestIdFilter(logging.Filter):
    """Adds `request_id` ("-" outside a request) to every record, for both formats."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get() or "-"
        return True


# The attributes every LogRecord has; anything else was passed with `extra=` and goes into the JSON.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "request_id"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, request_id, and the
    exception's traceback as one string when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"


class StderrHandler(logging.StreamHandler[IO[str]]):
    """Writes to the `sys.stderr` of the moment, not of its creation: a handler made while stderr was
    replaced (a test's capture, later closed) never writes to a closed file."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> IO[str]:
        return sys.stderr

    @stream.setter
    def stream(self, _value: IO[str]) -> None:
        return None


def configure_logging(level: str = "INFO", fmt: str = "text") -> None:
    """One handler on the root logger (replacing the ones this function installed before)."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "jiadian", False)]:
        root.removeHandler(handler)
    handler = StderrHandler()
    handler.jiadian = True  # type: ignore[attr-defined]
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    root.addHandler(handler)
    root.setLevel(level)
    # uvicorn's loggers have no handlers of their own (`log_config=None`) and reach this one; its access
    # log stays as `jiadian serve` set it: off (a line per request costs more than the request).
