"""Payment gateways: Alipay (python-alipay-sdk) in production, a simulator by default.

Both implement `jiadian.application.ports.PaymentGateway`. Nothing here decides
whether an order is paid: the adapters only say, after checking a signature,
what the gateway reported; the payments use case compares trade number, app id
and amount with the order.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import http.client
import json
import logging
import os
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final
from urllib.parse import quote

from alipay import AliPay, AliPayConfig
from alipay.exceptions import (
    AliPayException,
    AliPayValidationError,
)
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from jiadian.application.ports import GatewayRefund, GatewayTrade
from jiadian.domain.errors import Conflict, InvalidAmount, NotFound, ServiceUnavailable
from jiadian.domain.money import Money
from jiadian.domain.refunds import GatewayRefundOutcome

logger = logging.getLogger(__name__)

SANDBOX_GATEWAY_URL: Final = "https://openapi-sandbox.dl.alipaydev.com/gateway.do"
PRODUCTION_GATEWAY_URL: Final = "https://openapi.alipay.com/gateway.do"

# Fields without which a callback cannot be matched to an order.
REQUIRED_CALLBACK_FIELDS: Final = ("out_trade_no", "trade_status", "total_amount", "app_id")

TRADE_NOT_EXIST: Final = "ACQ.TRADE_NOT_EXIST"
TRADE_STATUS_ERROR: Final = "ACQ.TRADE_STATUS_ERROR"
# Refund failures worth asking again later (Alipay busy, the merchant's balance short for now); any other
# business failure (40004) is a refusal for good: the trade too old, the amount wrong, the trade frozen.
RETRYABLE_REFUND_FAILURES: Final = frozenset(
    {"ACQ.SYSTEM_ERROR", "ACQ.SELLER_BALANCE_NOT_ENOUGH", "ACQ.REFUND_CHARGE_ERROR"}
)
REFUND_SUCCESS: Final = "REFUND_SUCCESS"
PAID_STATUSES: Final = frozenset({"TRADE_SUCCESS", "TRADE_FINISHED"})

# Alipay reads request timestamps as Beijing time (no DST in China).
_BEIJING: Final = timezone(timedelta(hours=8), "Asia/Shanghai")
# An amount as Alipay writes it: digits, optionally a dot and one or two decimals.
_AMOUNT_TEXT: Final = re.compile(r"[0-9]{1,12}(?:\.[0-9]{1,2})?")


def format_amount(amount: Decimal) -> str:
    """Render a positive amount the way Alipay wants it ("1234.50"); never a float."""
    money = Money(amount)  # refuses non-finite, negative, >2 places, over the cap
    if money.amount <= 0:
        raise InvalidAmount(str(amount), "a payment must be positive")
    return str(money)


def parse_amount(text: str) -> Decimal | None:
    """Parse a gateway's amount string strictly; None when it is not a plain decimal."""
    if not _AMOUNT_TEXT.fullmatch(text):
        return None
    return Decimal(text)


def _flat(answer: Mapping[str, Any]) -> Mapping[str, str]:
    """A gateway answer as text fields (nested values as JSON), read-only, for audit."""
    return MappingProxyType(
        {
            str(key): value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
            for key, value in answer.items()
        }
    )


def _missing_fields(fields: Mapping[str, str]) -> list[str]:
    return [name for name in REQUIRED_CALLBACK_FIELDS if not fields.get(name)]


def normalize_rsa_key(text: str, *, private: bool) -> str:
    """Return `text` as a PEM key; bare base64 (as Alipay's console shows keys) is wrapped.

    The SDK only accepts PEM (bare base64 raises ValueError deep inside it).
    Raises ValueError without echoing the key.
    """
    text = text.strip()
    if text.startswith("-----BEGIN"):
        return text + "\n"
    what = "private" if private else "public"
    try:
        der = base64.b64decode("".join(text.split()), validate=True)
        if private:
            key = serialization.load_der_private_key(der, password=None)
            if not isinstance(key, rsa.RSAPrivateKey):
                raise ValueError("not RSA")
            pem = key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        else:
            public = serialization.load_der_public_key(der)
            if not isinstance(public, rsa.RSAPublicKey):
                raise ValueError("not RSA")
            pem = public.public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
    except (ValueError, binascii.Error, TypeError) as exc:
        raise ValueError(f"not an RSA {what} key in PEM or base64 DER form") from exc
    return pem.decode("ascii")


