"""Password reset by an e-mailed code and password change, on the in-memory adapters (inline task queue,
a mailer that keeps its mail, a test clock); and the server-side sessions they end."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import pytest
from litestar.stores.memory import MemoryStore
from tests.accounts_support import PASSWORD, code_in

from jiadian.adapters.clock import FixedClock
from jiadian.adapters.memory.mail import MemoryMailer
from jiadian.adapters.memory.sessions import MemorySessionIndex
from jiadian.adapters.memory.state import MemoryState
from jiadian.adapters.memory.tasks import ScheduledTaskQueue
from jiadian.adapters.sessions import ServerSessions
from jiadian.application.passwords import RESET_SUBJECT
from jiadian.container import Container
from jiadian.domain.accounts import InvalidCode, WrongPassword
from jiadian.domain.errors import InvalidCredentials, RateLimited, ValidationFailed

IP = "203.0.113.20"
NEW = "n3w-Password"


@dataclass
class Shop:
    container: Container
    clock: FixedClock

    @property
    def mailer(self) -> MemoryMailer:
        mailer = self.container.mailer()
        assert isinstance(mailer, MemoryMailer)
        return mailer

    async def mailed(self) -> None:
        """The testing kit's queue delivers a mail when it is sent; anything due runs now."""
        queue = self.container.task_queue()
        assert isinstance(queue, ScheduledTaskQueue)
        await queue.run_due()

    async def user(self, name: str, email: str | None = None) -> int:
        user = await self.container.accounts().create_user(name, email or f"{name}@example.com", PASSWORD)
        return user.id

    async def reset_code(self, email: str, client: str = IP) -> str:
        await self.container.passwords().request_reset(email, client)
        await self.mailed()
        return code_in(self.mailer.to(email.lower())[-1].body)  # mailed to the address as registered

    async def signs_in(self, name: str, password: str) -> bool:
        try:
            await self.container.sign_in().login(name, password, "198.51.100.30")
        except InvalidCredentials:
            return False
        return True


@pytest.fixture
def shop(memory: tuple[Container, MemoryState], clock: FixedClock) -> Shop:
    container, _state = memory
    return Shop(container, clock)


# --- reset --------------------------------------------------------------------------------------


async def test_a_reset_code_sets_a_new_password_once(shop: Shop) -> None:
    await shop.user("alice")
    code = await shop.reset_code("Alice@Example.com")
    [mail] = shop.mailer.to("alice@example.com")
    assert mail.subject == RESET_SUBJECT
    assert "10 分钟" in mail.body
    assert "alice" in mail.body

    await shop.container.passwords().reset("alice", "alice@example.com", code, NEW, IP)

    assert await shop.signs_in("alice", NEW)
    assert not await shop.signs_in("alice", PASSWORD)
    with pytest.raises(InvalidCode):  # single use
        await shop.container.passwords().reset("alice", "alice@example.com", code, "an0ther-one", IP)


async def test_an_unknown_address_gets_the_same_answer_and_no_mail(shop: Shop) -> None:
    await shop.container.passwords().request_reset("nobody@example.com", IP)
    await shop.mailed()
    assert shop.mailer.outbox == []
    with pytest.raises(RateLimited):  # and the limits counted it, as for a known address
        await shop.container.passwords().request_reset("nobody@example.com", "198.51.100.31")


async def test_one_address_of_several_accounts_names_them_all_and_resets_the_one_named(shop: Shop) -> None:
    await shop.user("mum", "family@example.com")
    await shop.user("kid", "Family@Example.com")
    code = await shop.reset_code("family@example.com")
    body = shop.mailer.to("family@example.com")[-1].body
    assert re.search(r"使用此邮箱的账号：mum、kid", body), body

    await shop.container.passwords().reset("kid", "family@example.com", code, NEW, IP)

    assert await shop.signs_in("kid", NEW)
    assert await shop.signs_in("mum", PASSWORD)  # the other account is untouched


async def test_a_code_resets_only_an_account_of_its_address(shop: Shop) -> None:
    await shop.user("alice")
    await shop.user("mallory")
    code = await shop.reset_code("mallory@example.com")
    with pytest.raises(InvalidCode):
        await shop.container.passwords().reset("alice", "mallory@example.com", code, NEW, IP)
    with pytest.raises(InvalidCode):
        await shop.container.passwords().reset("nobody", "mallory@example.com", code, NEW, IP)
    assert await shop.signs_in("alice", PASSWORD)
    await shop.container.passwords().reset("mallory", "mallory@example.com", code, NEW, IP)  # still good


async def test_a_reset_code_expires_after_ten_minutes(shop: Shop) -> None:
    await shop.user("alice")
    code = await shop.reset_code("alice@example.com")
    shop.clock.advance(seconds=600)
    with pytest.raises(InvalidCode):
        await shop.container.passwords().reset("alice", "alice@example.com", code, NEW, IP)


async def test_wrong_codes_void_the_code_and_count_against_the_client(shop: Shop) -> None:
    await shop.user("alice")
    code = await shop.reset_code("alice@example.com")
    passwords = shop.container.passwords()
    for guess in ["AAAAAA", "BBBBBB", "CCCCCC", "DDDDDD", "EEEEEE"]:
        with pytest.raises(InvalidCode):
            await passwords.reset("alice", "alice@example.com", guess, NEW, IP)
    with pytest.raises(InvalidCode):  # five wrong guesses: the code is void
        await passwords.reset("alice", "alice@example.com", code, NEW, IP)
    for _ in range(14):
        with pytest.raises(InvalidCode):
            await passwords.reset("alice", "alice@example.com", "FFFFFF", NEW, IP)
    with pytest.raises(RateLimited):  # 20 failures from this client: it waits
        await passwords.reset("alice", "alice@example.com", "GGGGGG", NEW, IP)


