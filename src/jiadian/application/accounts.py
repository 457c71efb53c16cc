"""Account use cases: registration with an e-mailed code, sign-in, the profile and avatar, and the
operator's user management."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from functools import cached_property

from jiadian.application.accounts_ports import CodeStore, ImageSniffer, Mailer, NewUser, PasswordHasher
from jiadian.application.attempts import Attempts
from jiadian.application.blob_ports import FileReferences
from jiadian.application.files import Written, check_image_size, write_with_new_file
from jiadian.application.ports import BlobStore, Clock
from jiadian.application.tasks import SendVerificationCode, TaskQueue
from jiadian.application.unit_of_work import UnitOfWork, UnitOfWorkFactory
from jiadian.domain.accounts import (
    CODE_MAX_FAILURES,
    CODE_TTL,
    DAY,
    InvalidCode,
    User,
    check_email,
    check_introduce,
    check_password,
    check_phone,
    check_send_allowed,
    check_username,
    code_key,
    new_code,
)
from jiadian.domain.errors import InvalidCredentials, NotFound, UsernameTaken
from jiadian.domain.wallet import Wallet


@dataclass(frozen=True)
class Accounts:
    uow: UnitOfWorkFactory
    hasher: PasswordHasher

    @cached_property
    def _dummy_hash(self) -> str:
        return self.hasher.hash("not-a-real-password")

    async def find(self, username: str) -> User | None:
        """The user of this name as the database compares names (MariaDB: letter case and trailing spaces
        ignored), or None."""
        async with self.uow() as uow:
            return await uow.users.by_username(username)

    async def authenticate(self, user: User | None, password: str) -> User:
        """`user` when `password` is theirs; `InvalidCredentials` — with the same answer, and about the
        same time, when there is no such user.

        Hashing is CPU work: it runs in a thread, and no database connection is held meanwhile.
        """
        stored = user.password_hash if user is not None else self._dummy_hash
        if not await asyncio.to_thread(self.hasher.verify, stored, password) or user is None:
            raise InvalidCredentials()
        if self.hasher.needs_rehash(user.password_hash):
            user.password_hash = await asyncio.to_thread(self.hasher.hash, password)
            async with self.uow() as uow:
                await uow.users.save(user)
                await uow.commit()
        return user

    async def is_admin(self, user_id: int) -> bool:
        """Whether the user is an operator now (read at every admin request: a demotion counts at once)."""
        async with self.uow() as uow:
            user = await uow.users.get(user_id)
        return user is not None and user.is_admin

    async def create_user(self, username: str, email: str, password: str, *, is_admin: bool = False) -> User:
        """The operator's way in (no verification code): `jiadian users create`."""
        check_username(username)
        check_email(email)
        password_hash = await asyncio.to_thread(self.hasher.hash, check_password(password))
        async with self.uow() as uow:
            user = await uow.users.add(NewUser(username, email.strip(), password_hash, is_admin))
            await uow.commit()
        return user

    async def get(self, user_id: int) -> tuple[User, Wallet]:
        async with self.uow() as uow:
            user = await uow.users.get(user_id)
            wallet = await uow.wallets.get(user_id)
        if user is None or wallet is None:
            raise NotFound("用户", user_id)
        return user, wallet

    async def by_username(self, username: str) -> User:
        async with self.uow() as uow:
            user = await uow.users.by_username(username)
        if user is None:
            raise NotFound("用户", username)
        return user

    async def list_users(self, offset: int = 0, limit: int = 100) -> list[User]:
        async with self.uow() as uow:
            return await uow.users.list(offset, limit)