class _AliPayClient(AliPay):  # type: ignore[misc]
    """The SDK's client, aimed at a chosen gateway and stamping requests in Beijing time.

    `AliPay` only knows its two built-in gateways (chosen by `debug`); it keeps the
    URL in `_gateway`, which `verified_sync_response` reads. It also stamps
    `datetime.now()` in the host's local zone, wrong on a UTC server.
    """

    def __init__(self, *, gateway_url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._gateway = gateway_url

    def build_body(
        self, method: str, biz_content: dict[str, Any] | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        data: dict[str, Any] = super().build_body(method, biz_content, **kwargs)
        data["timestamp"] = datetime.now(_BEIJING).strftime("%Y-%m-%d %H:%M:%S")
        return data


class AlipayGateway:
    """PaymentGateway on Alipay's open platform (page pay, notifications, query, close)."""

    name = "alipay"

    def __init__(
        self,
        app_id: str,
        app_private_key_pem: str,
        alipay_public_key_pem: str,
        gateway_url: str,
        notify_url: str,
        return_url: str,
        timeout: float,
        sign_type: str = "RSA2",
    ) -> None:
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        self.app_id = app_id
        self.gateway_url = gateway_url
        self.notify_url = notify_url
        self.return_url = return_url
        self.timeout = timeout
        self._client = _AliPayClient(
            gateway_url=gateway_url,
            appid=app_id,
            app_notify_url=notify_url,
            app_private_key_string=normalize_rsa_key(app_private_key_pem, private=True),
            alipay_public_key_string=normalize_rsa_key(alipay_public_key_pem, private=False),
            sign_type=sign_type,
            config=AliPayConfig(timeout=timeout),
        )

    @classmethod
    def from_key_files(
        cls,
        app_id: str,
        app_private_key_path: str | os.PathLike[str],
        alipay_public_key_path: str | os.PathLike[str],
        gateway_url: str,
        notify_url: str,
        return_url: str,
        timeout: float,
        sign_type: str = "RSA2",
    ) -> AlipayGateway:
        """Build the gateway from key files (PEM, or bare base64 as Alipay's console gives)."""
        return cls(
            app_id=app_id,
            app_private_key_pem=Path(app_private_key_path).read_text(encoding="ascii"),
            alipay_public_key_pem=Path(alipay_public_key_path).read_text(encoding="ascii"),
            gateway_url=gateway_url,
            notify_url=notify_url,
            return_url=return_url,
            timeout=timeout,
            sign_type=sign_type,
        )

    def __repr__(self) -> str:  # never show keys
        return f"AlipayGateway(app_id={self.app_id!r}, gateway_url={self.gateway_url!r})"

    # --- page pay -------------------------------------------------------------

    async def payment_url(
        self, trade_no: str, amount: Decimal, subject: str, *, expires_at: datetime | None = None
    ) -> str:
        # Signing only, no network: the SDK returns the signed query string.
        extra: dict[str, str] = {}
        if expires_at is not None:  # the cashier refuses to take money for the trade after this
            extra["time_expire"] = expires_at.astimezone(_BEIJING).strftime("%Y-%m-%d %H:%M:%S")
        query: str = self._client.api_alipay_trade_page_pay(
            subject=subject,
            out_trade_no=trade_no,
            total_amount=format_amount(amount),
            return_url=self.return_url,
            notify_url=self.notify_url,
            **extra,
        )
        return f"{self.gateway_url}?{query}"

    # --- callbacks (asynchronous notify, browser return) ----------------------

    def _signed_fields(self, fields: Mapping[str, str]) -> dict[str, str] | None:
        """The callback's fields (without `sign`) when Alipay's signature over them verifies."""
        data = {str(key): str(value) for key, value in fields.items()}
        signature = data.pop("sign", None)
        if not signature:
            logger.warning("alipay callback without signature: %s", data.get("out_trade_no"))
            return None
        if not self._signature_verifies(data, signature):
            logger.warning("alipay callback with a bad signature: %s", data.get("out_trade_no"))
            return None
        return data

    async def verify_return(self, fields: Mapping[str, str]) -> str | None:
        data = self._signed_fields(fields)
        if data is None:
            return None
        if data.get("app_id") != self.app_id or not data.get("out_trade_no"):
            logger.warning("alipay return for app id %r without a usable trade number", data.get("app_id"))
            return None
        return data["out_trade_no"]

    async def verify_callback(self, fields: Mapping[str, str]) -> GatewayTrade | None:
        data = self._signed_fields(fields)
        if data is None:
            return None
        missing = _missing_fields(data)
        if missing:
            logger.warning("alipay callback missing %s", ", ".join(missing))
            return None
        if data["app_id"] != self.app_id:
            logger.warning("alipay callback for another app id %r", data["app_id"])
            return None
        amount = parse_amount(data["total_amount"])
        if amount is None:
            logger.warning("alipay callback with unparsable amount %r", data["total_amount"])
            return None
        return GatewayTrade(
            trade_no=data["out_trade_no"],
            gateway_trade_no=data.get("trade_no", ""),
            status=data["trade_status"],
            amount=amount,
            app_id=data["app_id"],
            fields=MappingProxyType({str(k): str(v) for k, v in fields.items()}),
        )

    def _signature_verifies(self, data: dict[str, str], signature: str) -> bool:
        """Verify with the SDK, on copies: `verify` pops `sign_type` from the dict it gets.

        The SDK signs/verifies every field including empty ones; Alipay's own SDKs
        skip empty values, so a notification with an empty field is tried both ways.
        """
        candidates = [dict(data)]
        if any(value == "" for value in data.values()):
            candidates.append({k: v for k, v in data.items() if v != ""})
        for candidate in candidates:
            try:
                if self._client.verify(candidate, signature):
                    return True
            except (AliPayException, ValueError, TypeError):  # other sign_type, bad base64
                return False
        return False

    # --- server API: query, close, refund -------------------------------------

    async def query_trade(self, trade_no: str) -> GatewayTrade | None:
        answer = await self._call("query", self._client.api_alipay_trade_query, trade_no)
        code = answer.get("code")
        if code == "10000":
            return self._trade_from_query(trade_no, answer)
        if code == "40004" and answer.get("sub_code") == TRADE_NOT_EXIST:
            return None
        raise self._unavailable("query", trade_no, f"code={code} sub_code={answer.get('sub_code')}")

    async def close_trade(self, trade_no: str) -> bool:
        answer = await self._call("close", self._client.api_alipay_trade_close, trade_no)
        code, sub_code = answer.get("code"), answer.get("sub_code")
        if code == "10000" or (code == "40004" and sub_code == TRADE_NOT_EXIST):
            return True
        if code == "40004" and sub_code == TRADE_STATUS_ERROR:
            # Alipay says this both for paid and for already-closed trades: ask which.
            trade = await self.query_trade(trade_no)
            if trade is None or trade.status == "TRADE_CLOSED":
                return True
            if trade.status in PAID_STATUSES:
                return False
        raise self._unavailable("close", trade_no, f"code={code} sub_code={sub_code}")

    async def refund(self, trade_no: str, request_no: str, amount: Decimal, reason: str) -> GatewayRefund:
        """`alipay.trade.refund` with our out_request_no. Alipay answers 10000 for a refund it made now
        (`fund_change` Y) and also for one it made at an earlier ask with the same number (N): then the
        refund query (`alipay.trade.fastpay.refund.query`) says whether it went through."""
        answer = await self._call(
            "refund",
            self._client.api_alipay_trade_refund,
            trade_no,
            refund_amount=format_amount(amount),
            out_request_no=request_no,
            refund_reason=reason[:256],
        )
        code, sub_code = answer.get("code"), answer.get("sub_code")
        fields = _flat(answer)
        if code == "10000":
            if answer.get("out_trade_no") != trade_no:
                raise self._unavailable("refund", trade_no, "answer about another trade")
            if answer.get("fund_change") == "Y":
                return GatewayRefund(GatewayRefundOutcome.REFUNDED, fields)
            return await self._refund_status(trade_no, request_no)
        if code == "40004" and sub_code not in RETRYABLE_REFUND_FAILURES:
            logger.warning("alipay refused refund %s of %s: %s", request_no, trade_no, sub_code)
            return GatewayRefund(GatewayRefundOutcome.REFUSED, fields)
        raise self._unavailable("refund", trade_no, f"code={code} sub_code={sub_code}")

    async def _refund_status(self, trade_no: str, request_no: str) -> GatewayRefund:
        """Whether the refund of this out_request_no went through: only `REFUND_SUCCESS` says it did."""
        answer = await self._call(
            "refund query",
            self._client.api_alipay_trade_fastpay_refund_query,
            trade_no,
            out_request_no=request_no,
        )
        if answer.get("code") != "10000":
            raise self._unavailable(
                "refund query", trade_no, f"code={answer.get('code')} sub_code={answer.get('sub_code')}"
            )
        fields = _flat(answer)
        if answer.get("refund_status") == REFUND_SUCCESS:
            if answer.get("out_request_no") != request_no or answer.get("out_trade_no") != trade_no:
                raise self._unavailable("refund query", trade_no, "answer about another refund")
            return GatewayRefund(GatewayRefundOutcome.REFUNDED, fields)
        return GatewayRefund(GatewayRefundOutcome.UNCONFIRMED, fields)

    async def _call(self, what: str, api: Callable[..., Any], trade_no: str, **params: str) -> dict[str, Any]:
        """Run a blocking SDK call in a thread, bounded; return the verified response body.

        `verified_sync_response` checks the gateway's signature over the raw
        `alipay_trade_*_response` object and raises when it is missing or wrong.
        """
        try:
            answer = await asyncio.wait_for(
                asyncio.to_thread(api, out_trade_no=trade_no, **params), timeout=self.timeout
            )
        except TimeoutError as exc:
            raise self._unavailable(what, trade_no, "timeout") from exc
        except AliPayValidationError as exc:
            raise self._unavailable(what, trade_no, "bad signature on the answer") from exc
        except AliPayException as exc:
            raise self._unavailable(what, trade_no, f"unsigned or error answer: {exc}") from exc
        except (OSError, http.client.HTTPException) as exc:  # URLError, refused, reset
            raise self._unavailable(what, trade_no, f"connection: {exc!r}") from exc
        except (ValueError, TypeError, AttributeError, LookupError) as exc:
            # bad JSON or bad base64 (ValueError); the SDK trips on odd shapes
            raise self._unavailable(what, trade_no, f"malformed answer: {exc!r}") from exc
        if not isinstance(answer, dict):
            raise self._unavailable(what, trade_no, "malformed answer: not an object")
        return answer

    def _trade_from_query(self, trade_no: str, answer: dict[str, Any]) -> GatewayTrade:
        status = answer.get("trade_status")
        if answer.get("out_trade_no") != trade_no or not isinstance(status, str) or not status:
            raise self._unavailable("query", trade_no, "answer about another trade or no status")
        amount: Decimal | None = None
        if "total_amount" in answer:
            amount = parse_amount(str(answer["total_amount"]))
            if amount is None:
                raise self._unavailable("query", trade_no, "unparsable total_amount")
        return GatewayTrade(
            trade_no=trade_no,
            gateway_trade_no=str(answer.get("trade_no", "")),
            status=status,
            amount=amount,
            app_id=self.app_id,
            fields=_flat(answer),
        )

    @staticmethod
    def _unavailable(what: str, trade_no: str, reason: str) -> ServiceUnavailable:
        logger.warning("alipay %s of %s failed: %s", what, trade_no, reason)
        return ServiceUnavailable("支付宝暂时不可用，请稍后再试", gateway="alipay", operation=what)


# --- the simulator --------------------------------------------------------------


@dataclass(slots=True)
class _SimulatedTrade:
    amount: Decimal
    status: str
    gateway_trade_no: str
    refunds: dict[str, Decimal] = field(default_factory=dict)  # out_request_no -> amount


class SimulatedGateway:
    """A payment SIMULATOR for tests and the embedded profile. No money moves.

    `payment_url` points at the shop itself; a trade becomes paid only when an
    operator or a test calls `pay`. Callbacks carry an HMAC made with a secret
    only this object knows, so nothing else can forge one. Trades live in memory.
    """

    name = "simulator"
    SIGN_TYPE: Final = "HMAC-SHA256-SIMULATOR"

    def __init__(self, base_url: str, *, secret: bytes | None = None, app_id: str = "simulator") -> None:
        self.base_url = base_url.rstrip("/")
        self.app_id = app_id
        self._secret = secret if secret is not None else secrets.token_bytes(32)
        self._trades: dict[str, _SimulatedTrade] = {}

    def __repr__(self) -> str:
        return f"SimulatedGateway(base_url={self.base_url!r})"

    async def payment_url(
        self, trade_no: str, amount: Decimal, subject: str, *, expires_at: datetime | None = None
    ) -> str:
        text = format_amount(amount)
        trade = self._trades.get(trade_no)
        if trade is None or trade.status == "WAIT_BUYER_PAY":
            self._trades[trade_no] = _SimulatedTrade(
                Decimal(text), "WAIT_BUYER_PAY", trade.gateway_trade_no if trade else ""
            )
        return f"{self.base_url}/api/payments/simulator/{quote(trade_no, safe='')}"

    def pay(self, trade_no: str, amount: Decimal) -> dict[str, str]:
        """Operator/test action: the buyer paid `amount`; returns the signed notification.

        `amount` is what was paid; it may differ from the requested amount, so
        the shop's amount check can be exercised. Paying a closed trade is refused.
        """
        paid = Decimal(format_amount(amount))
        trade = self._trades.get(trade_no)
        if trade is not None and trade.status == "TRADE_CLOSED":
            raise Conflict("模拟支付：交易已关闭，无法支付", trade_no=trade_no)
        if trade is not None and trade.status in PAID_STATUSES:
            if trade.amount != paid:
                raise Conflict("模拟支付：交易已支付", trade_no=trade_no)
        else:
            self._trades[trade_no] = _SimulatedTrade(
                paid, "TRADE_SUCCESS", f"SIM{secrets.token_hex(12).upper()}"
            )
        return self.signed_notification(trade_no)

    def signed_notification(self, trade_no: str) -> dict[str, str]:
        """The notification fields for the trade's current state, signed with the secret."""
        trade = self._trades.get(trade_no)
        if trade is None:
            raise NotFound("模拟交易", trade_no)
        fields = {
            "app_id": self.app_id,
            "out_trade_no": trade_no,
            "trade_no": trade.gateway_trade_no,
            "trade_status": trade.status,
            "total_amount": f"{trade.amount:.2f}",
            "notify_id": secrets.token_hex(16),
            "notify_time": datetime.now(_BEIJING).strftime("%Y-%m-%d %H:%M:%S"),
            "sign_type": self.SIGN_TYPE,
        }
        fields["sign"] = self._sign(fields)
        return fields

    def _sign(self, fields: Mapping[str, str]) -> str:
        content = "&".join(
            f"{key}={value}" for key, value in sorted(fields.items()) if key not in ("sign", "sign_type")
        )
        return hmac.new(self._secret, content.encode("utf-8"), hashlib.sha256).hexdigest()

    async def verify_callback(self, fields: Mapping[str, str]) -> GatewayTrade | None:
        data = {str(key): str(value) for key, value in fields.items()}
        signature = data.get("sign")
        if not signature or data.get("sign_type") != self.SIGN_TYPE:
            return None
        if not hmac.compare_digest(self._sign(data).encode(), signature.encode()):
            return None
        if _missing_fields(data) or data["app_id"] != self.app_id:
            return None
        amount = parse_amount(data["total_amount"])
        if amount is None:
            return None
        return GatewayTrade(
            trade_no=data["out_trade_no"],
            gateway_trade_no=data.get("trade_no", ""),
            status=data["trade_status"],
            amount=amount,
            app_id=data["app_id"],
            fields=MappingProxyType(data),
        )

    def signed_return(self, trade_no: str) -> dict[str, str]:
        """The query string of the browser return for the trade (no trade state, like Alipay's)."""
        trade = self._trades.get(trade_no)
        if trade is None:
            raise NotFound("模拟交易", trade_no)
        fields = {
            "app_id": self.app_id,
            "method": "alipay.trade.page.pay.return",
            "out_trade_no": trade_no,
            "trade_no": trade.gateway_trade_no,
            "total_amount": f"{trade.amount:.2f}",
            "timestamp": datetime.now(_BEIJING).strftime("%Y-%m-%d %H:%M:%S"),
            "sign_type": self.SIGN_TYPE,
        }
        fields["sign"] = self._sign(fields)
        return fields

    async def verify_return(self, fields: Mapping[str, str]) -> str | None:
        data = {str(key): str(value) for key, value in fields.items()}
        signature = data.get("sign")
        if not signature or data.get("sign_type") != self.SIGN_TYPE:
            return None
        if not hmac.compare_digest(self._sign(data).encode(), signature.encode()):
            return None
        if data.get("app_id") != self.app_id or not data.get("out_trade_no"):
            return None
        return data["out_trade_no"]

    async def query_trade(self, trade_no: str) -> GatewayTrade | None:
        trade = self._trades.get(trade_no)
        if trade is None:
            return None
        fields = {
            "out_trade_no": trade_no,
            "trade_no": trade.gateway_trade_no,
            "trade_status": trade.status,
            "total_amount": f"{trade.amount:.2f}",
        }
        return GatewayTrade(
            trade_no=trade_no,
            gateway_trade_no=trade.gateway_trade_no,
            status=trade.status,
            amount=trade.amount,
            app_id=self.app_id,
            fields=MappingProxyType(fields),
        )

    async def close_trade(self, trade_no: str) -> bool:
        trade = self._trades.get(trade_no)
        if trade is None:
            return True
        if trade.status in PAID_STATUSES:
            return False
        trade.status = "TRADE_CLOSED"
        return True

    async def refund(self, trade_no: str, request_no: str, amount: Decimal, reason: str) -> GatewayRefund:
        """Refunds at once, once per request number. A trade it does not know — its trades live in this
        process's memory, gone after a restart — is refunded too: no money moves either way."""
        refunded = Decimal(format_amount(amount))
        trade = self._trades.setdefault(trade_no, _SimulatedTrade(refunded, "TRADE_SUCCESS", ""))
        fund_change = "N" if request_no in trade.refunds else "Y"
        if fund_change == "Y":
            if sum(trade.refunds.values(), Decimal(0)) + refunded > trade.amount:
                fields = {
                    "code": "40004",
                    "sub_code": "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL",
                    "out_trade_no": trade_no,
                }
                return GatewayRefund(GatewayRefundOutcome.REFUSED, MappingProxyType(fields))
            trade.refunds[request_no] = refunded
            if sum(trade.refunds.values(), Decimal(0)) == trade.amount:
                trade.status = "TRADE_CLOSED"  # as Alipay: a trade refunded in full is closed
        fields = {
            "code": "10000",
            "out_trade_no": trade_no,
            "out_request_no": request_no,
            "refund_fee": f"{sum(trade.refunds.values(), Decimal(0)):.2f}",
            "fund_change": fund_change,
            "gateway": self.name,
        }
        return GatewayRefund(GatewayRefundOutcome.REFUNDED, MappingProxyType(fields))
