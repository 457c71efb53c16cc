"""Request and response bodies of registration, the profile, addresses and wallets."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from litestar.datastructures import UploadFile
from pydantic import BaseModel, Field

from jiadian.application.addresses import AddressFields
from jiadian.domain.accounts import Address

# Generous bounds against oversized bodies; the domain checks the real rules (with zh-CN messages).
Short = Annotated[str, Field(max_length=64)]
Text = Annotated[str, Field(max_length=500)]


class CodeRequest(BaseModel):
    username: Short
    email: Annotated[str, Field(max_length=254)]


class CodeSent(BaseModel):
    expires_in: Annotated[int, Field(description="seconds the code stays valid")]
    resend_after: Annotated[int, Field(description="seconds before this client may ask again")]


class RegisterIn(BaseModel):
    username: Short
    email: Annotated[str, Field(max_length=254)]
    password: Annotated[str, Field(max_length=128, description="at least 6 characters")]
    code: Annotated[str, Field(max_length=32, description="the code e-mailed to `email`")]


class Registered(BaseModel):
    id: int
    username: str


class PasswordResetRequest(BaseModel):
    email: Annotated[str, Field(max_length=254, description="the address the account was registered with")]


class PasswordResetSent(BaseModel):
    """The same answer whether or not an account has the address."""

    expires_in: Annotated[int, Field(description="seconds a mailed code stays valid")]
    resend_after: Annotated[int, Field(description="seconds before this client may ask again")]


class PasswordResetIn(BaseModel):
    username: Annotated[
        str, Field(max_length=64, description="the account to reset (the mail names those with the address)")
    ]
    email: Annotated[str, Field(max_length=254)]
    code: Annotated[str, Field(max_length=32, description="the code e-mailed to `email`")]
    password: Annotated[str, Field(max_length=128, description="the new password, at least 6 characters")]


class PasswordChangeIn(BaseModel):
    current_password: Annotated[str, Field(max_length=128)]
    new_password: Annotated[str, Field(max_length=128, description="at least 6 characters")]


class ProfileChanges(BaseModel):
    """Only the fields present change."""

    email: Annotated[str, Field(max_length=254)] | None = None
    phone: Annotated[str | None, Field(max_length=20, examples=["13800138000"])] = None
    introduce: Text | None = None


@dataclass
class AvatarUpload:
    image: UploadFile


class AvatarOut(BaseModel):
    avatar_url: str


class AddressIn(BaseModel):
    recipient: Short
    phone: Annotated[str, Field(max_length=20)]
    province: Short
    city: Short
    county: Short
    detail: Annotated[str, Field(max_length=200)]
    is_default: bool = False

    def fields(self) -> AddressFields:
        return AddressFields(
            self.recipient, self.phone, self.province, self.city, self.county, self.detail, self.is_default
        )


class AddressOut(BaseModel):
    id: int
    recipient: str
    phone: str
    province: str
    city: str
    county: str
    detail: str
    is_default: bool

    @classmethod
    def of(cls, a: Address) -> AddressOut:
        return cls(
            id=a.id,
            recipient=a.recipient,
            phone=a.phone,
            province=a.province,
            city=a.city,
            county=a.county,
            detail=a.detail,
            is_default=a.is_default,
        )


class RechargeIn(BaseModel):
    amount: Annotated[
        str, Field(max_length=32, examples=["100.00"], description="CNY, > 0, 2 places at most")
    ]
