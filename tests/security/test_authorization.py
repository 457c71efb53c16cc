"""The authorization matrix: every route of the app's route table × {anonymous, another user, the
owner, an operator} → the expected status.

The routes come from `app.routes` (not from a list kept here): a route without a rule in `RULES`
fails the test, so a new route must be classified. Each rule says who may use the route:

- PUBLIC: anyone, signed in or not (catalogue, health, schema, media, storefront, sign-in, and the
  payment gateway's callbacks, which authenticate by signature);
- SELF: the signed-in user's own data (profile, cart, checkout, their order list) — anonymous 401,
  every signed-in role gets their own, and nobody's answer shows the owner's data but the owner's;
- OWNER: a resource of one user, named in the path (an order, an address) — anonymous 401, another
  user and an operator 404 (as if absent), the owner the rule's status;
- OPERATOR: the operators' endpoints — anonymous 401, shoppers 403, the operator the rule's status.

OPTIONS is Litestar's own answer (the allowed methods, no handler runs) and is not in the matrix.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from litestar import Litestar
from litestar.routes import HTTPRoute

from jiadian.adapters.demo import placeholder_png
from jiadian.application.fulfilment import Fulfilment
from tests.conftest import ShopClient
from tests.security.conftest import Shop, ShopFactory
from tests.security.support import PASSWORD, Person, load_demo

ROLES = ("anonymous", "other", "operator", "owner")  # the owner last: their requests may change things
OWNER_MARK = "OWNER-PRIVATE"  # in the owner's address, profile and order note; nobody else may see it
PNG = placeholder_png("authz", (40, 40))


class Access(enum.Enum):
    PUBLIC = "public"
    SELF = "self"
    OWNER = "owner"
    OPERATOR = "operator"


@dataclass
class Call:
    """One request: the path's parameters and the body (JSON, or multipart files and fields)."""

    params: dict[str, Any] = field(default_factory=dict)
    json: Any = None
    files: dict[str, Any] | None = None
    data: dict[str, Any] | None = None
    query: dict[str, Any] | None = None
    headers: dict[str, str] | None = None
    json_for: Callable[[str], Any] | None = None  # a body that differs by role (e.g. their own address)


@dataclass
class World:
    shop: Shop
    people: dict[str, Person]
    anonymous: ShopClient
    sku_id: int = 0  # what people buy
    admin_sku_id: int = 0  # what the operators change (price, stock, shelf, images)
    admin_product_id: int = 0
    product_id: int = 0

    def client(self, role: str) -> ShopClient:
        return self.anonymous if role == "anonymous" else self.people[role].client

    @property
    def owner(self) -> Person:
        return self.people["owner"]

    async def order(
        self, *, paid: bool = False, shipped: bool = False, received: bool = False
    ) -> dict[str, Any]:
        response = await self.owner.client.post(
            "/api/orders",
            json={
                "buy_now": {"sku_id": self.sku_id, "count": 1},
                "address_id": self.owner.address_id,
                "mark": OWNER_MARK,
            },
        )
        assert response.status_code == 201, response.text
        order: dict[str, Any] = response.json()
        if paid or shipped or received:
            pay = await self.owner.client.post(
                f"/api/orders/{order['order_id']}/payments", json={"method": "wallet"}
            )
            assert pay.status_code == 200, pay.text
        if shipped or received:
            fulfilment: Fulfilment = self.shop.container.fulfilment()
            await fulfilment.ship(order["order_id"])
        if received:
            done = await self.owner.client.post(f"/api/orders/{order['order_id']}/confirm-receipt")
            assert done.status_code == 200, done.text
        return order

    async def address(self) -> int:
        response = await self.owner.client.post(
            "/api/me/addresses",
            json={
                "recipient": "韩梅梅",
                "phone": "13600000000",
                "province": "四川省",
                "city": "成都市",
                "county": "武侯区",
                "detail": OWNER_MARK,
            },
        )
        assert response.status_code == 201, response.text
        return int(response.json()["id"])

    async def sku_image(self) -> int:
        operator = self.people["operator"].client
        response = await operator.post(
            f"/api/admin/catalog/skus/{self.admin_sku_id}/images",
            files={"image": ("a.png", PNG, "image/png")},
        )
        assert response.status_code == 201, response.text
        return int(response.json()["id"])

    async def banner(self) -> int:
        operator = self.people["operator"].client
        response = await operator.post(
            "/api/admin/catalog/banners", data={"name": "横幅"}, files={"image": ("b.png", PNG, "image/png")}
        )
        assert response.status_code == 201, response.text
        return int(response.json()["id"])

    async def refund_request(self) -> int:
        order = await self.order(paid=True)
        asked = await self.owner.client.post(
            f"/api/orders/{order['order_id']}/refund", json={"reason": OWNER_MARK}
        )
        assert asked.status_code == 201, asked.text
        return int(asked.json()["id"])

    async def gateway_payment(self) -> tuple[dict[str, Any], int]:
        order = await self.order()
        started = await self.owner.client.post(
            f"/api/orders/{order['order_id']}/payments", json={"method": "alipay"}
        )
        assert started.status_code == 200, started.text
        listed = (await self.people["operator"].client.get("/api/admin/payments")).json()
        return order, int(listed["items"][0]["id"])


