"""Messages for people are written as Chinese reads: no space between Chinese words, full-width colons."""

from __future__ import annotations

import re

import pytest

from jiadian.domain.errors import InvalidAmount, NotFound
from jiadian.domain.money import Money

SPACE_BETWEEN_HAN = re.compile(r"[\u4e00-\u9fff] [\u4e00-\u9fff]")


def test_a_not_found_message_reads_as_one_phrase() -> None:
    assert NotFound("商品", 7).detail == "商品不存在"
    assert NotFound("购物车商品", 7).detail == "购物车商品不存在"


@pytest.mark.parametrize("value", ["-1", "1.001", "1000000000.00", "x"])
def test_an_amount_refusal_is_said_in_chinese(value: str) -> None:
    with pytest.raises(InvalidAmount) as refused:
        Money.of(value)
    detail = refused.value.detail
    assert detail.startswith("金额不合法：")
    assert not re.search(r"[A-Za-z]", detail), detail
    assert not SPACE_BETWEEN_HAN.search(detail), detail
