"""Alipay through HTTP: the app configured for the real SDK (keys made at run time, one pair standing
in for Alipay's), trade query and close against the local fake gateway, on a migrated SQLite database."""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from dependency_injector import providers
from sqlalchemy import select
from tests.conftest import ShopClient, open_client, settings_for
from tests.fakes.alipay_gateway import (
    FakeAlipayGateway,
    query_params,
    sign_notification_fields,
    signed_notification,
    verify_request,
)
from tests.fakes.tasks import RecordingTaskQueue
from tests.ordering_support import OrderingShop
from tests.payments_support import (
    APP_ID,
    NOTIFY_URL,
    OTHER_APP_ID,
    PROXY_VARIABLES,
    RETURN_URL,
    SUBJECT,
    AlipayKeys,
    alipay_settings,
    browser_return,
    notification,
)
from typer.testing import CliRunner, Result

from jiadian.adapters.alipay import AlipayGateway
from jiadian.adapters.clock import FixedClock
from jiadian.adapters.sql.tables import payment_notifications, payments
from jiadian.application.tasks import ShipOrder
from jiadian.container import Container, build_container
from jiadian.domain.accounts import Address
from jiadian.domain.money import Money
from jiadian.domain.ordering import Order, OrderStatus
from jiadian.domain.wallet import EntryKind, LedgerEntry, Wallet
from jiadian.entrypoints.cli.main import app as cli

PASSWORD = "secret-123"


async def jiadian(args: list[str]) -> Result:
    """The `jiadian` command, as an operator runs it (on a thread: it runs its own event loop)."""
    return await asyncio.to_thread(CliRunner().invoke, cli, args)


@pytest.fixture(scope="module")
def keys() -> AlipayKeys:
    return AlipayKeys.generate()


@pytest.fixture
def fake(keys: AlipayKeys, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeAlipayGateway]:
    for name in PROXY_VARIABLES:  # urllib would send the gateway's requests to a proxy
        monkeypatch.delenv(name, raising=False)
    with FakeAlipayGateway(
        app_id=APP_ID, app_public_key_pem=keys.app.public_pem, alipay_private_key_pem=keys.alipay.private_pem
    ) as gateway:
        yield gateway


@pytest.fixture
def tasks() -> RecordingTaskQueue:
    return RecordingTaskQueue()


@pytest.fixture
async def shop(
    tmp_path: Path,
    clock: FixedClock,
    migrated_sqlite: Path,
    keys: AlipayKeys,
    fake: FakeAlipayGateway,
    tasks: RecordingTaskQueue,
) -> AsyncIterator[Container]:
    """The app's container, configured for Alipay as an operator would (key files, URLs, app id)."""
    shutil.copyfile(migrated_sqlite, tmp_path / "shop.sqlite3")
    settings = settings_for(tmp_path, **alipay_settings(tmp_path / "keys", keys, fake.url))
    container = build_container(settings)
    container.clock.override(clock)
    container.task_queue.override(providers.Object(tasks))
    yield container
    await container.engine().dispose()


class Api:
    def __init__(self, client: ShopClient, container: Container, clock: FixedClock) -> None:
        self.client, self.container, self.clock = client, container, clock
        self.shop = OrderingShop(container, clock)
        # Alipay posts without cookies or CSRF token: a bare client on the same app.
        self.alipay = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")

    async def buyer(self, name: str = "alice", *, balance: str = "0.00", admin: bool = False) -> int:
        user = await self.container.accounts().create_user(
            name, f"{name}@example.com", PASSWORD, is_admin=admin
        )
        async with self.container.uow() as uow:
            if balance != "0.00":
                await uow.wallets.apply(user.id, LedgerEntry(EntryKind.RECHARGE, Money.of(balance)))
            await uow.addresses.add(
                Address(0, user.id, "李四", "13912345678", "北京市", "北京市", "海淀区", "中关村 2 号", True)
            )
            await uow.commit()
        self.client.cookies.clear()
        await self.client.login(name, PASSWORD)
        return user.id

    async def order(self, *, price: str = "1234.40") -> Order:
        """An order of the signed-in buyer (total = price + 10.00 freight), placed through HTTP."""
        sku = await self.shop.given_sku(price=price)
        addresses = (await self.client.get("/api/me/addresses")).json()
        response = await self.client.post(
            "/api/orders", json={"buy_now": {"sku_id": sku.id, "count": 1}, "address_id": addresses[0]["id"]}
        )
        assert response.status_code == 201, response.text
        return await self.stored(response.json()["order_id"])

    async def pay_with_alipay(self, order: Order) -> str:
        response = await self.client.post(f"/api/orders/{order.id}/payments", json={"method": "alipay"})
        assert response.status_code == 200, response.text
        assert set(response.json()) == {"payment_url"}
        url: str = response.json()["payment_url"]
        return url

    async def notify(self, fields: dict[str, str]) -> str:
        response = await self.alipay.post("/api/payments/alipay/notify", data=fields)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/plain")
        return response.text

    async def stored(self, order_id: str) -> Order:
        async with self.container.uow() as uow:
            order = await uow.orders.get(order_id)
        assert order is not None
        return order

    async def wallet(self, user: int) -> Wallet:
        async with self.container.uow() as uow:
            wallet = await uow.wallets.get(user)
        assert wallet is not None
        return wallet

    async def rows(self, table: Any) -> list[Any]:
        async with self.container.engine().connect() as conn:
            return list((await conn.execute(select(table).order_by(table.c.id))).all())


