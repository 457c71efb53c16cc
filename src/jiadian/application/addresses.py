"""The address book: a user's shipping addresses, at most one of them the default."""

from __future__ import annotations

from dataclasses import dataclass

from jiadian.application.unit_of_work import UnitOfWorkFactory
from jiadian.domain.accounts import MAX_ADDRESSES, Address, AddressLimitReached
from jiadian.domain.errors import NotFound


@dataclass(frozen=True, slots=True)
class AddressFields:
    """An address as the user writes it (no id, no owner)."""

    recipient: str
    phone: str
    province: str
    city: str
    county: str
    detail: str
    is_default: bool = False

    def to_address(self, address_id: int, user_id: int) -> Address:
        return Address.validated(
            id=address_id,
            user_id=user_id,
            recipient=self.recipient,
            phone=self.phone,
            province=self.province,
            city=self.city,
            county=self.county,
            detail=self.detail,
            is_default=self.is_default,
        )


@dataclass(frozen=True)
class AddressBook:
    """Only the owner sees or changes an address; anyone else's is answered as absent (404).

    Changes of one user's addresses are serialised (`lock_owner`), so choosing a new default and
    clearing the old one happen as one step: there is never a second default.
    """

    uow: UnitOfWorkFactory

    async def list(self, user_id: int) -> list[Address]:
        """The default first, then the newest first."""
        async with self.uow() as uow:
            return await uow.addresses.list_for(user_id)

    async def add(self, user_id: int, fields: AddressFields) -> Address:
        address = fields.to_address(0, user_id)
        async with self.uow() as uow:
            await uow.addresses.lock_owner(user_id)
            if len(await uow.addresses.list_for(user_id)) >= MAX_ADDRESSES:
                raise AddressLimitReached()
            if address.is_default:
                await uow.addresses.clear_default(user_id)
            address = await uow.addresses.add(address)
            await uow.commit()
        return address

    async def update(self, user_id: int, address_id: int, fields: AddressFields) -> Address:
        address = fields.to_address(address_id, user_id)
        async with self.uow() as uow:
            await uow.addresses.lock_owner(user_id)
            if await uow.addresses.get(address_id, user_id) is None:
                raise NotFound("收货地址", address_id)
            if address.is_default:
                await uow.addresses.clear_default(user_id, except_id=address_id)
            await uow.addresses.save(address)
            await uow.commit()
        return address

    async def delete(self, user_id: int, address_id: int) -> None:
        async with self.uow() as uow:
            if await uow.addresses.get(address_id, user_id) is None:
                raise NotFound("收货地址", address_id)
            await uow.addresses.delete(address_id, user_id)
            await uow.commit()
