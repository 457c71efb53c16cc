"""The index of each user's session tokens, in memory (one process: the embedded default and tests)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class MemorySessionIndex:
    """Implements `jiadian.adapters.sessions.SessionIndex`; nothing expires (ended tokens are pruned)."""

    _tokens: dict[int, set[str]] = field(default_factory=dict)

    async def add(self, user_id: int, token: str, *, ttl_seconds: int) -> None:
        self._tokens.setdefault(user_id, set()).add(token)

    async def remove(self, user_id: int, *tokens: str) -> None:
        mine = self._tokens.get(user_id, set())
        mine.difference_update(tokens)
        if not mine:
            self._tokens.pop(user_id, None)

    async def tokens(self, user_id: int) -> set[str]:
        return set(self._tokens.get(user_id, set()))