@pytest.fixture
async def api(shop: Container, clock: FixedClock) -> AsyncIterator[Api]:
    async for client in open_client(shop):
        api = Api(client, shop, clock)
        yield api
        await api.alipay.aclose()


# --- paying at Alipay ------------------------------------------------------------------------------


async def test_the_payment_url_is_a_signed_page_pay_request_and_the_order_stays_unpaid(
    api: Api, keys: AlipayKeys, fake: FakeAlipayGateway
) -> None:
    await api.buyer()
    order = await api.order(price="1234.40")

    url = await api.pay_with_alipay(order)

    assert url.startswith(fake.url + "?")
    params = query_params(url)
    assert verify_request(keys.app.public_pem, params)  # signed with the shop's private key
    assert (params["method"], params["app_id"], params["sign_type"]) == (
        "alipay.trade.page.pay",
        APP_ID,
        "RSA2",
    )
    assert (params["notify_url"], params["return_url"]) == (NOTIFY_URL, RETURN_URL)
    biz = json.loads(params["biz_content"])
    assert (biz["out_trade_no"], biz["total_amount"], biz["subject"]) == (order.trade_no, "1244.40", SUBJECT)
    assert biz["time_expire"] == "2026-01-02 08:00:00"  # placed 2026-01-01 00:00 UTC, 24 h, Beijing time
    tampered = dict(params, biz_content=params["biz_content"].replace("1244.40", "0.01"))
    assert not verify_request(keys.app.public_pem, tampered)
    assert (await api.stored(order.id)).status is OrderStatus.AWAITING_PAYMENT
    (started,) = await api.rows(payments)
    assert (started.order_id, started.trade_no, started.state) == (order.id, order.trade_no, "pending")
    assert fake.requests == []  # signing only: nothing was sent to the gateway
    again = await api.pay_with_alipay(order)  # asking twice is harmless
    assert json.loads(query_params(again)["biz_content"])["out_trade_no"] == order.trade_no
    assert len(await api.rows(payments)) == 1


async def test_a_signed_notification_pays_the_order(
    api: Api, keys: AlipayKeys, tasks: RecordingTaskQueue
) -> None:
    user = await api.buyer(balance="20.00")
    order = await api.order(price="1234.40")
    await api.pay_with_alipay(order)

    assert await api.notify(notification(keys, order, trade_no="2026010122001446880500000042")) == "success"

    paid = await api.stored(order.id)
    assert (paid.status, paid.pay_method, paid.paid_at) == (
        OrderStatus.AWAITING_SHIPMENT,
        "alipay",
        api.clock.now(),
    )
    wallet = await api.wallet(user)
    assert (wallet.balance, wallet.total_consumed) == (Money.of("20.00"), Money.of("1244.40"))
    (payment,) = await api.rows(payments)
    assert (payment.state, payment.amount, payment.gateway_trade_no) == (
        "applied",
        Money.of("1244.40").amount,
        "2026010122001446880500000042",
    )
    assert (ShipOrder(order.id), 300) in tasks.sent
    shown = (await api.client.get(f"/api/orders/{order.id}")).json()
    assert (shown["status"], shown["pay_method"]) == (2, "alipay")
    (kept,) = await api.rows(payment_notifications)
    assert (kept.gateway, kept.trade_no, kept.verdict) == ("alipay", order.trade_no, "applied")
    assert json.loads(kept.fields)["total_amount"] == "1244.40"


