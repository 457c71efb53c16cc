"""Server-side sessions, created at login only (anonymous requests never touch the store).

The cookie holds a random token; the store (Redis in production, memory by default) maps it to the
signed-in user. Logout deletes the entry, so a copied cookie stops working at once.
"""

from __future__ import annotations

import json
import logging
import secrets
from dataclasses import dataclass
from typing import Any

from litestar import Request, Response
from litestar.datastructures import Cookie
from litestar.di import NamedDependency
from litestar.stores.base import Store
from redis.exceptions import RedisError

from jiadian.domain.accounts import User
from jiadian.domain.audit import Actor
from jiadian.domain.errors import Forbidden, NotAuthenticated

SESSION_COOKIE = "jiadian_session"
log = logging.getLogger("jiadian.http")


@dataclass(frozen=True, slots=True)
class AuthUser:
    id: int
    username: str
    is_admin: bool

    @property
    def actor(self) -> Actor:
        """This user as the audit log names whoever makes a change."""
        return Actor.operator(self.id, self.username)


class Sessions:
    def __init__(self, store: Store, *, ttl_seconds: int, secure: bool) -> None:
        self._store = store
        self._ttl = ttl_seconds
        self._secure = secure

    async def create(self, user: User) -> str:
        token = secrets.token_urlsafe(32)
        payload = json.dumps({"id": user.id, "username": user.username, "is_admin": user.is_admin})
        await self._store.set(token, payload, expires_in=self._ttl)
        return token

    async def load(self, token: str) -> AuthUser | None:
        if not token or len(token) > 100:
            return None
        raw = await self._store.get(token, renew_for=self._ttl)
        if raw is None:
            return None
        data = json.loads(raw)
        return AuthUser(int(data["id"]), str(data["username"]), bool(data["is_admin"]))

    async def destroy(self, token: str) -> None:
        if token:
            await self._store.delete(token)

    def cookie(self, token: str) -> Cookie:
        return Cookie(
            key=SESSION_COOKIE,
            value=token,
            max_age=self._ttl,
            httponly=True,
            samesite="lax",
            secure=self._secure,
            path="/",
        )

    def expired_cookie(self) -> Cookie:
        return Cookie(key=SESSION_COOKIE, value="", max_age=0, httponly=True, samesite="lax", path="/")

    async def ping(self) -> None:
        await self._store.exists("ping")


def session_token(request: Request[Any, Any, Any]) -> str:
    return request.cookies.get(SESSION_COOKIE, "")


async def optional_user(
    request: Request[Any, Any, Any], sessions: NamedDependency[Sessions]
) -> AuthUser | None:
    """The signed-in user, or None for an anonymous request."""
    token = session_token(request)
    return await sessions.load(token) if token else None


async def viewer(request: Request[Any, Any, Any], sessions: NamedDependency[Sessions]) -> AuthUser | None:
    """`optional_user` for pages anyone may see: a session store that does not answer makes the viewer
    anonymous (the page still serves, nothing is granted) instead of failing the page."""
    try:
        return await optional_user(request, sessions)
    except (RedisError, OSError) as exc:
        log.warning(
            "session store unavailable (%s): serving %s anonymously", type(exc).__name__, request.url.path
        )
        return None


async def current_user(request: Request[Any, Any, Any], sessions: NamedDependency[Sessions]) -> AuthUser:
    """The signed-in user; 401 `not_authenticated` otherwise."""
    user = await optional_user(request, sessions)
    if user is None:
        raise NotAuthenticated()
    return user


async def current_admin(request: Request[Any, Any, Any], sessions: NamedDependency[Sessions]) -> AuthUser:
    user = await current_user(request, sessions)
    if not user.is_admin:
        raise Forbidden()
    return user


def with_cookie(response: Response[Any], cookie: Cookie) -> Response[Any]:
    response.cookies.append(cookie)
    return response
