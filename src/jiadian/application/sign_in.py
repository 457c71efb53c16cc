"""Sign-in held to failure limits, against password guessing.

Failed sign-ins are counted per username and per client IP over a sliding window; past either
limit the next attempt answers `RateLimited` (HTTP 429 `rate_limited` with Retry-After) without
checking the password. Successful sign-ins do not count. The counters are the shop's code store's
send histories (memory in the embedded default, Redis in production, shared by every worker), read
with the shop's clock, so a test can move time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from jiadian.application.accounts import Accounts
from jiadian.application.accounts_ports import CodeStore, SendSlot
from jiadian.application.ports import Clock
from jiadian.domain.accounts import User
from jiadian.domain.errors import InvalidCredentials, RateLimited


@dataclass(frozen=True, slots=True)
class LoginLimits:
    max_failures_per_user: int = 5
    max_failures_per_client: int = 20
    window_seconds: int = 15 * 60


def check_login_allowed(
    now: datetime,
    failures: tuple[datetime, ...],
    limit: int,
    window: timedelta,
    message: str = "登录失败次数过多，请稍后再试",
) -> None:
    """At most `limit` failures within `window`; `RateLimited` until enough of them have aged out."""
    recent = sorted(t for t in failures if now - t < window)
    if len(recent) >= limit:
        frees_at = recent[len(recent) - limit] + window  # the failure whose expiry brings it under the limit
        wait = max(1, int((frees_at - now).total_seconds() + 0.999))
        raise RateLimited(wait, message)


@dataclass(frozen=True)
class SignIn:
    accounts: Accounts
    attempts: CodeStore  # its per-client send histories serve as failure histories
    clock: Clock
    limits: LoginLimits

    async def login(self, username: str, password: str, client: str) -> User:
        """`Accounts.login`, unless `username` or `client` (the caller's IP) failed too often lately."""
        now = self.clock.now()
        window = timedelta(seconds=self.limits.window_seconds)
        checks = (
            (f"login-user:{username}", self.limits.max_failures_per_user),
            (f"login-ip:{client}", self.limits.max_failures_per_client),
        )
        slots: list[SendSlot] = []
        try:
            for key, limit in checks:
                slots.append(
                    await self.attempts.reserve_send(key, now=now, window_seconds=self.limits.window_seconds)
                )
                check_login_allowed(now, slots[-1].earlier, limit, window)
            user = await self.accounts.login(username, password)
        except InvalidCredentials:
            raise  # the reserved slots stay: this failure counts
        except BaseException:
            for slot in slots:  # refused or broken attempts do not count
                await self.attempts.release_send(slot)
            raise
        for slot in slots:
            await self.attempts.release_send(slot)
        return user
