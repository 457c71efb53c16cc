"""Registration, profile, avatar, addresses and wallets, through the use cases on the in-memory adapters."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import pytest
from dependency_injector import providers
from tests.accounts_support import PASSWORD, code_in
from tests.files_support import breakable_commits, png

from jiadian.adapters.clock import FixedClock
from jiadian.adapters.memory.mail import MemoryMailer
from jiadian.adapters.memory.state import MemoryState
from jiadian.application.accounts import VERIFICATION_SUBJECT, DeliverVerificationCode
from jiadian.application.addresses import AddressFields
from jiadian.application.tasks import SendVerificationCode
from jiadian.container import Container
from jiadian.domain.accounts import MAX_ADDRESSES, AddressLimitReached, InvalidCode, User
from jiadian.domain.errors import FileTooLarge, NotFound, RateLimited, UsernameTaken, ValidationFailed
from jiadian.domain.money import Money
from jiadian.domain.wallet import BalanceCapExceeded, RechargeDisabled, balance_from
from jiadian.testing import InMemoryShop

IP = "203.0.113.7"


@dataclass
class Shop:
    """The testing kit's shop, with the registration steps these tests repeat."""

    kit: InMemoryShop

    @property
    def container(self) -> Container:
        return self.kit.container

    @property
    def state(self) -> MemoryState:
        return self.kit.state

    @property
    def clock(self) -> FixedClock:
        return self.kit.clock

    @property
    def mailer(self) -> MemoryMailer:
        return self.kit.mailer

    async def code_for(self, email: str, *, username: str = "newcomer", client: str = IP) -> str:
        await self.container.registration().request_code(username, email, client)
        return code_in(self.mailer.to(email)[-1].body)  # the kit's queue delivers at once

    async def register(self, username: str = "newcomer", email: str = "new@example.com") -> User:
        code = await self.code_for(email, username=username)
        return await self.container.registration().register(username, email, PASSWORD, code, IP)

    async def user(self, username: str) -> User | None:
        async with self.container.uow() as uow:
            return await uow.users.by_username(username)

    def media_files(self) -> list[str]:
        """The files in the blob store (in memory: `use_memory` writes none to the media directory)."""
        return list(self.kit.blobs.files)


@pytest.fixture
def shop(memory_shop: InMemoryShop) -> Shop:
    return Shop(memory_shop)


# --- registration -----------------------------------------------------------------------------


async def test_a_code_is_mailed_and_registers_the_account(shop: Shop) -> None:
    code = await shop.code_for("Li@Example.com")
    [mail] = shop.mailer.to("Li@Example.com")
    assert mail.subject == VERIFICATION_SUBJECT
    assert "2 分钟" in mail.body

    user = await shop.container.registration().register("newcomer", "li@example.com", PASSWORD, code, IP)

    assert (user.username, user.email) == ("newcomer", "li@example.com")
    assert user.password_hash != PASSWORD
    logged_in = await shop.container.sign_in().login("newcomer", PASSWORD, IP)
    assert logged_in.id == user.id
    assert await shop.container.wallets().show(user.id) is not None


async def test_a_wrong_code_registers_nobody_and_the_right_one_still_works(shop: Shop) -> None:
    code = await shop.code_for("a@example.com")
    wrong = "x" + code[1:] if code[0] != "x" else "y" + code[1:]
    with pytest.raises(InvalidCode):
        await shop.container.registration().register("newcomer", "a@example.com", PASSWORD, wrong, IP)
    assert await shop.user("newcomer") is None
    await shop.container.registration().register("newcomer", "a@example.com", PASSWORD, code, IP)
    assert await shop.user("newcomer") is not None


async def test_five_wrong_guesses_void_the_code(shop: Shop) -> None:
    code = await shop.code_for("a@example.com")
    registration = shop.container.registration()
    for guess in ["AAAAAA", "BBBBBB", "CCCCCC", "DDDDDD", "EEEEEE"]:
        with pytest.raises(InvalidCode):
            await registration.register("newcomer", "a@example.com", PASSWORD, guess, IP)
    with pytest.raises(InvalidCode):
        await registration.register("newcomer", "a@example.com", PASSWORD, code, IP)


