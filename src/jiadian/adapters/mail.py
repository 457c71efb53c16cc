"""Mailers: the console mailer of the embedded default, and SMTP for production.

Mail carries verification codes, never passwords; neither mailer logs a credential.
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
import ssl
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr

from jiadian.domain.errors import ServiceUnavailable

log = logging.getLogger("jiadian.mail")


class ConsoleMailer:
    """Writes each mail to the log (logger `jiadian.mail`) instead of sending it."""

    async def send(self, to: str, subject: str, body: str) -> None:
        log.info("mail to %s, subject %s:\n%s", to, subject, body)


class SmtpMailer:
    """Speaks SMTP (stdlib smtplib, in a thread): plain, STARTTLS or implicit TLS, with optional login.

    A fresh connection per mail: mails are few (verification codes), and nothing goes stale.
    """

    def __init__(
        self,
        *,
        host: str,
        port: int,
        mail_from: str,
        user: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        use_ssl: bool = False,
        timeout: float = 10.0,
    ) -> None:
        self._host = host
        self._port = port
        self._from = mail_from
        self._user = user
        self._password = password
        self._starttls = starttls
        self._ssl = use_ssl
        self._timeout = timeout
        self._domain = parseaddr(mail_from)[1].rpartition("@")[2] or None

    def __repr__(self) -> str:  # never show the password
        return f"SmtpMailer({self._host}:{self._port}, user={self._user!r})"

    async def send(self, to: str, subject: str, body: str) -> None:
        message = EmailMessage()
        message["From"] = self._from
        message["To"] = to
        message["Subject"] = subject
        message["Date"] = format_datetime(datetime.now(UTC))
        message["Message-ID"] = make_msgid(domain=self._domain)
        message.set_content(body)
        try:
            await asyncio.to_thread(self._deliver, message)
        except (smtplib.SMTPException, OSError) as exc:
            log.warning("mail to %s not sent: %s: %s", to, type(exc).__name__, exc)
            raise ServiceUnavailable("邮件发送失败，请稍后再试") from exc
        log.info("mail sent to %s: %s", to, subject)

    def _deliver(self, message: EmailMessage) -> None:
        context = ssl.create_default_context()
        smtp = (
            smtplib.SMTP_SSL(self._host, self._port, timeout=self._timeout, context=context)
            if self._ssl
            else smtplib.SMTP(self._host, self._port, timeout=self._timeout)
        )
        with smtp:
            if self._starttls and not self._ssl:
                smtp.starttls(context=context)
            if self._user:
                smtp.login(self._user, self._password or "")
            smtp.send_message(message)
