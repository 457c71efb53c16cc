"""Ports: what the use cases need from the outside world, in the shop's own words.

Adapters in `jiadian.adapters` implement these; `jiadian.container` picks which.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol, TypeVar, runtime_checkable

from jiadian.domain.refunds import GatewayRefundOutcome

T = TypeVar("T")


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


class Cache(Protocol):
    """A shared cache of read models. Values are dataclasses/lists/dicts of plain data."""

    async def get(self, key: str, type_: type[T]) -> T | None: ...

    async def get_many(self, keys: list[str], type_: type[T]) -> dict[str, T]:
        """The values of those keys that are kept, in one round trip."""
        ...

    async def set(self, key: str, value: object, ttl_seconds: int) -> None: ...

    async def set_many(self, values: Mapping[str, object], ttl_seconds: int) -> None:
        """`set` each, in one round trip."""
        ...

    async def delete(self, *keys: str) -> None: ...

    async def incr(self, key: str) -> int:
        """Atomically increment an integer counter (used for cache generations)."""
        ...

    async def ping(self) -> None: ...


@runtime_checkable  # handlers receive it as a Litestar dependency, which checks its type
class BlobStore(Protocol):
    """Where images live: a local directory by default, FastDFS in production.

    Failures of the store raise `jiadian.domain.errors.StorageUnavailable`;
    reading or deleting a missing file raises `jiadian.domain.errors.NotFound`.
    """

    async def save(self, data: bytes, extension: str) -> str:
        """Store bytes; `extension` without dot ("png"); returns the new file id."""
        ...

    async def open(self, file_id: str) -> bytes: ...

    async def delete(self, file_id: str) -> None: ...

    def url(self, file_id: str) -> str:
        """Public URL of a stored file (base URL + file id)."""
        ...

    async def ping(self) -> None:
        """Raise `StorageUnavailable` when the store could not take a file now (readiness, status)."""
        ...


@dataclass(frozen=True, slots=True)
class GatewayTrade:
    """What a payment gateway says about one trade, after its signature was verified."""

    trade_no: str  # our trade number (Alipay's out_trade_no)
    gateway_trade_no: str  # the gateway's own id (Alipay's trade_no); "" if none yet
    status: str  # e.g. WAIT_BUYER_PAY, TRADE_SUCCESS, TRADE_FINISHED, TRADE_CLOSED
    amount: Decimal | None  # total_amount, None when the gateway did not state it
    app_id: str
    fields: Mapping[str, str]  # the raw fields, for audit


@dataclass(frozen=True, slots=True)
class GatewayRefund:
    """What a payment gateway answered to a refund, after its signature was verified."""

    outcome: GatewayRefundOutcome
    fields: Mapping[str, str]  # the raw answer, for audit


class PaymentGateway(Protocol):
    """A third-party payment service (Alipay in production; a simulator by default)."""

    name: str
    app_id: str  # the shop's id at the gateway: callbacks and answers must name it

    async def payment_url(
        self, trade_no: str, amount: Decimal, subject: str, *, expires_at: datetime | None = None
    ) -> str:
        """A URL that sends the shopper to pay `amount` for `trade_no` (payable until `expires_at`)."""
        ...

    async def verify_callback(self, fields: Mapping[str, str]) -> GatewayTrade | None:
        """Verify a notification's signature; None when it does not verify or is malformed."""
        ...

    async def verify_return(self, fields: Mapping[str, str]) -> str | None:
        """Verify the browser return's signature and app id; our trade number, or None.

        A return says nothing about the trade's state: ask `query_trade`.
        """
        ...

    async def query_trade(self, trade_no: str) -> GatewayTrade | None:
        """Ask the gateway about a trade; None when the gateway does not know it.

        Raises `jiadian.domain.errors.ServiceUnavailable` on timeout or a malformed answer.
        """
        ...

    async def close_trade(self, trade_no: str) -> bool:
        """Close an unpaid trade; True when closed or unknown to the gateway, False if it was already paid.

        Raises `jiadian.domain.errors.ServiceUnavailable` on timeout or a malformed answer.
        """
        ...

    async def refund(self, trade_no: str, request_no: str, amount: Decimal, reason: str) -> GatewayRefund:
        """Give `amount` of the paid trade back to the buyer, once per `request_no`: asking again with the
        same number refunds nothing more and answers whether that refund went through.

        Raises `jiadian.domain.errors.ServiceUnavailable` on timeout, a malformed or unsigned answer, or
        a failure worth retrying (the gateway is busy); a refusal for good is `GatewayRefundOutcome.REFUSED`.
        """
        ...


class ShopMetrics(Protocol):
    """Business counters for operators (Prometheus in production). Called on the hot paths: each call
    must cost next to nothing, and never fail."""

    def order_placed(self) -> None: ...

    def order_refused(self, reason: str) -> None:
        """`reason`: the code of the error that refused it (insufficient_stock, not_found, …)."""
        ...

    def payment_applied(self, method: str) -> None: ...

    def payment_refused(self, method: str, reason: str) -> None:
        """`reason`: an error code, or the verdict on a gateway's callback (bad_signature, …)."""
        ...


class NoMetrics:
    """Counts nothing (use cases built without metrics)."""

    def order_placed(self) -> None:
        return None

    def order_refused(self, reason: str) -> None:
        return None

    def payment_applied(self, method: str) -> None:
        return None

    def payment_refused(self, method: str, reason: str) -> None:
        return None


NO_METRICS = NoMetrics()