async def test_a_code_expires_after_two_minutes(shop: Shop) -> None:
    code = await shop.code_for("a@example.com")
    shop.clock.advance(seconds=120)
    with pytest.raises(InvalidCode):
        await shop.container.registration().register("newcomer", "a@example.com", PASSWORD, code, IP)
    assert await shop.user("newcomer") is None


async def test_a_code_is_good_for_just_under_two_minutes(shop: Shop) -> None:
    code = await shop.code_for("a@example.com")
    shop.clock.advance(seconds=119)
    user = await shop.container.registration().register("newcomer", "a@example.com", PASSWORD, code, IP)
    assert (user.username, user.email) == ("newcomer", "a@example.com")
    assert await shop.user("newcomer") == user


async def test_a_code_is_used_once(shop: Shop) -> None:
    code = await shop.code_for("a@example.com")
    registration = shop.container.registration()
    await registration.register("first", "a@example.com", PASSWORD, code, IP)
    with pytest.raises(InvalidCode):
        await registration.register("second", "a@example.com", PASSWORD, code, IP)
    assert await shop.user("second") is None


async def test_a_code_belongs_to_its_address(shop: Shop) -> None:
    code = await shop.code_for("a@example.com")
    with pytest.raises(InvalidCode):
        await shop.container.registration().register("newcomer", "b@example.com", PASSWORD, code, IP)


async def test_a_new_code_replaces_the_old_one(shop: Shop) -> None:
    first = await shop.code_for("a@example.com")
    shop.clock.advance(seconds=61)
    second = await shop.code_for("a@example.com")
    registration = shop.container.registration()
    if first != second:
        with pytest.raises(InvalidCode):
            await registration.register("newcomer", "a@example.com", PASSWORD, first, IP)
    await registration.register("newcomer", "a@example.com", PASSWORD, second, IP)


async def test_a_bad_password_is_refused_before_the_code_is_used(shop: Shop) -> None:
    code = await shop.code_for("a@example.com")
    registration = shop.container.registration()
    with pytest.raises(ValidationFailed) as refused:
        await registration.register("newcomer", "a@example.com", "12345", code, IP)
    assert refused.value.facts["field"] == "password"
    await registration.register("newcomer", "a@example.com", "123456", code, IP)


async def test_a_taken_username_is_refused_when_asking_and_when_registering(shop: Shop) -> None:
    await shop.register("taken", "t@example.com")
    with pytest.raises(UsernameTaken):
        await shop.container.registration().request_code("taken", "x@example.com", "198.51.100.1")

    code = await shop.code_for("y@example.com", username="late", client="198.51.100.2")
    await shop.container.accounts().create_user("late", "z@example.com", PASSWORD)  # someone was faster
    with pytest.raises(UsernameTaken):
        await shop.container.registration().register("late", "y@example.com", PASSWORD, code, IP)


async def test_one_code_per_client_per_minute(shop: Shop) -> None:
    registration = shop.container.registration()
    await registration.request_code("newcomer", "a@example.com", IP)
    shop.clock.advance(seconds=30)
    with pytest.raises(RateLimited) as refused:
        await registration.request_code("newcomer", "b@example.com", IP)
    assert refused.value.retry_after == 30
    await registration.request_code("newcomer", "b@example.com", "198.51.100.9")  # another client
    shop.clock.advance(seconds=31)  # 61 s after the first send; the refused one did not count
    await registration.request_code("newcomer", "b@example.com", IP)


async def test_five_codes_per_client_per_day(shop: Shop) -> None:
    registration = shop.container.registration()
    for _ in range(5):
        await registration.request_code("newcomer", "a@example.com", IP)
        shop.clock.advance(minutes=10)
    with pytest.raises(RateLimited):
        await registration.request_code("newcomer", "a@example.com", IP)
    shop.clock.advance(hours=23, minutes=10)  # the first send is now a day old
    await registration.request_code("newcomer", "a@example.com", IP)


async def test_a_send_that_could_not_be_queued_does_not_count(shop: Shop) -> None:
    class Down:
        async def send(self, task: object, delay_seconds: float = 0) -> None:
            raise ConnectionError("broker down")

        async def ping(self) -> None:
            raise ConnectionError("broker down")

    shop.container.task_queue.override(providers.Object(Down()))
    shop.container.registration.reset()
    with pytest.raises(ConnectionError):
        await shop.container.registration().request_code("newcomer", "a@example.com", IP)
    shop.container.task_queue.reset_last_overriding()
    shop.container.registration.reset()
    await shop.container.registration().request_code("newcomer", "a@example.com", IP)


