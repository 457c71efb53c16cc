"""The Alipay adapter against a local fake gateway, and the payment simulator."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from tests.fakes.alipay_gateway import (
    FakeAlipayGateway,
    RsaKeyPair,
    generate_rsa_key_pair,
    query_params,
    sign_notification_fields,
    signed_notification,
    verify_request,
)

from jiadian.adapters.alipay import SANDBOX_GATEWAY_URL, AlipayGateway, SimulatedGateway
from jiadian.application.ports import PaymentGateway
from jiadian.domain.errors import Conflict, InvalidAmount, ServiceUnavailable

APP_ID = "2021000000000001"
SUBJECT = "家电之选-订单支付"
NOTIFY_URL = "https://shop.example.com/api/payments/alipay/notify"
RETURN_URL = "https://shop.example.com/api/payments/alipay/return"
TRADE_NO = "20240501100000000001"


@pytest.fixture(scope="module")
def app_keys() -> RsaKeyPair:
    return generate_rsa_key_pair()


@pytest.fixture(scope="module")
def alipay_keys() -> RsaKeyPair:
    return generate_rsa_key_pair()


@pytest.fixture(scope="module")
def stranger_keys() -> RsaKeyPair:
    return generate_rsa_key_pair()


@pytest.fixture
def fake(
    app_keys: RsaKeyPair, alipay_keys: RsaKeyPair, monkeypatch: pytest.MonkeyPatch
) -> Iterator[FakeAlipayGateway]:
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    with FakeAlipayGateway(
        app_id=APP_ID, app_public_key_pem=app_keys.public_pem, alipay_private_key_pem=alipay_keys.private_pem
    ) as gateway:
        yield gateway


def make_gateway(
    app_keys: RsaKeyPair, alipay_keys: RsaKeyPair, url: str, timeout: float = 0.5
) -> AlipayGateway:
    return AlipayGateway(
        app_id=APP_ID,
        app_private_key_pem=app_keys.private_pem,
        alipay_public_key_pem=alipay_keys.public_pem,
        gateway_url=url,
        notify_url=NOTIFY_URL,
        return_url=RETURN_URL,
        timeout=timeout,
    )


@pytest.fixture
def alipay(app_keys: RsaKeyPair, alipay_keys: RsaKeyPair, fake: FakeAlipayGateway) -> AlipayGateway:
    return make_gateway(app_keys, alipay_keys, fake.url)


def notification(alipay_keys: RsaKeyPair, **overrides: str) -> dict[str, str]:
    fields = {"app_id": APP_ID, "out_trade_no": TRADE_NO, "total_amount": "1234.50", **overrides}
    return signed_notification(alipay_keys.private_pem, **fields)


# --- page pay ------------------------------------------------------------------


@pytest.mark.asyncio
async def test_page_pay_url_is_signed_and_carries_the_order(
    alipay: AlipayGateway, app_keys: RsaKeyPair, fake: FakeAlipayGateway
) -> None:
    url = await alipay.payment_url(TRADE_NO, Decimal("1234.5"), SUBJECT)

    assert url.startswith(fake.url + "?")
    params = query_params(url)
    assert verify_request(app_keys.public_pem, params)
    assert params["method"] == "alipay.trade.page.pay"
    assert params["app_id"] == APP_ID
    assert params["sign_type"] == "RSA2"
    assert params["notify_url"] == NOTIFY_URL
    assert params["return_url"] == RETURN_URL
    biz = json.loads(params["biz_content"])
    assert biz == {
        "subject": SUBJECT,
        "out_trade_no": TRADE_NO,
        "total_amount": "1234.50",
        "product_code": "FAST_INSTANT_TRADE_PAY",
    }
    stamped = datetime.strptime(params["timestamp"], "%Y-%m-%d %H:%M:%S")
    beijing_now = datetime.now(timezone(timedelta(hours=8))).replace(tzinfo=None)
    assert abs(stamped - beijing_now) < timedelta(minutes=1)
    assert fake.requests == []  # signing only, no network


@pytest.mark.asyncio
async def test_page_pay_url_signature_breaks_when_tampered(
    alipay: AlipayGateway, app_keys: RsaKeyPair
) -> None:
    params = query_params(await alipay.payment_url(TRADE_NO, Decimal("1234.50"), SUBJECT))
    params["biz_content"] = params["biz_content"].replace("1234.50", "0.01")
    assert not verify_request(app_keys.public_pem, params)


@pytest.mark.asyncio
async def test_sandbox_url_is_used_verbatim(app_keys: RsaKeyPair, alipay_keys: RsaKeyPair) -> None:
    gateway = make_gateway(app_keys, alipay_keys, SANDBOX_GATEWAY_URL)
    url = await gateway.payment_url(TRADE_NO, Decimal("0.1") + Decimal("0.2"), SUBJECT)
    assert url.startswith("https://openapi-sandbox.dl.alipaydev.com/gateway.do?")
    assert json.loads(query_params(url)["biz_content"])["total_amount"] == "0.30"


@pytest.mark.asyncio
@pytest.mark.parametrize("amount", ["0", "0.00", "-1.00", "1.005", "NaN", "Infinity"])
async def test_page_pay_refuses_amounts_that_are_not_payable(alipay: AlipayGateway, amount: str) -> None:
    with pytest.raises(InvalidAmount):
        await alipay.payment_url(TRADE_NO, Decimal(amount), SUBJECT)


def test_keys_are_read_from_files_pem_or_bare_base64(
    app_keys: RsaKeyPair, alipay_keys: RsaKeyPair, tmp_path: Path
) -> None:
    private_file = tmp_path / "app_private_key.pem"
    private_file.write_text(app_keys.private_pem)
    public_file = tmp_path / "alipay_public_key.txt"
    bare = "".join(line for line in alipay_keys.public_pem.splitlines() if not line.startswith("-----"))
    base64.b64decode(bare, validate=True)
    public_file.write_text(bare)  # as Alipay's console shows it

    gateway = AlipayGateway.from_key_files(
        APP_ID, private_file, public_file, SANDBOX_GATEWAY_URL, NOTIFY_URL, RETURN_URL, timeout=3.0
    )

    assert gateway.name == "alipay"
    assert "PRIVATE" not in repr(gateway)


def test_a_key_that_is_not_a_key_is_refused(app_keys: RsaKeyPair) -> None:
    with pytest.raises(ValueError, match="not an RSA public key"):
        AlipayGateway(APP_ID, app_keys.private_pem, "bm90IGEga2V5", SANDBOX_GATEWAY_URL, "", "", 1.0)


# --- notifications ---------------------------------------------------------------


@pytest.mark.asyncio
async def test_signed_notification_verifies_and_parses(
    alipay: AlipayGateway, alipay_keys: RsaKeyPair
) -> None:
    fields = notification(alipay_keys, trade_no="2024050122001446880500000042")
    original = dict(fields)

    trade = await alipay.verify_callback(fields)

    assert trade is not None
    assert trade.trade_no == TRADE_NO
    assert trade.gateway_trade_no == "2024050122001446880500000042"
    assert trade.status == "TRADE_SUCCESS"
    assert trade.amount == Decimal("1234.50")
    assert trade.app_id == APP_ID
    assert trade.fields["notify_type"] == "trade_status_sync"
    assert fields == original  # the caller's mapping is left alone (the SDK mutates its input)


@pytest.mark.asyncio
async def test_notification_verifies_again_when_redelivered(
    alipay: AlipayGateway, alipay_keys: RsaKeyPair
) -> None:
    fields = notification(alipay_keys)
    assert await alipay.verify_callback(fields) is not None
    assert await alipay.verify_callback(fields) is not None


@pytest.mark.asyncio
async def test_tampered_amount_does_not_verify(alipay: AlipayGateway, alipay_keys: RsaKeyPair) -> None:
    fields = notification(alipay_keys)
    fields["total_amount"] = "0.01"
    assert await alipay.verify_callback(fields) is None


@pytest.mark.asyncio
async def test_notification_signed_by_someone_else_does_not_verify(
    alipay: AlipayGateway, stranger_keys: RsaKeyPair, app_keys: RsaKeyPair
) -> None:
    for keys in (stranger_keys, app_keys):
        fields = signed_notification(
            keys.private_pem, app_id=APP_ID, out_trade_no=TRADE_NO, total_amount="1234.50"
        )
        assert await alipay.verify_callback(fields) is None


@pytest.mark.asyncio
@pytest.mark.parametrize("garbage", ["", "not base64 !!", base64.b64encode(b"short").decode()])
async def test_garbage_signature_does_not_verify(
    alipay: AlipayGateway, alipay_keys: RsaKeyPair, garbage: str
) -> None:
    fields = notification(alipay_keys)
    fields["sign"] = garbage
    assert await alipay.verify_callback(fields) is None


@pytest.mark.asyncio
async def test_missing_sign_does_not_verify(alipay: AlipayGateway, alipay_keys: RsaKeyPair) -> None:
    fields = notification(alipay_keys)
    del fields["sign"]
    assert await alipay.verify_callback(fields) is None


@pytest.mark.asyncio
async def test_other_sign_type_does_not_verify(alipay: AlipayGateway, alipay_keys: RsaKeyPair) -> None:
    # the SDK raises (not returns False) on a sign_type other than its own
    fields = notification(alipay_keys)
    fields["sign_type"] = "RSA"
    assert await alipay.verify_callback(fields) is None


@pytest.mark.asyncio
@pytest.mark.parametrize("missing", ["out_trade_no", "trade_status", "total_amount", "app_id"])
async def test_properly_signed_notification_missing_a_field_is_refused(
    alipay: AlipayGateway, alipay_keys: RsaKeyPair, missing: str
) -> None:
    fields = notification(alipay_keys)
    del fields[missing]
    resigned = sign_notification_fields(alipay_keys.private_pem, fields)
    assert await alipay.verify_callback(resigned) is None


@pytest.mark.asyncio
@pytest.mark.parametrize("amount", ["abc", "NaN", "1e3", "-1.00", "1.005", ""])
async def test_properly_signed_notification_with_odd_amount_is_refused(
    alipay: AlipayGateway, alipay_keys: RsaKeyPair, amount: str
) -> None:
    assert await alipay.verify_callback(notification(alipay_keys, total_amount=amount)) is None


@pytest.mark.asyncio
async def test_properly_signed_notification_for_another_app_is_refused(
    alipay: AlipayGateway, alipay_keys: RsaKeyPair
) -> None:
    fields = signed_notification(
        alipay_keys.private_pem, app_id="2021000000009999", out_trade_no=TRADE_NO, total_amount="1234.50"
    )
    assert await alipay.verify_callback(fields) is None


@pytest.mark.asyncio
@pytest.mark.parametrize("skip_empty", [False, True])
async def test_notification_with_an_empty_field_verifies_either_way(
    alipay: AlipayGateway, alipay_keys: RsaKeyPair, skip_empty: bool
) -> None:
    fields = notification(alipay_keys, body="")
    fields = sign_notification_fields(alipay_keys.private_pem, fields, skip_empty=skip_empty)
    assert await alipay.verify_callback(fields) is not None


# --- query and close ----------------------------------------------------------------


@pytest.mark.asyncio
async def test_query_of_a_paid_trade(alipay: AlipayGateway, fake: FakeAlipayGateway) -> None:
    fake_trade = fake.set_trade(TRADE_NO, "TRADE_SUCCESS", "1234.50")

    trade = await alipay.query_trade(TRADE_NO)

    assert trade is not None
    assert trade.status == "TRADE_SUCCESS"
    assert trade.amount == Decimal("1234.50")
    assert trade.trade_no == TRADE_NO
    assert trade.gateway_trade_no == fake_trade.trade_no
    assert trade.app_id == APP_ID
    assert json.loads(fake.requests[-1]["biz_content"]) == {"out_trade_no": TRADE_NO}


@pytest.mark.asyncio
async def test_query_of_an_unpaid_trade(alipay: AlipayGateway, fake: FakeAlipayGateway) -> None:
    fake.set_trade(TRADE_NO, "WAIT_BUYER_PAY", "99.00")
    trade = await alipay.query_trade(TRADE_NO)
    assert trade is not None
    assert (trade.status, trade.amount) == ("WAIT_BUYER_PAY", Decimal("99.00"))


@pytest.mark.asyncio
async def test_query_of_an_unknown_trade_is_none(alipay: AlipayGateway) -> None:
    assert await alipay.query_trade("nope") is None


@pytest.mark.asyncio
async def test_close_of_an_unpaid_trade(alipay: AlipayGateway, fake: FakeAlipayGateway) -> None:
    fake.set_trade(TRADE_NO, "WAIT_BUYER_PAY")
    assert await alipay.close_trade(TRADE_NO) is True
    assert fake.trades[TRADE_NO].status == "TRADE_CLOSED"
    assert await alipay.close_trade(TRADE_NO) is True  # closing again is fine


@pytest.mark.asyncio
async def test_close_of_an_unknown_trade(alipay: AlipayGateway) -> None:
    assert await alipay.close_trade("never-opened") is True


@pytest.mark.asyncio
@pytest.mark.parametrize("status", ["TRADE_SUCCESS", "TRADE_FINISHED"])
async def test_close_of_a_paid_trade_is_refused(
    alipay: AlipayGateway, fake: FakeAlipayGateway, status: str
) -> None:
    fake.set_trade(TRADE_NO, status)
    assert await alipay.close_trade(TRADE_NO) is False
    assert fake.trades[TRADE_NO].status == status


@pytest.mark.asyncio
@pytest.mark.parametrize("operation", ["query", "close"])
async def test_slow_gateway_is_unavailable_quickly(
    alipay: AlipayGateway, fake: FakeAlipayGateway, operation: str
) -> None:
    fake.set_trade(TRADE_NO, "WAIT_BUYER_PAY")
    fake.answer_slowly(5.0)
    started = time.monotonic()
    with pytest.raises(ServiceUnavailable):
        await (alipay.query_trade(TRADE_NO) if operation == "query" else alipay.close_trade(TRADE_NO))
    assert time.monotonic() - started < 1.5


@pytest.mark.asyncio
@pytest.mark.parametrize("knob", ["answer_malformed", "answer_with_bad_signature", "answer_unsigned"])
@pytest.mark.parametrize("operation", ["query", "close"])
async def test_untrustworthy_answers_are_unavailable(
    alipay: AlipayGateway, fake: FakeAlipayGateway, knob: str, operation: str
) -> None:
    fake.set_trade(TRADE_NO, "TRADE_SUCCESS")
    getattr(fake, knob)()
    with pytest.raises(ServiceUnavailable):
        await (alipay.query_trade(TRADE_NO) if operation == "query" else alipay.close_trade(TRADE_NO))


@pytest.mark.asyncio
async def test_unsigned_trade_not_exist_is_not_believed(
    alipay: AlipayGateway, fake: FakeAlipayGateway
) -> None:
    fake.answer_unsigned()
    with pytest.raises(ServiceUnavailable):
        await alipay.close_trade("unknown")


@pytest.mark.asyncio
async def test_answers_signed_for_the_wrong_key_are_unavailable(
    app_keys: RsaKeyPair, stranger_keys: RsaKeyPair, fake: FakeAlipayGateway
) -> None:
    gateway = make_gateway(app_keys, stranger_keys, fake.url)  # expects another Alipay key
    fake.set_trade(TRADE_NO, "TRADE_SUCCESS")
    with pytest.raises(ServiceUnavailable):
        await gateway.query_trade(TRADE_NO)


@pytest.mark.asyncio
async def test_gateway_that_rejects_our_signature_is_unavailable(
    stranger_keys: RsaKeyPair, alipay_keys: RsaKeyPair, fake: FakeAlipayGateway
) -> None:
    gateway = make_gateway(stranger_keys, alipay_keys, fake.url)  # signs with a key Alipay doesn't know
    with pytest.raises(ServiceUnavailable):
        await gateway.query_trade(TRADE_NO)


@pytest.mark.asyncio
async def test_unreachable_gateway_is_unavailable(app_keys: RsaKeyPair, alipay_keys: RsaKeyPair) -> None:
    with FakeAlipayGateway(
        app_id=APP_ID, app_public_key_pem=app_keys.public_pem, alipay_private_key_pem=alipay_keys.private_pem
    ) as stopped:
        url = stopped.url
    gateway = make_gateway(app_keys, alipay_keys, url)
    with pytest.raises(ServiceUnavailable):
        await gateway.query_trade(TRADE_NO)


# --- the simulator ------------------------------------------------------------------


@pytest.fixture
def simulator() -> SimulatedGateway:
    return SimulatedGateway("http://127.0.0.1:8000/")


def test_both_gateways_fit_the_port(alipay: AlipayGateway, simulator: SimulatedGateway) -> None:
    gateways: list[PaymentGateway] = [alipay, simulator]
    assert [g.name for g in gateways] == ["alipay", "simulator"]


@pytest.mark.asyncio
async def test_simulator_pays_only_through_pay(simulator: SimulatedGateway) -> None:
    url = await simulator.payment_url(TRADE_NO, Decimal("1234.50"), SUBJECT)
    assert url == f"http://127.0.0.1:8000/api/payments/simulator/{TRADE_NO}"

    waiting = await simulator.query_trade(TRADE_NO)
    assert waiting is not None
    assert (waiting.status, waiting.amount) == ("WAIT_BUYER_PAY", Decimal("1234.50"))
    before = await simulator.verify_callback(simulator.signed_notification(TRADE_NO))
    assert before is not None
    assert before.status == "WAIT_BUYER_PAY"

    fields = simulator.pay(TRADE_NO, Decimal("1234.50"))

    paid = await simulator.verify_callback(fields)
    assert paid is not None
    assert (paid.trade_no, paid.status, paid.amount, paid.app_id) == (
        TRADE_NO,
        "TRADE_SUCCESS",
        Decimal("1234.50"),
        "simulator",
    )
    queried = await simulator.query_trade(TRADE_NO)
    assert queried is not None
    assert queried.status == "TRADE_SUCCESS"
    assert queried.gateway_trade_no == paid.gateway_trade_no != ""


@pytest.mark.asyncio
async def test_simulator_refuses_forged_notifications(
    simulator: SimulatedGateway, alipay_keys: RsaKeyPair
) -> None:
    await simulator.payment_url(TRADE_NO, Decimal("1234.50"), SUBJECT)
    genuine = simulator.signed_notification(TRADE_NO)

    forged = dict(genuine, trade_status="TRADE_SUCCESS")
    assert await simulator.verify_callback(forged) is None

    other = SimulatedGateway("http://127.0.0.1:8000")
    other.pay(TRADE_NO, Decimal("1234.50"))
    assert await simulator.verify_callback(other.signed_notification(TRADE_NO)) is None

    alipay_like = notification(alipay_keys, app_id="simulator")
    assert await simulator.verify_callback(alipay_like) is None

    unsigned = {k: v for k, v in genuine.items() if k != "sign"}
    assert await simulator.verify_callback(unsigned) is None

    assert await simulator.query_trade(TRADE_NO) is not None
    still = await simulator.query_trade(TRADE_NO)
    assert still is not None
    assert still.status == "WAIT_BUYER_PAY"


@pytest.mark.asyncio
async def test_simulator_tampered_amount_does_not_verify(simulator: SimulatedGateway) -> None:
    fields = simulator.pay(TRADE_NO, Decimal("1234.50"))
    fields["total_amount"] = "0.01"
    assert await simulator.verify_callback(fields) is None


@pytest.mark.asyncio
async def test_simulator_close(simulator: SimulatedGateway) -> None:
    assert await simulator.close_trade("unknown") is True

    await simulator.payment_url("A1", Decimal("10.00"), SUBJECT)
    assert await simulator.close_trade("A1") is True
    with pytest.raises(Conflict):
        simulator.pay("A1", Decimal("10.00"))
    closed = await simulator.query_trade("A1")
    assert closed is not None
    assert closed.status == "TRADE_CLOSED"

    simulator.pay("B2", Decimal("20.00"))
    assert await simulator.close_trade("B2") is False
    paid = await simulator.query_trade("B2")
    assert paid is not None
    assert paid.status == "TRADE_SUCCESS"


@pytest.mark.asyncio
async def test_simulator_query_of_unknown_trade(simulator: SimulatedGateway) -> None:
    assert await simulator.query_trade("unknown") is None