Prepare = Callable[[World], Awaitable[Call]]


async def nothing(_world: World) -> Call:
    return Call()


def fixed(call: Call) -> Prepare:
    async def prepare(_world: World) -> Call:
        return call

    return prepare


@dataclass(frozen=True)
class Rule:
    access: Access
    status: int  # the status of the owner (SELF/OWNER), the operator (OPERATOR), or anyone (PUBLIC)
    prepare: Prepare = nothing
    own_session: bool = False  # each role calls from a session of its own (signing in or out)

    def expected(self, role: str) -> int:
        if self.access is Access.PUBLIC:
            return self.status
        if role == "anonymous":
            return 401
        if self.access is Access.SELF:
            return self.status  # everyone signed in gets their own
        if self.access is Access.OWNER:
            return self.status if role == "owner" else 404  # as if it did not exist
        return self.status if role == "operator" else 403


ADDRESS = {
    "recipient": "李雷",
    "phone": "13900000000",
    "province": "江苏省",
    "city": "南京市",
    "county": "玄武区",
    "detail": "新地址",
}
PRODUCT = {
    "category": "intelligence",
    "spu": "授权测试",
    "name": "授权测试 Pro",
    "skus": [{"price": "99.00", "stock": 3, "color": "黑", "size": "M"}],
}


async def order_path(world: World) -> Call:
    return Call({"order_id": (await world.order())["order_id"]})


async def unpaid_payment(world: World) -> Call:
    return Call({"order_id": (await world.order())["order_id"]}, json={"method": "wallet"})


async def paid_order(world: World) -> Call:
    return Call({"order_id": (await world.order(paid=True))["order_id"]}, json={"reason": "不想要了"})


async def refund_path(world: World) -> Call:
    return Call({"order_id": (await world.order(paid=True))["order_id"]})


async def requested_refund_of_order(world: World) -> Call:
    refund_id = await world.refund_request()
    listed = (await world.people["operator"].client.get(f"/api/admin/refunds/{refund_id}")).json()
    return Call({"order_id": listed["order_id"]})


async def requested_refund(world: World) -> Call:
    return Call({"refund_id": await world.refund_request()}, json={"answer": "已发货"})


async def shipped_order(world: World) -> Call:
    return Call({"order_id": (await world.order(shipped=True))["order_id"]})


async def received_line(world: World) -> Call:
    order = await world.order(received=True)
    return Call({"order_id": order["order_id"], "line_id": order["lines"][0]["line_id"]}, json={"score": 5})


