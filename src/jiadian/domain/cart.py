"""The cart and the browsing history: a user's {sku_id: count} and the products they looked at.

The rules live here, as plain code; the stores (memory, or Redis with a script that mirrors these rules
in one atomic step) keep them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from jiadian.domain.errors import Conflict, InsufficientStock, InvalidQuantity
from jiadian.domain.money import CENT, MAX_AMOUNT, Money

MAX_LINES = 100  # distinct skus in one cart
HISTORY_SIZE = 20  # products kept in a browsing history


class CartFull(Conflict):
    code = "cart_full"
    message = f"购物车最多只能放 {MAX_LINES} 种商品"

    def __init__(self, lines: int) -> None:
        super().__init__(lines=lines, max_lines=MAX_LINES)


def check_count(count: int) -> int:
    """A count is a whole number, at least 1."""
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise InvalidQuantity(count)
    return count


def check_within_stock(sku_id: int, count: int, stock: int) -> int:
    """A line may not hold more than the sku's stock."""
    check_count(count)
    if count > stock:
        raise InsufficientStock(sku_id, requested=count, available=stock)
    return count


@dataclass(slots=True)
class Cart:
    """Distinct lines {sku_id: count}; every count is 1 ≤ count ≤ the limit it was checked against."""

    lines: dict[int, int] = field(default_factory=dict)

    def add(self, sku_id: int, count: int, *, limit: int) -> int:
        """Counts accumulate; the new total may not pass `limit`. Returns the number of distinct lines."""
        check_count(count)
        current = self.lines.get(sku_id, 0)
        if current == 0 and len(self.lines) >= MAX_LINES:
            raise CartFull(len(self.lines))
        self.lines[sku_id] = check_within_stock(sku_id, current + count, limit)
        return len(self.lines)

    def set_count(self, sku_id: int, count: int, *, limit: int) -> bool:
        """Replace the count of a line that is in the cart; False (and no change) when it is not."""
        check_within_stock(sku_id, count, limit)
        if sku_id not in self.lines:
            return False
        self.lines[sku_id] = count
        return True

    def remove(self, *sku_ids: int) -> None:
        """Lines that are not there are ignored."""
        for sku_id in sku_ids:
            self.lines.pop(sku_id, None)


def line_limit(price: Money, stock: int) -> int:
    """The most a line may hold: the stock, and no more than an amount column can take at this price."""
    if price.amount <= 0:
        return stock
    return max(0, min(stock, int(MAX_AMOUNT // price.amount)))


class LineProblem(StrEnum):
    """Why a line of the cart cannot be bought as it stands."""

    DELETED = "deleted"  # the sku no longer exists
    OFF_SHELF = "off_shelf"  # its product was taken off the shelf
    OUT_OF_STOCK = "out_of_stock"  # no stock left
    OVER_STOCK = "over_stock"  # fewer in stock than the line holds
    OVER_AMOUNT_LIMIT = "over_amount_limit"  # with it, the total would pass 999,999,999.99


def line_problem(count: int, *, exists: bool, on_shelf: bool, stock: int) -> LineProblem | None:
    """What stands between this line and a purchase, or None when it can be bought."""
    if not exists:
        return LineProblem.DELETED
    if not on_shelf:
        return LineProblem.OFF_SHELF
    if stock <= 0:
        return LineProblem.OUT_OF_STOCK
    if count > stock:
        return LineProblem.OVER_STOCK
    return None


@dataclass(frozen=True, slots=True)
class LineState:
    """A cart line and what the catalogue says of its sku now; `price` is None when the sku was deleted."""

    count: int
    price: Money | None
    stock: int = 0
    on_shelf: bool = False


@dataclass(frozen=True, slots=True)
class PricedLine:
    line_total: Money | None  # None when the sku was deleted or the total cannot be an amount
    problem: LineProblem | None

    @property
    def available(self) -> bool:
        return self.problem is None


@dataclass(frozen=True, slots=True)
class PricedCart:
    lines: list[PricedLine]
    total_count: int  # of the available lines
    amount: Money  # of the available lines


def price_cart(lines: list[LineState]) -> PricedCart:
    """Price each line, flag what cannot be bought, and total the rest (in the order given)."""
    priced: list[PricedLine] = []
    amount, total_count = Decimal(0), 0
    for line in lines:
        if line.price is None:
            priced.append(PricedLine(None, LineProblem.DELETED))
            continue
        raw = line.price.amount * line.count
        line_total = Money(raw) if raw <= MAX_AMOUNT else None
        problem = line_problem(line.count, exists=True, on_shelf=line.on_shelf, stock=line.stock)
        if problem is None and (line_total is None or amount + raw > MAX_AMOUNT):
            problem = LineProblem.OVER_AMOUNT_LIMIT
        if problem is None:
            amount += raw
            total_count += line.count
        priced.append(PricedLine(line_total, problem))
    return PricedCart(priced, total_count, Money(amount.quantize(CENT)))


class MergeProblem(StrEnum):
    """Why a line brought into a cart (a guest's, at sign-in; an order's, bought again) came in short."""

    DELETED = "deleted"  # the sku no longer exists: nothing added
    OFF_SHELF = "off_shelf"  # its product was taken off the shelf: nothing added
    OUT_OF_STOCK = "out_of_stock"  # no stock left: nothing added
    OVER_STOCK = "over_stock"  # less stock (left beside the cart's own count) than asked: what it allows
    CART_FULL = "cart_full"  # the cart already holds MAX_LINES other lines: nothing added


def room_for(requested: int, in_cart: int, limit: int) -> int:
    """How many of `requested` a line already holding `in_cart` may take without passing `limit`."""
    return max(0, min(requested, limit - in_cart))


def remember(history: list[int], product_id: int, *, keep: int = HISTORY_SIZE) -> list[int]:
    """The history after viewing `product_id`: it comes first, appears once, and at most `keep` remain."""
    return [product_id, *(p for p in history if p != product_id)][:keep]
