"""Failure limits of sign-in (and of other proofs of who one is), without a lock-out an attacker can aim.

Failures count against the *account* a name resolves to — the user id, so `Alice`, `ALICE` and
`alice ` (one account on MariaDB, whose collation ignores letter case and trailing spaces) share one
count; a name that resolves to nobody counts under `account_name(name)` — and against the client IP,
in three histories over a sliding window (`LoginLimits`):

- per (account, client): past `max_failures_per_user`, that client is refused for that account (429
  `rate_limited`, Retry-After) until its failures age out. Other clients — the owner at home — are not:
  an attacker's wrong guesses lock out nobody but the attacker;
- per client, whatever the account: past `max_failures_per_client` (a spray over many names), the client
  is refused. Registration's name checks and wrong reset codes count here too (`Attempts.guard`);
- per account, from every client: past `account_failures_before_delay`, each attempt must wait after
  the account's latest failure, a delay that doubles with each further failure up to `max_delay_seconds`.
  Guessing from many addresses slows to one guess per delay; the owner waits at most that long.

Refused attempts and successful sign-ins do not count. The histories are the code store's send
histories (memory in the embedded default, Redis in production, shared by every worker), read with
the shop's clock, so a test can move time.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from jiadian.application.accounts_ports import CodeStore, SendSlot
from jiadian.application.ports import Clock
from jiadian.domain.accounts import User, account_name
from jiadian.domain.errors import DomainError, InvalidCredentials, RateLimited


@dataclass(frozen=True, slots=True)
class LoginLimits:
    max_failures_per_user: int = 5  # per (account, client)
    max_failures_per_client: int = 20
    window_seconds: int = 15 * 60
    account_failures_before_delay: int = 10  # per account, from every client
    max_delay_seconds: int = 60


def _recent(now: datetime, failures: tuple[datetime, ...], window: timedelta) -> list[datetime]:
    return sorted(t for t in failures if now - t < window)


def _seconds(wait: timedelta) -> int:
    return max(1, math.ceil(wait.total_seconds()))


def check_login_allowed(
    now: datetime,
    failures: tuple[datetime, ...],
    limit: int,
    window: timedelta,
    message: str = "登录失败次数过多，请稍后再试",
) -> None:
    """At most `limit` failures within `window`; `RateLimited` until enough of them have aged out."""
    recent = _recent(now, failures, window)
    if len(recent) >= limit:
        frees_at = recent[len(recent) - limit] + window  # the failure whose expiry brings it under the limit
        raise RateLimited(_seconds(frees_at - now), message)


def check_account_delay(now: datetime, failures: tuple[datetime, ...], limits: LoginLimits) -> None:
    """Past the account's bar, an attempt waits 1, 2, 4 … (at most `max_delay_seconds`) seconds after the
    latest failure; `RateLimited` while it has not."""
    recent = _recent(now, failures, timedelta(seconds=limits.window_seconds))
    over = len(recent) - limits.account_failures_before_delay
    if over < 0:
        return
    delay = timedelta(seconds=min(2 ** min(over, 30), limits.max_delay_seconds))
    if now - recent[-1] < delay:
        raise RateLimited(_seconds(recent[-1] + delay - now), "该账号登录失败次数过多，请稍后再试")


def account_key(user: User | None, username: str) -> str:
    """Whose failures an attempt counts as: the user's id, or the name as the database would compare it."""
    return f"user:{user.id}" if user is not None else f"name:{account_name(username)}"


@dataclass(frozen=True)
class Attempts:
    """The failure histories of attempts to prove who one is (sign-in, a password change, a reset code)
    and of registration's name checks."""

    store: CodeStore  # its per-client send histories serve as failure histories
    clock: Clock
    limits: LoginLimits

    @asynccontextmanager
    async def guard(
        self,
        client: str,
        account: str | None = None,
        *,
        failures: tuple[type[DomainError], ...] = (InvalidCredentials,),
    ) -> AsyncIterator[None]:
        """Run the body unless `client` (or `client` on `account`, or `account` at all) failed too often
        lately — then `RateLimited`, and the body does not run. The body raising one of `failures`
        counts as a failure; anything else it does, or raises, does not."""
        slots = await self._admit(client, account)
        try:
            yield
        except failures:
            raise  # the reserved places stay: this failure counts
        except BaseException:
            await self._forget(slots)
            raise
        await self._forget(slots)

    async def _admit(self, client: str, account: str | None) -> list[SendSlot]:
        now, limits = self.clock.now(), self.limits
        window = timedelta(seconds=limits.window_seconds)
        slots: list[SendSlot] = []
        try:
            slots.append(await self._reserve(f"login-ip:{client}", now))
            check_login_allowed(now, slots[-1].earlier, limits.max_failures_per_client, window)
            if account is not None:
                slots.append(await self._reserve(f"login-pair:{account}|{client}", now))
                check_login_allowed(now, slots[-1].earlier, limits.max_failures_per_user, window)
                slots.append(await self._reserve(f"login-account:{account}", now))
                check_account_delay(now, slots[-1].earlier, limits)
        except BaseException:
            await self._forget(slots)  # a refused or broken attempt does not count
            raise
        return slots

    async def _reserve(self, key: str, now: datetime) -> SendSlot:
        return await self.store.reserve_send(key, now=now, window_seconds=self.limits.window_seconds)

    async def _forget(self, slots: list[SendSlot]) -> None:
        for slot in slots:
            await self.store.release_send(slot)