async def address_path(world: World) -> Call:
    return Call({"address_id": await world.address()}, json=ADDRESS)


async def cart_line(world: World) -> Call:
    for role in ("other", "operator", "owner"):  # everyone has the line: each changes their own
        added = await world.client(role).post("/api/cart/items", json={"sku_id": world.sku_id, "count": 1})
        assert added.status_code == 200, added.text
    return Call({"sku_id": world.sku_id}, json={"count": 2})


async def preview(world: World) -> Call:
    return Call(json={"buy_now": {"sku_id": world.sku_id, "count": 1}})


async def cart_add(world: World) -> Call:
    return Call(json={"sku_id": world.sku_id, "count": 1})


async def place(world: World) -> Call:
    def body(role: str) -> dict[str, Any]:
        address = world.people[role].address_id if role in world.people else 1
        return {"buy_now": {"sku_id": world.sku_id, "count": 1}, "address_id": address}

    return Call(json_for=body)  # each role names their own address


async def product_path(world: World) -> Call:
    return Call({"product_id": world.product_id})


async def admin_product(world: World) -> Call:
    return Call({"product_id": world.admin_product_id})


async def product_update(world: World) -> Call:
    return Call({"product_id": world.admin_product_id}, json={"name": "改名", "skus": PRODUCT["skus"]})


async def sku_path(world: World) -> Call:
    return Call({"sku_id": world.admin_sku_id})


async def set_stock(world: World) -> Call:
    return Call({"sku_id": world.admin_sku_id}, json={"stock": 900})


async def set_price(world: World) -> Call:
    return Call({"sku_id": world.admin_sku_id}, json={"price": "10.00"})


async def sku_image_upload(world: World) -> Call:
    return Call({"sku_id": world.admin_sku_id}, files={"image": ("c.png", PNG, "image/png")})


async def sku_image_path(world: World) -> Call:
    return Call({"sku_id": world.admin_sku_id, "image_id": await world.sku_image()})


async def sku_image_replace(world: World) -> Call:
    return Call(
        {"sku_id": world.admin_sku_id, "image_id": await world.sku_image()},
        files={"image": ("d.png", PNG, "image/png")},
    )


async def banner_path(world: World) -> Call:
    return Call({"banner_id": await world.banner()})


async def banner_image(world: World) -> Call:
    return Call({"banner_id": await world.banner()}, files={"image": ("e.png", PNG, "image/png")})


async def banner_upload(_world: World) -> Call:
    return Call(data={"name": "新横幅"}, files={"image": ("f.png", PNG, "image/png")})


async def recharge(world: World) -> Call:
    return Call({"user_id": world.owner.user_id}, json={"amount": "10.00"})


async def refunded(world: World) -> Call:
    _order, payment_id = await world.gateway_payment()
    return Call({"payment_id": payment_id})


async def simulated_pay(world: World) -> Call:
    order, _payment_id = await world.gateway_payment()
    return Call({"order_ref": order["order_id"]})


async def ship(world: World) -> Call:
    return Call({"order_id": (await world.order(paid=True))["order_id"]})


async def media_file(world: World) -> Call:
    home = (await world.anonymous.get("/api/catalog/home")).json()
    url: str = home["categories"][0]["image_url"]
    return Call({"file_path": url.removeprefix("/media/")})


async def register(_world: World) -> Call:
    return Call(
        json={"username": "newcomer", "email": "new@example.com", "password": "secret-123", "code": "AAAAAA"}
    )


async def login(world: World) -> Call:
    return Call(json={"username": world.people["other"].name, "password": PASSWORD})


async def simulator_page(world: World) -> Call:
    order, _payment_id = await world.gateway_payment()
    return Call({"trade_no": order["trade_no"]})


async def alipay_return(world: World) -> Call:
    return Call(query={"out_trade_no": "JD0", "sign": "forged"}, headers={"accept": "application/json"})