async def test_a_bad_new_password_keeps_the_code(shop: Shop) -> None:
    await shop.user("alice")
    code = await shop.reset_code("alice@example.com")
    with pytest.raises(ValidationFailed):
        await shop.container.passwords().reset("alice", "alice@example.com", code, "12345", IP)
    await shop.container.passwords().reset("alice", "alice@example.com", code, NEW, IP)


async def test_reset_mails_are_limited_per_address_and_per_client(shop: Shop) -> None:
    await shop.user("alice")
    passwords = shop.container.passwords()
    await passwords.request_reset("alice@example.com", IP)
    with pytest.raises(RateLimited):  # the same client, another address: one a minute
        await passwords.request_reset("other@example.com", IP)
    with pytest.raises(RateLimited):  # the same address, another client: one a minute
        await passwords.request_reset("ALICE@example.com", "198.51.100.32")
    for n in range(4):
        shop.clock.advance(seconds=61)
        await passwords.request_reset("alice@example.com", f"198.51.100.{40 + n}")
    shop.clock.advance(seconds=61)
    with pytest.raises(RateLimited):  # five a day per address, from anywhere
        await passwords.request_reset("alice@example.com", "198.51.100.50")
    await shop.mailed()
    assert len(shop.mailer.to("alice@example.com")) == 5


# --- change -------------------------------------------------------------------------------------


async def test_a_change_needs_the_current_password(shop: Shop) -> None:
    user_id = await shop.user("bob")
    passwords = shop.container.passwords()
    with pytest.raises(WrongPassword):
        await passwords.change(user_id, "not-it-123", NEW, session="", client=IP)
    with pytest.raises(ValidationFailed):
        await passwords.change(user_id, PASSWORD, "short", session="", client=IP)
    assert await shop.signs_in("bob", PASSWORD)
    await passwords.change(user_id, PASSWORD, NEW, session="", client=IP)
    assert await shop.signs_in("bob", NEW)


async def test_wrong_current_passwords_count_as_failed_sign_ins(shop: Shop) -> None:
    user_id = await shop.user("bob")
    passwords = shop.container.passwords()
    for _ in range(5):
        with pytest.raises(WrongPassword):
            await passwords.change(user_id, "guess-1234", NEW, session="", client=IP)
    with pytest.raises(RateLimited):  # a borrowed session cannot keep guessing
        await passwords.change(user_id, PASSWORD, NEW, session="", client=IP)
    with pytest.raises(RateLimited):  # nor sign in from there
        await shop.container.sign_in().login("bob", PASSWORD, IP)


async def test_a_change_ends_every_other_session_and_a_reset_every_session(shop: Shop) -> None:
    user_id = await shop.user("carol")
    sessions = shop.container.sessions()
    user = await shop.container.accounts().by_username("carol")
    here, there, elsewhere = [await sessions.create(user) for _ in range(3)]
    other = await sessions.create(
        await shop.container.accounts().create_user("dan", "d@example.com", PASSWORD)
    )

    await shop.container.passwords().change(user_id, PASSWORD, NEW, session=here, client=IP)

    assert await sessions.load(here) is not None
    assert await sessions.load(there) is None
    assert await sessions.load(elsewhere) is None
    assert await sessions.load(other) is not None
    code = await shop.reset_code("carol@example.com")
    await shop.container.passwords().reset("carol", "carol@example.com", code, "th1rd-Password", IP)
    assert await sessions.load(here) is None
    assert await sessions.load(other) is not None


# --- sessions -----------------------------------------------------------------------------------


async def test_sessions_end_on_sign_out_at_a_new_sign_in_and_after_their_age(
    shop: Shop, clock: FixedClock
) -> None:
    store, index = MemoryStore(), MemorySessionIndex()
    sessions = ServerSessions(store, index, clock, ttl_seconds=3600, max_age_seconds=7200)
    user = await shop.container.accounts().create_user("erin", "e@example.com", PASSWORD)
    first = await sessions.create(user)
    second = await sessions.create(user, replacing=first)  # the same browser signs in again
    assert await sessions.load(first) is None
    assert await index.tokens(user.id) == {second}
    await sessions.destroy(second)
    assert await index.tokens(user.id) == set()

    third = await sessions.create(user)
    clock.advance(seconds=3000)
    assert await sessions.load(third) is not None  # used: renewed
    clock.advance(seconds=4200)
    assert await sessions.load(third) is None  # two hours after signing in, however used


async def test_a_session_stored_before_the_index_counts_as_ended(shop: Shop) -> None:
    store = MemoryStore()
    sessions = ServerSessions(store, MemorySessionIndex(), shop.clock, ttl_seconds=3600, max_age_seconds=7200)
    await store.set("old-token", json.dumps({"id": 1, "username": "x", "is_admin": True}), expires_in=3600)
    assert await sessions.load("old-token") is None
    assert await store.get("old-token") is None


async def test_ended_sessions_are_pruned_from_the_index_at_sign_in(shop: Shop) -> None:
    store, index = MemoryStore(), MemorySessionIndex()
    sessions = ServerSessions(store, index, shop.clock, ttl_seconds=3600, max_age_seconds=7200)
    user = await shop.container.accounts().create_user("finn", "f@example.com", PASSWORD)
    stale = await sessions.create(user)
    await store.delete(stale)  # expired in the store
    fresh = await sessions.create(user)
    assert await index.tokens(user.id) == {fresh}