@dataclass(frozen=True)
class Registration:
    """Sign-up: a code is e-mailed (in the background), then the account is created with it.

    Whether a name is taken is told only to a client within the sign-in failure limit of clients
    (`Attempts`): a taken name counts as a failure of the client, as does a wrong code, so names
    cannot be probed faster than passwords can be guessed.
    """

    uow: UnitOfWorkFactory
    hasher: PasswordHasher
    codes: CodeStore
    tasks: TaskQueue
    clock: Clock
    attempts: Attempts

    async def request_code(self, username: str, email: str, client: str) -> None:
        """Send a code to `email`; `client` (the caller's IP) is held to the send limits."""
        check_username(username)
        email = check_email(email)
        async with self.attempts.guard(client, failures=(UsernameTaken,)):
            await self._check_free(username)
        now = self.clock.now()
        slot = await self.codes.reserve_send(client, now=now, window_seconds=int(DAY.total_seconds()))
        try:
            check_send_allowed(now, list(slot.earlier))
            code = new_code()
            await self.codes.put_code(
                code_key(email), code, now=now, ttl_seconds=int(CODE_TTL.total_seconds())
            )
            await self.tasks.send(SendVerificationCode(email, code))
        except BaseException:
            await self.codes.release_send(slot)  # a refused or failed send does not count
            raise

    async def register(self, username: str, email: str, password: str, code: str, client: str) -> User:
        """Create the account when `code` is the unexpired one sent to `email`.

        A matching code is used up even when the account then cannot be created (a name taken
        meanwhile); a wrong one counts against the code (`CODE_MAX_FAILURES`) and against `client`.
        """
        check_username(username)
        email = check_email(email)
        check_password(password)
        async with self.attempts.guard(client, failures=(UsernameTaken, InvalidCode)):
            await self._check_free(username)
            if not await self.codes.redeem_code(
                code_key(email), code.strip(), now=self.clock.now(), max_failures=CODE_MAX_FAILURES
            ):
                raise InvalidCode()
        password_hash = await asyncio.to_thread(self.hasher.hash, password)
        async with self.uow() as uow:
            user = await uow.users.add(NewUser(username, email, password_hash))
            await uow.commit()
        return user

    async def _check_free(self, username: str) -> None:
        async with self.uow() as uow:
            if await uow.users.by_username(username) is not None:
                raise UsernameTaken(username=username)


VERIFICATION_SUBJECT = "家电之选 注册验证码"


@dataclass(frozen=True)
class DeliverVerificationCode:
    """Task handler: mail a verification code. Mailing the same code twice is harmless."""

    mailer: Mailer

    async def __call__(self, task: SendVerificationCode) -> None:
        minutes = int(CODE_TTL.total_seconds() // 60)
        body = (
            "您好！\n\n"
            f"您在家电之选的注册验证码是：{task.code}\n"
            f"验证码 {minutes} 分钟内有效，仅可使用一次。\n\n"
            "如果这不是您本人的操作，请忽略本邮件。\n"
        )
        await self.mailer.send(task.email, VERIFICATION_SUBJECT, body)


@dataclass(frozen=True)
class Profiles:
    """The signed-in user's own profile: contact details, introduction, avatar."""

    uow: UnitOfWorkFactory
    blobs: BlobStore
    sniff: ImageSniffer
    references: FileReferences | None = None  # a replaced avatar goes only when nothing refers to it

    async def update(
        self,
        user_id: int,
        *,
        email: str | None = None,
        phone: str | None = None,
        introduce: str | None = None,
    ) -> tuple[User, Wallet]:
        """Change the given fields (None: unchanged); all are checked before anything is written."""
        email = None if email is None else check_email(email)
        phone = None if phone is None else check_phone(phone)
        introduce = None if introduce is None else check_introduce(introduce)
        async with self.uow() as uow:
            user, wallet = await uow.users.get(user_id), await uow.wallets.get(user_id)
            if user is None or wallet is None:
                raise NotFound("用户", user_id)
            user.email = email if email is not None else user.email
            user.phone = phone if phone is not None else user.phone
            user.introduce = introduce if introduce is not None else user.introduce
            await uow.users.save(user)
            await uow.commit()
        return user, wallet

    async def change_avatar(self, user_id: int, data: bytes) -> str:
        """Store a new avatar (a real image, at most 3 MiB) and return its file id.

        The old avatar file goes only once the new one is committed; if that fails, the new file goes.
        """
        check_image_size(data)
        extension = await asyncio.to_thread(self.sniff, data)

        async def point_to(uow: UnitOfWork, file_id: str) -> Written[str]:
            user = await uow.users.get(user_id)
            if user is None:
                raise NotFound("用户", user_id)
            replaced, user.avatar = user.avatar, file_id
            await uow.users.save(user)
            return Written(file_id, replaced)

        return await write_with_new_file(self.blobs, self.uow, data, extension, point_to, self.references)
