"""Reviews of order lines, and the summary a product detail shows."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from jiadian.domain.errors import ValidationFailed

ALLOWED_SCORES = frozenset({1, 3, 5})
GOOD_SCORE = 5  # 好评; satisfaction counts only these (a 3-point 中评 is not a satisfied buyer)
DEFAULT_REVIEW_TEXT = "该用户未给出评论"
MAX_REVIEW_LENGTH = 500
_TWO_PLACES = Decimal("0.01")


def masked_name(username: str) -> str:
    """A reviewer as other shoppers see them: the first character, then ** (张三丰 → 张**), so neither
    the name nor its length shows."""
    return f"{username[:1]}**"


def validate_review(score: int, content: str) -> str:
    """Check a score (1, 3 or 5) and return the text to store (the default when empty)."""
    if score not in ALLOWED_SCORES:
        raise ValidationFailed("评分只能是 1、3 或 5 分", score=score)
    text = content.strip()
    if len(text) > MAX_REVIEW_LENGTH:
        raise ValidationFailed(f"评论不能超过 {MAX_REVIEW_LENGTH} 个字", length=len(text))
    return text or DEFAULT_REVIEW_TEXT


@dataclass(frozen=True, slots=True)
class ReviewSummary:
    count: int
    average_score: Decimal
    satisfaction: Decimal  # percent of reviews that are 好评 (score 5), two places

    @classmethod
    def of(cls, count: int, score_sum: int, satisfied: int) -> ReviewSummary:
        """From aggregate figures: number of reviews, sum of scores, number of 好评 (score 5)."""
        if count == 0:
            return cls(0, Decimal("0.00"), Decimal("0.00"))
        average = (Decimal(score_sum) / count).quantize(_TWO_PLACES, rounding=ROUND_HALF_UP)
        share = (Decimal(satisfied) * 100 / count).quantize(_TWO_PLACES, rounding=ROUND_HALF_UP)
        return cls(count, average, share)

    @classmethod
    def from_scores(cls, scores: list[int]) -> ReviewSummary:
        return cls.of(len(scores), sum(scores), sum(1 for s in scores if s == GOOD_SCORE))
