"""Which payment gateway the settings give: the simulator by default, or Alipay on the real SDK."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import SecretStr
from tests.conftest import settings_for
from tests.fakes.alipay_gateway import query_params, verify_request
from tests.payments_support import APP_ID, AlipayKeys, alipay_settings

from jiadian.adapters.alipay import (
    PRODUCTION_GATEWAY_URL,
    SANDBOX_GATEWAY_URL,
    AlipayGateway,
    SimulatedGateway,
)
from jiadian.settings import Settings
from jiadian.wiring_payments import PaymentSettingsError, payment_gateway, payment_simulator


@pytest.fixture(scope="module")
def keys() -> AlipayKeys:
    return AlipayKeys.generate()


def test_the_default_is_the_simulator(tmp_path: Path) -> None:
    gateway = payment_gateway(settings_for(tmp_path, public_url="https://shop.example.com/"))
    assert isinstance(gateway, SimulatedGateway)
    assert gateway.base_url == "https://shop.example.com"
    assert payment_simulator(gateway) is gateway


async def test_alipay_from_key_files(tmp_path: Path, keys: AlipayKeys) -> None:
    settings = settings_for(
        tmp_path, **alipay_settings(tmp_path, keys, "", public_url="https://shop.example.com/")
    )
    gateway = payment_gateway(settings)
    assert isinstance(gateway, AlipayGateway)
    assert payment_simulator(gateway) is None
    assert (gateway.app_id, gateway.gateway_url) == (APP_ID, SANDBOX_GATEWAY_URL)
    assert gateway.notify_url == "https://shop.example.com/api/payments/alipay/notify"
    assert gateway.return_url == "https://shop.example.com/api/payments/alipay/return"
    params = query_params(await gateway.payment_url("JD1", Decimal("10.00"), "家电之选-订单支付"))
    assert verify_request(keys.app.public_pem, params)  # signed with the key from the file
    assert json.loads(params["biz_content"])["out_trade_no"] == "JD1"


@pytest.mark.parametrize(
    ("overrides", "url"),
    [
        ({"alipay_sandbox": False}, PRODUCTION_GATEWAY_URL),
        ({"alipay_sandbox": True}, SANDBOX_GATEWAY_URL),
        (
            {"alipay_sandbox": False, "alipay_gateway_url": "http://127.0.0.1:9/gateway.do"},
            "http://127.0.0.1:9/gateway.do",
        ),
    ],
)
def test_sandbox_or_production_by_setting(
    tmp_path: Path, keys: AlipayKeys, overrides: dict[str, object], url: str
) -> None:
    values = alipay_settings(tmp_path, keys, "")
    values.pop("alipay_gateway_url")
    gateway = payment_gateway(settings_for(tmp_path, **{**values, **overrides}))
    assert isinstance(gateway, AlipayGateway)
    assert gateway.gateway_url == url


def test_alipay_from_secret_values_in_the_environment(
    tmp_path: Path, keys: AlipayKeys, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JIADIAN_PAYMENT_GATEWAY", "alipay")
    monkeypatch.setenv("JIADIAN_ALIPAY_APP_ID", APP_ID)
    monkeypatch.setenv("JIADIAN_ALIPAY_APP_PRIVATE_KEY", keys.app.private_pem)
    bare = "".join(line for line in keys.alipay.public_pem.splitlines() if not line.startswith("-----"))
    monkeypatch.setenv("JIADIAN_ALIPAY_PUBLIC_KEY", bare)  # as Alipay's console shows it
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    gateway = payment_gateway(settings)
    assert isinstance(gateway, AlipayGateway)
    assert keys.app.private_pem not in repr(settings) + repr(gateway)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"alipay_app_id": ""}, "JIADIAN_ALIPAY_APP_ID"),
        ({"alipay_app_private_key_file": None}, "JIADIAN_ALIPAY_APP_PRIVATE_KEY"),
        ({"alipay_public_key_file": None, "alipay_public_key": SecretStr("  ")}, "JIADIAN_ALIPAY_PUBLIC_KEY"),
        ({"alipay_public_key_file": Path("/nonexistent/alipay.pem")}, "cannot read"),
    ],
)
def test_incomplete_alipay_settings_are_named(
    tmp_path: Path, keys: AlipayKeys, change: dict[str, object], message: str
) -> None:
    values = {**alipay_settings(tmp_path, keys, ""), **change}
    with pytest.raises(PaymentSettingsError, match=message):
        payment_gateway(settings_for(tmp_path, **values))


def test_a_key_that_is_not_a_key_is_refused_without_echoing_it(tmp_path: Path, keys: AlipayKeys) -> None:
    values = alipay_settings(tmp_path, keys, "")
    Path(values["alipay_public_key_file"]).write_text("c2VjcmV0LWJ1dC1ub3QtYS1rZXk=")
    with pytest.raises(PaymentSettingsError) as raised:
        payment_gateway(settings_for(tmp_path, **values))
    assert "c2VjcmV0" not in str(raised.value)
