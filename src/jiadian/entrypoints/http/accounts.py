"""Registration, sign-in and sign-out, password reset; the signed-in user's profile, password, avatar,
addresses and wallet; the admin's wallet recharge."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, delete, get, patch, post, put
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody, MultipartBody

from jiadian.application.accounts import Accounts, Profiles, Registration
from jiadian.application.addresses import AddressBook
from jiadian.application.passwords import Passwords
from jiadian.application.ports import BlobStore
from jiadian.application.sign_in import SignIn
from jiadian.application.wallets import Wallets
from jiadian.domain.accounts import CODE_TTL, RESET_CODE_TTL, SEND_INTERVAL, User
from jiadian.domain.wallet import Wallet
from jiadian.entrypoints.http import account_schemas as a
from jiadian.entrypoints.http import schemas as s
from jiadian.entrypoints.http.auth import (
    AuthUser,
    Sessions,
    current_admin,
    current_user,
    session_token,
    with_cookie,
)
from jiadian.entrypoints.http.errors import error_responses

DEFAULT_AVATAR = "/default-avatar.svg"  # served by the storefront's static files


def client_address(request: Request[Any, Any, Any]) -> str:
    """The caller's IP, as the server sees it (put a proxy's address rewriting in the server)."""
    return request.client.host if request.client else "unknown"


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

    @post(
        "/login",
        status_code=200,
        summary="Sign in; sets the session cookie (the browser's earlier session ends). Failures are "
        "limited per account and client IP: past a limit, 429 `rate_limited` with Retry-After",
        responses=error_responses(401, 429),
    )
    async def login(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[s.Credentials],
        sign_in: NamedDependency[SignIn],
        sessions: NamedDependency[Sessions],
    ) -> Response[s.SignedIn]:
        user = await sign_in.login(data.username, data.password, client_address(request))
        token = await sessions.create(user, replacing=session_token(request))
        body = s.SignedIn(id=user.id, username=user.username, is_admin=user.is_admin)
        return with_cookie(Response(body), sessions.cookie(token))

    @post("/logout", status_code=204, summary="Sign out; the session is destroyed")
    async def logout(
        self, request: Request[Any, Any, Any], sessions: NamedDependency[Sessions]
    ) -> Response[None]:
        await sessions.destroy(session_token(request))
        return with_cookie(Response(None, status_code=204), sessions.expired_cookie())

    @post(
        "/verification-codes",
        status_code=202,
        summary="E-mail a registration code (sent in the background). A taken name counts against the "
        "client's sign-in failure limit",
        responses=error_responses(409, 429),
    )
    async def request_code(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[a.CodeRequest],
        registration: NamedDependency[Registration],
    ) -> a.CodeSent:
        await registration.request_code(data.username, data.email, client_address(request))
        return a.CodeSent(
            expires_in=int(CODE_TTL.total_seconds()), resend_after=int(SEND_INTERVAL.total_seconds())
        )

    @post(
        "/register",
        status_code=201,
        summary="Create an account with the e-mailed code. A taken name or a wrong code counts against the "
        "client's sign-in failure limit",
        responses=error_responses(400, 409, 429),
    )
    async def register(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[a.RegisterIn],
        registration: NamedDependency[Registration],
    ) -> a.Registered:
        user = await registration.register(
            data.username, data.email, data.password, data.code, client_address(request)
        )
        return a.Registered(id=user.id, username=user.username)

    @post(
        "/password-reset",
        status_code=202,
        summary="E-mail a password-reset code to the address (in the background) — the same answer whether "
        "or not an account has it; the mail names every account registered with it",
        responses=error_responses(400, 429),
    )
    async def request_password_reset(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[a.PasswordResetRequest],
        passwords: NamedDependency[Passwords],
    ) -> a.PasswordResetSent:
        await passwords.request_reset(data.email, client_address(request))
        return a.PasswordResetSent(
            expires_in=int(RESET_CODE_TTL.total_seconds()), resend_after=int(SEND_INTERVAL.total_seconds())
        )

    @post(
        "/password-reset/confirm",
        status_code=204,
        summary="Set a new password with the e-mailed code; every session of the account ends (sign in "
        "again). A wrong code counts against the client's sign-in failure limit",
        responses=error_responses(400, 429),
    )
    async def reset_password(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[a.PasswordResetIn],
        passwords: NamedDependency[Passwords],
    ) -> None:
        await passwords.reset(data.username, data.email, data.code, data.password, client_address(request))


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

    @patch("", summary="Change the e-mail, phone or introduction (only the fields sent)")
    async def update(
        self,
        data: JSONBody[a.ProfileChanges],
        user: NamedDependency[AuthUser],
        profiles: NamedDependency[Profiles],
        blobs: NamedDependency[BlobStore],
    ) -> s.Profile:
        found, wallet = await profiles.update(
            user.id, email=data.email, phone=data.phone, introduce=data.introduce
        )
        return profile(found, wallet, blobs)

    @put("/avatar", summary="Upload a new avatar: multipart field `image`, a real image of at most 3 MiB")
    async def avatar(
        self,
        data: MultipartBody[a.AvatarUpload],
        user: NamedDependency[AuthUser],
        profiles: NamedDependency[Profiles],
        blobs: NamedDependency[BlobStore],
    ) -> a.AvatarOut:
        file_id = await profiles.change_avatar(user.id, await data.image.read())
        return a.AvatarOut(avatar_url=blobs.url(file_id))

    @put(
        "/password",
        status_code=204,
        summary="Change the password (the current one required); every other session of the user ends. "
        "A wrong current password counts as a failed sign-in",
        responses=error_responses(400, 429),
    )
    async def change_password(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[a.PasswordChangeIn],
        user: NamedDependency[AuthUser],
        passwords: NamedDependency[Passwords],
    ) -> None:
        await passwords.change(
            user.id,
            data.current_password,
            data.new_password,
            session=session_token(request),
            client=client_address(request),
        )

    @get("/wallet", summary="The signed-in user's wallet")
    async def wallet(self, user: NamedDependency[AuthUser], wallets: NamedDependency[Wallets]) -> s.WalletOut:
        return s.WalletOut.of(await wallets.show(user.id))

    @get("/addresses", summary="The signed-in user's addresses, the default first")
    async def addresses(
        self, user: NamedDependency[AuthUser], address_book: NamedDependency[AddressBook]
    ) -> list[a.AddressOut]:
        return [a.AddressOut.of(x) for x in await address_book.list(user.id)]

    @post("/addresses", status_code=201, summary="Add an address (a new default replaces the old one)")
    async def add_address(
        self,
        data: JSONBody[a.AddressIn],
        user: NamedDependency[AuthUser],
        address_book: NamedDependency[AddressBook],
    ) -> a.AddressOut:
        return a.AddressOut.of(await address_book.add(user.id, data.fields()))

    @put("/addresses/{address_id:int}", summary="Replace an address; another user's answers 404")
    async def update_address(
        self,
        address_id: FromPath[int],
        data: JSONBody[a.AddressIn],
        user: NamedDependency[AuthUser],
        address_book: NamedDependency[AddressBook],
    ) -> a.AddressOut:
        return a.AddressOut.of(await address_book.update(user.id, address_id, data.fields()))

    @delete("/addresses/{address_id:int}", status_code=204, summary="Delete an address")
    async def delete_address(
        self,
        address_id: FromPath[int],
        user: NamedDependency[AuthUser],
        address_book: NamedDependency[AddressBook],
    ) -> None:
        await address_book.delete(user.id, address_id)


class AdminAccountsController(Controller):
    path = "/api/admin/users"
    tags = ["admin"]
    dependencies = {"admin": Provide(current_admin)}

    @post(
        "/{user_id:int}/wallet/recharge",
        status_code=200,
        summary="Recharge a user's wallet (admins; only when the shop's `recharge_enabled` is on)",
    )
    async def recharge(
        self,
        user_id: FromPath[int],
        data: JSONBody[a.RechargeIn],
        admin: NamedDependency[AuthUser],
        wallets: NamedDependency[Wallets],
    ) -> s.WalletOut:
        return s.WalletOut.of(await wallets.recharge_online(user_id, data.amount, operator=admin.username))
