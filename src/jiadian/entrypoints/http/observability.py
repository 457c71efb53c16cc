"""Each request's id and figures, and `/metrics`.

`observe` wraps every routed request: it takes the caller's `X-Request-ID` (when sane) or makes one,
sets it for the request's log lines and the tasks it schedules, answers it in `X-Request-ID`, and
records the request's latency under its route template (`/api/orders/{order_id:str}`, never the raw
path: one series per route, not per order). Kept to a context variable, a clock read and one histogram
observation: the benchmark's hot paths pass through it.

`/metrics` (Prometheus' text format) answers with a bearer token when `metrics_token` is set, else only
to clients on the loopback interface; with `metrics_port` set it is served on that port instead
(`jiadian serve`), and not here.
"""

from __future__ import annotations

import hmac
import ipaddress
from time import perf_counter
from typing import Any

from litestar import Request, Response, get
from litestar.enums import ScopeType
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from jiadian import logs
from jiadian.adapters import prometheus
from jiadian.settings import Settings

REQUEST_ID_HEADER = b"x-request-id"


def observe(app: ASGIApp) -> ASGIApp:
    """A Litestar middleware (it runs after routing: the scope knows its route template)."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        given = None
        for name, value in scope["headers"]:
            if name == REQUEST_ID_HEADER:
                given = value.decode("latin-1")
                break
        request_id = logs.sane_request_id(given)
        header = (REQUEST_ID_HEADER, request_id.encode())
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        token = logs.request_id.set(request_id)
        start = perf_counter()
        try:
            await app(scope, receive, send_with_id)
        finally:
            prometheus.observe_request(
                scope["method"],
                scope.get("path_template", "unmatched"),
                status,
                perf_counter() - start,
            )
            logs.request_id.reset(token)

    return middleware


def _loopback(host: str | None) -> bool:
    try:
        return host is not None and ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def metrics_route(settings: Settings) -> Any:
    secret = settings.metrics_token.get_secret_value() if settings.metrics_token else ""
    token = secret.encode() if secret else None  # an empty token is no token (else "" would match "")

    @get("/metrics", include_in_schema=False, sync_to_thread=True)  # reads the processes' files
    def metrics(request: Request[Any, Any, Any]) -> Response[bytes]:
        """Prometheus' text format (not part of the API document: it is for the monitoring system)."""
        if token is not None:
            given = request.headers.get("authorization", "").removeprefix("Bearer ").encode()
            if not hmac.compare_digest(given, token):
                raise NotAuthorizedException("metrics need the bearer token (JIADIAN_METRICS_TOKEN)")
        elif not _loopback(request.client.host if request.client else None):
            raise PermissionDeniedException(
                "metrics answer loopback clients only (or set JIADIAN_METRICS_TOKEN)"
            )
        return Response(prometheus.render(), media_type=prometheus.CONTENT_TYPE)

    return metrics
