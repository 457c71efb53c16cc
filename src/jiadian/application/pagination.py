"""Pagination with the original shop's clamping: past the end -> the last page; nonsense -> the first."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class PageRequest:
    page: int
    page_size: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size


def clamp_page(page: int, page_size: int, total: int) -> PageRequest:
    """The page to show: at least 1, at most the last page (1 when there is nothing)."""
    pages = max(1, -(-total // page_size))
    return PageRequest(page=min(max(page, 1), pages), page_size=page_size)


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    page: int
    page_size: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))
