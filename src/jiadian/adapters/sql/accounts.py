"""Users, addresses and wallets on SQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row, and_, bindparam, case, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from jiadian.adapters.sql.engine import from_db, to_db
from jiadian.adapters.sql.tables import addresses, users, wallet_ledger, wallets
from jiadian.application.accounts_ports import NewUser
from jiadian.application.ports import Clock
from jiadian.domain.accounts import Address, User
from jiadian.domain.errors import AlreadyApplied, NotFound, UsernameTaken
from jiadian.domain.money import MAX_AMOUNT, Money
from jiadian.domain.wallet import EntryKind, LedgerEntry, Wallet


def _user(row: Row[Any]) -> User:
    return User(
        id=row.id,
        username=row.username,
        email=row.email,
        password_hash=row.password_hash,
        phone=row.phone,
        introduce=row.introduce,
        avatar=row.avatar,
        is_admin=bool(row.is_admin),
        created_at=from_db(row.created_at),
    )


def _address(row: Row[Any]) -> Address:
    return Address(
        row.id,
        row.user_id,
        row.recipient,
        row.phone,
        row.province,
        row.city,
        row.county,
        row.detail,
        bool(row.is_default),
    )


def ledger_entry(row: Row[Any]) -> LedgerEntry:
    """A ledger row (its amount signed) as the entry it records (the amount positive, the kind its way)."""
    return LedgerEntry(
        EntryKind(row.kind),
        Money.of(abs(row.amount)),
        row.order_id,
        row.note,
        Money.of(row.balance_after),
        from_db(row.created_at),
    )


def _wallet(row: Row[Any]) -> Wallet:
    return Wallet(
        row.user_id, Money.of(row.balance), Money.of(row.total_recharged), Money.of(row.total_consumed)
    )


class SqlUserRepository:
    def __init__(self, conn: AsyncConnection, clock: Clock) -> None:
        self._conn = conn
        self._clock = clock

    async def add(self, user: NewUser) -> User:
        now = to_db(self._clock.now())
        try:
            async with self._conn.begin_nested():
                result = await self._conn.execute(
                    insert(users).values(
                        username=user.username,
                        email=user.email,
                        password_hash=user.password_hash,
                        is_admin=user.is_admin,
                        created_at=now,
                    )
                )
        except IntegrityError as exc:
            raise UsernameTaken(username=user.username) from exc
        user_id = int(result.inserted_primary_key[0])  # type: ignore[index]
        await self._conn.execute(insert(wallets).values(user_id=user_id))
        return User(
            user_id,
            user.username,
            user.email,
            user.password_hash,
            is_admin=user.is_admin,
            created_at=from_db(now),
        )

    async def get(self, user_id: int) -> User | None:
        row = (await self._conn.execute(select(users).where(users.c.id == user_id))).first()
        return _user(row) if row else None

    async def by_username(self, username: str) -> User | None:
        row = (await self._conn.execute(select(users).where(users.c.username == username))).first()
        return _user(row) if row else None

    async def by_email(self, email: str) -> list[User]:
        address = email.strip()
        if self._conn.dialect.name == "sqlite":  # compares exactly: fold the case on both sides
            condition = func.lower(users.c.email) == address.lower()
        else:  # MySQL/MariaDB's collation ignores letter case, and the index serves the comparison
            condition = users.c.email == address
        rows = await self._conn.execute(select(users).where(condition).order_by(users.c.id))
        return [_user(r) for r in rows]

    async def save(self, user: User) -> None:
        await self._conn.execute(
            update(users)
            .where(users.c.id == user.id)
            .values(
                email=user.email,
                phone=user.phone,
                introduce=user.introduce,
                avatar=user.avatar,
                is_admin=user.is_admin,
                password_hash=user.password_hash,
            )
        )

    async def list(self, offset: int, limit: int) -> list[User]:
        rows = await self._conn.execute(select(users).order_by(users.c.id).offset(offset).limit(limit))
        return [_user(r) for r in rows]


class SqlAddressRepository:
    def __init__(self, conn: AsyncConnection, clock: Clock) -> None:
        self._conn = conn
        self._clock = clock

    async def list_for(self, user_id: int) -> list[Address]:
        rows = await self._conn.execute(
            select(addresses)
            .where(addresses.c.user_id == user_id)
            .order_by(addresses.c.is_default.desc(), addresses.c.id.desc())
        )
        return [_address(r) for r in rows]

    async def get(self, address_id: int, user_id: int) -> Address | None:
        row = (await self._conn.execute(ADDRESS, {"address_id": address_id, "owner": user_id})).first()
        return _address(row) if row else None

    async def get_many(self, address_ids: list[int]) -> dict[int, Address]:
        if not address_ids:
            return {}
        rows = await self._conn.execute(ADDRESSES, {"address_ids": sorted(set(address_ids))})
        return {r.id: _address(r) for r in rows}

    async def add(self, address: Address) -> Address:
        values = {k: getattr(address, k) for k in _ADDRESS_FIELDS}
        result = await self._conn.execute(
            insert(addresses).values(user_id=address.user_id, created_at=to_db(self._clock.now()), **values)
        )
        address.id = int(result.inserted_primary_key[0])  # type: ignore[index]
        return address

    async def save(self, address: Address) -> None:
        values = {k: getattr(address, k) for k in _ADDRESS_FIELDS}
        await self._conn.execute(
            update(addresses)
            .where(addresses.c.id == address.id, addresses.c.user_id == address.user_id)
            .values(**values)
        )

    async def delete(self, address_id: int, user_id: int) -> None:
        await self._conn.execute(
            delete(addresses).where(addresses.c.id == address_id, addresses.c.user_id == user_id)
        )

    async def clear_default(self, user_id: int, except_id: int | None = None) -> None:
        condition = and_(addresses.c.user_id == user_id, addresses.c.is_default.is_(True))
        if except_id is not None:
            condition = and_(condition, addresses.c.id != except_id)
        await self._conn.execute(update(addresses).where(condition).values(is_default=False))

    async def lock_owner(self, user_id: int) -> None:
        await self._conn.execute(select(users.c.id).where(users.c.id == user_id).with_for_update())


_ADDRESS_FIELDS = ("recipient", "phone", "province", "city", "county", "detail", "is_default")

# Read by every checkout: built once (see `jiadian.adapters.sql.ordering`), with the columns of `_address`.
_ADDRESS_COLUMNS = [addresses.c[name] for name in ("id", "user_id", *_ADDRESS_FIELDS)]
ADDRESS = select(*_ADDRESS_COLUMNS).where(
    addresses.c.id == bindparam("address_id"), addresses.c.user_id == bindparam("owner")
)
ADDRESSES = select(*_ADDRESS_COLUMNS).where(addresses.c.id.in_(bindparam("address_ids", expanding=True)))


# A payment's statements (besides the order's), built once.
WALLET_LOCKED = select(wallets).where(wallets.c.user_id == bindparam("owner")).with_for_update()
INSERT_LEDGER = insert(wallet_ledger)
# The amounts are set from the parameters; the balance read under the lock must still be there.
WRITE_WALLET = update(wallets).where(
    wallets.c.user_id == bindparam("owner"), wallets.c.balance == bindparam("balance_read")
)


class SqlWalletRepository:
    def __init__(self, conn: AsyncConnection, clock: Clock) -> None:
        self._conn = conn
        self._clock = clock

    async def get(self, user_id: int) -> Wallet | None:
        row = (await self._conn.execute(select(wallets).where(wallets.c.user_id == user_id))).first()
        return _wallet(row) if row else None

    async def apply(self, user_id: int, entry: LedgerEntry) -> Wallet:
        """The wallet row is locked and the domain applies the entry (or refuses: nothing is written);
        then the ledger row, where a second (kind, order) fails before the balance moves; then the
        wallet. No savepoint needed: whatever raises has written nothing."""
        row = (await self._conn.execute(WALLET_LOCKED, {"owner": user_id})).first()
        if row is None:
            raise NotFound("钱包", user_id)
        wallet = _wallet(row)
        balance_read = wallet.balance
        wallet.apply(entry)
        amount = entry.amount.amount
        try:
            await self._conn.execute(
                INSERT_LEDGER,
                {
                    "user_id": user_id,
                    "kind": entry.kind.value,
                    "amount": -amount if entry.kind is EntryKind.PAYMENT else amount,
                    "balance_after": wallet.balance.amount,
                    "order_id": entry.order_id,
                    "note": entry.note,
                    "created_at": to_db(self._clock.now()),
                },
            )
        except IntegrityError as exc:
            raise AlreadyApplied(kind=entry.kind.value, order_id=entry.order_id) from exc
        written = await self._conn.execute(
            WRITE_WALLET,
            {
                "owner": user_id,
                "balance_read": balance_read.amount,
                "balance": wallet.balance.amount,
                "total_recharged": wallet.total_recharged.amount,
                "total_consumed": wallet.total_consumed.amount,
            },
        )
        if written.rowcount != 1:  # pragma: no cover - the row is locked (SQLite: writers queue)
            raise RuntimeError(f"wallet {user_id} changed under its row lock")
        return wallet

    async def add_consumed(self, user_id: int, amount: Money) -> None:
        """total_consumed += amount (capped), in one UPDATE; the balance and the ledger stay as they are."""
        await self._conn.execute(
            update(wallets)
            .where(wallets.c.user_id == user_id)
            .values(
                total_consumed=case(
                    (
                        wallets.c.total_consumed + amount.amount <= MAX_AMOUNT,
                        wallets.c.total_consumed + amount.amount,
                    ),
                    else_=MAX_AMOUNT,
                )
            )
        )

    async def take_consumed(self, user_id: int, amount: Money) -> None:
        """total_consumed -= amount (never below zero), in one UPDATE."""
        await self._conn.execute(
            update(wallets)
            .where(wallets.c.user_id == user_id)
            .values(
                total_consumed=case(
                    (wallets.c.total_consumed >= amount.amount, wallets.c.total_consumed - amount.amount),
                    else_=0,
                )
            )
        )

    async def ledger(self, user_id: int) -> list[LedgerEntry]:
        rows = await self._conn.execute(
            select(wallet_ledger).where(wallet_ledger.c.user_id == user_id).order_by(wallet_ledger.c.id)
        )
        return [ledger_entry(r) for r in rows]
