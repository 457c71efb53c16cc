"""Users, addresses and wallets in memory."""

from __future__ import annotations

from dataclasses import replace

from jiadian.adapters.memory.state import MemoryState
from jiadian.application.accounts_ports import NewUser
from jiadian.application.ports import Clock
from jiadian.domain.accounts import Address, User
from jiadian.domain.errors import AlreadyApplied, NotFound, UsernameTaken
from jiadian.domain.money import MAX_AMOUNT, Money
from jiadian.domain.wallet import LedgerEntry, Wallet

USERS, ADDRESSES, WALLETS, LEDGER = "users", "addresses", "wallets", "wallet_ledger"


class MemoryUserRepository:
    def __init__(self, state: MemoryState, clock: Clock) -> None:
        self._s = state
        self._clock = clock

    async def add(self, user: NewUser) -> User:
        if any(u.username == user.username for u in self._s.table(USERS).values()):
            raise UsernameTaken(username=user.username)
        new = User(
            self._s.next_id(USERS),
            user.username,
            user.email,
            user.password_hash,
            is_admin=user.is_admin,
            created_at=self._clock.now(),
        )
        self._s.table(USERS)[new.id] = replace(new)
        self._s.table(WALLETS)[new.id] = Wallet.empty(new.id)
        return new

    async def get(self, user_id: int) -> User | None:
        found = self._s.table(USERS).get(user_id)
        return replace(found) if found else None

    async def by_username(self, username: str) -> User | None:
        return next((replace(u) for u in self._s.table(USERS).values() if u.username == username), None)

    async def by_email(self, email: str) -> list[User]:
        wanted = email.strip().lower()
        found = [replace(u) for u in self._s.table(USERS).values() if u.email.lower() == wanted]
        return sorted(found, key=lambda u: u.id)

    async def save(self, user: User) -> None:
        self._s.table(USERS)[user.id] = replace(user)

    async def list(self, offset: int, limit: int) -> list[User]:
        return [replace(u) for u in sorted(self._s.table(USERS).values(), key=lambda u: u.id)][
            offset : offset + limit
        ]


class MemoryAddressRepository:
    def __init__(self, state: MemoryState) -> None:
        self._s = state

    async def list_for(self, user_id: int) -> list[Address]:
        mine = [replace(a) for a in self._s.table(ADDRESSES).values() if a.user_id == user_id]
        return sorted(mine, key=lambda a: (not a.is_default, -a.id))

    async def get(self, address_id: int, user_id: int) -> Address | None:
        found = self._s.table(ADDRESSES).get(address_id)
        return replace(found) if found and found.user_id == user_id else None

    async def get_many(self, address_ids: list[int]) -> dict[int, Address]:
        table = self._s.table(ADDRESSES)
        return {i: replace(table[i]) for i in set(address_ids) if i in table}

    async def add(self, address: Address) -> Address:
        address.id = self._s.next_id(ADDRESSES)
        self._s.table(ADDRESSES)[address.id] = replace(address)
        return address

    async def save(self, address: Address) -> None:
        if await self.get(address.id, address.user_id) is not None:
            self._s.table(ADDRESSES)[address.id] = replace(address)

    async def delete(self, address_id: int, user_id: int) -> None:
        if await self.get(address_id, user_id) is not None:
            del self._s.table(ADDRESSES)[address_id]

    async def clear_default(self, user_id: int, except_id: int | None = None) -> None:
        for address in self._s.table(ADDRESSES).values():
            if address.user_id == user_id and address.id != except_id:
                address.is_default = False

    async def lock_owner(self, user_id: int) -> None:
        return None  # the in-memory unit of work is already exclusive


class MemoryWalletRepository:
    def __init__(self, state: MemoryState, clock: Clock) -> None:
        self._s = state
        self._clock = clock

    async def get(self, user_id: int) -> Wallet | None:
        found = self._s.table(WALLETS).get(user_id)
        return replace(found) if found else None

    async def apply(self, user_id: int, entry: LedgerEntry) -> Wallet:
        wallet: Wallet | None = self._s.table(WALLETS).get(user_id)
        if wallet is None:
            raise NotFound("钱包", user_id)
        ledger = self._s.table(LEDGER)
        if entry.order_id is not None and any(
            e.kind is entry.kind and e.order_id == entry.order_id for _u, e in ledger.values()
        ):
            raise AlreadyApplied(kind=entry.kind.value, order_id=entry.order_id)
        wallet.apply(entry)
        recorded = replace(entry, balance_after=wallet.balance, created_at=self._clock.now())
        ledger[self._s.next_id(LEDGER)] = (user_id, recorded)
        return replace(wallet)

    async def add_consumed(self, user_id: int, amount: Money) -> None:
        wallet: Wallet | None = self._s.table(WALLETS).get(user_id)
        if wallet is not None:  # not a balance change: no ledger entry (see the port)
            wallet.total_consumed = Money(min(wallet.total_consumed.amount + amount.amount, MAX_AMOUNT))

    async def take_consumed(self, user_id: int, amount: Money) -> None:
        wallet: Wallet | None = self._s.table(WALLETS).get(user_id)
        if wallet is not None:
            wallet.total_consumed = Money(
                max(wallet.total_consumed.amount - amount.amount, Money.zero().amount)
            )

    async def ledger(self, user_id: int) -> list[LedgerEntry]:
        entries = self._s.table(LEDGER)
        return [e for key in sorted(entries) for u, e in [entries[key]] if u == user_id]
