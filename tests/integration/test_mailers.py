"""The mailers: SMTP against a real SMTP server started in the test (aiosmtpd), and the console mailer."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword
from tests.accounts_support import SmtpServer, free_port

from jiadian.adapters.mail import ConsoleMailer, SmtpMailer
from jiadian.domain.errors import ServiceUnavailable

# The in-test server allows AUTH without TLS, and aiosmtpd warns about that (and about itself).
pytestmark = [
    pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS"),
    pytest.mark.filterwarnings("ignore:Session.login_data is deprecated"),
]

SMTP_PASSWORD = "smtp-Pa55-word"
SUBJECT = "【家电之选】注册验证码"
BODY = "您好！\n\n您在家电之选的注册验证码是：Ab3dE9\n"


def mailer(port: int, **options: Any) -> SmtpMailer:
    return SmtpMailer(host="127.0.0.1", port=port, mail_from="家电之选 <noreply@jiadian.test>", **options)


async def test_a_mail_goes_through_smtp_with_its_chinese_intact() -> None:
    with SmtpServer() as server:
        await mailer(server.port).send("li@example.com", SUBJECT, BODY)

    [message] = server.inbox.messages
    assert server.inbox.envelopes == [("noreply@jiadian.test", ["li@example.com"])]
    assert message["To"] == "li@example.com"
    assert message["Subject"] == SUBJECT
    assert message["From"].addresses[0].display_name == "家电之选"
    assert message["Message-ID"].endswith("@jiadian.test>")
    assert message.get_content().replace("\r\n", "\n") == BODY


def _authenticator(accepted: list[bytes]) -> Any:
    def check(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        ok = (auth_data.login, auth_data.password) == (b"shop", SMTP_PASSWORD.encode())
        if ok:
            accepted.append(auth_data.login)
        return AuthResult(success=ok, handled=False)

    return check


async def test_smtp_logs_in_when_a_user_is_set_and_never_logs_the_password(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    accepted: list[bytes] = []
    options = {"authenticator": _authenticator(accepted), "auth_required": True, "auth_require_tls": False}
    with SmtpServer(**options) as server:
        await mailer(server.port, user="shop", password=SMTP_PASSWORD).send("li@example.com", SUBJECT, BODY)
        with pytest.raises(ServiceUnavailable):
            await mailer(server.port, user="shop", password="wrong-" + SMTP_PASSWORD).send(
                "li@example.com", SUBJECT, BODY
            )
        with pytest.raises(ServiceUnavailable):  # no login: the server wants one
            await mailer(server.port).send("li@example.com", SUBJECT, BODY)

    assert accepted == [b"shop"]
    assert len(server.inbox.messages) == 1
    assert "not sent" in caplog.text
    assert SMTP_PASSWORD not in caplog.text
    assert SMTP_PASSWORD not in repr(mailer(1, user="shop", password=SMTP_PASSWORD))


async def test_an_unreachable_mail_server_is_a_service_error() -> None:
    with pytest.raises(ServiceUnavailable):
        await mailer(free_port(), timeout=2).send("li@example.com", SUBJECT, BODY)


async def test_the_console_mailer_logs_the_mail(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="jiadian.mail")
    await ConsoleMailer().send("li@example.com", SUBJECT, BODY)
    [record] = caplog.records
    assert record.name == "jiadian.mail"
    assert "li@example.com" in record.getMessage()
    assert "Ab3dE9" in record.getMessage()
