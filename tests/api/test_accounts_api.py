"""Accounts through HTTP: bad input answers 4xx with the error body and changes nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from tests.accounts_support import PASSWORD
from tests.api.account_support import Api, open_api
from tests.files_support import png

from jiadian.adapters.clock import FixedClock
from jiadian.entrypoints.http.web import web_assets

ADDRESS = {
    "recipient": "张三",
    "phone": "13800138000",
    "province": "广东省",
    "city": "深圳市",
    "county": "南山区",
    "detail": "科技园 1 号",
}


@pytest.fixture
async def api(tmp_path: Path, clock: FixedClock) -> AsyncIterator[Api]:
    async for a in open_api(tmp_path, clock):
        yield a


@pytest.fixture
async def api_recharging(tmp_path: Path, clock: FixedClock) -> AsyncIterator[Api]:
    async for a in open_api(tmp_path, clock, recharge_enabled=True):
        yield a


def assert_error(response: Any, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code
    assert body["detail"]


async def register(api: Api, code: str, **fields: str) -> Any:
    body = {"username": "newcomer", "email": "new@example.com", "password": PASSWORD, "code": code, **fields}
    return await api.client.post("/api/auth/register", json=body)


async def user_exists(api: Api, username: str) -> bool:
    async with api.container.uow() as uow:
        return await uow.users.by_username(username) is not None


# --- registration -----------------------------------------------------------------------------


async def test_a_wrong_code_is_refused_and_registers_nobody(api: Api) -> None:
    code = await api.code_for("new@example.com")
    wrong = code[::-1] if code[::-1] != code else "000000"
    assert_error(await register(api, wrong), 400, "invalid_code")
    assert not await user_exists(api, "newcomer")


async def test_an_expired_code_is_refused(api: Api) -> None:
    code = await api.code_for("new@example.com")
    api.clock.advance(seconds=121)
    assert_error(await register(api, code), 400, "invalid_code")
    assert not await user_exists(api, "newcomer")


async def test_a_used_code_is_refused(api: Api) -> None:
    code = await api.code_for("new@example.com")
    assert (await register(api, code)).status_code == 201
    assert_error(await register(api, code, username="second"), 400, "invalid_code")
    assert not await user_exists(api, "second")


async def test_a_taken_username_is_409(api: Api) -> None:
    await api.register("taken", "taken@example.com")
    api.clock.advance(seconds=61)
    response = await api.client.post(
        "/api/auth/verification-codes", json={"username": "taken", "email": "other@example.com"}
    )
    assert_error(response, 409, "username_taken")
    assert api.mailer.to("other@example.com") == []

    code = await api.code_for("late@example.com", "late")
    await api.container.accounts().create_user("late", "first@example.com", "first-password")
    assert_error(await register(api, code, username="late", email="late@example.com"), 409, "username_taken")
    await api.client.login("late", "first-password")  # the first owner's account is untouched


async def test_a_short_password_is_refused_and_the_code_kept(api: Api) -> None:
    code = await api.code_for("new@example.com")
    response = await register(api, code, password="12345")
    assert_error(response, 400, "validation_error")
    assert response.json()["field"] == "password"
    assert "12345" not in response.text
    assert not await user_exists(api, "newcomer")
    assert (await register(api, code)).status_code == 201


@pytest.mark.parametrize(
    ("username", "email"),
    [("newcomer", "not-an-email"), ("no", "new@example.com"), ("a b c", "new@example.com")],
)
async def test_a_bad_code_request_sends_nothing(api: Api, username: str, email: str) -> None:
    response = await api.client.post(
        "/api/auth/verification-codes", json={"username": username, "email": email}
    )
    assert_error(response, 400, "validation_error")
    assert api.mailer.outbox == []


async def test_codes_are_rate_limited_per_client(api: Api) -> None:
    await api.code_for("a@example.com")
    api.clock.advance(seconds=30)
    response = await api.client.post(
        "/api/auth/verification-codes", json={"username": "newcomer", "email": "b@example.com"}
    )
    assert_error(response, 429, "rate_limited")
    assert response.headers["retry-after"] == "30"
    assert api.mailer.to("b@example.com") == []
    api.clock.advance(seconds=31)
    await api.code_for("b@example.com")


# --- profile ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "changes",
    [
        {"phone": "12800138000"},
        {"phone": "138001380"},
        {"email": "nope@"},
        {"introduce": "   "},
        {"phone": 138},
    ],
)
async def test_a_bad_profile_change_changes_nothing(api: Api, changes: dict[str, Any]) -> None:
    await api.sign_in()
    before = (await api.client.get("/api/me")).json()
    response = await api.client.patch("/api/me", json={"introduce": "新的简介", **changes})
    assert_error(response, 400, "validation_error")
    assert (await api.client.get("/api/me")).json() == before


async def test_the_profile_needs_a_session(api: Api) -> None:
    assert_error(await api.client.patch("/api/me", json={"introduce": "hi"}), 401, "not_authenticated")
    assert_error(await api.client.get("/api/me/wallet"), 401, "not_authenticated")
    assert_error(await api.client.get("/api/me/addresses"), 401, "not_authenticated")


# --- avatar -----------------------------------------------------------------------------------


async def test_a_file_that_is_not_an_image_is_400(api: Api) -> None:
    await api.sign_in()
    fake = b"\x89PNG\r\n\x1a\n" + b"this is not really a png" * 10
    response = await api.client.put("/api/me/avatar", files={"image": ("photo.png", fake, "image/png")})
    assert_error(response, 400, "validation_error")
    assert api.media_files() == []
    assert (await api.client.get("/api/me")).json()["avatar_url"] == web_assets().url(
        "storefront/default-avatar.svg"
    )


async def test_an_image_over_3_mib_is_413(api: Api) -> None:
    await api.sign_in()
    big = png() + b"\0" * (3 * 1024 * 1024)
    response = await api.client.put("/api/me/avatar", files={"image": ("big.png", big, "image/png")})
    assert_error(response, 413, "payload_too_large")
    assert api.media_files() == []


async def test_an_avatar_upload_needs_the_image_field(api: Api) -> None:
    await api.sign_in()
    response = await api.client.put("/api/me/avatar", files={"photo": ("a.png", png(), "image/png")})
    assert_error(response, 400, "validation_error")
    assert api.media_files() == []


# --- addresses --------------------------------------------------------------------------------


async def test_a_second_default_address_is_not_an_error(api: Api) -> None:
    await api.sign_in()
    first = (await api.client.post("/api/me/addresses", json={**ADDRESS, "is_default": True})).json()
    second = await api.client.post(
        "/api/me/addresses", json={**ADDRESS, "recipient": "李四", "is_default": True}
    )
    assert second.status_code == 201
    listed = (await api.client.get("/api/me/addresses")).json()
    assert [(a["id"], a["is_default"]) for a in listed] == [(second.json()["id"], True), (first["id"], False)]


async def test_another_users_address_is_404_and_unchanged(api: Api) -> None:
    await api.sign_in("owner")
    mine = (await api.client.post("/api/me/addresses", json={**ADDRESS, "is_default": True})).json()
    await api.sign_in("intruder")
    assert_error(await api.client.put(f"/api/me/addresses/{mine['id']}", json=ADDRESS), 404, "not_found")
    assert_error(await api.client.delete(f"/api/me/addresses/{mine['id']}"), 404, "not_found")
    assert (await api.client.get("/api/me/addresses")).json() == []
    await api.client.post("/api/auth/logout")
    await api.client.login("owner", PASSWORD)
    assert (await api.client.get("/api/me/addresses")).json() == [mine]


@pytest.mark.parametrize("bad", [{"phone": "123"}, {"recipient": "名" * 13}, {"detail": ""}])
async def test_a_bad_address_is_400(api: Api, bad: dict[str, str]) -> None:
    await api.sign_in()
    assert_error(await api.client.post("/api/me/addresses", json={**ADDRESS, **bad}), 400, "validation_error")
    assert (await api.client.get("/api/me/addresses")).json() == []


async def test_addresses_are_updated_and_deleted_by_their_owner(api: Api) -> None:
    await api.sign_in()
    created = (await api.client.post("/api/me/addresses", json=ADDRESS)).json()
    updated = await api.client.put(f"/api/me/addresses/{created['id']}", json={**ADDRESS, "city": "广州市"})
    assert updated.status_code == 200
    assert updated.json() == {**created, "city": "广州市"}
    assert (await api.client.delete(f"/api/me/addresses/{created['id']}")).status_code == 204
    assert (await api.client.get("/api/me/addresses")).json() == []


# --- wallet recharge --------------------------------------------------------------------------


async def recharge(api: Api, user_id: int, amount: Any) -> Any:
    return await api.client.post(f"/api/admin/users/{user_id}/wallet/recharge", json={"amount": amount})


async def wallet_of(api: Api, user_id: int) -> str:
    return str((await api.container.wallets().show(user_id)).balance)


async def test_only_an_admin_recharges(api_recharging: Api) -> None:
    user_id = await api_recharging.sign_in("buyer")
    assert_error(await recharge(api_recharging, user_id, "10.00"), 403, "forbidden")
    await api_recharging.client.post("/api/auth/logout")
    assert_error(await recharge(api_recharging, user_id, "10.00"), 401, "not_authenticated")
    assert await wallet_of(api_recharging, user_id) == "0.00"


async def test_recharge_over_http_is_off_by_default(api: Api) -> None:
    user_id = (await api.container.accounts().create_user("buyer", "b@example.com", PASSWORD)).id
    await api.sign_in("boss", admin=True)
    assert_error(await recharge(api, user_id, "10.00"), 409, "recharge_disabled")
    assert await wallet_of(api, user_id) == "0.00"


@pytest.mark.parametrize(
    ("amount", "code"),
    [
        ("0", "validation_error"),
        ("0.00", "validation_error"),
        ("-5.00", "invalid_amount"),
        ("1.234", "invalid_amount"),
        ("ten", "invalid_amount"),
        ("1000000000.00", "invalid_amount"),
        ("999999999.99", "balance_cap_exceeded"),
        (10, "validation_error"),
    ],
)
async def test_a_bad_recharge_amount_is_400(api_recharging: Api, amount: Any, code: str) -> None:
    user_id = (await api_recharging.container.accounts().create_user("buyer", "b@example.com", PASSWORD)).id
    await api_recharging.container.wallets().recharge(user_id, "1.00")
    await api_recharging.sign_in("boss", admin=True)
    assert_error(await recharge(api_recharging, user_id, amount), 400, code)
    assert await wallet_of(api_recharging, user_id) == "1.00"


async def test_an_admin_recharges_when_allowed(api_recharging: Api) -> None:
    user_id = (await api_recharging.container.accounts().create_user("buyer", "b@example.com", PASSWORD)).id
    await api_recharging.sign_in("boss", admin=True)
    response = await recharge(api_recharging, user_id, "100.5")
    assert response.status_code == 200, response.text
    assert response.json() == {"balance": "100.50", "total_recharged": "100.50", "total_consumed": "0.00"}
    assert_error(await recharge(api_recharging, 9999, "1.00"), 404, "not_found")
