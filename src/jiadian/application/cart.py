"""Cart use cases (add, set a count, remove, view) and the browsing history.

The cart store keeps {sku_id: count}; prices, names and stock always come from the catalogue, read for
all the lines at once (`Catalog.sku_views`: kept per generation, with stock and prices up to a second
old — an add's limit and a cart's totals may lag an order by that much; placing the order never does).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from jiadian.application.cart_ports import BrowsingHistory, CartStore
from jiadian.application.catalog import Catalog, ProductCard, is_possible_id
from jiadian.application.catalog_ports import SkuViewRow
from jiadian.application.ports import BlobStore
from jiadian.domain.cart import (
    HISTORY_SIZE,
    MAX_LINES,
    CartFull,
    LineProblem,
    LineState,
    MergeProblem,
    PricedLine,
    check_count,
    check_within_stock,
    line_limit,
    price_cart,
    room_for,
)
from jiadian.domain.errors import InsufficientStock, NotFound, ServiceUnavailable, ValidationFailed
from jiadian.domain.money import Money

log = logging.getLogger("jiadian.cart")


@dataclass(frozen=True, slots=True)
class CartLineView:
    """One line as the shopper sees it. A deleted sku keeps only its id and count."""

    sku_id: int
    product_id: int | None
    name: str
    size: str
    color: str
    image_url: str
    price: Money | None
    stock: int
    count: int
    line_total: Money | None
    problem: LineProblem | None

    @property
    def available(self) -> bool:
        return self.problem is None


@dataclass(frozen=True, slots=True)
class CartView:
    """The lines (by sku id) and the totals of the lines that can be bought as they stand."""

    lines: list[CartLineView]
    total_count: int
    amount: Money


@dataclass(frozen=True, slots=True)
class MergedLine:
    """One line brought into the cart: how many were asked for, how many came in, and why not all."""

    sku_id: int
    requested: int
    added: int
    problem: MergeProblem | None


@dataclass(frozen=True, slots=True)
class Merge:
    lines: list[MergedLine]
    cart: CartView


def _combined(lines: list[tuple[int, int]]) -> dict[int, int]:
    """Lines {sku_id: count} from (sku_id, count) pairs, a sku named twice summed; at most MAX_LINES."""
    if len(lines) > MAX_LINES:
        raise ValidationFailed(f"一次最多带入 {MAX_LINES} 种商品", lines=len(lines))
    wanted: dict[int, int] = {}
    for sku_id, count in lines:
        wanted[sku_id] = wanted.get(sku_id, 0) + check_count(count)
    return wanted


@dataclass(frozen=True)
class ShoppingCart:
    carts: CartStore
    catalog: Catalog
    blobs: BlobStore

    async def _on_shelf(self, sku_id: int) -> SkuViewRow:
        row = (await self.catalog.sku_views([sku_id])).get(sku_id)
        if row is None or not row.on_shelf:
            raise NotFound("商品规格", sku_id)
        return row

    async def add(self, user_id: int, sku_id: int, count: int) -> int:
        """Counts accumulate up to the stock. Answers the number of distinct lines."""
        check_count(count)
        sku = (await self._on_shelf(sku_id)).sku
        limit = line_limit(sku.price, sku.stock)
        check_within_stock(sku_id, count, limit)
        return await self.carts.add(user_id, sku_id, count, limit=limit)

    async def set_count(self, user_id: int, sku_id: int, count: int) -> CartLineView:
        """Replace the count of a line that is in the cart (1 ≤ count ≤ stock)."""
        check_count(count)
        row = await self._on_shelf(sku_id)
        check_within_stock(sku_id, count, line_limit(row.sku.price, row.sku.stock))
        if not await self.carts.set(user_id, sku_id, count):
            raise NotFound("购物车商品", sku_id)
        return self._view(sku_id, count, row, price_cart([_state(count, row)]).lines[0])

    async def remove(self, user_id: int, sku_id: int) -> None:
        """A line that is not there is not an error."""
        await self.carts.remove(user_id, sku_id)

    async def view(self, user_id: int) -> CartView:
        """Every line, by sku id; those that cannot be bought as they stand say why."""
        return await self._priced(await self.carts.lines(user_id))

    async def quote(self, lines: list[tuple[int, int]]) -> CartView:
        """A guest's cart, kept in the browser, as `view` shows a stored one: priced, checked, flagged.
        Nothing is stored; a sku no row can have shows as deleted."""
        return await self._priced(_combined(lines))

    async def merge(self, user_id: int, lines: list[tuple[int, int]]) -> Merge:
        """Bring lines into the user's cart (a guest's cart at sign-in, an order bought again): each adds
        to the cart's own count of its sku, up to what the stock allows; a line that cannot come in,
        or not in full, says why. Answers the lines and the cart as it then stands."""
        wanted = _combined(lines)
        rows = await self._sku_views(list(wanted))
        in_cart = await self.carts.lines(user_id)
        merged = [
            await self._merge_line(user_id, i, n, rows.get(i), in_cart.get(i, 0)) for i, n in wanted.items()
        ]
        return Merge(merged, await self.view(user_id))

    async def _merge_line(
        self, user_id: int, sku_id: int, requested: int, row: SkuViewRow | None, in_cart: int
    ) -> MergedLine:
        if row is None:
            return MergedLine(sku_id, requested, 0, MergeProblem.DELETED)
        if not row.on_shelf:
            return MergedLine(sku_id, requested, 0, MergeProblem.OFF_SHELF)
        if row.sku.stock <= 0:
            return MergedLine(sku_id, requested, 0, MergeProblem.OUT_OF_STOCK)
        limit = line_limit(row.sku.price, row.sku.stock)
        added = room_for(requested, in_cart, limit)
        short = MergeProblem.OVER_STOCK if added < requested else None
        if added == 0:
            return MergedLine(sku_id, requested, 0, short)
        try:
            await self.carts.add(user_id, sku_id, added, limit=limit)
        except CartFull:
            return MergedLine(sku_id, requested, 0, MergeProblem.CART_FULL)
        except InsufficientStock:  # the line grew meanwhile (another tab): it keeps what it has
            return MergedLine(sku_id, requested, 0, MergeProblem.OVER_STOCK)
        return MergedLine(sku_id, requested, added, short)

    async def _sku_views(self, sku_ids: list[int]) -> dict[int, SkuViewRow]:
        possible = [i for i in sku_ids if is_possible_id(i)]
        return await self.catalog.sku_views(possible) if possible else {}

    async def _priced(self, lines: dict[int, int]) -> CartView:
        rows = await self._sku_views(list(lines))
        sku_ids = sorted(lines)
        priced = price_cart([_state(lines[i], rows.get(i)) for i in sku_ids])
        return CartView(
            lines=[
                self._view(i, lines[i], rows.get(i), p) for i, p in zip(sku_ids, priced.lines, strict=True)
            ],
            total_count=priced.total_count,
            amount=priced.amount,
        )

    def _view(self, sku_id: int, count: int, row: SkuViewRow | None, priced: PricedLine) -> CartLineView:
        if row is None:
            return CartLineView(sku_id, None, "", "", "", "", None, 0, count, None, priced.problem)
        sku = row.sku
        return CartLineView(
            sku_id=sku.id,
            product_id=sku.product_id,
            name=row.product_name,
            size=sku.size,
            color=sku.color,
            image_url=self.blobs.url(row.image) if row.image else "",
            price=sku.price,
            stock=sku.stock,
            count=count,
            line_total=priced.line_total,
            problem=priced.problem,
        )


def _state(count: int, row: SkuViewRow | None) -> LineState:
    if row is None:
        return LineState(count, None)
    return LineState(count, row.sku.price, row.sku.stock, row.on_shelf)


@dataclass(frozen=True)
class ViewingHistory:
    """The products a signed-in shopper looked at: most recent first, each once, at most HISTORY_SIZE."""

    history: BrowsingHistory
    catalog: Catalog
    size: int = HISTORY_SIZE

    async def record(self, user_id: int | None, product_id: int) -> None:
        """Remember a product page a shopper saw. Anonymous views leave no trace.

        Best effort: a history store that does not answer must not cost the shopper the product page.
        """
        if user_id is None:
            return
        try:
            await self.history.record(user_id, product_id, keep=self.size)
        except ServiceUnavailable as exc:
            log.warning("browsing history not recorded for user %s: %s", user_id, exc.detail)

    async def recent(self, user_id: int) -> list[ProductCard]:
        """Most recent first; products since taken off the shelf are left out."""
        return await self.catalog.cards(await self.history.recent(user_id, self.size))
