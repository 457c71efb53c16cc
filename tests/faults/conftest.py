"""Fixtures of the fault tests: a private Redis, proxies, and a tally of faults and invariants."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.faults.proxy import FaultProxy
from tests.faults.support import RedisServer


@dataclass
class Tally:
    """What the fault tests did: faults injected and invariants verified (printed at the end)."""

    faults: list[str] = field(default_factory=list)
    invariants: list[str] = field(default_factory=list)

    def fault(self, what: str) -> None:
        self.faults.append(what)

    def verified(self, what: str) -> None:
        """Call after the assertions that prove `what` passed."""
        self.invariants.append(what)


TALLY = Tally()


@pytest.fixture
def tally() -> Tally:
    return TALLY


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not TALLY.faults and not TALLY.invariants:
        return
    terminalreporter.section("faults")
    terminalreporter.write_line(
        f"faults injected: {len(TALLY.faults)}; invariants verified: {len(TALLY.invariants)}"
    )


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of this test's own, stopped at the end."""
    server = RedisServer(tmp_path).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def proxies() -> Iterator[list[FaultProxy]]:
    """Proxies a test opens (`proxies.append(FaultProxy(port).start())`), all stopped at the end."""
    opened: list[FaultProxy] = []
    try:
        yield opened
    finally:
        for proxy in opened:
            proxy.stop()