RULES: dict[tuple[str, str], Rule] = {
    # --- public: health, catalogue, schema, media, storefront ---
    ("GET", "/health"): Rule(Access.PUBLIC, 200),
    ("GET", "/ready"): Rule(Access.PUBLIC, 200),
    # these clients are on the loopback interface; remote clients and the token: tests/ops/test_observability.py
    ("GET", "/metrics"): Rule(Access.PUBLIC, 200),
    ("GET", "/api/catalog/home"): Rule(Access.PUBLIC, 200),
    ("GET", "/api/catalog/categories"): Rule(Access.PUBLIC, 200),
    ("GET", "/api/catalog/banners"): Rule(Access.PUBLIC, 200),
    ("GET", "/api/catalog/products"): Rule(Access.PUBLIC, 200),
    ("GET", "/api/catalog/search"): Rule(Access.PUBLIC, 200, fixed(Call(query={"q": "a"}))),
    ("GET", "/api/catalog/search/suggest"): Rule(Access.PUBLIC, 200, fixed(Call(query={"q": "iph"}))),
    ("GET", "/api/catalog/products/{product_id:int}"): Rule(Access.PUBLIC, 200, product_path),
    ("GET", "/api/catalog/products/{product_id:int}/reviews"): Rule(Access.PUBLIC, 200, product_path),
    ("GET", "/schema"): Rule(Access.PUBLIC, 200),
    ("GET", "/schema/openapi.json"): Rule(Access.PUBLIC, 200),
    ("GET", "/schema/openapi.yaml"): Rule(Access.PUBLIC, 200),
    ("GET", "/schema/openapi.yml"): Rule(Access.PUBLIC, 200),
    ("GET", "/schema/swagger"): Rule(Access.PUBLIC, 200),
    ("GET", "/schema/redoc"): Rule(Access.PUBLIC, 200),
    ("GET", "/schema/elements"): Rule(Access.PUBLIC, 200),
    ("GET", "/schema/rapidoc"): Rule(Access.PUBLIC, 200),
    ("GET", "/schema/oauth2-redirect.html"): Rule(Access.PUBLIC, 200),
    ("GET", "/schema/{path:str}"): Rule(Access.PUBLIC, 404, fixed(Call({"path": "nothing-here"}))),
    ("GET", "/media/{file_path:path}"): Rule(Access.PUBLIC, 200, media_file),
    ("HEAD", "/media/{file_path:path}"): Rule(Access.PUBLIC, 200, media_file),
    ("GET", "/shared/{file_path:path}"): Rule(Access.PUBLIC, 200, fixed(Call({"file_path": "api.js"}))),
    ("HEAD", "/shared/{file_path:path}"): Rule(Access.PUBLIC, 200, fixed(Call({"file_path": "html.js"}))),
    ("GET", "/"): Rule(Access.PUBLIC, 200),
    ("GET", "/{file_path:path}"): Rule(Access.PUBLIC, 200, fixed(Call({"file_path": "app.js"}))),
    ("HEAD", "/{file_path:path}"): Rule(Access.PUBLIC, 200, fixed(Call({"file_path": "style.css"}))),
    # --- public: signing in and up (a signed-in person may sign in again, or out) ---
    ("POST", "/api/auth/login"): Rule(Access.PUBLIC, 200, login, own_session=True),
    ("POST", "/api/auth/logout"): Rule(Access.PUBLIC, 204, own_session=True),
    ("POST", "/api/auth/register"): Rule(Access.PUBLIC, 400, register),  # a code never sent: refused
    ("POST", "/api/auth/verification-codes"): Rule(
        Access.PUBLIC, 409, fixed(Call(json={"username": "owner", "email": "x@example.com"}))
    ),  # the name is taken: refused before any mail, so no send limit gets in the way
    ("POST", "/api/auth/password-reset"): Rule(
        Access.PUBLIC, 400, fixed(Call(json={"email": "not-an-address"}))
    ),  # refused before any mail, so the send limit (one a minute per client) gets in no role's way
    ("POST", "/api/auth/password-reset/confirm"): Rule(
        Access.PUBLIC,
        400,
        fixed(
            Call(
                json={
                    "username": "owner",
                    "email": "owner@example.com",
                    "code": "AAAAAA",
                    "password": "x" * 8,
                }
            )
        ),
    ),  # a code never sent: refused
    # --- public: the payment gateway's callbacks (signed) and the simulator's page ---
    ("POST", "/api/payments/alipay/notify"): Rule(
        Access.PUBLIC, 200, fixed(Call(data={"out_trade_no": "JD0"}))
    ),
    ("GET", "/api/payments/alipay/return"): Rule(Access.PUBLIC, 400, alipay_return),
    ("GET", "/api/payments/simulator/{trade_no:str}"): Rule(Access.PUBLIC, 200, simulator_page),
    # --- the signed-in user's own data ---
    ("GET", "/api/me"): Rule(Access.SELF, 200),
    ("PATCH", "/api/me"): Rule(Access.SELF, 200, fixed(Call(json={"introduce": "你好"}))),
    ("PUT", "/api/me/avatar"): Rule(
        Access.SELF, 200, fixed(Call(files={"image": ("g.png", PNG, "image/png")}))
    ),
    ("GET", "/api/me/wallet"): Rule(Access.SELF, 200),
    ("PUT", "/api/me/password"): Rule(
        Access.SELF, 400, fixed(Call(json={"current_password": "not-it-123", "new_password": "n3w-Password"}))
    ),  # a wrong current password: refused, and nobody's sessions end
    ("GET", "/api/me/history"): Rule(Access.SELF, 200),
    ("GET", "/api/me/addresses"): Rule(Access.SELF, 200),
    ("POST", "/api/me/addresses"): Rule(Access.SELF, 201, fixed(Call(json=ADDRESS))),
    ("GET", "/api/cart"): Rule(Access.SELF, 200),
    ("POST", "/api/cart/items"): Rule(Access.SELF, 200, cart_add),
    ("PUT", "/api/cart/items/{sku_id:int}"): Rule(Access.SELF, 200, cart_line),
    ("DELETE", "/api/cart/items/{sku_id:int}"): Rule(Access.SELF, 204, cart_line),
    ("POST", "/api/checkout/preview"): Rule(Access.SELF, 200, preview),
    ("GET", "/api/orders"): Rule(Access.SELF, 200),
    ("POST", "/api/orders"): Rule(Access.SELF, 201, place),
    # --- one user's resources, named in the path ---
    ("PUT", "/api/me/addresses/{address_id:int}"): Rule(Access.OWNER, 200, address_path),
    ("DELETE", "/api/me/addresses/{address_id:int}"): Rule(Access.OWNER, 204, address_path),
    ("GET", "/api/orders/{order_id:str}"): Rule(Access.OWNER, 200, order_path),
    ("POST", "/api/orders/{order_id:str}/payments"): Rule(Access.OWNER, 200, unpaid_payment),
    ("POST", "/api/orders/{order_id:str}/cancel"): Rule(Access.OWNER, 200, order_path),
    ("POST", "/api/orders/{order_id:str}/confirm-receipt"): Rule(Access.OWNER, 200, shipped_order),
    ("POST", "/api/orders/{order_id:str}/refund"): Rule(Access.OWNER, 201, paid_order),
    ("GET", "/api/orders/{order_id:str}/refund"): Rule(Access.OWNER, 200, requested_refund_of_order),
    ("POST", "/api/orders/{order_id:str}/lines/{line_id:int}/review"): Rule(Access.OWNER, 201, received_line),
    # --- operators ---
    ("POST", "/api/admin/users/{user_id:int}/wallet/recharge"): Rule(Access.OPERATOR, 200, recharge),
    ("POST", "/api/admin/orders/{order_id:str}/ship"): Rule(Access.OPERATOR, 200, ship),
    ("POST", "/api/admin/orders/{order_id:str}/refund"): Rule(Access.OPERATOR, 200, refund_path),
    ("GET", "/api/admin/refunds"): Rule(Access.OPERATOR, 200),
    ("GET", "/api/admin/refunds/{refund_id:int}"): Rule(Access.OPERATOR, 200, requested_refund),
    ("POST", "/api/admin/refunds/{refund_id:int}/approve"): Rule(Access.OPERATOR, 200, requested_refund),
    ("POST", "/api/admin/refunds/{refund_id:int}/refuse"): Rule(Access.OPERATOR, 200, requested_refund),
    ("POST", "/api/admin/refunds/{refund_id:int}/retry"): Rule(Access.OPERATOR, 409, requested_refund),
    ("POST", "/api/admin/refunds/{refund_id:int}/refunded"): Rule(Access.OPERATOR, 409, requested_refund),
    ("POST", "/api/admin/refunds/settle"): Rule(Access.OPERATOR, 200),
    ("POST", "/api/admin/catalog/products"): Rule(Access.OPERATOR, 201, fixed(Call(json=PRODUCT))),
    ("GET", "/api/admin/catalog/products/{product_id:int}"): Rule(Access.OPERATOR, 200, admin_product),
    ("PUT", "/api/admin/catalog/products/{product_id:int}"): Rule(Access.OPERATOR, 200, product_update),
    ("POST", "/api/admin/catalog/products/{product_id:int}/shelve"): Rule(
        Access.OPERATOR, 200, admin_product
    ),
    ("POST", "/api/admin/catalog/products/{product_id:int}/unshelve"): Rule(
        Access.OPERATOR, 200, admin_product
    ),
    ("PUT", "/api/admin/catalog/skus/{sku_id:int}/stock"): Rule(Access.OPERATOR, 200, set_stock),
    ("PUT", "/api/admin/catalog/skus/{sku_id:int}/price"): Rule(Access.OPERATOR, 200, set_price),
    ("GET", "/api/admin/catalog/skus/{sku_id:int}/images"): Rule(Access.OPERATOR, 200, sku_path),
    ("POST", "/api/admin/catalog/skus/{sku_id:int}/images"): Rule(Access.OPERATOR, 201, sku_image_upload),
    ("PUT", "/api/admin/catalog/skus/{sku_id:int}/images/{image_id:int}"): Rule(
        Access.OPERATOR, 200, sku_image_replace
    ),
    ("DELETE", "/api/admin/catalog/skus/{sku_id:int}/images/{image_id:int}"): Rule(
        Access.OPERATOR, 204, sku_image_path
    ),
    ("GET", "/api/admin/catalog/banners"): Rule(Access.OPERATOR, 200),
    ("POST", "/api/admin/catalog/banners"): Rule(Access.OPERATOR, 201, banner_upload),
    ("PUT", "/api/admin/catalog/banners/{banner_id:int}/image"): Rule(Access.OPERATOR, 200, banner_image),
    ("POST", "/api/admin/catalog/banners/{banner_id:int}/activate"): Rule(Access.OPERATOR, 200, banner_path),
    ("POST", "/api/admin/catalog/banners/{banner_id:int}/deactivate"): Rule(
        Access.OPERATOR, 200, banner_path
    ),
    ("DELETE", "/api/admin/catalog/banners/{banner_id:int}"): Rule(Access.OPERATOR, 204, banner_path),
    ("GET", "/api/admin/payments"): Rule(Access.OPERATOR, 200),
    ("POST", "/api/admin/payments/{payment_id:int}/refunded"): Rule(Access.OPERATOR, 409, refunded),
    ("POST", "/api/admin/payments/{payment_id:int}/refund"): Rule(Access.OPERATOR, 409, refunded),
    ("GET", "/api/admin/payments/notifications"): Rule(Access.OPERATOR, 200),
    ("POST", "/api/admin/payments/simulator/{order_ref:str}/pay"): Rule(Access.OPERATOR, 200, simulated_pay),
    ("GET", "/api/admin/stock-gate"): Rule(Access.OPERATOR, 200),
    ("PUT", "/api/admin/stock-gate/{sku_id:int}"): Rule(Access.OPERATOR, 200, sku_path),
    ("DELETE", "/api/admin/stock-gate/{sku_id:int}"): Rule(Access.OPERATOR, 204, sku_path),
    ("POST", "/api/admin/stock-gate/reconcile"): Rule(Access.OPERATOR, 200),
}


