"""One mapping from errors to HTTP answers: `{"code", "detail", ...}` with a stable code."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.openapi.datastructures import ResponseSpec
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from pydantic import BaseModel, ConfigDict
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from jiadian.domain import errors as e
from jiadian.entrypoints.http.requests import ClientDisconnected

log = logging.getLogger("jiadian.http")

STATUS_BY_ERROR: list[tuple[type[e.DomainError], int]] = [
    (e.ValidationFailed, 400),
    (e.NotAuthenticated, 401),
    (e.InvalidCredentials, 401),
    (e.Forbidden, 403),
    (e.NotFound, 404),
    (e.Conflict, 409),
    (e.FileTooLarge, 413),
    (e.RateLimited, 429),
    (e.ServiceUnavailable, 503),
]

CODE_BY_STATUS = {
    400: "validation_error",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    503: "service_unavailable",
}


class ErrorBody(BaseModel):
    """Every error answer has this shape (some add facts, e.g. `errors` or `retry_after`)."""

    model_config = ConfigDict(extra="allow")

    code: str
    detail: str


def error_responses(*statuses: int) -> dict[int, ResponseSpec]:
    """OpenAPI `responses=` for a handler: these statuses answer `ErrorBody`.

    Without it the document shows Litestar's own 400 shape (`status_code`, `detail`, `extra`),
    which this API never sends, and no 404 at all.
    """
    return {
        status: ResponseSpec(
            data_container=ErrorBody, description=HTTPStatus(status).phrase, generate_examples=False
        )
        for status in statuses
    }


def status_of(error: e.DomainError) -> int:
    for kind, status in STATUS_BY_ERROR:
        if isinstance(error, kind):
            return status
    return 400


def _body(code: str, detail: str, **extra: Any) -> dict[str, Any]:
    return {"code": code, "detail": detail, **extra}


def domain_error_handler(_request: Request[Any, Any, Any], exc: e.DomainError) -> Response[Any]:
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, e.RateLimited) else None
    return Response(
        _body(exc.code, exc.detail, **{k: v for k, v in exc.facts.items() if k not in ("code", "detail")}),
        status_code=status_of(exc),
        headers=headers,
        media_type=MediaType.JSON,
    )


def http_error_handler(_request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    status = exc.status_code
    if isinstance(exc, ValidationException):
        status = 400
        extra = exc.extra if isinstance(exc.extra, list | dict) else None
        body = _body("validation_error", "请求参数不合法", errors=extra or [])
    elif isinstance(exc, NotAuthorizedException):
        body = _body("not_authenticated", "请先登录")
    elif isinstance(exc, PermissionDeniedException):
        body = _body("forbidden", str(exc.detail) if "CSRF" in str(exc.detail) else "没有权限")
        if "CSRF" in str(exc.detail):
            body = _body("csrf_failed", "CSRF 校验失败，请刷新页面后重试")
    else:
        body = _body(CODE_BY_STATUS.get(status, "http_error"), str(exc.detail))
    return Response(body, status_code=status, headers=exc.headers, media_type=MediaType.JSON)


def internal_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return Response(
        _body("internal_error", "服务器内部错误，请稍后再试"),
        status_code=HTTP_500_INTERNAL_SERVER_ERROR,
        media_type=MediaType.JSON,
    )


def unavailable_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.warning("dependency unavailable on %s %s: %s", request.method, request.url.path, type(exc).__name__)
    return Response(
        _body("service_unavailable", "服务暂时不可用，请稍后再试"), status_code=503, media_type=MediaType.JSON
    )


def out_of_range_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """A number past what the database holds (SQLite refuses integers over 64 bits, e.g. an id in a
    path or a body): the client's input, not the server's fault."""
    log.info("number out of range on %s %s: %s", request.method, request.url.path, exc)
    return Response(_body("validation_error", "数值超出范围"), status_code=400, media_type=MediaType.JSON)


def disconnected_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """The client left before its body arrived: nobody reads this answer, and nothing failed here."""
    log.debug("client disconnected on %s %s", request.method, request.url.path)
    return Response(_body("client_disconnected", "客户端已断开"), status_code=400, media_type=MediaType.JSON)


EXCEPTION_HANDLERS: dict[Any, Any] = {
    ClientDisconnected: disconnected_handler,
    OverflowError: out_of_range_handler,
    DBAPIError: unavailable_handler,
    PoolTimeoutError: unavailable_handler,
    RedisConnectionError: unavailable_handler,
    RedisTimeoutError: unavailable_handler,
    e.DomainError: domain_error_handler,
    HTTPException: http_error_handler,
    HTTP_500_INTERNAL_SERVER_ERROR: internal_error_handler,
    Exception: internal_error_handler,
}
