"""Helpers for the account tests: reading codes out of mail, an in-test SMTP server, worker plumbing."""

from __future__ import annotations

import asyncio
import re
import socket
from collections.abc import Callable
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

CODE = re.compile(r"验证码是：([A-Za-z0-9]{6})")
PASSWORD = "s3cret-Pa55word"


def code_in(body: str) -> str:
    found = CODE.search(body)
    assert found, f"no code in {body!r}"
    return found.group(1)


async def eventually(check: Callable[[], Any], *, timeout: float = 30.0, what: str = "the condition") -> Any:
    """Poll `check` until it returns something truthy (an upper bound for slow machines, not a measure)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = check()
        if result:
            return result
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Inbox:
    """An aiosmtpd handler that keeps every message it is given."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


class SmtpServer:
    """A real SMTP server (aiosmtpd) on 127.0.0.1, on its own thread and loop."""

    def __init__(self, **options: Any) -> None:
        self.inbox = Inbox()
        self.port = free_port()
        self._controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port, **options)

    def __enter__(self) -> SmtpServer:
        self._controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._controller.stop()


def delete_rabbitmq_queues(url: str, queue_name: str) -> None:
    """Remove a test's dramatiq queues (the queue, its delay queue and its dead-letter queue)."""
    import pika  # type: ignore[import-untyped]

    connection = pika.BlockingConnection(pika.URLParameters(url))
    try:
        channel = connection.channel()
        for name in (queue_name, f"{queue_name}.DQ", f"{queue_name}.XQ"):
            channel.queue_delete(name)
    finally:
        connection.close()
