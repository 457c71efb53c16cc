"""Verification codes and send history in memory (one process: the embedded default and tests)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from jiadian.application.accounts_ports import SendSlot


@dataclass(slots=True)
class _Code:
    code: str
    expires_at: datetime
    failures: int = 0


@dataclass
class MemoryCodeStore:
    """Every method runs without an `await` inside, so each is atomic on its event loop."""

    _codes: dict[str, _Code] = field(default_factory=dict)
    _sends: dict[str, dict[str, datetime]] = field(default_factory=dict)

    async def put_code(self, email: str, code: str, *, now: datetime, ttl_seconds: int) -> None:
        self._codes[email] = _Code(code, now + timedelta(seconds=ttl_seconds))

    async def redeem_code(self, email: str, code: str, *, now: datetime, max_failures: int) -> bool:
        stored = self._codes.get(email)
        if stored is None:
            return False
        if now >= stored.expires_at or secrets.compare_digest(stored.code.encode(), code.encode()):
            del self._codes[email]
            return now < stored.expires_at
        stored.failures += 1
        if stored.failures >= max_failures:
            del self._codes[email]
        return False

    async def reserve_send(self, client: str, *, now: datetime, window_seconds: int) -> SendSlot:
        history = self._sends.setdefault(client, {})
        horizon = now - timedelta(seconds=window_seconds)
        for token in [t for t, at in history.items() if at <= horizon]:
            del history[token]
        slot = SendSlot(client, secrets.token_hex(8), tuple(history.values()))
        history[slot.token] = now
        return slot

    async def release_send(self, slot: SendSlot) -> None:
        self._sends.get(slot.client, {}).pop(slot.token, None)