async def test_a_notification_pays_even_without_a_started_trade(api: Api, keys: AlipayKeys) -> None:
    await api.buyer()
    order = await api.order()
    assert await api.notify(notification(keys, order)) == "success"
    assert (await api.stored(order.id)).status is OrderStatus.AWAITING_SHIPMENT
    assert [r.state for r in await api.rows(payments)] == ["applied"]


async def test_the_same_notification_twice_is_one_payment(api: Api, keys: AlipayKeys) -> None:
    user = await api.buyer()
    order = await api.order()
    fields = notification(keys, order)

    assert await api.notify(fields) == "success"
    assert await api.notify(fields) == "success"

    assert [r.state for r in await api.rows(payments)] == ["applied"]
    assert (await api.wallet(user)).total_consumed == order.total
    assert [r.verdict for r in await api.rows(payment_notifications)] == ["applied", "duplicate"]


async def test_trade_finished_after_trade_success_is_still_one_payment(
    api: Api, keys: AlipayKeys, tasks: RecordingTaskQueue
) -> None:
    user = await api.buyer()
    order = await api.order()
    await api.pay_with_alipay(order)
    assert await api.notify(notification(keys, order, trade_status="TRADE_SUCCESS")) == "success"
    paid_at = (await api.stored(order.id)).paid_at
    api.clock.advance(days=90)

    assert await api.notify(notification(keys, order, trade_status="TRADE_FINISHED")) == "success"

    assert [r.state for r in await api.rows(payments)] == ["applied"]
    assert (await api.stored(order.id)).paid_at == paid_at
    assert (await api.wallet(user)).total_consumed == order.total
    assert len(tasks.of_type(ShipOrder)) == 1


def _tampered_amount(keys: AlipayKeys, order: Order) -> dict[str, str]:
    return dict(notification(keys, order), total_amount="0.01")


def _foreign_trade(keys: AlipayKeys, order: Order) -> dict[str, str]:
    return signed_notification(
        keys.alipay.private_pem,
        app_id=APP_ID,
        out_trade_no="JD20260101000000abcdefabcdefab",
        total_amount=str(order.total),
    )


def _other_app(keys: AlipayKeys, order: Order) -> dict[str, str]:
    return signed_notification(
        keys.alipay.private_pem,
        app_id=OTHER_APP_ID,
        out_trade_no=order.trade_no,
        total_amount=str(order.total),
    )


def _strangers_signature(keys: AlipayKeys, order: Order) -> dict[str, str]:
    return signed_notification(
        keys.stranger.private_pem, app_id=APP_ID, out_trade_no=order.trade_no, total_amount=str(order.total)
    )


def _own_signature(keys: AlipayKeys, order: Order) -> dict[str, str]:  # the shop's key is not Alipay's
    return signed_notification(
        keys.app.private_pem, app_id=APP_ID, out_trade_no=order.trade_no, total_amount=str(order.total)
    )


def _unsigned(keys: AlipayKeys, order: Order) -> dict[str, str]:
    return {k: v for k, v in notification(keys, order).items() if k != "sign"}


def _garbage_signature(keys: AlipayKeys, order: Order) -> dict[str, str]:
    return dict(notification(keys, order), sign="bm90IGEgc2lnbmF0dXJl")


def _missing(field: str) -> Any:
    def build(keys: AlipayKeys, order: Order) -> dict[str, str]:
        fields = {k: v for k, v in notification(keys, order).items() if k != field}
        return sign_notification_fields(keys.alipay.private_pem, fields)  # properly signed without it

    return build


def _wrong_amount_signed(keys: AlipayKeys, order: Order) -> dict[str, str]:
    return notification(keys, order, total_amount="0.01")  # Alipay says 0.01 was paid: not the total


def _odd_amount_signed(keys: AlipayKeys, order: Order) -> dict[str, str]:
    return notification(keys, order, total_amount="1e3")


