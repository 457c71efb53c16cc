"""Sessions over HTTP: the cookie, and who the request is from.

The cookie holds a random token; `jiadian.adapters.sessions.ServerSessions` maps it to the signed-in
user (Redis in production, memory by default). Sessions are created at sign-in only (anonymous
requests never touch the store); sign-out deletes the entry, so a copied cookie stops working at once.
Whether a user is an operator is read from the database at every admin request, so making or unmaking
an operator counts from their next request.
"""

from __future__ import annotations

import logging
from typing import Any

from litestar import Request, Response
from litestar.datastructures import Cookie
from litestar.di import NamedDependency
from redis.exceptions import RedisError

from jiadian.adapters.sessions import ServerSessions, SessionUser
from jiadian.application.accounts import Accounts
from jiadian.domain.accounts import User
from jiadian.domain.errors import Forbidden, NotAuthenticated

SESSION_COOKIE = "jiadian_session"
log = logging.getLogger("jiadian.http")

AuthUser = SessionUser


class Sessions:
    def __init__(self, server: ServerSessions, *, ttl_seconds: int, secure: bool) -> None:
        self._server = server
        self._ttl = ttl_seconds
        self._secure = secure

    async def create(self, user: User, *, replacing: str = "") -> str:
        """A new session; the browser's earlier one (`replacing`) ends."""
        return await self._server.create(user, replacing=replacing)

    async def load(self, token: str) -> AuthUser | None:
        return await self._server.load(token)

    async def destroy(self, token: str) -> None:
        await self._server.destroy(token)

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
        await self._server.ping()


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


async def current_admin(
    request: Request[Any, Any, Any], sessions: NamedDependency[Sessions], accounts: NamedDependency[Accounts]
) -> AuthUser:
    """The signed-in user when they are an operator now (read from the database); 403 otherwise."""
    user = await current_user(request, sessions)
    if not await accounts.is_admin(user.id):
        raise Forbidden()
    return user


def with_cookie(response: Response[Any], cookie: Cookie) -> Response[Any]:
    response.cookies.append(cookie)
    return response
