"""Ports of accounts: users, addresses, wallets, password hashing, codes and mail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from jiadian.domain.accounts import Address, User
from jiadian.domain.money import Money
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

    async def by_username(self, username: str) -> User | None:
        """The user of this name as the database compares names (MariaDB: case and trailing spaces
        ignored; SQLite and memory: exactly)."""
        ...

    async def by_email(self, email: str) -> list[User]:
        """Every user registered with this address (letter case ignored), by id. E-mail addresses are
        not unique: several accounts may share one."""
        ...

    async def save(self, user: User) -> None:
        """Write the profile fields (email, phone, introduce, avatar), the password hash and the admin flag."""
        ...

    async def list(self, offset: int, limit: int) -> list[User]: ...


class AddressRepository(Protocol):
    async def list_for(self, user_id: int) -> list[Address]:
        """The user's addresses, the default first, then newest first."""
        ...

    async def get(self, address_id: int, user_id: int) -> Address | None:
        """The address when it exists and belongs to `user_id`, else None."""
        ...

    async def get_many(self, address_ids: list[int]) -> dict[int, Address]:
        """These addresses by id, whoever owns them (the caller checks); unknown ids are absent."""
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

    async def add_consumed(self, user_id: int, amount: Money) -> None:
        """Count money paid to the shop outside the wallet (an Alipay payment) in `total_consumed`.

        Not a balance change: the balance stays, and no ledger entry is written (the ledger explains
        the balance; the `payments` record is the receipt). The total stops at the money cap.
        """
        ...

    async def take_consumed(self, user_id: int, amount: Money) -> None:
        """Take back from `total_consumed` what `add_consumed` counted (an Alipay payment refunded); never
        below zero. No balance change, no ledger entry."""
        ...

    async def ledger(self, user_id: int) -> list[LedgerEntry]: ...


class PasswordHasher(Protocol):
    def hash(self, password: str) -> str: ...

    def verify(self, password_hash: str, password: str) -> bool: ...

    def needs_rehash(self, password_hash: str) -> bool: ...


@dataclass(frozen=True, slots=True)
class SendSlot:
    """One send recorded in a client's history, and the sends recorded before it in the window."""

    client: str
    token: str
    earlier: tuple[datetime, ...]


class CodeStore(Protocol):
    """Verification codes (keyed by email) and per-client send history, with expiry.

    Times come from the caller (the shop's clock), so expiry follows that clock; adapters may also
    let the data expire on their own as a backstop.
    """

    async def put_code(self, email: str, code: str, *, now: datetime, ttl_seconds: int) -> None:
        """Keep `code` for `email` until `now + ttl_seconds`, replacing any earlier code."""
        ...

    async def redeem_code(self, email: str, code: str, *, now: datetime, max_failures: int) -> bool:
        """Atomically: True, and the code is gone (single use), when `code` is the unexpired code
        of `email`; False otherwise. A wrong guess counts; after `max_failures` the code is gone."""
        ...

    async def reserve_send(self, client: str, *, now: datetime, window_seconds: int) -> SendSlot:
        """Record a send for `client` and return, atomically with it, the sends recorded before it
        within `window_seconds` — two concurrent callers each see the other in exactly one order."""
        ...

    async def release_send(self, slot: SendSlot) -> None:
        """Forget a recorded send (it was refused, or did not go out)."""
        ...


class SessionRegistry(Protocol):
    """The shop's signed-in sessions, as far as the use cases need them."""

    async def end_sessions(self, user_id: int, *, keep: str | None = None) -> int:
        """End every session of the user but the one whose token is `keep`; returns how many ended."""
        ...


class Mailer(Protocol):
    async def send(self, to: str, subject: str, body: str) -> None:
        """Hand one plain-text mail over; `ServiceUnavailable` when the mail server refuses it."""
        ...


class ImageSniffer(Protocol):
    def __call__(self, data: bytes) -> str:
        """The file extension of a real image, judged by content; `ValidationFailed` otherwise."""
        ...
