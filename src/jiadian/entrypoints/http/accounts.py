"""Sign-in, sign-out and the signed-in user's profile."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody

from jiadian.application.accounts import Accounts
from jiadian.application.ports import BlobStore
from jiadian.domain.accounts import User
from jiadian.domain.wallet import Wallet
from jiadian.entrypoints.http import schemas as s
from jiadian.entrypoints.http.auth import AuthUser, Sessions, current_user, session_token, with_cookie

DEFAULT_AVATAR = "/static/default-avatar.svg"


def profile(user: User, wallet: Wallet, blobs: BlobStore) -> s.Profile:
    return s.Profile(
        id=user.id,
        username=user.username,
        email=user.email,
        phone=user.phone,
        introduce=user.introduce,
        avatar_url=blobs.url(user.avatar) if user.avatar else DEFAULT_AVATAR,
        is_admin=user.is_admin,
        wallet=s.WalletOut.of(wallet),
    )


class AuthController(Controller):
    path = "/api/auth"
    tags = ["accounts"]

    @post("/login", status_code=200, summary="Sign in; sets the session cookie")
    async def login(
        self,
        data: JSONBody[s.Credentials],
        accounts: NamedDependency[Accounts],
        sessions: NamedDependency[Sessions],
    ) -> Response[s.SignedIn]:
        user = await accounts.login(data.username, data.password)
        token = await sessions.create(user)
        body = s.SignedIn(id=user.id, username=user.username, is_admin=user.is_admin)
        return with_cookie(Response(body), sessions.cookie(token))

    @post("/logout", status_code=204, summary="Sign out; the session is destroyed")
    async def logout(
        self, request: Request[Any, Any, Any], sessions: NamedDependency[Sessions]
    ) -> Response[None]:
        await sessions.destroy(session_token(request))
        return with_cookie(Response(None, status_code=204), sessions.expired_cookie())


class MeController(Controller):
    path = "/api/me"
    tags = ["accounts"]
    dependencies = {"user": Provide(current_user)}

    @get("", summary="The signed-in user's profile and wallet")
    async def me(
        self,
        user: NamedDependency[AuthUser],
        accounts: NamedDependency[Accounts],
        blobs: NamedDependency[BlobStore],
    ) -> s.Profile:
        found, wallet = await accounts.get(user.id)
        return profile(found, wallet, blobs)
