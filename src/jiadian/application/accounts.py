"""Account use cases: sign-in, and the operator's user management."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from jiadian.application.accounts_ports import NewUser, PasswordHasher
from jiadian.application.unit_of_work import UnitOfWorkFactory
from jiadian.domain.accounts import User, check_email, check_password, check_username
from jiadian.domain.errors import InvalidCredentials, NotFound
from jiadian.domain.wallet import Wallet


@dataclass(frozen=True)
class Accounts:
    uow: UnitOfWorkFactory
    hasher: PasswordHasher

    @cached_property
    def _dummy_hash(self) -> str:
        return self.hasher.hash("not-a-real-password")

    async def login(self, username: str, password: str) -> User:
        """The same answer, and about the same time, for an unknown user and a wrong password."""
        async with self.uow() as uow:
            user = await uow.users.by_username(username)
            if user is None:
                self.hasher.verify(self._dummy_hash, password)
                raise InvalidCredentials()
            if not self.hasher.verify(user.password_hash, password):
                raise InvalidCredentials()
            if self.hasher.needs_rehash(user.password_hash):
                user.password_hash = self.hasher.hash(password)
                await uow.users.save(user)
                await uow.commit()
        return user

    async def create_user(self, username: str, email: str, password: str, *, is_admin: bool = False) -> User:
        """The operator's way in (no verification code): `jiadian users create`."""
        new = NewUser(
            check_username(username), check_email(email), self.hasher.hash(check_password(password)), is_admin
        )
        async with self.uow() as uow:
            user = await uow.users.add(new)
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