async def test_mailing_a_code_twice_is_harmless(shop: Shop) -> None:
    deliver = DeliverVerificationCode(shop.mailer)
    task = SendVerificationCode("a@example.com", "Ab3dE9")
    await deliver(task)
    await deliver(task)
    assert [code_in(m.body) for m in shop.mailer.to("a@example.com")] == ["Ab3dE9", "Ab3dE9"]


async def test_the_password_is_neither_logged_nor_mailed(
    shop: Shop, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    assert caplog.handler in logging.getLogger().handlers  # the log is really listened to
    await shop.register()
    await shop.container.sign_in().login("newcomer", PASSWORD, IP)
    with pytest.raises(ValidationFailed):
        await shop.container.registration().register("other", "o@example.com", PASSWORD[:3], "abcdef", IP)
    assert PASSWORD not in caplog.text
    assert PASSWORD[:3] not in caplog.text
    assert all(PASSWORD not in m.body for m in shop.mailer.outbox)


# --- profile and avatar -----------------------------------------------------------------------


async def test_the_profile_changes_only_the_fields_given(shop: Shop) -> None:
    user = await shop.register()
    profiles = shop.container.profiles()
    await profiles.update(user.id, phone="13800138000")
    changed, wallet = await profiles.update(user.id, introduce="爱买家电")
    assert (changed.email, changed.phone, changed.introduce) == ("new@example.com", "13800138000", "爱买家电")
    assert wallet.balance == Money.zero()


@pytest.mark.parametrize(
    "changes", [{"phone": "12345678901"}, {"email": "not-an-email"}, {"introduce": "  "}, {"phone": ""}]
)
async def test_a_bad_field_changes_nothing(shop: Shop, changes: dict[str, str]) -> None:
    user = await shop.register()
    profiles = shop.container.profiles()
    with pytest.raises(ValidationFailed):
        await profiles.update(user.id, **{"email": "other@example.com", "phone": "13900139000", **changes})
    after = await shop.user("newcomer")
    assert after is not None
    assert (after.email, after.phone, after.introduce) == ("new@example.com", "", "")


async def test_a_new_avatar_replaces_the_old_file(shop: Shop) -> None:
    user = await shop.register()
    profiles = shop.container.profiles()
    first = await profiles.change_avatar(user.id, png("red"))
    second = await profiles.change_avatar(user.id, png("blue"))
    blobs = shop.container.blobs()
    assert await blobs.open(second) == png("blue")
    with pytest.raises(NotFound):
        await blobs.open(first)
    found = await shop.user("newcomer")
    assert found is not None
    assert found.avatar == second
    assert len(shop.media_files()) == 1


async def test_a_file_that_is_not_an_image_is_refused_and_not_stored(shop: Shop) -> None:
    user = await shop.register()
    with pytest.raises(ValidationFailed):
        await shop.container.profiles().change_avatar(user.id, b"GIF89a but not really an image")
    assert shop.media_files() == []


async def test_an_avatar_over_three_mib_is_refused(shop: Shop) -> None:
    user = await shop.register()
    data = png() + b"\0" * (3 * 1024 * 1024)
    with pytest.raises(FileTooLarge):
        await shop.container.profiles().change_avatar(user.id, data)
    assert shop.media_files() == []


async def test_when_the_database_write_fails_the_new_file_goes_and_the_old_stays(shop: Shop) -> None:
    user = await shop.register()
    old = await shop.container.profiles().change_avatar(user.id, png("red"))
    breaker = breakable_commits(shop.container, shop.state)
    shop.container.profiles.reset()
    breaker.broken = True
    with pytest.raises(ConnectionError):
        await shop.container.profiles().change_avatar(user.id, png("blue"))
    assert breaker.failed == 1
    assert await shop.container.blobs().open(old) == png("red")
    assert len(shop.media_files()) == 1


# --- addresses --------------------------------------------------------------------------------


def home(recipient: str = "张三", *, default: bool = False) -> AddressFields:
    return AddressFields(recipient, "13800138000", "广东省", "深圳市", "南山区", "科技园 1 号", default)


async def test_a_second_default_becomes_the_default_and_clears_the_first(shop: Shop) -> None:
    book = shop.container.address_book()
    first = await book.add(1, home("甲", default=True))
    await book.add(1, home("乙"))
    second = await book.add(1, home("丙", default=True))

    listed = await book.list(1)
    assert [a.id for a in listed if a.is_default] == [second.id]
    assert listed[0].id == second.id
    assert any(a.id == first.id and not a.is_default for a in listed)


async def test_making_an_existing_address_the_default(shop: Shop) -> None:
    book = shop.container.address_book()
    first = await book.add(1, home("甲", default=True))
    second = await book.add(1, home("乙"))
    await book.update(1, second.id, home("乙", default=True))
    listed = await book.list(1)
    assert [(a.id, a.is_default) for a in listed] == [(second.id, True), (first.id, False)]


async def test_another_users_address_is_absent(shop: Shop) -> None:
    book = shop.container.address_book()
    mine = await book.add(1, home("甲", default=True))
    with pytest.raises(NotFound):
        await book.update(2, mine.id, home("乙", default=True))
    with pytest.raises(NotFound):
        await book.delete(2, mine.id)
    assert await book.list(2) == []
    assert [(a.recipient, a.is_default) for a in await book.list(1)] == [("甲", True)]


async def test_a_bad_address_is_refused(shop: Shop) -> None:
    book = shop.container.address_book()
    with pytest.raises(ValidationFailed):
        await book.add(1, AddressFields("张三", "110", "广东省", "深圳市", "南山区", "科技园"))
    assert await book.list(1) == []


async def test_the_address_book_has_a_limit(shop: Shop) -> None:
    book = shop.container.address_book()
    for i in range(MAX_ADDRESSES):
        await book.add(1, home(f"人{i}"))
    with pytest.raises(AddressLimitReached):
        await book.add(1, home("多一个"))
    deleted = (await book.list(1))[0]
    await book.delete(1, deleted.id)
    await book.add(1, home("多一个"))


# --- wallets ----------------------------------------------------------------------------------


async def test_recharges_add_up_and_the_ledger_explains_them(shop: Shop) -> None:
    user = await shop.register()
    wallets = shop.container.wallets()
    await wallets.recharge(user.id, "100.00", note="cli")
    wallet = await wallets.recharge(user.id, "0.5")
    assert (wallet.balance, wallet.total_recharged) == (Money.of("100.50"), Money.of("100.50"))
    ledger = await wallets.ledger(user.id)
    assert balance_from(ledger) == wallet.balance
    assert [e.note for e in ledger] == ["cli", ""]


@pytest.mark.parametrize("amount", ["0", "-1.00", "abc", "1.001", "NaN"])
async def test_a_bad_recharge_amount_changes_nothing(shop: Shop, amount: str) -> None:
    user = await shop.register()
    wallets = shop.container.wallets()
    with pytest.raises(ValidationFailed):
        await wallets.recharge(user.id, amount)
    assert (await wallets.show(user.id)).balance == Money.zero()
    assert await wallets.ledger(user.id) == []


async def test_a_recharge_past_the_cap_changes_nothing(shop: Shop) -> None:
    user = await shop.register()
    wallets = shop.container.wallets()
    await wallets.recharge(user.id, "999999999.00")
    with pytest.raises(BalanceCapExceeded):
        await wallets.recharge(user.id, "1.00")
    assert (await wallets.show(user.id)).balance == Money.of("999999999.00")


async def test_online_recharge_needs_the_setting(shop: Shop) -> None:
    user = await shop.register()
    wallets = shop.container.wallets()
    assert not wallets.online_recharge
    with pytest.raises(RechargeDisabled):
        await wallets.recharge_online(user.id, "10.00", operator="boss")
    enabled = type(wallets)(wallets.uow, online_recharge=True)
    wallet = await enabled.recharge_online(user.id, "10.00", operator="boss")
    assert wallet.balance == Money.of("10.00")
    assert [e.note for e in await wallets.ledger(user.id)] == ["admin:boss"]


async def test_the_wallet_of_an_unknown_user_is_not_found(shop: Shop) -> None:
    with pytest.raises(NotFound):
        await shop.container.wallets().recharge(999, "1.00")
    with pytest.raises(NotFound):
        await shop.container.wallets().of_username("nobody")
