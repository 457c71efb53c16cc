"""Users, addresses and wallets on SQLite and MariaDB, including concurrent recharges, payments and
default addresses on MariaDB (separate connections, real row locks)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from jiadian.application.addresses import AddressFields
from jiadian.container import Container
from jiadian.domain.accounts import User
from jiadian.domain.errors import AlreadyApplied, NotFound, UsernameTaken
from jiadian.domain.money import Money
from jiadian.domain.wallet import (
    BalanceCapExceeded,
    EntryKind,
    InsufficientBalance,
    LedgerEntry,
    balance_from,
)

PASSWORD = "secret-123"


@pytest.fixture(params=["sqlite", pytest.param("mysql", marks=pytest.mark.mysql)])
def db(request: pytest.FixtureRequest) -> Container:
    container: Container = request.getfixturevalue(request.param)
    return container


async def new_user(db: Container, username: str = "buyer") -> User:
    return await db.accounts().create_user(username, f"{username}@example.com", PASSWORD)


def home(recipient: str, *, default: bool = False) -> AddressFields:
    return AddressFields(recipient, "13800138000", "广东省", "深圳市", "南山区", "科技园 1 号", default)


async def open_connections(db: Container, n: int) -> None:
    """Fill the pool first, so that the racers start together instead of one connect after another.

    (On SQLite a connection holds the write lock from BEGIN: its writers queue anyway.)
    """
    if db.settings().is_sqlite:
        return
    everyone_in = asyncio.Barrier(n)

    async def hold() -> None:
        async with db.engine().connect() as conn:
            await conn.execute(text("SELECT 1"))
            await everyone_in.wait()

    await asyncio.gather(*(hold() for _ in range(n)))


async def pay(db: Container, user_id: int, amount: str, order_id: str) -> bool:
    async with db.uow() as uow:
        try:
            await uow.wallets.apply(user_id, LedgerEntry(EntryKind.PAYMENT, Money.of(amount), order_id))
        except InsufficientBalance:
            return False
        await uow.commit()
    return True


# --- users ------------------------------------------------------------------------------------


async def test_a_user_comes_with_an_empty_wallet_and_a_unique_name(db: Container) -> None:
    user = await new_user(db)
    wallet = await db.wallets().show(user.id)
    assert (wallet.balance, wallet.total_recharged, wallet.total_consumed) == (Money.zero(),) * 3
    with pytest.raises(UsernameTaken):
        await new_user(db)
    assert [u.username for u in await db.accounts().list_users()] == ["buyer"]


@pytest.fixture(params=["memory", "sqlite", pytest.param("mysql", marks=pytest.mark.mysql)])
def any_db(request: pytest.FixtureRequest) -> Container:
    if request.param == "memory":
        container, _state = request.getfixturevalue("memory")
        return container  # type: ignore[no-any-return]
    found: Container = request.getfixturevalue(request.param)
    return found


async def test_the_accounts_of_an_address_whatever_its_letter_case(any_db: Container) -> None:
    accounts = any_db.accounts()
    mum = await accounts.create_user("mum", "Family@Example.com", PASSWORD)
    kid = await accounts.create_user("kid", "family@example.com", PASSWORD)
    await accounts.create_user("other", "other@example.com", PASSWORD)
    async with any_db.uow() as uow:
        found = await uow.users.by_email("FAMILY@example.COM")
        nobody = await uow.users.by_email("nobody@example.com")
    assert [(u.id, u.email) for u in found] == [
        (mum.id, "Family@Example.com"),
        (kid.id, "family@example.com"),
    ]
    assert nobody == []


async def test_wallet_totals_take_back_what_was_consumed_never_below_zero(any_db: Container) -> None:
    user = await any_db.accounts().create_user("buyer", "b@example.com", PASSWORD)
    async with any_db.uow() as uow:
        await uow.wallets.add_consumed(user.id, Money.of("100.00"))
        await uow.wallets.take_consumed(user.id, Money.of("30.00"))
        await uow.commit()
    assert (await any_db.wallets().show(user.id)).total_consumed == Money.of("70.00")
    async with any_db.uow() as uow:
        await uow.wallets.take_consumed(user.id, Money.of("100.00"))
        await uow.commit()
    wallet = await any_db.wallets().show(user.id)
    assert (wallet.total_consumed, wallet.balance) == (Money.zero(), Money.zero())


async def test_the_profile_and_avatar_are_saved(db: Container) -> None:
    user = await new_user(db)
    await db.profiles().update(user.id, email="new@example.com", phone="13800138000", introduce="你好")
    async with db.uow() as uow:
        found = await uow.users.get(user.id)
        assert found is not None
        found.avatar = "ab/cdef.png"
        await uow.users.save(found)
        await uow.commit()
    found, _ = await db.accounts().get(user.id)
    assert (found.email, found.phone, found.introduce, found.avatar) == (
        "new@example.com",
        "13800138000",
        "你好",
        "ab/cdef.png",
    )


# --- addresses --------------------------------------------------------------------------------


async def test_addresses_default_first_and_owner_only(db: Container) -> None:
    me, other = await new_user(db, "owner"), await new_user(db, "other")
    book = db.address_book()
    first = await book.add(me.id, home("甲", default=True))
    second = await book.add(me.id, home("乙"))
    third = await book.add(me.id, home("丙", default=True))
    await book.add(other.id, home("丁", default=True))

    assert [(a.id, a.is_default) for a in await book.list(me.id)] == [
        (third.id, True),
        (second.id, False),
        (first.id, False),
    ]
    with pytest.raises(NotFound):
        await book.update(other.id, first.id, home("偷", default=True))
    with pytest.raises(NotFound):
        await book.delete(other.id, first.id)
    await book.update(me.id, first.id, home("甲二", default=True))
    listed = await book.list(me.id)
    assert (listed[0].recipient, listed[0].is_default) == ("甲二", True)
    assert sum(a.is_default for a in listed) == 1
    assert [a.recipient for a in await book.list(other.id)] == ["丁"]


async def test_concurrent_new_defaults_leave_exactly_one(db: Container) -> None:
    user = await new_user(db)
    book = db.address_book()
    await open_connections(db, 10)
    await asyncio.gather(*(book.add(user.id, home(f"人{i}", default=True)) for i in range(10)))
    listed = await book.list(user.id)
    assert len(listed) == 10
    assert sum(a.is_default for a in listed) == 1
    assert listed[0].is_default


# --- wallets ----------------------------------------------------------------------------------


async def test_concurrent_recharges_lose_no_update(db: Container) -> None:
    user = await new_user(db)
    wallets = db.wallets()
    await open_connections(db, 20)
    await asyncio.gather(*(wallets.recharge(user.id, "1.23") for _ in range(20)))

    wallet = await wallets.show(user.id)
    assert wallet.balance == Money.of("24.60")
    assert wallet.total_recharged == Money.of("24.60")
    ledger = await wallets.ledger(user.id)
    assert len(ledger) == 20
    assert balance_from(ledger) == wallet.balance
    assert sorted(e.balance_after for e in ledger if e.balance_after) == [
        Money.of("1.23").times(n) for n in range(1, 21)
    ]


async def test_concurrent_payments_never_go_negative(db: Container) -> None:
    user = await new_user(db)
    await db.wallets().recharge(user.id, "100.00")
    await open_connections(db, 25)
    results = await asyncio.gather(*(pay(db, user.id, "10.00", f"order-{i}") for i in range(25)))

    assert results.count(True) == 10
    wallet = await db.wallets().show(user.id)
    assert (wallet.balance, wallet.total_consumed) == (Money.zero(), Money.of("100.00"))
    ledger = await db.wallets().ledger(user.id)
    assert len(ledger) == 11
    assert balance_from(ledger) == wallet.balance


async def test_an_order_is_paid_from_a_wallet_once(db: Container) -> None:
    user = await new_user(db)
    await db.wallets().recharge(user.id, "100.00")
    assert await pay(db, user.id, "30.00", "order-1")
    with pytest.raises(AlreadyApplied):
        await pay(db, user.id, "30.00", "order-1")
    assert (await db.wallets().show(user.id)).balance == Money.of("70.00")


async def test_a_recharge_past_the_cap_is_refused_by_the_database_too(db: Container) -> None:
    user = await new_user(db)
    wallets = db.wallets()
    await wallets.recharge(user.id, "999999999.00")
    with pytest.raises(BalanceCapExceeded):
        await wallets.recharge(user.id, "1.00")
    await wallets.recharge(user.id, "0.99")
    assert (await wallets.show(user.id)).balance == Money.of("999999999.99")
    assert len(await wallets.ledger(user.id)) == 2


async def test_the_wallet_of_an_unknown_user(db: Container) -> None:
    with pytest.raises(NotFound):
        await db.wallets().recharge(12345, "1.00")