@pytest.mark.parametrize(
    ("build", "verdict"),
    [
        (_tampered_amount, "bad_signature"),
        (_foreign_trade, "unknown_trade"),
        (_other_app, "wrong_app_id"),
        (_strangers_signature, "bad_signature"),
        (_own_signature, "bad_signature"),
        (_garbage_signature, "bad_signature"),
        (_unsigned, "unsigned"),
        (_missing("trade_status"), "missing_fields"),
        (_missing("total_amount"), "missing_fields"),
        (_missing("out_trade_no"), "missing_fields"),
        (_missing("app_id"), "missing_fields"),
        (_wrong_amount_signed, "amount_mismatch"),
        (_odd_amount_signed, "bad_signature"),
    ],
    ids=lambda value: value if isinstance(value, str) else value.__name__.strip("_"),
)
async def test_a_notification_that_does_not_check_out_fails_and_is_kept(
    api: Api, keys: AlipayKeys, build: Any, verdict: str
) -> None:
    user = await api.buyer()
    order = await api.order()
    await api.pay_with_alipay(order)
    fields = build(keys, order)

    assert await api.notify(fields) == "fail"

    unchanged = await api.stored(order.id)
    assert (unchanged.status, unchanged.pay_method, unchanged.paid_at) == (
        OrderStatus.AWAITING_PAYMENT,
        "",
        None,
    )
    assert (await api.wallet(user)).total_consumed == Money.zero()
    assert [r.state for r in await api.rows(payments)] == ["pending"]
    (kept,) = await api.rows(payment_notifications)
    assert (kept.gateway, kept.verdict) == ("alipay", verdict)
    assert json.loads(kept.fields) == fields
    assert await api.notify(notification(keys, order)) == "success"  # the genuine one still goes through


async def test_alipay_posts_without_session_or_csrf_token(api: Api, keys: AlipayKeys) -> None:
    await api.buyer()
    order = await api.order()
    assert "csrftoken" not in api.alipay.cookies
    response = await api.alipay.post(
        "/api/payments/alipay/notify",
        content=str(httpx.QueryParams(notification(keys, order))),
        headers={"content-type": "application/x-www-form-urlencoded; charset=utf-8"},
    )
    assert (response.status_code, response.text) == (200, "success")
    assert "jiadian_session" not in response.headers.get("set-cookie", "")
    assert (await api.stored(order.id)).status is OrderStatus.AWAITING_SHIPMENT
    forged = await api.alipay.post("/api/payments/alipay/notify", data={"out_trade_no": order.trade_no})
    assert (forged.status_code, forged.text) == (200, "fail")


async def test_an_oversized_notification_is_refused(api: Api) -> None:
    response = await api.alipay.post("/api/payments/alipay/notify", data={"x": "y" * (70 * 1024)})
    assert response.status_code == 413


# --- money that can no longer pay the order ----------------------------------------------------


