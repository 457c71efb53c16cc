"""The app factory: Litestar wired to a container."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar, get
from litestar.config.compression import CompressionConfig
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, Schema
from litestar.static_files import create_static_files_router

from jiadian import __version__
from jiadian.adapters.memory.cache import MemoryCache
from jiadian.container import Container, build_container, shutdown
from jiadian.entrypoints.http.accounts import AdminAccountsController, AuthController, MeController
from jiadian.entrypoints.http.admin_catalog import AdminCatalogController
from jiadian.entrypoints.http.admin_console import AdminConsoleController
from jiadian.entrypoints.http.admin_images import AdminImagesController
from jiadian.entrypoints.http.admin_stock import AdminStockGateController
from jiadian.entrypoints.http.auth import Sessions
from jiadian.entrypoints.http.cart import CartController, GuestCartController, HistoryController
from jiadian.entrypoints.http.catalog import CatalogController
from jiadian.entrypoints.http.dependency_resolution import resolve_in_turn
from jiadian.entrypoints.http.errors import EXCEPTION_HANDLERS
from jiadian.entrypoints.http.health import HealthController
from jiadian.entrypoints.http.observability import metrics_route, observe
from jiadian.entrypoints.http.openapi import SECURITY_SCHEMES, document_errors
from jiadian.entrypoints.http.orders import AdminOrdersController, CheckoutController, OrdersController
from jiadian.entrypoints.http.payments import AdminPaymentsController, PaymentsController
from jiadian.entrypoints.http.refunds import AdminRefundsController
from jiadian.entrypoints.http.requests import ShopRequest
from jiadian.entrypoints.http.response_cache import ResponseCache
from jiadian.entrypoints.http.security_headers import content_security_policy, origin_of, security_headers
from jiadian.entrypoints.http.startup import prepare
from jiadian.entrypoints.http.web import FOREVER, NO_COOKIE, WebController
from jiadian.entrypoints.worker import sampling, web_background

log = logging.getLogger("jiadian")

CSRF_EXEMPT = ["/api/payments/alipay/notify"]
NO_COMPRESSION = "no_compression"  # a route's opt key: answers already compressed (images)


@get("/bench/hello", include_in_schema=False)
async def bench_hello() -> dict[str, str]:
    """The benchmark's floor: the same app, server and workers, no work (JIADIAN_BENCH_ROUTES=true)."""
    return {"hello": "world"}


def _provide(factory: Any) -> Provide:
    """A container singleton as a Litestar dependency, resolved on first use and then kept."""
    resolved: list[Any] = []

    async def dependency() -> Any:
        if not resolved:
            resolved.append(factory())
        return resolved[0]

    return Provide(dependency, use_cache=True)


