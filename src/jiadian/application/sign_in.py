"""Sign-in: the user whose password it is, when the failure limits (`jiadian.application.attempts`) allow."""

from __future__ import annotations

from dataclasses import dataclass

from jiadian.application.accounts import Accounts
from jiadian.application.attempts import Attempts, account_key
from jiadian.domain.accounts import User


@dataclass(frozen=True)
class SignIn:
    accounts: Accounts
    attempts: Attempts

    async def login(self, username: str, password: str, client: str) -> User:
        """The user, when `password` is theirs and the limits allow `client` to try; `InvalidCredentials`
        alike for an unknown name and a wrong password."""
        user = await self.accounts.find(username)
        async with self.attempts.guard(client, account_key(user, username)):
            return await self.accounts.authenticate(user, password)
