"""The error answers of every route, in the OpenAPI document.

Each route gets the `ErrorBody` answers it can give, derived from what it is, so a new route is
documented like the others without a list to keep: 400 and 404 when it takes inputs (path, query,
header or body), 401 when it needs a signed-in user, 403 when it needs an operator or is an unsafe
method (the CSRF check), 409 and 413 for unsafe methods, 503 when it touches a store; a 204 has no
body. Answers a handler documents itself (`responses=`) win; rate-limited routes add 429 there.
"""

from __future__ import annotations

from collections.abc import Iterable

from litestar import Litestar
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import SecurityScheme
from litestar.routes import HTTPRoute
from litestar.status_codes import HTTP_204_NO_CONTENT

from jiadian.entrypoints.http.auth import SESSION_COOKIE, current_admin, current_user
from jiadian.entrypoints.http.errors import error_responses

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Handler parameters Litestar fills from the connection itself: not inputs of the route's own.
RESERVED = frozenset({"request", "socket", "state", "scope", "headers", "cookies", "query", "body"})
UNSTORED = frozenset({"/health", "/ready"})  # never answer 503 `service_unavailable` (ready has its own)


def error_statuses(handler: HTTPRouteHandler, path: str, *, csrf_exempt: Iterable[str]) -> list[int]:
    """The error statuses `handler` (served at `path`) can answer with an `ErrorBody`."""
    dependencies = handler.resolve_dependencies()
    guards = {getattr(provider, "dependency", None) for provider in dependencies.values()}
    inputs = set(handler.parsed_fn_signature.parameters) - set(dependencies) - RESERVED
    unsafe = not set(handler.http_methods) <= SAFE_METHODS
    statuses = set()
    if inputs:
        statuses |= {400, 404}
    if current_user in guards or current_admin in guards:
        statuses.add(401)
    if current_admin in guards or (unsafe and path not in set(csrf_exempt)):
        statuses.add(403)
    if unsafe:
        statuses |= {409, 413}
    if path not in UNSTORED:
        statuses.add(503)
    return sorted(statuses)


# The two security schemes of the API (components.securitySchemes): the session cookie set by sign-in,
# and the CSRF rule — an unsafe request echoes the `csrftoken` cookie in the `X-CSRFToken` header. They
# document the rules; operations do not list them as requirements (the rules are stated in each
# route's 401/403 answers), since a schema-driven client would then treat the cookie as a parameter.
SECURITY_SCHEMES = {
    "session": SecurityScheme(
        type="apiKey",
        name=SESSION_COOKIE,
        security_scheme_in="cookie",
        description="Set by POST /api/auth/login (HttpOnly, SameSite=Lax); ended by POST /api/auth/logout.",
    ),
    "csrf": SecurityScheme(
        type="apiKey",
        name="X-CSRFToken",
        security_scheme_in="header",
        description="Every POST, PUT, PATCH and DELETE (signed in or not; the Alipay notification excepted) "
        "echoes the value of the `csrftoken` cookie, which any answer sets (e.g. GET /health), in this "
        "header. Missing or different: 403 `csrf_failed`.",
    ),
}


def document_errors(app: Litestar, *, csrf_exempt: Iterable[str]) -> None:
    """Add the error answers to every route in the schema; call before the document is first served."""
    exempt = list(csrf_exempt)
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            if not handler.resolve_include_in_schema():
                continue
            documented = error_responses(*error_statuses(handler, route.path, csrf_exempt=exempt))
            if handler.status_code == HTTP_204_NO_CONTENT:  # Litestar documents `Response[None]` as JSON null
                documented[HTTP_204_NO_CONTENT] = ResponseSpec(None, description="No Content")
            handler.responses = {**documented, **(handler.responses or {})}