def create_app(container: Container | None = None, *, prepare_database: bool | None = None) -> Litestar:
    """Build the HTTP app. With no container, one is built from the environment's settings."""
    container = container or build_container()
    settings = container.settings()
    resolve_in_turn()

    settings.check_secrets()  # the production profile never runs on the published CSRF secret
    session_manager = Sessions(
        container.sessions(), ttl_seconds=settings.session_ttl_seconds, secure=settings.session_cookie_secure
    )

    async def sessions() -> Sessions:
        return session_manager

    response_cache = ResponseCache(
        MemoryCache(max_ttl_seconds=settings.response_cache_seconds, max_entries=2_000),
        settings.response_cache_seconds,
    )

    async def responses() -> ResponseCache:
        return response_cache

    @asynccontextmanager
    async def lifespan(_app: Litestar) -> AsyncIterator[None]:
        if prepare_database if prepare_database is not None else settings.auto_migrate:
            await prepare(container)
        container.analyzer().warm()  # jieba's dictionary, before the first search rather than during it
        try:
            async with web_background(container), sampling(container):
                yield
        finally:
            await shutdown(container)

    dependencies = {
        "catalog": _provide(container.catalog),
        "catalog_admin": _provide(container.catalog_admin),
        "search": _provide(container.search),
        "accounts": _provide(container.accounts),
        "sign_in": _provide(container.sign_in),
        "registration": _provide(container.registration),
        "passwords": _provide(container.passwords),
        "profiles": _provide(container.profiles),
        "address_book": _provide(container.address_book),
        "wallets": _provide(container.wallets),
        "shopping_cart": _provide(container.shopping_cart),
        "viewing_history": _provide(container.viewing_history),
        "checkout": _provide(container.checkout),
        "orders": _provide(container.orders),
        "fulfilment": _provide(container.fulfilment),
        "console": _provide(container.console),
        "settings": _provide(container.settings),
        "payments": _provide(container.payments),
        "refunds": _provide(container.refunds),
        "stock_gates": _provide(container.stock_gates),
        "blobs": _provide(container.blobs),
        "sessions": Provide(sessions, use_cache=True),
        "responses": Provide(responses, use_cache=True),
        "operations": _provide(container.operations),
    }
    route_handlers: list[Any] = [HealthController, CatalogController, AuthController, MeController]
    route_handlers += [CartController, GuestCartController, HistoryController]
    route_handlers += [CheckoutController, OrdersController, AdminOrdersController]
    route_handlers += [AdminCatalogController, AdminImagesController, AdminConsoleController]
    route_handlers.append(AdminAccountsController)
    route_handlers += [PaymentsController, AdminPaymentsController, AdminStockGateController]
    route_handlers.append(AdminRefundsController)
    if settings.bench_routes:
        route_handlers.append(bench_hello)
    if settings.metrics_port is None:  # else `jiadian serve` serves them on that port
        route_handlers.append(metrics_route(settings))
    if settings.blob_store == "local":
        settings.media_dir.mkdir(parents=True, exist_ok=True)
        route_handlers.append(
            create_static_files_router(
                path="/media",
                directories=[settings.media_dir],
                include_in_schema=False,
                cache_control=FOREVER,  # a file id is never rewritten: a new image gets a new id
                opt={**NO_COOKIE, NO_COMPRESSION: True},  # images are compressed already
            )
        )
    route_handlers.append(WebController)

    fastdfs_origin = origin_of(settings.fastdfs_base_url) if settings.blob_store == "fastdfs" else None
    image_origins = [fastdfs_origin] if fastdfs_origin else []
    app = Litestar(
        route_handlers=route_handlers,
        dependencies=dependencies,
        exception_handlers=EXCEPTION_HANDLERS,
        middleware=[observe],  # request ids, and each route's rate and latency
        lifespan=[lifespan],
        csrf_config=CSRFConfig(
            secret=settings.csrf_secret.get_secret_value(),
            cookie_name="csrftoken",
            header_name="x-csrftoken",
            cookie_secure=settings.session_cookie_secure,
            cookie_samesite="lax",
            exclude=CSRF_EXEMPT,
        ),
        openapi_config=OpenAPIConfig(
            title="jiadian (家电之选) API",
            version=__version__,
            description="The HTTP API of the jiadian shop. Amounts are decimal strings with two places. "
            'Errors answer `{"code", "detail"}` with a stable code. Signing in sets the session cookie; '
            "every POST, PUT, PATCH and DELETE echoes the `csrftoken` cookie (set by any answer) in the "
            "`X-CSRFToken` header (403 `csrf_failed` otherwise) — see the `session` and `csrf` security "
            "schemes. Every answer carries `X-Request-ID` (the caller's, when sent), also found in the logs.",
            path="/schema",
            components=Components(
                security_schemes=SECURITY_SCHEMES,  # type: ignore[arg-type]
                schemas={
                    "ErrorBody": Schema(
                        type="object",  # type: ignore[arg-type]
                        required=["code", "detail"],
                        properties={"code": Schema(type="string"), "detail": Schema(type="string")},  # type: ignore[arg-type]
                    )
                },
            ),
        ),
        request_max_body_size=4 * 1024 * 1024,
        request_class=ShopRequest,  # JSON depth limit; a client gone mid-body is not a 500
        # Logging is the entrypoints' (jiadian/logs.py), not the app's: Litestar's own configuration
        # replaced the root logger's handlers with one bound to the stderr of the moment (under pytest,
        # a capture that is closed later: "--- Logging error --- I/O operation on closed file").
        logging_config=None,
        # The fronts' files, their pages and the API's JSON, for the clients that accept gzip.
        compression_config=CompressionConfig(
            backend="gzip", minimum_size=500, gzip_compress_level=6, exclude_opt_key=NO_COMPRESSION
        ),
        before_send=[security_headers(content_security_policy(image_origins))],
        state=State({"container": container, "max_json_depth": settings.max_json_depth}),
    )
    document_errors(app, csrf_exempt=CSRF_EXEMPT)
    return app
