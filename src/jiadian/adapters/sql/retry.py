"""Run a transaction again when the database says it lost a race (tenacity, with jittered backoff).

MySQL/MariaDB: 1213 deadlock (the server rolled the transaction back) and 1205 lock wait timeout.
SQLite: "database is locked" (the busy timeout ran out). Anything else is not retried.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.exc import DBAPIError
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_random_exponential,
)

from jiadian.domain.errors import ServiceUnavailable

T = TypeVar("T")
log = logging.getLogger(__name__)

MYSQL_DEADLOCK = 1213
MYSQL_LOCK_WAIT_TIMEOUT = 1205


def is_transient(exc: BaseException) -> bool:
    """True for a database error that a fresh try of the same transaction may not meet again."""
    if not isinstance(exc, DBAPIError) or exc.connection_invalidated:
        return False
    args = getattr(exc.orig, "args", ())
    if args and args[0] in (MYSQL_DEADLOCK, MYSQL_LOCK_WAIT_TIMEOUT):
        return True
    return "database is locked" in str(exc.orig)


def _log_retry(state: RetryCallState) -> None:
    exc = state.outcome.exception() if state.outcome else None
    log.info("transaction lost a race (%s); try %d", type(exc).__name__, state.attempt_number + 1)


class DatabaseRetry:
    """`TransactionRetry` for the SQL unit of work (harmless on the in-memory one: nothing to retry)."""

    def __init__(self, attempts: int = 8, max_wait: float = 0.25) -> None:
        self._attempts = attempts
        self._max_wait = max_wait

    async def run(self, attempt: Callable[[], Awaitable[T]]) -> T:
        retrying = AsyncRetrying(
            retry=retry_if_exception(is_transient),
            stop=stop_after_attempt(self._attempts),
            wait=wait_random_exponential(multiplier=0.005, max=self._max_wait),
            before_sleep=_log_retry,
            reraise=True,
        )
        try:
            async for trying in retrying:
                with trying:
                    return await attempt()
        except DBAPIError as exc:
            if is_transient(exc):
                raise ServiceUnavailable("系统繁忙，请稍后再试", reason="contention") from exc
            raise
        raise AssertionError("unreachable")  # pragma: no cover - tenacity either returns or raises
