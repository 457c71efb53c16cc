"""Factories the composition root (`jiadian.container`) uses for the payment gateway.

`JIADIAN_PAYMENT_GATEWAY=alipay` builds `AlipayGateway` from the `JIADIAN_ALIPAY_*` settings (keys from
PEM files or from the secret values — never from the repository); the default is the SIMULATOR, which
"pays" only when an operator or a test says so (`jiadian payments simulate-pay`).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr

from jiadian.adapters.alipay import (
    PRODUCTION_GATEWAY_URL,
    SANDBOX_GATEWAY_URL,
    AlipayGateway,
    SimulatedGateway,
)
from jiadian.application.payments_ports import PaymentSimulator
from jiadian.application.ports import PaymentGateway
from jiadian.settings import Settings

NOTIFY_PATH = "/api/payments/alipay/notify"
RETURN_PATH = "/api/payments/alipay/return"


class PaymentSettingsError(ValueError):
    """The Alipay settings are incomplete; the message names the variables (never a key)."""


def _key(value: SecretStr | None, path: Path | None, *, variable: str) -> str:
    if path is not None:
        try:
            return path.read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError) as exc:
            raise PaymentSettingsError(f"{variable}_FILE: cannot read {path}: {type(exc).__name__}") from exc
    if value is not None and value.get_secret_value().strip():
        return value.get_secret_value()
    raise PaymentSettingsError(f"JIADIAN_PAYMENT_GATEWAY=alipay needs {variable}_FILE or {variable}")


def alipay_gateway_url(settings: Settings) -> str:
    if settings.alipay_gateway_url:
        return settings.alipay_gateway_url
    return SANDBOX_GATEWAY_URL if settings.alipay_sandbox else PRODUCTION_GATEWAY_URL


def payment_gateway(settings: Settings) -> PaymentGateway:
    base = settings.public_url.rstrip("/")
    if settings.payment_gateway == "simulator":
        return SimulatedGateway(base)
    if not settings.alipay_app_id:
        raise PaymentSettingsError("JIADIAN_PAYMENT_GATEWAY=alipay needs JIADIAN_ALIPAY_APP_ID")
    try:
        return AlipayGateway(
            app_id=settings.alipay_app_id,
            app_private_key_pem=_key(
                settings.alipay_app_private_key,
                settings.alipay_app_private_key_file,
                variable="JIADIAN_ALIPAY_APP_PRIVATE_KEY",
            ),
            alipay_public_key_pem=_key(
                settings.alipay_public_key,
                settings.alipay_public_key_file,
                variable="JIADIAN_ALIPAY_PUBLIC_KEY",
            ),
            gateway_url=alipay_gateway_url(settings),
            notify_url=base + NOTIFY_PATH,
            return_url=base + RETURN_PATH,
            timeout=settings.alipay_timeout,
        )
    except PaymentSettingsError:
        raise
    except ValueError as exc:  # a key that is not a key (the message never echoes it)
        raise PaymentSettingsError(f"Alipay keys: {exc}") from exc


def payment_simulator(gateway: PaymentGateway) -> PaymentSimulator | None:
    """The gateway, when it is the simulator (it can be told to "pay"); None for a real gateway."""
    return gateway if isinstance(gateway, SimulatedGateway) else None
