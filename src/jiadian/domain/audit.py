"""The audit log: who changed what, when, from what to what.

Every change an operator makes — over HTTP (the console, the admin API) or from the command line — is
written as one `AuditEntry` in the same transaction as the change itself: a change that rolls back
leaves no entry, and no committed change lacks one. Changes the shop makes by itself (expiry, the
shipping sweep, a gateway's notification) are not operator changes and are not in it.

An entry names its target as "kind:id" (`sku:12`, `order:2026…`, `user:3`) and keeps, as flat maps of
plain values, only the fields the change moved: `before` and `after` (a creation has no before, a
deletion no after).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Final

from jiadian.domain.errors import ValidationFailed

Scalar = str | int | bool | None
Fields = Mapping[str, Scalar]

MAX_ACTOR = 64
MAX_ACTION = 40
MAX_TARGET = 80


class Via(StrEnum):
    HTTP = "http"  # the console or the admin API, as a signed-in operator
    CLI = "cli"  # the `jiadian` command, as the machine's user
    SYSTEM = "system"  # the shop itself on an operator's behalf (the demo catalogue at first start)


@dataclass(frozen=True, slots=True)
class Actor:
    """Who made a change: an operator's account (over HTTP), or a login on the shop's machine (CLI)."""

    name: str
    via: Via
    user_id: int | None = None

    @classmethod
    def operator(cls, user_id: int, username: str) -> Actor:
        return cls(username, Via.HTTP, user_id)

    @classmethod
    def command_line(cls, login: str) -> Actor:
        return cls(login or "unknown", Via.CLI)

    @property
    def label(self) -> str:
        """As the log shows it: the username, or "cli:login"."""
        return self.name if self.via is Via.HTTP else f"{self.via.value}:{self.name}"


SYSTEM: Final = Actor("jiadian", Via.SYSTEM)


def target(kind: str, key: object) -> str:
    """A target's name in the log: "sku:12"."""
    return f"{kind}:{key}"


@dataclass(frozen=True, slots=True)
class AuditEntry:
    at: datetime
    actor: Actor
    action: str  # what was done, "kind.verb": sku.price, order.ship, user.admin, banner.delete …
    target: str  # "kind:id"
    before: Fields = field(default_factory=dict)
    after: Fields = field(default_factory=dict)
    id: int = 0

    @property
    def target_kind(self) -> str:
        return self.target.split(":", 1)[0]


def change(
    at: datetime, actor: Actor, action: str, target_: str, before: Fields | None, after: Fields | None
) -> AuditEntry:
    """An entry keeping only what differs between the two snapshots (all of one when the other is None)."""
    old, new = dict(before or {}), dict(after or {})
    if before is not None and after is not None:
        moved = [key for key in dict.fromkeys([*old, *new]) if old.get(key) != new.get(key)]
        old = {key: old[key] for key in moved if key in old}
        new = {key: new[key] for key in moved if key in new}
    return AuditEntry(at, actor, action, target_, old, new)


@dataclass(frozen=True, slots=True)
class AuditQuery:
    """What `jiadian audit list` and the console filter the log by (all optional, all combined)."""

    actor: str | None = None  # as `Actor.label` shows it
    action: str | None = None  # an action ("sku.price") or a kind of target's actions ("sku")
    target: str | None = None  # "sku:12", or a kind ("sku")
    since: datetime | None = None
    until: datetime | None = None

    def __post_init__(self) -> None:
        for name, limit in (("actor", MAX_ACTOR), ("action", MAX_ACTION), ("target", MAX_TARGET)):
            value = getattr(self, name)
            if value is not None and (not value.strip() or len(value) > limit):
                raise ValidationFailed(f"{name} 须为 1-{limit} 个字符", field=name)
        if self.since and self.until and self.since > self.until:
            raise ValidationFailed("开始时间不能晚于结束时间", field="since")
