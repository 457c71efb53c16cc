"""Secrets are never logged: every log record of a whole journey, at DEBUG, is free of them.

The journey goes through the production adapters that hold secrets: SMTP with a login (the code is
mailed by the inline task runner), Alipay with the shop's private key (against the local fake
gateway), sessions and CSRF tokens. Building the Litestar app configures logging, so the capturing
handler is attached after the app is built, to the root logger and to every logger that does not
propagate, with every level lowered to DEBUG for the journey.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.accounts_support import SmtpServer, code_in, eventually
from tests.fakes.alipay_gateway import FakeAlipayGateway, signed_notification
from tests.security.conftest import ALIPAY_APP_ID, AlipayKeys, ShopFactory
from tests.security.support import PASSWORD

pytestmark = [
    pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS"),
    pytest.mark.filterwarnings("ignore:Session.login_data is deprecated"),
]
# Loggers of the test's own tools (its HTTP client, its SMTP server), not of the shop.
NOT_THE_SHOP = ("httpx", "httpcore", "mail.log", "hpack")


class Recorder(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith(NOT_THE_SHOP):
            return
        self.lines.append(self.format(record))  # the message with its arguments, and any traceback


@contextmanager
def everything_logged() -> Iterator[Recorder]:
    recorder = Recorder()
    names = [*list(logging.root.manager.loggerDict), *NOT_THE_SHOP]
    loggers = [logging.getLogger(), *(logging.getLogger(name) for name in names)]
    saved = [(logger, logger.level, logger.disabled) for logger in loggers]
    for logger in loggers:
        # The test's own tools stay quiet (their DEBUG lines would show the test's data on stderr).
        logger.setLevel(logging.WARNING if logger.name.startswith(NOT_THE_SHOP) else logging.DEBUG)
        logger.disabled = False
        if logger is logging.getLogger() or not logger.propagate:
            logger.addHandler(recorder)
    try:
        yield recorder
    finally:
        for logger, level, disabled in saved:
            logger.setLevel(level)
            logger.disabled = disabled
            logger.removeHandler(recorder)


def smtp_login(password: str) -> Any:
    def check(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and auth_data.password == password.encode()
        return AuthResult(success=ok, handled=False)

    return check


async def test_no_secret_is_ever_logged(
    make_shop: ShopFactory,
    alipay_keys: AlipayKeys,
    fake_alipay: FakeAlipayGateway,
    capsys: pytest.CaptureFixture[str],
) -> None:
    smtp_password = f"smtp-{secrets.token_hex(8)}"
    csrf_secret = f"csrf-{secrets.token_hex(16)}"
    wrong_password = f"wrong-{secrets.token_hex(6)}"
    options = {"authenticator": smtp_login(smtp_password), "auth_required": True, "auth_require_tls": False}
    with SmtpServer(**options) as server:
        settings = {
            **alipay_keys.settings(fake_alipay.url),
            "mailer": "smtp",
            "smtp_host": "127.0.0.1",
            "smtp_port": server.port,
            "smtp_user": "shop",
            "smtp_password": smtp_password,
            "csrf_secret": csrf_secret,
        }
        async with make_shop(record_tasks=False, **settings) as shop:
            with everything_logged() as log:
                browser = shop.anonymous()
                assert (await browser.get("/api/catalog/home")).status_code == 200
                asked = await browser.post(
                    "/api/auth/verification-codes", json={"username": "secretive", "email": "s@example.com"}
                )
                assert asked.status_code == 202, asked.text
                mail = await eventually(lambda: server.inbox.to("s@example.com"), what="the code's mail")
                code = code_in(mail[0].get_content())
                registered = await browser.post(
                    "/api/auth/register",
                    json={
                        "username": "secretive",
                        "email": "s@example.com",
                        "password": PASSWORD,
                        "code": code,
                    },
                )
                assert registered.status_code == 201, registered.text
                failed = await browser.post(
                    "/api/auth/login", json={"username": "secretive", "password": wrong_password}
                )
                assert failed.status_code == 401
                await browser.login("secretive", PASSWORD)
                session, csrf = browser.cookies["jiadian_session"], browser.cookies["csrftoken"]
                sku = await shop.orders.given_sku(price="99.00", stock=5)
                address = await browser.post(
                    "/api/me/addresses",
                    json={
                        "recipient": "秘密",
                        "phone": "13500000000",
                        "province": "上海市",
                        "city": "上海市",
                        "county": "徐汇区",
                        "detail": "漕溪北路 5 号",
                    },
                )
                order = await browser.post(
                    "/api/orders",
                    json={"buy_now": {"sku_id": sku.id, "count": 1}, "address_id": address.json()["id"]},
                )
                assert order.status_code == 201, order.text
                placed = order.json()
                started = await browser.post(
                    f"/api/orders/{placed['order_id']}/payments", json={"method": "alipay"}
                )
                assert started.status_code == 200, started.text
                fake_alipay.set_trade(placed["trade_no"], "TRADE_SUCCESS", total_amount=placed["total"])
                notification = signed_notification(
                    alipay_keys.alipay.private_pem,
                    app_id=ALIPAY_APP_ID,
                    out_trade_no=placed["trade_no"],
                    total_amount=placed["total"],
                )
                notified = await shop.anonymous().post("/api/payments/alipay/notify", data=notification)
                assert notified.text == "success"
                forged = await browser.get(
                    "/api/payments/alipay/return",
                    params={"out_trade_no": placed["trade_no"], "sign": "forged", "app_id": ALIPAY_APP_ID},
                    headers={"accept": "application/json"},
                )
                assert forged.status_code == 400
                paid = (await browser.get(f"/api/orders/{placed['order_id']}")).json()
                assert paid["status"] == 2
                assert (await browser.post("/api/auth/logout")).status_code == 204
                assert (
                    await browser.get("/api/me")
                ).status_code == 401  # the token is dead: no longer a secret?
            logged = "\n".join(log.lines)

    printed = capsys.readouterr()
    key_lines = [line for line in alipay_keys.app.private_pem.splitlines() if "-----" not in line]
    found_secrets = {
        "the password": PASSWORD,
        "a wrong password": wrong_password,
        "the session token": session,
        "the CSRF token": csrf,
        "the CSRF secret": csrf_secret,
        "the SMTP password": smtp_password,
        "the verification code": code,
        **{f"line {n} of the Alipay private key": line for n, line in enumerate(key_lines)},
    }
    assert len(log.lines) > 20, "the journey logged (almost) nothing: is the recorder attached?"
    assert "mail sent to s@example.com" in logged  # the shop's own lines are there
    assert "notification" in logged
    for where, text in (("the log", logged), ("stdout", printed.out), ("stderr", printed.err)):
        leaked = [name for name, secret in found_secrets.items() if secret in text]
        lines = [line for line in text.splitlines() if any(s in line for s in found_secrets.values())]
        assert not leaked, f"{where} shows {leaked}: {lines[:5]}"
