"""Wallet use cases: a user's balance, and recharges by an operator."""

from __future__ import annotations

from dataclasses import dataclass, replace

from jiadian.application.audit import wallet_fields
from jiadian.application.unit_of_work import UnitOfWorkFactory
from jiadian.domain.accounts import User
from jiadian.domain.audit import SYSTEM, Actor, target
from jiadian.domain.errors import NotFound
from jiadian.domain.money import Money
from jiadian.domain.wallet import EntryKind, LedgerEntry, RechargeDisabled, Wallet


@dataclass(frozen=True)
class Wallets:
    uow: UnitOfWorkFactory
    online_recharge: bool = False  # the `recharge_enabled` setting: may an admin recharge over HTTP?

    async def show(self, user_id: int) -> Wallet:
        async with self.uow() as uow:
            wallet = await uow.wallets.get(user_id)
        if wallet is None:
            raise NotFound("钱包", user_id)
        return wallet

    async def of_username(self, username: str) -> tuple[User, Wallet]:
        async with self.uow() as uow:
            user = await uow.users.by_username(username)
            wallet = await uow.wallets.get(user.id) if user is not None else None
        if user is None or wallet is None:
            raise NotFound("用户", username)
        return user, wallet

    async def ledger(self, user_id: int) -> list[LedgerEntry]:
        async with self.uow() as uow:
            return await uow.wallets.ledger(user_id)

    async def recharge(self, user_id: int, amount: str, *, note: str = "", by: Actor = SYSTEM) -> Wallet:
        """Add `amount` (a decimal string, > 0, at most 2 places); the balance may not pass the cap.

        The operator's way (`jiadian wallet recharge`): always allowed.
        """
        entry = LedgerEntry(EntryKind.RECHARGE, Money.of(amount), note=note)
        async with self.uow() as uow:
            wallet = await uow.wallets.apply(user_id, entry)
            before = replace(
                wallet,
                balance=wallet.balance - entry.amount,
                total_recharged=wallet.total_recharged - entry.amount,
            )
            await uow.audit.record(
                by, "wallet.recharge", target("user", user_id), wallet_fields(before), wallet_fields(wallet)
            )
            await uow.commit()
        return wallet

    async def recharge_online(self, user_id: int, amount: str, *, by: Actor) -> Wallet:
        """An admin's recharge over HTTP: only when the shop allows it (`recharge_disabled` otherwise)."""
        if not self.online_recharge:
            raise RechargeDisabled()
        return await self.recharge(user_id, amount, note=f"admin:{by.name}", by=by)