def route_table(app: Litestar) -> list[tuple[str, str]]:
    """(method, path template) of every route the app serves, OPTIONS aside."""
    return sorted(
        (method, route.path)
        for route in app.routes
        if isinstance(route, HTTPRoute)
        for method in route.methods
        if method != "OPTIONS"
    )


def fill(template: str, params: dict[str, Any]) -> str:
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: str(params[m.group(1)]), template)


async def session_of(world: World, role: str) -> ShopClient:
    """A browser of its own for `role` (signed in again when the role is a person)."""
    browser = world.shop.anonymous()
    if role in world.people:
        await browser.login(world.people[role].name, PASSWORD)
    return browser


async def send(client: ShopClient, method: str, path: str, call: Call, role: str) -> httpx.Response:
    body = call.json_for(role) if call.json_for is not None else call.json
    return await client.request(
        method,
        fill(path, call.params),
        json=body,
        data=call.data,
        files=call.files,
        params=call.query,
        headers=call.headers,
    )


async def test_every_route_answers_each_role_as_its_rule_says(make_shop: ShopFactory) -> None:
    async with make_shop(recharge_enabled=True) as shop:
        await load_demo(shop.container)
        people = {
            role: await shop.person(role, admin=role == "operator", balance="100000.00")
            for role in ("owner", "other", "operator")
        }
        world = World(shop, people, shop.anonymous())
        sku = await shop.orders.given_sku(price="10.00", stock=1000)
        world.sku_id, world.product_id = sku.id, sku.product_id
        managed = await shop.orders.given_sku(price="20.00", stock=10)
        world.admin_sku_id, world.admin_product_id = managed.id, managed.product_id
        await world.address()  # the owner's private address
        changed = await people["owner"].client.patch("/api/me", json={"introduce": OWNER_MARK})
        assert changed.status_code == 200, changed.text

        table = route_table(shop.client._transport.app)  # type: ignore[attr-defined]
        unclassified = [key for key in table if key not in RULES]
        assert not unclassified, (
            f"routes without an authorization rule (classify them in RULES): {unclassified}"
        )
        stale = [key for key in RULES if key not in table]
        assert not stale, f"rules of routes the app does not serve: {stale}"

        wrong: list[str] = []
        for method, path in table:
            rule = RULES[method, path]
            call = await rule.prepare(world)
            for role in ROLES:
                client = await session_of(world, role) if rule.own_session else world.client(role)
                response = await send(client, method, path, call, role)
                if response.status_code != rule.expected(role):
                    wrong.append(
                        f"{role} {method} {path}: {response.status_code} (wanted {rule.expected(role)}) {response.text[:200]}"
                    )
                may_see = role == "owner" or (role == "operator" and rule.access is Access.OPERATOR)
                if not may_see and OWNER_MARK in response.text:
                    wrong.append(f"{role} {method} {path}: shows the owner's data")
        print(
            f"\nauthorization matrix: {len(table)} routes × {len(ROLES)} roles = {len(table) * len(ROLES)} checks"
        )
        assert not wrong, "\n".join(wrong)