async def test_a_payment_after_expiry_is_kept_for_a_refund_and_listed(
    api: Api, keys: AlipayKeys, fake: FakeAlipayGateway, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = await api.buyer()
    order = await api.order()
    await api.pay_with_alipay(order)
    fake.set_trade(order.trade_no, "WAIT_BUYER_PAY", str(order.total))
    api.clock.advance(hours=25)
    assert await api.container.fulfilment().expire_unpaid() == 1
    assert (await api.stored(order.id)).status is OrderStatus.CANCELLED
    assert fake.trades[order.trade_no].status == "TRADE_CLOSED"

    # A payment that got through anyway (say the buyer paid just before the close) is not lost:
    assert await api.notify(notification(keys, order)) == "success"

    assert (await api.stored(order.id)).status is OrderStatus.CANCELLED
    assert (await api.wallet(user)).total_consumed == Money.zero()
    assert [(r.order_id, r.state) for r in await api.rows(payments)] == [(order.id, "needs_refund")]
    assert [r.verdict for r in await api.rows(payment_notifications)] == ["needs_refund"]

    monkeypatch.setenv("JIADIAN_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("JIADIAN_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'shop.sqlite3'}")
    monkeypatch.setenv("JIADIAN_AUTO_DEMO", "false")
    monkeypatch.setenv("COLUMNS", "250")
    listed = await jiadian(["payments", "list", "--needs-refund"])
    assert listed.exit_code == 0, listed.output
    assert order.id in listed.output
    assert "needs_refund" in listed.output
    assert "1 payments" in listed.output
    everything = await jiadian(["payments", "list", "--state", "applied"])
    assert "0 payments" in everything.output

    await api.buyer("root", admin=True)
    due = (await api.client.get("/api/admin/payments", params={"state": "needs_refund"})).json()
    assert [(p["order_id"], p["user_id"], p["amount"], p["state"]) for p in due["items"]] == [
        (order.id, user, str(order.total), "needs_refund")
    ]
    refunded = await api.client.post(f"/api/admin/payments/{due['items'][0]['id']}/refunded")
    assert refunded.json()["state"] == "refunded", refunded.text
    again = await api.client.post(f"/api/admin/payments/{due['items'][0]['id']}/refunded")
    assert (again.status_code, again.json()["code"]) == (409, "illegal_payment_change")
    assert "0 payments" in (await jiadian(["payments", "list", "--needs-refund"])).output


async def test_a_payment_after_a_wallet_payment_is_kept_for_a_refund(api: Api, keys: AlipayKeys) -> None:
    user = await api.buyer(balance="2000.00")
    order = await api.order(price="1000.00")
    await api.pay_with_alipay(order)
    paid = await api.client.post(f"/api/orders/{order.id}/payments", json={"method": "wallet"})
    assert paid.status_code == 200, paid.text

    assert await api.notify(notification(keys, order)) == "success"

    stored = await api.stored(order.id)
    assert (stored.status, stored.pay_method) == (OrderStatus.AWAITING_SHIPMENT, "wallet")
    wallet = await api.wallet(user)
    assert (wallet.balance, wallet.total_consumed) == (Money.of("990.00"), Money.of("1010.00"))
    assert [r.state for r in await api.rows(payments)] == ["needs_refund"]
    refused = await api.client.post(f"/api/orders/{order.id}/payments", json={"method": "alipay"})
    assert (refused.status_code, refused.json()["code"]) == (409, "already_paid")


# --- the browser return ----------------------------------------------------------------------------


async def test_the_return_applies_what_a_trade_query_confirms_and_redirects(
    api: Api, keys: AlipayKeys, fake: FakeAlipayGateway
) -> None:
    user = await api.buyer()
    order = await api.order()
    await api.pay_with_alipay(order)
    fake.set_trade(order.trade_no, "TRADE_SUCCESS", str(order.total))

    response = await api.alipay.get("/api/payments/alipay/return", params=browser_return(keys, order))

    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"/#/pay/{order.id}/success"
    assert (await api.stored(order.id)).status is OrderStatus.AWAITING_SHIPMENT
    assert (await api.wallet(user)).total_consumed == order.total
    assert json.loads(fake.requests[-1]["biz_content"]) == {"out_trade_no": order.trade_no}
    as_json = await api.alipay.get(
        "/api/payments/alipay/return",
        params=browser_return(keys, order),
        headers={"accept": "application/json"},
    )
    assert as_json.status_code == 200, as_json.text
    assert as_json.json() == {
        "order_id": order.id,
        "trade_no": order.trade_no,
        "status": 2,
        "status_label": "待发货",
        "paid": True,
        "verdict": "duplicate",
    }
    assert [r.state for r in await api.rows(payments)] == ["applied"]
    assert [r.verdict for r in await api.rows(payment_notifications)] == [
        "return:applied",
        "return:duplicate",
    ]


@pytest.mark.parametrize(
    "forge",
    [
        lambda keys, order: {"method": "alipay.trade.page.pay.return", "out_trade_no": order.trade_no},
        lambda keys, order: {
            "method": "alipay.trade.page.pay.return",
            "out_trade_no": order.trade_no,
            "trade_status": "TRADE_SUCCESS",
            "app_id": APP_ID,
            "total_amount": str(order.total),
        },
        lambda keys, order: dict(browser_return(keys, order), trade_status="TRADE_SUCCESS"),
        lambda keys, order: dict(browser_return(keys, order), out_trade_no="JD20260101000000abcdefabcdefab"),
        lambda keys, order: sign_notification_fields(
            keys.stranger.private_pem, {"out_trade_no": order.trade_no, "app_id": APP_ID}
        ),
        lambda keys, order: browser_return(keys, order, app_id=OTHER_APP_ID),
    ],
    ids=[
        "the-original-shops-check",
        "unsigned-success",
        "added-status",
        "other-trade",
        "stranger",
        "other-app",
    ],
)
async def test_an_unverified_return_marks_nothing_paid(
    api: Api, keys: AlipayKeys, fake: FakeAlipayGateway, forge: Any
) -> None:
    await api.buyer()
    order = await api.order()
    await api.pay_with_alipay(order)
    fake.set_trade(order.trade_no, "TRADE_SUCCESS", str(order.total))  # even though it was paid

    response = await api.alipay.get("/api/payments/alipay/return", params=forge(keys, order))

    assert (response.status_code, response.json()["code"]) == (400, "payment_not_verified")
    assert (await api.stored(order.id)).status is OrderStatus.AWAITING_PAYMENT
    assert [r.state for r in await api.rows(payments)] == ["pending"]
    assert fake.requests == []
    (kept,) = await api.rows(payment_notifications)
    assert kept.verdict.startswith("return:")


async def test_a_return_for_an_unpaid_or_unanswered_trade_changes_nothing(
    api: Api, keys: AlipayKeys, fake: FakeAlipayGateway
) -> None:
    await api.buyer()
    order = await api.order()
    await api.pay_with_alipay(order)
    headers = {"accept": "application/json"}
    fake.set_trade(order.trade_no, "WAIT_BUYER_PAY", str(order.total))
    waiting = await api.alipay.get(
        "/api/payments/alipay/return", params=browser_return(keys, order), headers=headers
    )
    assert (waiting.json()["paid"], waiting.json()["verdict"]) == (False, "not_paid")
    fake.set_trade(order.trade_no, "TRADE_SUCCESS", "0.01")
    cheap = await api.alipay.get(
        "/api/payments/alipay/return", params=browser_return(keys, order), headers=headers
    )
    assert (cheap.json()["paid"], cheap.json()["verdict"]) == (False, "amount_mismatch")
    fake.set_trade(order.trade_no, "TRADE_SUCCESS", str(order.total))
    fake.answer_slowly(5.0)
    slow = await api.alipay.get("/api/payments/alipay/return", params=browser_return(keys, order))
    assert (slow.status_code, slow.headers["location"]) == (303, f"/#/pay/{order.id}/success")
    fake.answer_malformed()
    malformed = await api.alipay.get(
        "/api/payments/alipay/return", params=browser_return(keys, order), headers=headers
    )
    assert malformed.json()["verdict"] == "unavailable"
    assert (await api.stored(order.id)).status is OrderStatus.AWAITING_PAYMENT
    assert [r.verdict for r in await api.rows(payment_notifications)] == [
        "return:not_paid",
        "return:amount_mismatch",
        "return:unavailable",
        "return:unavailable",
    ]
    unknown = await api.alipay.get(
        "/api/payments/alipay/return",
        params=browser_return(keys, order, out_trade_no="JD20260101000000abcdefabcdefab"),
    )
    assert (unknown.status_code, unknown.json()["code"]) == (404, "not_found")


# --- reconciliation and expiry against the gateway -----------------------------------------------


async def test_reconcile_applies_verified_results_and_survives_a_bad_gateway(
    api: Api, fake: FakeAlipayGateway
) -> None:
    await api.buyer()
    paid, waiting, unknown = await api.order(), await api.order(), await api.order()
    for order in (paid, waiting, unknown):
        await api.pay_with_alipay(order)
    fake.set_trade(paid.trade_no, "TRADE_SUCCESS", str(paid.total))  # its notification never came
    fake.set_trade(waiting.trade_no, "WAIT_BUYER_PAY", str(waiting.total))
    payments_use_case = api.container.payments()

    for knob in (
        lambda: fake.answer_slowly(5.0),
        fake.answer_malformed,
        fake.answer_with_bad_signature,
        fake.answer_unsigned,
    ):
        knob()
        report = await payments_use_case.reconcile()
        assert (report.checked, report.applied, report.unavailable) == (0, 0, 3)
        assert (await api.stored(paid.id)).status is OrderStatus.AWAITING_PAYMENT
    fake.answer_normally()

    report = await payments_use_case.reconcile()

    assert (report.checked, report.applied, report.waiting, report.unavailable) == (3, 1, 2, 0)
    assert (await api.stored(paid.id)).status is OrderStatus.AWAITING_SHIPMENT
    assert (await api.stored(waiting.id)).status is OrderStatus.AWAITING_PAYMENT
    assert sorted(r.state for r in await api.rows(payments)) == ["applied", "pending", "pending"]


async def test_expiry_closes_the_trade_or_applies_its_payment_and_waits_for_a_dead_gateway(
    api: Api, fake: FakeAlipayGateway, caplog: pytest.LogCaptureFixture
) -> None:
    user = await api.buyer()
    unpaid, paid, never_started = await api.order(), await api.order(), await api.order()
    await api.pay_with_alipay(unpaid)
    await api.pay_with_alipay(paid)
    fake.set_trade(unpaid.trade_no, "WAIT_BUYER_PAY", str(unpaid.total))
    fake.set_trade(paid.trade_no, "TRADE_SUCCESS", str(paid.total))  # paid; the notification was lost
    api.clock.advance(hours=25)
    fulfilment = api.container.fulfilment()

    fake.answer_slowly(5.0)
    assert await fulfilment.expire(unpaid.id) is False
    assert "postponed" in caplog.text
    api.clock.advance(minutes=2)
    fake.answer_malformed()
    assert await fulfilment.expire(unpaid.id) is False
    # (the gateway did close the trade, as a real one might when its answer is lost: we did not learn it)
    assert (await api.stored(unpaid.id)).status is OrderStatus.AWAITING_PAYMENT
    api.clock.advance(minutes=2)
    fake.answer_normally()
    requests_before = len(fake.requests)

    assert await fulfilment.expire_unpaid() == 2  # the unpaid one and the one never sent to Alipay

    assert (await api.stored(unpaid.id)).status is OrderStatus.CANCELLED
    assert fake.trades[unpaid.trade_no].status == "TRADE_CLOSED"
    assert (await api.stored(never_started.id)).status is OrderStatus.CANCELLED
    after = await api.stored(paid.id)
    assert (after.status, after.pay_method) == (OrderStatus.AWAITING_SHIPMENT, "alipay")
    assert (await api.wallet(user)).total_consumed == paid.total
    asked = [query["method"] for query in fake.requests[requests_before:]]
    # one close each (refused: "status error" means closed or paid), then queries say which
    assert (asked.count("alipay.trade.close"), set(asked)) == (
        2,
        {"alipay.trade.close", "alipay.trade.query"},
    )
    states = {r.order_id: r.state for r in await api.rows(payments)}
    assert states == {unpaid.id: "closed", paid.id: "applied"}


async def test_cli_reconcile_with_alipay_configured(
    api: Api, fake: FakeAlipayGateway, keys: AlipayKeys, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await api.buyer()
    order = await api.order()
    await api.pay_with_alipay(order)
    fake.set_trade(order.trade_no, "TRADE_FINISHED", str(order.total))
    for name, value in alipay_settings(tmp_path / "keys", keys, fake.url).items():
        monkeypatch.setenv(f"JIADIAN_{name.upper()}", str(value))
    monkeypatch.setenv("JIADIAN_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("JIADIAN_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'shop.sqlite3'}")
    monkeypatch.setenv("COLUMNS", "250")

    fake.answer_slowly(5.0)
    down = await jiadian(["payments", "reconcile"])
    assert down.exit_code == 2, down.output
    assert "gateway unavailable 1" in down.output
    fake.answer_normally()
    done = await jiadian(["payments", "reconcile"])
    assert done.exit_code == 0, done.output
    assert "checked 1: applied 1" in done.output
    assert (await api.stored(order.id)).status is OrderStatus.AWAITING_SHIPMENT
    simulated = await jiadian(["payments", "simulate-pay", order.id])
    assert simulated.exit_code == 1
    assert "not_a_simulator" in simulated.output
    shown = await jiadian(["payments", "notifications"])
    assert shown.exit_code == 0, shown.output


def test_the_gateway_from_settings_is_the_real_sdk(shop: Container) -> None:
    gateway = shop.payment_gateway()
    assert isinstance(gateway, AlipayGateway)
    assert (gateway.notify_url, gateway.return_url, gateway.app_id) == (NOTIFY_URL, RETURN_URL, APP_ID)
    assert shop.payment_simulator() is None
