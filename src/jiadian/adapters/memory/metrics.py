"""Business counters in a dict: the `ShopMetrics` port for tests and experiments."""

from __future__ import annotations

from collections import Counter


class MemoryMetrics:
    def __init__(self) -> None:
        self.counts: Counter[tuple[str, ...]] = Counter()

    def order_placed(self) -> None:
        self.counts["order_placed",] += 1

    def order_refused(self, reason: str) -> None:
        self.counts["order_refused", str(reason)] += 1

    def payment_applied(self, method: str) -> None:
        self.counts["payment_applied", method] += 1

    def payment_refused(self, method: str, reason: str) -> None:
        self.counts["payment_refused", method, str(reason)] += 1
