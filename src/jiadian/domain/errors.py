"""Domain errors. Each carries a stable snake_case `code` and a zh-CN message for people.

Entry points map codes to transport answers (HTTP status, CLI exit code) in one place.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    code = "domain_error"
    message = "请求无法完成"

    def __init__(self, message: str | None = None, **facts: Any) -> None:
        self.detail = message or self.message
        self.facts = facts
        super().__init__(self.detail)


class ValidationFailed(DomainError):
    code = "validation_error"
    message = "输入不合法"


AMOUNT_REASONS = {
    "negative": "不能为负数",
    "not a decimal number": "不是数字",
    "floats are not money": "不能用浮点数表示",
    "not a finite decimal": "不是有效的数字",
    "over the 999,999,999.99 cap": "超过上限 999,999,999.99",
    "more than two decimal places": "最多两位小数",
    "a payment must be positive": "支付金额必须大于零",
}


class InvalidAmount(ValidationFailed):
    code = "invalid_amount"
    message = "金额不合法"

    def __init__(self, value: str, reason: str) -> None:
        """`reason` stays as given in the facts (for programs); the detail says it in Chinese."""
        super().__init__(f"金额不合法：{AMOUNT_REASONS.get(reason, reason)}", value=value, reason=reason)


class InvalidQuantity(ValidationFailed):
    code = "invalid_quantity"
    message = "数量必须为正整数"

    def __init__(self, count: int) -> None:
        super().__init__(count=count)


class NotFound(DomainError):
    code = "not_found"
    message = "资源不存在"

    def __init__(self, what: str, key: object) -> None:
        super().__init__(f"{what}不存在", resource=what, key=str(key))


class Conflict(DomainError):
    code = "conflict"
    message = "状态冲突"


class InsufficientStock(Conflict):
    code = "insufficient_stock"
    message = "库存不足"

    def __init__(self, sku_id: int, *, requested: int, available: int) -> None:
        super().__init__(sku_id=sku_id, requested=requested, available=available)


class FileTooLarge(DomainError):
    """An upload over its size limit (an image: 3 MiB)."""

    code = "payload_too_large"
    message = "文件过大"

    def __init__(self, *, size: int, limit: int) -> None:
        super().__init__(f"文件不能超过 {limit // (1024 * 1024)} MiB", size=size, limit=limit)


class NotAuthenticated(DomainError):
    code = "not_authenticated"
    message = "请先登录"


class Forbidden(DomainError):
    code = "forbidden"
    message = "没有权限"


class RateLimited(DomainError):
    code = "rate_limited"
    message = "请求过于频繁，请稍后再试"

    def __init__(self, retry_after: int, message: str | None = None) -> None:
        super().__init__(message, retry_after=retry_after)
        self.retry_after = retry_after


class ServiceUnavailable(DomainError):
    """A dependency (database, cache, broker, blob store, gateway) did not answer."""

    code = "service_unavailable"
    message = "服务暂时不可用，请稍后再试"


class StorageUnavailable(ServiceUnavailable):
    code = "storage_unavailable"
    message = "文件存储暂时不可用"


class UsernameTaken(Conflict):
    code = "username_taken"
    message = "用户名已被注册"


class InvalidCredentials(DomainError):
    code = "invalid_credentials"
    message = "用户名或密码错误"


class AlreadyApplied(Conflict):
    code = "already_applied"
    message = "该操作已经完成，不会重复执行"
