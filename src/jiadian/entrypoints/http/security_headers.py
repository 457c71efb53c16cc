"""Security headers on every answer: a `before_send` hook, so the router's 404s and error answers
get them as well as the handlers' answers and the static files.

- `X-Content-Type-Options: nosniff`, `X-Frame-Options: DENY`, `Referrer-Policy: same-origin`;
- a Content-Security-Policy for the storefront, which uses only same-origin scripts, styles and
  images (plus the FastDFS front's origin for images when that blob store is used); the interactive
  API docs under `/schema` load their scripts from a CDN and are left without one;
- `Cache-Control: no-store` on a person's data: the profile, cart, orders, checkout, sign-in,
  payments and the operators' endpoints.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

from litestar.datastructures import MutableScopeHeaders
from litestar.types import BeforeMessageSendHookHandler, Message, Scope

PRIVATE_PREFIXES = (
    "/api/me",
    "/api/cart",
    "/api/orders",
    "/api/checkout",
    "/api/auth",
    "/api/payments",
    "/api/admin",
)
DOCS_PREFIX = "/schema"
FIXED = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def origin_of(url: str) -> str | None:
    """`scheme://host[:port]` of an absolute URL; None for a relative one."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None


def content_security_policy(image_origins: Sequence[str] = ()) -> str:
    images = " ".join(["'self'", "data:", *image_origins])
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            f"img-src {images}",
            "connect-src 'self'",
            "font-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def security_headers(policy: str) -> BeforeMessageSendHookHandler:
    async def before_send(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        headers = MutableScopeHeaders.from_message(message)
        for name, value in FIXED.items():
            headers[name] = value
        path = str(scope.get("path", ""))
        if not path.startswith(DOCS_PREFIX):
            headers["Content-Security-Policy"] = policy
        if path.startswith(PRIVATE_PREFIXES):
            headers["Cache-Control"] = "no-store"

    return before_send
