"""Customers, their addresses, and the verification-code policy."""

from __future__ import annotations

import re
import secrets
import string
from dataclasses import dataclass
from datetime import datetime, timedelta

from jiadian.domain.errors import Conflict, RateLimited, ValidationFailed

USERNAME = re.compile(r"^[A-Za-z0-9_\u4e00-\u9fff]{3,30}$")
PHONE = re.compile(r"^1[3-57-9]\d{9}$")
EMAIL = re.compile(r"^[^@\s]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9-]{1,63})+$")
MIN_PASSWORD = 6
MAX_PASSWORD = 128
MAX_INTRODUCE = 255
MAX_ADDRESSES = 20


def account_name(username: str) -> str:
    """A name as MariaDB's collation (utf8mb4_general_ci, PAD SPACE) compares it: without trailing
    spaces, letter case folded. `Alice`, `ALICE` and `alice ` are one name."""
    return username.rstrip(" ").casefold()


def check_username(username: str) -> str:
    if not USERNAME.match(username):
        raise ValidationFailed("用户名须为 3-30 位字母、数字、下划线或汉字", field="username")
    return username


def check_password(password: str) -> str:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise ValidationFailed(f"密码长度须为 {MIN_PASSWORD}-{MAX_PASSWORD} 位", field="password")
    return password


def check_email(email: str) -> str:
    email = email.strip()
    if len(email) > 254 or not EMAIL.match(email):
        raise ValidationFailed("邮箱格式不正确", field="email")
    return email


def check_phone(phone: str) -> str:
    if not PHONE.match(phone):
        raise ValidationFailed("手机号格式不正确", field="phone")
    return phone


def check_introduce(text: str) -> str:
    text = text.strip()
    if not text:
        raise ValidationFailed("个人简介不能为空", field="introduce")
    if len(text) > MAX_INTRODUCE:
        raise ValidationFailed(f"个人简介不能超过 {MAX_INTRODUCE} 个字", field="introduce")
    return text


@dataclass(slots=True)
class User:
    id: int
    username: str
    email: str
    password_hash: str
    phone: str = ""
    introduce: str = ""
    avatar: str = ""  # blob file id; empty means the default avatar
    is_admin: bool = False
    created_at: datetime | None = None


def _bounded(label: str, value: str, limit: int, field: str) -> str:
    value = value.strip()
    if not value:
        raise ValidationFailed(f"{label}不能为空", field=field)
    if len(value) > limit:
        raise ValidationFailed(f"{label}不能超过 {limit} 个字", field=field)
    return value


@dataclass(slots=True)
class Address:
    id: int
    user_id: int
    recipient: str
    phone: str
    province: str
    city: str
    county: str
    detail: str
    is_default: bool = False

    @classmethod
    def validated(
        cls,
        *,
        id: int,
        user_id: int,
        recipient: str,
        phone: str,
        province: str,
        city: str,
        county: str,
        detail: str,
        is_default: bool = False,
    ) -> Address:
        return cls(
            id=id,
            user_id=user_id,
            recipient=_bounded("收件人", recipient, 12, "recipient"),
            phone=check_phone(phone),
            province=_bounded("省份", province, 15, "province"),
            city=_bounded("城市", city, 10, "city"),
            county=_bounded("区县", county, 10, "county"),
            detail=_bounded("详细地址", detail, 40, "detail"),
            is_default=is_default,
        )


class AddressLimitReached(Conflict):
    code = "address_limit"
    message = f"收货地址最多 {MAX_ADDRESSES} 个"


# --- verification codes -----------------------------------------------------------------------

CODE_ALPHABET = string.ascii_letters + string.digits
CODE_LENGTH = 6
CODE_TTL = timedelta(minutes=2)
SEND_INTERVAL = timedelta(seconds=60)
SENDS_PER_DAY = 5
DAY = timedelta(hours=24)
CODE_MAX_FAILURES = 5  # wrong guesses before a code is void (guessing does not pay)


RESET_CODE_TTL = timedelta(minutes=10)  # a reset mail may take a while to arrive


class WrongPassword(ValidationFailed):
    """The current password given to change it is not the account's."""

    code = "wrong_password"
    message = "当前密码不正确"


class InvalidCode(ValidationFailed):
    """Wrong, expired or already used: one answer for all three (it tells a guesser nothing)."""

    code = "invalid_code"
    message = "验证码错误或已失效，请重新获取"


def code_key(email: str) -> str:
    """Codes are kept per address, whatever its letter case."""
    return email.strip().lower()


def reset_code_key(email: str) -> str:
    """Password-reset codes are kept apart from registration codes (one cannot stand for the other)."""
    return "reset:" + code_key(email)


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def check_send_allowed(now: datetime, sends: list[datetime]) -> None:
    """Per client IP: at most one send per 60 s and at most 5 per 24 h. `sends`: earlier sends from that IP."""
    recent = [t for t in sends if now - t < DAY]
    if recent and now - max(recent) < SEND_INTERVAL:
        wait = SEND_INTERVAL - (now - max(recent))
        raise RateLimited(max(1, int(wait.total_seconds() + 0.999)), "验证码发送过于频繁，请稍后再试")
    if len(recent) >= SENDS_PER_DAY:
        wait = DAY - (now - min(recent))
        raise RateLimited(max(1, int(wait.total_seconds())), "今日验证码发送次数已达上限")
