"""One place that turns every error of a `jiadian` command into one line, a stable code and an exit status.

The root group (`ShopGroup`) runs every command through `failure_of`; a command only raises. Its answer
on stderr is `error [code] detail`, never a traceback (the traceback goes to the log at DEBUG level:
`JIADIAN_LOG_LEVEL=DEBUG`). Exit statuses:

| status | when |
|---|---|
| 1 | the shop refused (a domain error: not found, a conflict, bad input), or an OS error on a file |
| 2 | the command line is wrong (click's usage errors), or an unknown migration revision |
| 69 | a service does not answer (the database, Redis) |
| 70 | anything else (a defect: the log has the traceback) |
| 78 | the settings are wrong (a `JIADIAN_*` variable), or the database has no schema yet |
| 130 | interrupted (Ctrl-C) |
"""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import typer
from alembic.util.exc import CommandError
from pydantic import ValidationError
from pydantic_settings import SettingsError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rich.console import Console
from rich.markup import escape
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from typer.core import TyperGroup

from jiadian.domain.errors import DomainError, ServiceUnavailable
from jiadian.logs import configure_logging
from jiadian.settings import InsecureSettings, SettingsConflict, describe_settings_error

log = logging.getLogger("jiadian.cli")

USAGE, REFUSED, UNAVAILABLE, DEFECT, CONFIG, INTERRUPTED = 2, 1, 69, 70, 78, 130
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


@dataclass(frozen=True)
class Failure:
    code: str
    detail: str
    status: int


def _usage(exc: typer.TyperException) -> Failure:
    """Typer's (vendored click's) errors: a usage error carries the context of the command it is about."""
    message = exc.format_message()
    ctx = getattr(exc, "ctx", None)
    if ctx is not None:
        message += f" (see `{ctx.command_path} --help`)"
    return Failure("usage_error", message, exc.exit_code)


_NO_TABLE = re.compile(r"no such table|doesn't exist|1146", re.IGNORECASE)
_OUT_OF_RANGE = re.compile(r"out of range|1264|too large", re.IGNORECASE)


def _database(exc: DBAPIError) -> Failure:
    text = str(exc.orig)
    if _NO_TABLE.search(text):
        return Failure(
            "not_migrated",
            "the database has no schema yet: run `jiadian db upgrade` (or `jiadian serve`, which migrates when "
            "JIADIAN_AUTO_MIGRATE is on)",
            CONFIG,
        )
    if _OUT_OF_RANGE.search(text):
        return Failure("validation_error", "数值超出范围", REFUSED)
    if exc.connection_invalidated or isinstance(exc.orig, OSError) or "connect" in text.lower():
        return Failure("database_unavailable", f"the database does not answer: {text}", UNAVAILABLE)
    return Failure("database_error", f"{type(exc.orig).__name__}: {text}", UNAVAILABLE)


def _settings(exc: Exception) -> Failure:
    return Failure("settings", describe_settings_error(exc), CONFIG)


# The first entry whose type matches explains the error; order matters (subclasses first).
EXPLAIN: Sequence[tuple[type[BaseException], Callable[[Any], Failure]]] = [
    (ServiceUnavailable, lambda e: Failure(e.code, e.detail, UNAVAILABLE)),
    (DomainError, lambda e: Failure(e.code, e.detail, REFUSED)),
    (typer.TyperException, _usage),
    (typer.Abort, lambda _e: Failure("aborted", "aborted", REFUSED)),
    (KeyboardInterrupt, lambda _e: Failure("interrupted", "interrupted", INTERRUPTED)),
    (ValidationError, _settings),  # only Settings() validates outside a use case
    (SettingsError, _settings),
    (SettingsConflict, lambda e: Failure("settings", str(e), CONFIG)),
    (InsecureSettings, lambda e: Failure("settings", str(e), CONFIG)),
    (CommandError, lambda e: Failure("migration_error", str(e), USAGE)),
    (DBAPIError, _database),
    (
        PoolTimeoutError,
        lambda e: Failure("database_unavailable", f"no free database connection: {e}", UNAVAILABLE),
    ),
    (
        RedisConnectionError,
        lambda e: Failure("redis_unavailable", f"Redis does not answer: {e}", UNAVAILABLE),
    ),
    (RedisTimeoutError, lambda e: Failure("redis_unavailable", f"Redis does not answer: {e}", UNAVAILABLE)),
    (OverflowError, lambda _e: Failure("validation_error", "数值超出范围", REFUSED)),
    (
        UnicodeDecodeError,
        lambda e: Failure("validation_error", f"文件不是 UTF-8 编码的文本 ({e.reason})", REFUSED),
    ),
    (OSError, lambda e: Failure("os_error", str(e), REFUSED)),
]


def failure_of(exc: BaseException) -> Failure:
    for kind, explain in EXPLAIN:
        if isinstance(exc, kind):
            return explain(exc)
    return Failure(
        "internal_error", f"{type(exc).__name__}: {exc} (JIADIAN_LOG_LEVEL=DEBUG shows where)", DEFECT
    )


def report(failure: Failure, console: Console) -> None:
    # escaped: "[not_found]" would otherwise be read as console markup and vanish; one line, however long
    detail = " ".join(failure.detail.split())
    console.print(f"[red]error[/red] {escape(f'[{failure.code}]')} {escape(detail)}", soft_wrap=True)


def _configure_logging() -> None:
    """A command logs only when asked (JIADIAN_LOG_LEVEL / JIADIAN_LOG_FORMAT set): its output is its
    answer; without them Python shows warnings and errors, as ever."""
    level = os.environ.get("JIADIAN_LOG_LEVEL", "").upper()
    fmt = os.environ.get("JIADIAN_LOG_FORMAT", "").lower()
    if level in LEVELS or fmt in ("text", "json"):
        configure_logging(level if level in LEVELS else "WARNING", fmt if fmt == "json" else "text")


class ShopGroup(TyperGroup):
    """The root `jiadian` group: every command's errors end here, whoever wrote the command."""

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        _configure_logging()
        try:
            result = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except typer.Exit as exc:
            result = exc.exit_code
        except BaseException as exc:
            if isinstance(exc, SystemExit):
                raise
            if (
                type(exc).__name__ == "NoArgsIsHelpError"
            ):  # `jiadian catalog`: the group's help, as click does
                typer.echo(exc.ctx.get_help())  # type: ignore[attr-defined]
                result = USAGE
                return self._finish(result, standalone_mode)
            failure = failure_of(exc)
            log.debug("%s failed", prog_name or "jiadian", exc_info=exc)
            report(failure, Console(stderr=True))
            result = failure.status
        return self._finish(result, standalone_mode)

    @staticmethod
    def _finish(result: Any, standalone_mode: bool) -> Any:
        if not standalone_mode:
            if isinstance(result, int) and result != 0:
                raise typer.Exit(result)
            return result
        sys.exit(result if isinstance(result, int) else 0)
