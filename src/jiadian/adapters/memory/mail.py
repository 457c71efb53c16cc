"""A mailer that keeps what it sends: for tests and for trying the shop without a mail server."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class SentMail:
    to: str
    subject: str
    body: str


@dataclass
class MemoryMailer:
    outbox: list[SentMail] = field(default_factory=list)

    async def send(self, to: str, subject: str, body: str) -> None:
        self.outbox.append(SentMail(to, subject, body))

    def to(self, address: str) -> list[SentMail]:
        return [m for m in self.outbox if m.to == address]
