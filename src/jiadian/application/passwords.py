"""Passwords: a reset by an e-mailed code for a shopper who forgot theirs, and a change for a signed-in one.
Either ends every other session of the account.

Reset, step 1 (`request_reset`): the answer is the same whether or not an account has the address — the
send limits count alike (one mail per address and one per client per 60 s, five of each per 24 h, as
for registration codes) and a code is kept either way; the worker looks the address up and mails only
when an account has it. E-mail addresses are not unique: the mail names every account registered with
the address, and the shopper names the one to reset in step 2 — whoever reads the mailbox is trusted
with all of them.

Step 2 (`reset`): the code must be the address's unexpired one (single use, 10 minutes, void after five
wrong guesses) and the named account must have that address. Anything else answers `invalid_code` alike
and counts as a failure of the client (the sign-in limit of clients).

Change (`change`): the current password is required; a wrong one counts as a failed sign-in of the
account from that client (the same limits), so a borrowed session cannot guess it.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from jiadian.application.accounts import Accounts
from jiadian.application.accounts_ports import CodeStore, Mailer, SessionRegistry
from jiadian.application.attempts import Attempts, account_key
from jiadian.application.ports import Clock
from jiadian.application.tasks import SendPasswordResetCode, TaskQueue
from jiadian.application.unit_of_work import UnitOfWorkFactory
from jiadian.domain.accounts import (
    CODE_MAX_FAILURES,
    DAY,
    RESET_CODE_TTL,
    InvalidCode,
    User,
    WrongPassword,
    check_email,
    check_password,
    check_send_allowed,
    code_key,
    new_code,
    reset_code_key,
)
from jiadian.domain.errors import InvalidCredentials, NotFound

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Passwords:
    uow: UnitOfWorkFactory
    accounts: Accounts
    codes: CodeStore
    tasks: TaskQueue
    clock: Clock
    attempts: Attempts
    sessions: SessionRegistry

    async def request_reset(self, email: str, client: str) -> None:
        """Mail a reset code to `email` if an account has it (in the background); the same either way."""
        email = check_email(email)
        now = self.clock.now()
        slots = []
        try:
            for key in (f"reset-ip:{client}", f"reset-mail:{code_key(email)}"):
                slot = await self.codes.reserve_send(key, now=now, window_seconds=int(DAY.total_seconds()))
                slots.append(slot)
                check_send_allowed(now, list(slot.earlier))
            code = new_code()
            await self.codes.put_code(
                reset_code_key(email), code, now=now, ttl_seconds=int(RESET_CODE_TTL.total_seconds())
            )
            await self.tasks.send(SendPasswordResetCode(email, code))
        except BaseException:
            for slot in slots:  # a refused or failed send does not count
                await self.codes.release_send(slot)
            raise

    async def reset(self, username: str, email: str, code: str, new_password: str, client: str) -> User:
        """Set the account's new password with the code mailed to its address; its sessions end."""
        email = check_email(email)
        check_password(new_password)
        async with self.attempts.guard(client, failures=(InvalidCode,)):
            user = await self.accounts.find(username)
            if user is None or code_key(user.email) != code_key(email):
                raise InvalidCode()  # the code is not touched: nothing to learn from the answer
            if not await self.codes.redeem_code(
                reset_code_key(email), code.strip(), now=self.clock.now(), max_failures=CODE_MAX_FAILURES
            ):
                raise InvalidCode()
        await self._set(user.id, new_password, keep=None)
        log.info("password of user %s reset by e-mailed code", user.id)
        return user

    async def change(
        self, user_id: int, current: str, new_password: str, *, session: str, client: str
    ) -> None:
        """Change a signed-in user's password; every session but `session` (the caller's) ends."""
        check_password(new_password)
        async with self.uow() as uow:
            user = await uow.users.get(user_id)
        if user is None:
            raise NotFound("用户", user_id)
        async with self.attempts.guard(client, account_key(user, user.username), failures=(WrongPassword,)):
            try:
                await self.accounts.authenticate(user, current)
            except InvalidCredentials:
                raise WrongPassword() from None
        await self._set(user_id, new_password, keep=session)
        log.info("password of user %s changed", user_id)

    async def _set(self, user_id: int, new_password: str, *, keep: str | None) -> None:
        """Store the new password's hash; every session of the user but `keep` ends, before (if the
        session store fails, nothing changed) and again after (one signed in meanwhile with the old
        password)."""
        password_hash = await asyncio.to_thread(self.accounts.hasher.hash, new_password)
        await self.sessions.end_sessions(user_id, keep=keep)
        async with self.uow() as uow:
            user = await uow.users.get(user_id)
            if user is None:
                raise NotFound("用户", user_id)
            user.password_hash = password_hash
            await uow.users.save(user)
            await uow.commit()
        try:
            await self.sessions.end_sessions(user_id, keep=keep)
        except Exception:
            log.warning("sessions of user %s could not be ended again after the new password", user_id)


RESET_SUBJECT = "家电之选 重置密码验证码"


@dataclass(frozen=True)
class DeliverPasswordResetCode:
    """Task handler: mail a reset code when an account has the address (else nothing). Idempotent."""

    uow: UnitOfWorkFactory
    mailer: Mailer

    async def __call__(self, task: SendPasswordResetCode) -> None:
        async with self.uow() as uow:
            users = await uow.users.by_email(task.email)
        if not users:
            return  # nobody has that address: the caller was answered the same, and nothing is sent
        minutes = int(RESET_CODE_TTL.total_seconds() // 60)
        names = "、".join(user.username for user in users)
        body = (
            "您好！\n\n"
            f"您正在重置家电之选账号的密码，验证码是：{task.code}\n"
            f"验证码 {minutes} 分钟内有效，仅可使用一次。\n\n"
            f"使用此邮箱的账号：{names}\n"
            "请在重置密码页面填写要重置的账号名。重置后，该账号在其他设备上的登录将全部退出。\n\n"
            "如果这不是您本人的操作，请忽略本邮件，您的密码不会改变。\n"
        )
        await self.mailer.send(users[0].email, RESET_SUBJECT, body)
