"""Server-side sessions: a random token (the cookie) → the signed-in user, in a Litestar store (Redis in
production, memory by default), and an index of each user's tokens, so that every session of a user
can be ended at once (after a password reset or change).

A session ends when unused for `ttl_seconds` (each use renews it), `max_age_seconds` after its sign-in
however much it is used, at sign-out, at a new sign-in in the same browser, and when its user's password
is reset or changed. A user's index expires `max_age_seconds` after their latest sign-in (no session of
theirs can be alive then) and is pruned of ended sessions at each sign-in. Sessions stored before the
index existed carry no sign-in time and count as ended: their users sign in once more.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Protocol

from litestar.stores.base import Store

from jiadian.application.ports import Clock
from jiadian.domain.accounts import User

MAX_TOKEN_LENGTH = 100


@dataclass(frozen=True, slots=True)
class SessionUser:
    """Who a session is signed in as. Whether they are an operator is read per request, not kept here."""

    id: int
    username: str


class SessionIndex(Protocol):
    """The tokens of each user's sessions (a superset: ended sessions may linger until pruned)."""

    async def add(self, user_id: int, token: str, *, ttl_seconds: int) -> None:
        """Add a token; the user's index lives at least `ttl_seconds` from now."""
        ...

    async def remove(self, user_id: int, *tokens: str) -> None: ...

    async def tokens(self, user_id: int) -> set[str]: ...


class ServerSessions:
    """Implements `jiadian.application.accounts_ports.SessionRegistry` (and what HTTP needs besides)."""

    def __init__(
        self, store: Store, index: SessionIndex, clock: Clock, *, ttl_seconds: int, max_age_seconds: int
    ) -> None:
        self._store = store
        self._index = index
        self._clock = clock
        self._ttl = ttl_seconds
        self._max_age = max_age_seconds

    async def create(self, user: User, *, replacing: str = "") -> str:
        """A new session of `user`; `replacing` (the browser's earlier session, if any) ends."""
        if replacing:
            await self.destroy(replacing)
        token = secrets.token_urlsafe(32)
        payload = {"id": user.id, "username": user.username, "signed_in": self._clock.now().timestamp()}
        await self._index.add(user.id, token, ttl_seconds=self._max_age)  # first: no session escapes it
        await self._store.set(token, json.dumps(payload), expires_in=self._ttl)
        await self._prune(user.id, keep=token)
        return token

    async def load(self, token: str) -> SessionUser | None:
        """The session's user (the session is renewed), or None when there is no such live session."""
        if not token or len(token) > MAX_TOKEN_LENGTH:
            return None
        raw = await self._store.get(token, renew_for=self._ttl)
        if raw is None:
            return None
        data = json.loads(raw)
        signed_in = data.get("signed_in")
        if (
            not isinstance(signed_in, int | float)
            or self._clock.now().timestamp() - signed_in >= self._max_age
        ):
            await self._store.delete(token)
            return None
        return SessionUser(int(data["id"]), str(data["username"]))

    async def destroy(self, token: str) -> None:
        """End one session (sign-out)."""
        if not token or len(token) > MAX_TOKEN_LENGTH:
            return
        raw = await self._store.get(token)
        await self._store.delete(token)
        if raw is not None:
            await self._index.remove(int(json.loads(raw)["id"]), token)

    async def end_sessions(self, user_id: int, *, keep: str | None = None) -> int:
        ended = [token for token in await self._index.tokens(user_id) if token != keep]
        for token in ended:
            await self._store.delete(token)
        if ended:
            await self._index.remove(user_id, *ended)
        return len(ended)

    async def _prune(self, user_id: int, *, keep: str) -> None:
        gone = [t for t in await self._index.tokens(user_id) if t != keep and not await self._store.exists(t)]
        if gone:
            await self._index.remove(user_id, *gone)

    async def ping(self) -> None:
        await self._store.exists("ping")
