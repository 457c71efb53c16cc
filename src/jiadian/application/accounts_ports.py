"""Ports of accounts: users, addresses, wallets, password hashing, codes and mail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from jiadian.domain.accounts import Address, User
from jiadian.domain.wallet import LedgerEntry, Wallet


@dataclass(frozen=True, slots=True)
class NewUser:
    username: str
    email: str
    password_hash: str
    is_admin: bool = False


class UserRepository(Protocol):
    async def add(self, user: NewUser) -> User:
        """Create the user and its empty wallet; raises `UsernameTaken` when the name is in use."""
        ...

    async def get(self, user_id: int) -> User | None: ...

    async def by_username(self, username: str) -> User | None: ...

    async def save(self, user: User) -> None:
        """Write the profile fields (email, phone, introduce, avatar)."""
        ...

    async def list(self, offset: int, limit: int) -> list[User]: ...


class AddressRepository(Protocol):
    async def list_for(self, user_id: int) -> list[Address]:
        """The user's addresses, the default first, then newest first."""
        ...

    async def get(self, address_id: int, user_id: int) -> Address | None:
        """The address when it exists and belongs to `user_id`, else None."""
        ...

    async def add(self, address: Address) -> Address: ...

    async def save(self, address: Address) -> None: ...

    async def delete(self, address_id: int, user_id: int) -> None: ...

    async def clear_default(self, user_id: int, except_id: int | None = None) -> None: ...

    async def lock_owner(self, user_id: int) -> None:
        """Serialise address changes of one user (so there is never a second default)."""
        ...


class WalletRepository(Protocol):
    async def get(self, user_id: int) -> Wallet | None: ...

    async def apply(self, user_id: int, entry: LedgerEntry) -> Wallet:
        """Apply one entry atomically and record it in the ledger.

        A payment needs balance >= amount (`InsufficientBalance` otherwise); a recharge or refund
        may not lift the balance over the cap (`BalanceCapExceeded`). The same (kind, order) is
        applied at most once (`AlreadyApplied`). Safe under concurrent callers.
        """
        ...

    async def ledger(self, user_id: int) -> list[LedgerEntry]: ...


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str: ...

    def verify(self, password_hash: str, password: str) -> bool: ...

    def needs_rehash(self, password_hash: str) -> bool: ...


class CodeStore(Protocol):
    """Verification codes (keyed by email) and per-IP send history, with expiry."""

    async def put_code(self, email: str, code: str, ttl_seconds: int) -> None: ...

    async def take_code(self, email: str) -> str | None:
        """Return and delete the code atomically (single use)."""
        ...

    async def sends(self, client: str, since: datetime) -> list[datetime]:
        """Times of the sends recorded for this client at or after `since`."""
        ...

    async def record_send(self, client: str, at: datetime, ttl_seconds: int) -> None: ...


class Mailer(Protocol):
    async def send(self, to: str, subject: str, body: str) -> None: ...
