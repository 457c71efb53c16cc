"""Search rules: what a query may be, how matches rank, and brand aliases.

A product matches a query when its searchable text holds every term of the query. Its searchable text
is its name, its spu's name and detail, its category's name and its skus' colours and sizes; each term
it holds weighs as the most important of those fields it is found in. The best match comes first (the
highest sum of the query's terms' weights: a name hit before a spu hit before a detail hit), then the
best seller. An alias makes two words mean the same: a product holding one is found by the other.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum

from jiadian.domain.errors import ValidationFailed

MAX_QUERY = 100  # characters
MAX_ALIAS = 30  # characters of each side
SUGGESTIONS = 8  # at most, product lines and products together


class Weight(IntEnum):
    """How much a term counts by the field it is found in."""

    OTHER = 1  # category name, spu detail, sku colours and sizes
    SPU = 2  # the product line's name
    NAME = 3  # the product's own name


def searchable_fields(
    name: str, spu_name: str, spu_detail: str, category_name: str, sku_specs: Iterable[str]
) -> list[tuple[str, Weight]]:
    """A product's searchable text, field by field with its weight (sku specs: colours and sizes)."""
    return [
        (name, Weight.NAME),
        (spu_name, Weight.SPU),
        ("\n".join([spu_detail, category_name, *sku_specs]), Weight.OTHER),
    ]


def fold(text: str) -> str:
    """Width and case folded (``ＳＯＮＹ`` and ``Sony`` are ``sony``): the form terms and aliases are kept in."""
    return unicodedata.normalize("NFKC", text).casefold()


def check_query(text: str) -> str:
    """The query without surrounding spaces; empty or over-long is refused."""
    query = text.strip()
    if not query:
        raise ValidationFailed("搜索内容不能为空")
    if len(query) > MAX_QUERY:
        raise ValidationFailed(f"搜索内容不能超过 {MAX_QUERY} 个字", length=len(query))
    return query


@dataclass(frozen=True, slots=True)
class Alias:
    """Two words that mean the same to a shopper (``huawei`` and ``华为``), kept in a fixed order."""

    word: str
    other: str

    @classmethod
    def of(cls, word: str, other: str) -> Alias:
        """Checked, trimmed, folded and ordered, so (a, b) and (B, a) are the same alias."""
        a, b = _alias_side(word), _alias_side(other)
        if a == b:
            raise ValidationFailed("别名的两边不能相同", word=a)
        return cls(*sorted((a, b)))


def _alias_side(text: str) -> str:
    side = fold(text).strip()
    if not side:
        raise ValidationFailed("别名不能为空")
    if len(side) > MAX_ALIAS:
        raise ValidationFailed(f"别名不能超过 {MAX_ALIAS} 个字", length=len(side))
    return side
