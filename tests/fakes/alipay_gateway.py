"""A local stand-in for Alipay's open-platform gateway, plus key and signature helpers.

`FakeAlipayGateway` is a small HTTP server (stdlib, one thread, 127.0.0.1 on an
ephemeral port) that answers `alipay.trade.query`, `alipay.trade.close`,
`alipay.trade.refund` and `alipay.trade.fastpay.refund.query` the way Alipay does: a JSON body `{"alipay_trade_<x>_response": {...}, "sign": "..."}`
where `sign` is RSA-SHA256 over the exact text of the response object, made with
the stand-in *Alipay* private key. It checks the app's request signature with
the app's public key, as Alipay does. Knobs: trade states, slow / malformed /
unsigned / badly signed answers, refunds refused (a sub_code) or accepted but not
yet confirmed. A refund is made once per out_request_no: asked again, Alipay
answers 10000 with `fund_change` N, and the refund query tells it went through.

Keys are generated at run time; none is stored anywhere.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

# --- keys and signatures ---------------------------------------------------------


@dataclass(frozen=True)
class RsaKeyPair:
    private_pem: str  # PKCS#8 PEM
    public_pem: str  # SubjectPublicKeyInfo PEM


def generate_rsa_key_pair(bits: int = 2048) -> RsaKeyPair:
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode("ascii")
    public_pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode("ascii")
    )
    return RsaKeyPair(private_pem, public_pem)


def sign_rsa2(private_pem: str, content: str) -> str:
    """RSA-SHA256 (PKCS#1 v1.5) over the UTF-8 content, base64 — Alipay's RSA2."""
    key = serialization.load_pem_private_key(private_pem.encode("ascii"), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    signature = key.sign(content.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(signature).decode("ascii")


def verify_rsa2(public_pem: str, content: str, signature: str) -> bool:
    key = serialization.load_pem_public_key(public_pem.encode("ascii"))
    assert isinstance(key, rsa.RSAPublicKey)
    try:
        raw = base64.b64decode(signature, validate=True)
        key.verify(raw, content.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError):
        return False
    return True


def content_to_sign(fields: Mapping[str, str], exclude: tuple[str, ...]) -> str:
    """Sorted `k=v` joined by `&`, values unescaped, `exclude`d keys left out."""
    return "&".join(f"{k}={v}" for k, v in sorted(fields.items()) if k not in exclude)


def sign_notification_fields(
    alipay_private_pem: str, fields: Mapping[str, str], *, skip_empty: bool = False
) -> dict[str, str]:
    """Sign notification fields as Alipay does: over all fields but sign and sign_type.

    `skip_empty=True` also leaves empty values out of the signed text, as
    Alipay's official (Java) SDK does; python-alipay-sdk includes them.
    """
    signed = {k: v for k, v in fields.items() if k != "sign"}
    signed.setdefault("sign_type", "RSA2")
    basis = {k: v for k, v in signed.items() if v != ""} if skip_empty else signed
    signed["sign"] = sign_rsa2(alipay_private_pem, content_to_sign(basis, ("sign", "sign_type")))
    return signed


def signed_notification(
    alipay_private_pem: str,
    *,
    app_id: str,
    out_trade_no: str,
    total_amount: str,
    trade_status: str = "TRADE_SUCCESS",
    trade_no: str | None = None,
    **extra: str,
) -> dict[str, str]:
    """The form fields of an asynchronous notification (POST to notify_url)."""
    fields = {
        "gmt_create": "2024-05-01 10:00:00",
        "charset": "utf-8",
        "seller_email": "shop@example.com",
        "subject": "家电之选-订单支付",
        "buyer_id": "2088102177846880",
        "invoice_amount": total_amount,
        "notify_id": secrets.token_hex(16),
        "fund_bill_list": '[{"amount":"' + total_amount + '","fundChannel":"ALIPAYACCOUNT"}]',
        "notify_type": "trade_status_sync",
        "trade_status": trade_status,
        "receipt_amount": total_amount,
        "app_id": app_id,
        "buyer_pay_amount": total_amount,
        "seller_id": "2088102177649450",
        "gmt_payment": "2024-05-01 10:00:05",
        "notify_time": "2024-05-01 10:00:06",
        "version": "1.0",
        "out_trade_no": out_trade_no,
        "total_amount": total_amount,
        "trade_no": trade_no or "2024050122001446880500000001",
        "auth_app_id": app_id,
        "point_amount": "0.00",
    }
    fields.update(extra)
    return sign_notification_fields(alipay_private_pem, fields)


def verify_request(app_public_pem: str, params: Mapping[str, str]) -> bool:
    """Check an app's request to the gateway: signed over every parameter but `sign`."""
    signature = params.get("sign")
    if not signature:
        return False
    return verify_rsa2(app_public_pem, content_to_sign(params, ("sign",)), signature)


def query_params(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))


# --- the fake gateway --------------------------------------------------------------


@dataclass
class FakeTrade:
    out_trade_no: str
    status: str
    total_amount: str
    trade_no: str = field(
        default_factory=lambda: "2024" + "".join(secrets.choice("0123456789") for _ in range(24))
    )
    refunds: dict[str, str] = field(default_factory=dict)  # out_request_no -> refund_amount


class FakeAlipayGateway:
    """Alipay's gateway on 127.0.0.1 for tests. Use as a context manager, or start()/stop()."""

    def __init__(self, *, app_id: str, app_public_key_pem: str, alipay_private_key_pem: str) -> None:
        self.app_id = app_id
        self.app_public_key_pem = app_public_key_pem
        self.alipay_private_key_pem = alipay_private_key_pem
        self.trades: dict[str, FakeTrade] = {}
        self.requests: list[dict[str, str]] = []
        self.mode = "normal"  # normal | slow | malformed | bad_signature | unsigned
        self.delay = 0.0
        self.refund_refusal: str | None = None  # a sub_code: refunds answer 40004 with it
        self.refunds_unconfirmed = False  # refunds answer 10000, fund_change N, and are not made
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # knobs
    def set_trade(self, out_trade_no: str, status: str, total_amount: str = "1234.50") -> FakeTrade:
        with self._lock:
            trade = FakeTrade(out_trade_no, status, total_amount)
            self.trades[out_trade_no] = trade
            return trade

    def answer_normally(self) -> None:
        self.mode, self.delay = "normal", 0.0

    def answer_slowly(self, seconds: float) -> None:
        self.mode, self.delay = "slow", seconds

    def answer_malformed(self) -> None:
        self.mode = "malformed"

    def answer_with_bad_signature(self) -> None:
        self.mode = "bad_signature"

    def answer_unsigned(self) -> None:
        self.mode = "unsigned"

    def refuse_refunds(self, sub_code: str = "ACQ.TRADE_HAS_FINISHED") -> None:
        self.refund_refusal = sub_code

    def refunds_made(self, out_trade_no: str) -> dict[str, str]:
        with self._lock:
            return dict(self.trades[out_trade_no].refunds)

    # lifecycle
    @property
    def url(self) -> str:
        assert self._server is not None, "start() the fake gateway first"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/gateway.do"

    def start(self) -> FakeAlipayGateway:
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                gateway._handle(self, dict(parse_qsl(urlsplit(self.path).query, keep_blank_values=True)))

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode("utf-8")
                params = dict(parse_qsl(urlsplit(self.path).query, keep_blank_values=True))
                params.update(parse_qsl(body, keep_blank_values=True))
                gateway._handle(self, params)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, args=(0.02,), name="fake-alipay", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # release slow answers
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> FakeAlipayGateway:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # answers
    def _handle(self, handler: BaseHTTPRequestHandler, params: dict[str, str]) -> None:
        self.requests.append(params)
        if self.mode == "slow" and self._stopping.wait(self.delay):
            return
        method = params.get("method", "")
        response_type = method.replace(".", "_") + "_response"
        if not verify_request(self.app_public_key_pem, params) or params.get("app_id") != self.app_id:
            payload: dict[str, Any] = {
                "code": "40002",
                "msg": "Invalid Arguments",
                "sub_code": "isv.invalid-signature",
                "sub_msg": "验签出错",
            }
        elif method == "alipay.trade.query":
            payload = self._query(json.loads(params.get("biz_content") or "{}"))
        elif method == "alipay.trade.close":
            payload = self._close(json.loads(params.get("biz_content") or "{}"))
        elif method == "alipay.trade.refund":
            payload = self._refund(json.loads(params.get("biz_content") or "{}"))
        elif method == "alipay.trade.fastpay.refund.query":
            payload = self._refund_query(json.loads(params.get("biz_content") or "{}"))
        else:
            response_type = "error_response"
            payload = {"code": "40002", "msg": "Invalid Arguments", "sub_code": "isv.invalid-method"}
        self._send(handler, self._render(response_type, payload))

    def _query(self, biz: dict[str, str]) -> dict[str, Any]:
        with self._lock:
            trade = self.trades.get(biz.get("out_trade_no", ""))
        if trade is None:
            return _not_exist()
        return {
            "code": "10000",
            "msg": "Success",
            "buyer_logon_id": "csq***@sandbox.com",
            "buyer_pay_amount": "0.00",
            "buyer_user_id": "2088102177846880",
            "invoice_amount": "0.00",
            "out_trade_no": trade.out_trade_no,
            "point_amount": "0.00",
            "receipt_amount": "0.00",
            "send_pay_date": "2024-05-01 10:00:05",
            "total_amount": trade.total_amount,
            "trade_no": trade.trade_no,
            "trade_status": trade.status,
            "fund_bill_list": [{"amount": trade.total_amount, "fund_channel": "ALIPAYACCOUNT"}],
        }

    def _close(self, biz: dict[str, str]) -> dict[str, Any]:
        with self._lock:
            trade = self.trades.get(biz.get("out_trade_no", ""))
            if trade is None:
                return _not_exist()
            if trade.status != "WAIT_BUYER_PAY":  # paid, finished or already closed
                return {
                    "code": "40004",
                    "msg": "Business Failed",
                    "sub_code": "ACQ.TRADE_STATUS_ERROR",
                    "sub_msg": "交易状态不合法",
                }
            trade.status = "TRADE_CLOSED"
        return {
            "code": "10000",
            "msg": "Success",
            "out_trade_no": trade.out_trade_no,
            "trade_no": trade.trade_no,
        }

    def _refund(self, biz: dict[str, str]) -> dict[str, Any]:
        with self._lock:
            trade = self.trades.get(biz.get("out_trade_no", ""))
            if trade is None:
                return _not_exist()
            if self.refund_refusal:
                return _business_failure(self.refund_refusal, "退款失败")
            request_no, amount = biz.get("out_request_no", ""), biz.get("refund_amount", "")
            fund_change = "N"
            if request_no not in trade.refunds and not self.refunds_unconfirmed:
                if trade.status not in ("TRADE_SUCCESS", "TRADE_FINISHED"):
                    return _business_failure("ACQ.TRADE_STATUS_ERROR", "交易状态不合法")
                refunded = sum((Decimal(a) for a in trade.refunds.values()), Decimal(0))
                if refunded + Decimal(amount) > Decimal(trade.total_amount):
                    return _business_failure("ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", "退款金额超限")
                trade.refunds[request_no] = amount
                fund_change = "Y"
                if refunded + Decimal(amount) == Decimal(trade.total_amount):
                    trade.status = "TRADE_CLOSED"
            refund_fee = sum((Decimal(a) for a in trade.refunds.values()), Decimal(0))
        return {
            "code": "10000",
            "msg": "Success",
            "buyer_logon_id": "csq***@sandbox.com",
            "buyer_user_id": "2088102177846880",
            "fund_change": fund_change,
            "gmt_refund_pay": "2024-05-02 10:00:00",
            "out_trade_no": trade.out_trade_no,
            "refund_fee": f"{refund_fee:.2f}",
            "send_back_fee": "0.00",
            "trade_no": trade.trade_no,
        }

    def _refund_query(self, biz: dict[str, str]) -> dict[str, Any]:
        with self._lock:
            trade = self.trades.get(biz.get("out_trade_no", ""))
            if trade is None:
                return _not_exist()
            request_no = biz.get("out_request_no", "")
            amount = trade.refunds.get(request_no)
        if amount is None:  # Alipay answers success without a refund_status: not refunded (yet)
            return {"code": "10000", "msg": "Success"}
        return {
            "code": "10000",
            "msg": "Success",
            "out_request_no": request_no,
            "out_trade_no": trade.out_trade_no,
            "refund_amount": amount,
            "refund_status": "REFUND_SUCCESS",
            "total_amount": trade.total_amount,
            "trade_no": trade.trade_no,
        }

    def _render(self, response_type: str, payload: dict[str, Any]) -> str:
        inner = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
        if self.mode == "malformed":
            return '{"' + response_type + '":' + inner[: len(inner) // 2]
        if self.mode == "unsigned":
            return '{"' + response_type + '":' + inner + "}"
        signed_text = inner + " " if self.mode == "bad_signature" else inner
        sign = sign_rsa2(self.alipay_private_key_pem, signed_text)
        return '{"' + response_type + '":' + inner + ',"sign":"' + sign + '"}'

    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, body: str) -> None:
        data = body.encode("utf-8")
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html;charset=utf-8")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)


def _business_failure(sub_code: str, sub_msg: str) -> dict[str, Any]:
    return {"code": "40004", "msg": "Business Failed", "sub_code": sub_code, "sub_msg": sub_msg}


def _not_exist() -> dict[str, Any]:
    return {
        "code": "40004",
        "msg": "Business Failed",
        "sub_code": "ACQ.TRADE_NOT_EXIST",
        "sub_msg": "交易不存在",
        "buyer_pay_amount": "0.00",
        "invoice_amount": "0.00",
        "point_amount": "0.00",
        "receipt_amount": "0.00",
    }


@contextmanager
def running_fake_gateway(
    *, app_id: str, app_public_key_pem: str, alipay_private_key_pem: str
) -> Iterator[FakeAlipayGateway]:
    with FakeAlipayGateway(
        app_id=app_id, app_public_key_pem=app_public_key_pem, alipay_private_key_pem=alipay_private_key_pem
    ) as gateway:
        yield gateway
