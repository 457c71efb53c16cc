"""Limits: body size, page size, text lengths, sign-in and code-sending rates, and the security headers."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from dependency_injector import providers

import jiadian.entrypoints.http.app as app_module
from jiadian.adapters.demo import placeholder_png
from jiadian.application.tasks import SendVerificationCode
from tests.conftest import ShopClient
from tests.security.conftest import Shop, ShopFactory
from tests.security.support import PASSWORD, Person, load_demo, make_user

MiB = 1024 * 1024
PNG = placeholder_png("limits", (40, 40))
PERSONAL = (
    "/api/me",
    "/api/orders",
    "/api/cart",
    "/api/checkout",
    "/api/auth",
    "/api/admin",
    "/api/payments",
)


def error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert (body["code"], type(body["detail"])) == (code, str), body
    return body


def browser_at(shop: Shop, ip: str) -> ShopClient:
    """A browser on the same app seen from another client IP."""
    app = shop.client._transport.app  # type: ignore[attr-defined]
    return ShopClient(
        transport=httpx.ASGITransport(app=app, client=(ip, 40000)), base_url="http://testserver"
    )


@pytest.fixture
async def owner(shop: Shop) -> Person:
    return await shop.person("limits_owner", balance="100000.00")


# --- request body size ---------------------------------------------------------------------------


async def test_an_oversized_body_is_refused_with_413_and_the_error_body(shop: Shop, owner: Person) -> None:
    huge = json.dumps({"sku_id": 1, "count": 1, "padding": "x" * (5 * MiB)})
    for client, path in ((owner.client, "/api/cart/items"), (shop.anonymous(), "/api/auth/login")):
        response = await client.post(path, content=huge, headers={"content-type": "application/json"})
        error(response, 413, "payload_too_large")

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: the limit holds while streaming
        for _ in range(5):
            yield b"x" * MiB

    streamed = await owner.client.post(
        "/api/me/addresses", content=chunks(), headers={"content-type": "application/json"}
    )
    error(streamed, 413, "payload_too_large")
    # Alipay's notification has its own, smaller limit (64 KiB).
    notify = await shop.anonymous().post("/api/payments/alipay/notify", data={"x": "y" * (100 * 1024)})
    error(notify, 413, "payload_too_large")
    # Just under the limit is read (and refused for what it says, not for its size).
    fits = json.dumps({"sku_id": 1, "count": 1, "padding": "x" * (3 * MiB)})
    response = await owner.client.post(
        "/api/cart/items", content=fits, headers={"content-type": "application/json"}
    )
    assert response.status_code == 404, response.text


# --- page size ----------------------------------------------------------------------------------


async def test_page_size_has_a_maximum(shop: Shop, owner: Person) -> None:
    operator = await shop.person("limits_oper", admin=True)
    await load_demo(shop.container)
    pages = [
        (shop.anonymous(), "/api/catalog/products", {}),
        (shop.anonymous(), "/api/catalog/search", {"q": "a"}),
        (shop.anonymous(), "/api/catalog/products/1/reviews", {}),
        (owner.client, "/api/orders", {}),
        (operator.client, "/api/admin/payments", {}),
    ]
    for client, path, query in pages:
        ok = await client.get(path, params={**query, "page_size": 50})
        assert ok.status_code == 200, (path, ok.text)
        assert ok.json()["page_size"] == 50
        for size in (51, 0, -1, 10**6):
            error(await client.get(path, params={**query, "page_size": size}), 400, "validation_error")
        # A page past the end (even an absurd one) answers the last page, never an error.
        last = await client.get(path, params={**query, "page": "9" * 20})
        assert last.status_code == 200, (path, last.text)
        assert last.json()["page"] == max(last.json()["pages"], 1)
    limited = await operator.client.get("/api/admin/payments/notifications", params={"limit": 201})
    error(limited, 400, "validation_error")


# --- text lengths -----------------------------------------------------------------------------------

Send = Callable[[str], Awaitable[httpx.Response]]


async def check_length(name: str, send: Send, limit: int, accepted: int, *, char: str = "字") -> None:
    """`limit` characters are accepted (`accepted` status), one more is refused with 400."""
    at = await send(char * limit)
    assert at.status_code == accepted, (name, limit, at.text)
    over = await send(char * (limit + 1))
    assert over.status_code == 400, (name, limit + 1, over.text)
    assert over.json()["code"] == "validation_error", (name, over.text)


ADDRESS = {
    "recipient": "韩梅梅",
    "phone": "13600000000",
    "province": "四川省",
    "city": "成都市",
    "county": "武侯区",
    "detail": "人民南路 4 号",
}


async def test_every_text_input_has_a_length_limit(shop: Shop, owner: Person) -> None:
    operator = await shop.person("limits_oper", admin=True)
    sku = await shop.orders.given_sku(price="10.00", stock=100)
    anonymous = shop.anonymous()

    def address(field: str) -> Send:
        return lambda text: owner.client.post("/api/me/addresses", json={**ADDRESS, field: text})

    def order(**extra: Any) -> Callable[..., Awaitable[httpx.Response]]:
        body = {"buy_now": {"sku_id": sku.id, "count": 1}, "address_id": owner.address_id}
        return lambda **kw: owner.client.post("/api/orders", json={**body, **extra}, **kw)

    # Accounts: sign-in, sign-up and the profile (ASCII where the rules want letters and digits).
    await check_length(
        "login username",
        lambda t: anonymous.post("/api/auth/login", json={"username": t, "password": "x" * 8}),
        30,
        401,
        char="a",
    )
    await check_length(
        "code username",
        lambda t: anonymous.post(
            "/api/auth/verification-codes", json={"username": t, "email": "n@example.com"}
        ),
        30,
        202,
        char="b",
    )
    shop.clock.advance(seconds=61)
    await check_length(
        "email",
        lambda t: anonymous.post(
            "/api/auth/verification-codes", json={"username": "newbie", "email": email_of(len(t))}
        ),
        254,
        202,
    )
    sent: SendVerificationCode = shop.tasks.of_type(SendVerificationCode)[-1][0]

    def register(password: str) -> Awaitable[httpx.Response]:
        body = {"username": "newbie", "email": sent.email, "password": password, "code": sent.code}
        return anonymous.post("/api/auth/register", json=body)

    over = await register("p" * 129)
    error(over, 400, "validation_error")
    assert (
        await register("p" * 128)
    ).status_code == 201  # the code still stood: the long one was refused first
    await check_length("introduce", lambda t: owner.client.patch("/api/me", json={"introduce": t}), 255, 200)
    # Addresses: the original's column sizes.
    for field, limit in (("recipient", 12), ("province", 15), ("city", 10), ("county", 10), ("detail", 40)):
        await check_length(f"address {field}", address(field), limit, 201)
    kept = (await owner.client.get("/api/me/addresses")).json()
    assert max(len(a[f]) for a in kept for f in ("recipient", "province", "city", "county", "detail")) <= 40
    # Orders: the note, the idempotency key, the order id in the path; reviews.
    await check_length("mark", lambda t: order(mark=t)(), 255, 201)
    await check_length(
        "Idempotency-Key", lambda t: order()(headers={"Idempotency-Key": t}), 64, 201, char="k"
    )
    await check_length("order id", lambda t: owner.client.get(f"/api/orders/{t}"), 32, 404, char="9")
    placed = await order()()
    order_id = placed.json()["order_id"]
    assert (
        await owner.client.post(f"/api/orders/{order_id}/payments", json={"method": "wallet"})
    ).status_code == 200
    await shop.container.fulfilment().ship(order_id)
    assert (await owner.client.post(f"/api/orders/{order_id}/confirm-receipt")).status_code == 200
    line = placed.json()["lines"][0]["line_id"]
    review = f"/api/orders/{order_id}/lines/{line}/review"
    error(await owner.client.post(review, json={"score": 5, "content": "字" * 501}), 400, "validation_error")
    assert (await owner.client.post(review, json={"score": 5, "content": "字" * 500})).status_code == 201
    # The catalogue: search, and the operators' names and texts.
    await check_length("search q", lambda t: anonymous.get("/api/catalog/search", params={"q": t}), 100, 200)
    suggest = anonymous.get
    await check_length(
        "suggest q", lambda t: suggest("/api/catalog/search/suggest", params={"q": t}), 100, 200
    )
    product = {
        "category": "intelligence",
        "spu": "长度",
        "name": "长度",
        "skus": [{"price": "1.00", "stock": 1}],
    }
    admin = operator.client
    await check_length(
        "product name",
        lambda t: admin.post("/api/admin/catalog/products", json={**product, "name": t}),
        100,
        201,
    )
    await check_length(
        "spu", lambda t: admin.post("/api/admin/catalog/products", json={**product, "spu": t}), 100, 201
    )
    await check_length(
        "spu detail",
        lambda t: admin.post("/api/admin/catalog/products", json={**product, "spu_detail": t}),
        10_000,
        201,
    )
    for field in ("color", "size"):
        await check_length(
            f"sku {field}",
            lambda t, f=field: admin.post(  # type: ignore[misc]
                "/api/admin/catalog/products",
                json={**product, "name": f"{f}{len(t)}", "skus": [{"price": "1.00", "stock": 1, f: t}]},
            ),
            50,
            201,
        )
    await check_length(
        "banner name",
        lambda t: admin.post(
            "/api/admin/catalog/banners", data={"name": t}, files={"image": ("a.png", PNG, "image/png")}
        ),
        50,
        201,
    )


def email_of(length: int) -> str:
    """A valid address of exactly `length` characters (local part 64, domain labels of at most 63)."""
    domain = "com"
    while len(domain) < length - 65:
        label = min(63, length - 65 - len(domain) - 1)
        if label < 1:  # one character short of room for another label: lengthen the first one
            first, _, rest = domain.partition(".")
            domain = f"{first}d.{rest}"
            continue
        domain = f"{'d' * label}.{domain}"
    address = f"{'c' * 64}@{domain}"
    assert len(address) == length, (len(address), length)
    return address


# --- the sign-in rate limit -------------------------------------------------------------------------


async def sign_in(client: ShopClient, username: str, password: str = PASSWORD) -> httpx.Response:
    return await client.post("/api/auth/login", json={"username": username, "password": password})


def limited(response: httpx.Response, *, at_most: int) -> int:
    body = error(response, 429, "rate_limited")
    wait = int(response.headers["Retry-After"])
    assert wait == body["retry_after"]
    assert 0 < wait <= at_most
    return wait


async def test_sign_in_failures_are_limited_per_account_and_client(shop: Shop) -> None:
    await make_user(shop.container, "victim")
    attacker = shop.anonymous()
    for _ in range(5):
        error(await sign_in(attacker, "victim", "guess-123"), 401, "invalid_credentials")
    wait = limited(await sign_in(attacker, "victim"), at_most=15 * 60)  # even the right password
    elsewhere = browser_at(shop, "198.51.100.7")  # the owner, from another address: not locked out
    assert (await sign_in(elsewhere, "victim")).status_code == 200
    shop.clock.advance(seconds=wait)
    assert (await sign_in(attacker, "victim")).status_code == 200
    await elsewhere.aclose()


async def test_sign_in_failures_are_limited_per_client_ip(shop: Shop) -> None:
    await make_user(shop.container, "regular")
    attacker = shop.anonymous()
    for n in range(20):  # a spray: a few guesses at many names
        error(await sign_in(attacker, f"name{n}", "guess-123"), 401, "invalid_credentials")
    limited(await sign_in(attacker, "regular"), at_most=15 * 60)
    elsewhere = browser_at(shop, "198.51.100.8")
    assert (await sign_in(elsewhere, "regular")).status_code == 200
    await elsewhere.aclose()
    shop.clock.advance(seconds=15 * 60)
    assert (await sign_in(attacker, "regular")).status_code == 200


async def test_successful_sign_ins_do_not_count_and_the_limits_are_settings(make_shop: ShopFactory) -> None:
    async with make_shop(login_max_failures_per_user=2, login_failure_window_seconds=60) as shop:
        await make_user(shop.container, "busy")
        browser = shop.anonymous()
        for _ in range(10):
            assert (await sign_in(browser, "busy")).status_code == 200
        error(await sign_in(browser, "busy", "wrong-123"), 401, "invalid_credentials")
        assert (await sign_in(browser, "busy")).status_code == 200
        error(await sign_in(browser, "busy", "wrong-123"), 401, "invalid_credentials")
        limited(await sign_in(browser, "busy"), at_most=60)
        shop.clock.advance(seconds=30)
        limited(await sign_in(browser, "busy"), at_most=30)
        shop.clock.advance(seconds=30)
        assert (await sign_in(browser, "busy")).status_code == 200


# --- the code-sending rate limit ----------------------------------------------------------------


async def test_verification_codes_are_limited_per_client_ip(shop: Shop) -> None:
    browser = shop.anonymous()

    async def ask(n: int) -> httpx.Response:
        return await browser.post(
            "/api/auth/verification-codes", json={"username": f"new{n}", "email": f"n{n}@example.com"}
        )

    assert (await ask(0)).status_code == 202
    limited(await ask(1), at_most=60)  # one per 60 s
    for n in range(1, 5):
        shop.clock.advance(seconds=61)
        assert (await ask(n)).status_code == 202
    shop.clock.advance(seconds=61)
    limited(await ask(5), at_most=24 * 3600)  # five per 24 h
    assert len(shop.tasks.of_type(SendVerificationCode)) == 5


# --- security headers -------------------------------------------------------------------------------


def check_headers(response: httpx.Response) -> None:
    path = response.request.url.path
    where = f"{response.request.method} {path} → {response.status_code}"
    headers = response.headers
    assert headers.get("x-content-type-options") == "nosniff", where
    assert headers.get("x-frame-options") == "DENY", where
    assert headers.get("referrer-policy") == "same-origin", where
    if not path.startswith("/schema"):  # the interactive docs load their scripts from a CDN
        policy = headers.get("content-security-policy", "")
        assert "frame-ancestors 'none'" in policy, where
        assert "script-src 'self'" in policy, where
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, where  # noqa: PT018
    if path.startswith(PERSONAL):
        assert headers.get("cache-control") == "no-store", where
    else:
        assert headers.get("cache-control") != "no-store", where


async def test_every_answer_carries_the_security_headers(shop: Shop, owner: Person) -> None:
    await load_demo(shop.container)
    anonymous = shop.anonymous()
    home = (await anonymous.get("/api/catalog/home")).json()
    image = home["categories"][0]["image_url"]
    seen: list[httpx.Response] = []
    for client, method, path, kwargs in [
        (anonymous, "GET", "/", {}),
        (anonymous, "GET", "/app.js", {}),
        (anonymous, "GET", "/shared/api.js", {}),
        (anonymous, "HEAD", "/style.css", {}),
        (anonymous, "GET", image, {}),
        (anonymous, "GET", "/media/nothing.png", {}),
        (anonymous, "GET", "/health", {}),
        (anonymous, "GET", "/api/catalog/home", {}),
        (anonymous, "GET", "/api/catalog/products/999999", {}),
        (anonymous, "GET", "/api/no-such-route", {}),
        (anonymous, "DELETE", "/api/catalog/home", {}),
        (anonymous, "OPTIONS", "/api/cart", {}),
        (anonymous, "GET", "/api/me", {}),
        (anonymous, "GET", "/api/orders", {}),
        (anonymous, "POST", "/api/auth/login", {"json": {"username": "nobody", "password": "x"}}),
        (anonymous, "GET", "/schema/openapi.json", {}),
        (anonymous, "GET", "/schema/swagger", {}),
        (owner.client, "GET", "/api/me", {}),
        (owner.client, "GET", "/api/me/addresses", {}),
        (owner.client, "GET", "/api/cart", {}),
        (owner.client, "GET", "/api/orders", {}),
        (owner.client, "GET", "/api/orders/nope", {}),
        (owner.client, "POST", "/api/checkout/preview", {"json": {}}),
        (owner.client, "POST", "/api/cart/items", {"content": b"x" * (5 * MiB)}),
    ]:
        seen.append(await client.request(method, path, **kwargs))
    async with httpx.AsyncClient(transport=shop.client._transport, base_url="http://testserver") as bare:
        seen.append(await bare.post("/api/cart/items", json={}))  # no CSRF token: 403
    assert {r.status_code for r in seen} >= {200, 204, 400, 401, 403, 404, 405, 413}
    for response in seen:
        check_headers(response)


async def test_a_server_error_carries_the_security_headers_and_no_stack_trace(shop: Shop) -> None:
    class Broken:
        async def home(self) -> None:
            raise RuntimeError("a secret stack frame")

    shop.container.catalog.override(providers.Object(Broken()))
    response = await shop.anonymous().get("/api/catalog/home")
    error(response, 500, "internal_error")
    assert "secret" not in response.text and "Traceback" not in response.text  # noqa: PT018
    check_headers(response)


def test_the_storefront_needs_nothing_the_policy_forbids() -> None:
    """Same-origin scripts, styles and images only: no inline script, style or handler, no eval."""
    html = (app_module.STOREFRONT / "index.html").read_text(encoding="utf-8")
    assert not re.search(r"<script(?![^>]*\ssrc=)[^>]*>", html), "an inline <script>"
    assert not re.search(r"<style|\sstyle=|\son[a-z]+=", html), "an inline style or event handler"
    assert not re.search(r"https?://", html), "a resource from another origin"
    scripts = sorted(app_module.WEB.rglob("*.js"))
    assert len(scripts) > 2, scripts  # the fronts' modules and the shared ones
    for path in scripts:
        script = path.read_text(encoding="utf-8")
        where = str(path.relative_to(app_module.WEB))
        assert not re.search(r"\beval\(|new Function\(|style=\\?[\"']|\son[a-z]+=\\?[\"']", script), where
        # same-origin modules only
        assert not re.search(r"\bimport\s*\(?\s*['\"](?:https?:)?//", script), where
