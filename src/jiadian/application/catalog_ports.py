"""Ports and read models of the catalogue."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from jiadian.domain.catalog import Banner, Category, Product, Sku, SkuImage, SortKey, Spu
from jiadian.domain.money import Money
from jiadian.domain.reviews import ReviewSummary

# --- read models: what the shop shows (image fields hold blob file ids) --------------------------


@dataclass(frozen=True, slots=True)
class CardRow:
    """A product as a card: its cheapest Sku's id (ties: the lowest id), price and image, the dearest
    Sku's price, and the summed sales. A product page opened from the card shows that Sku first."""

    id: int
    name: str
    sku_id: int
    price: Money  # the lowest of its skus'
    max_price: Money  # the highest: above `price` when the skus differ (the card says 起)
    sales: int
    image: str
    category: str  # slug


@dataclass(frozen=True, slots=True)
class HomeRow:
    category: Category
    nav: list[str]  # Spu names of up to 4 of its products
    products: list[CardRow]


@dataclass(frozen=True, slots=True)
class SkuRow:
    sku: Sku
    images: list[str]


@dataclass(frozen=True, slots=True)
class DetailRow:
    product: Product
    spu: Spu
    category: Category
    skus: list[SkuRow]
    reviews: ReviewSummary


@dataclass(frozen=True, slots=True)
class SkuViewRow:
    """A sku as a cart line shows it: with its product's name and shelf state, and its first image."""

    sku: Sku
    product_name: str
    on_shelf: bool
    image: str  # the sku's first image, else the product card's; "" when none


@dataclass(frozen=True, slots=True)
class ReviewRow:
    id: int
    username: str
    score: int
    content: str
    created_at: datetime
    sku_id: int
    size: str
    color: str


@dataclass(frozen=True, slots=True)
class SkuState:
    """What changes with every order: a sku's price, stock and sales."""

    id: int
    price: Money
    stock: int
    sales: int


@dataclass(frozen=True, slots=True)
class LiveDetail:
    skus: list[SkuState]
    reviews: ReviewSummary


@dataclass(frozen=True, slots=True)
class LiveKept:
    """What a `LiveCache` read found: the values kept (None: kept as having none — unknown, off shelf or
    without skus) and, for each product not kept, its move count as it stood at the read (0 if never
    moved)."""

    values: dict[int, LiveDetail | None]
    moves: dict[int, int]


class LiveCache(Protocol):
    """Live values of products (`LiveDetail`) per catalogue generation (an operator's write makes them read
    afresh), shared by every process (Redis in production, memory by default), told when orders move them.

    Each product has a move count, raised by `moved` after a transaction changed its stock, sales or
    reviews. Values read from the database are kept long (`keep_ms`) only if their product's count is
    still the one seen before the read; otherwise — and after any later move — for at most `max_age_ms`.
    So what is kept is never more than `max_age_ms` behind a move the cache was told of.
    Failing soft: a store that does not answer keeps nothing and reads as nothing kept."""

    async def read(self, generation: int, product_ids: list[int]) -> LiveKept:
        """The values kept of these products (those not kept are absent), and the move counts of those
        not kept: one round trip when all are kept, two otherwise."""
        ...

    async def keep(
        self,
        generation: int,
        values: dict[int, LiveDetail | None],
        moves: dict[int, int],
        *,
        keep_ms: int,
        max_age_ms: int,
    ) -> None:
        """Keep values read from the database after `moves` were read: for `keep_ms` where a product's
        move count is unchanged, else for `max_age_ms`. One round trip."""
        ...

    async def moved(self, product_ids: list[int], max_age_ms: int) -> None:
        """These products' values changed (committed): raise their move counts, and keep what is kept of
        them for at most `max_age_ms` more. One round trip."""
        ...


class CatalogQueries(Protocol):
    """The shopper's reads. Each method costs a fixed number of queries, whatever the catalogue's size."""

    async def categories(self) -> list[Category]: ...

    async def category_by_slug(self, slug: str) -> Category | None: ...

    async def home(self, products_per_category: int, nav_per_category: int) -> list[HomeRow]: ...

    async def banners(self, limit: int) -> list[Banner]: ...

    async def count_products(self, category_id: int | None) -> int: ...

    async def list_products(
        self, category_id: int | None, sort: SortKey, offset: int, limit: int
    ) -> list[CardRow]: ...

    async def is_listed(self, product_id: int) -> bool:
        """True when the product exists and is on shelf."""
        ...

    async def detail(self, product_id: int) -> DetailRow | None:
        """An on-shelf product with everything its page shows but the hot products (a list page of its
        category, kept per generation) in one statement; None when unknown or off shelf."""
        ...

    async def live_products(self, ranges: list[tuple[int, int]]) -> dict[int, LiveDetail]:
        """What changes with orders and reviews — sku price/stock/sales and the review summary — of the
        on-shelf products with ids in any of the (first, last) ranges, in one statement (products without
        skus, off shelf or unknown are absent)."""
        ...

    async def count_reviews(self, product_id: int) -> int: ...

    async def reviews(self, product_id: int, offset: int, limit: int) -> list[ReviewRow]:
        """Newest first."""
        ...

    async def cards(self, product_ids: list[int]) -> list[CardRow]:
        """On-shelf cards for these products, in the order given (unknown/off-shelf left out)."""
        ...

    async def sku_views(self, sku_ids: list[int]) -> dict[int, SkuViewRow]:
        """These skus by id, on or off shelf, in ONE statement whatever their number; unknown ids absent."""
        ...


# --- writes -----------------------------------------------------------------------------------


@dataclass(slots=True)
class NewSku:
    price: Money
    stock: int
    color: str = ""
    size: str = ""
    images: list[str] = field(default_factory=list)


class CatalogRepository(Protocol):
    """The operator's writes, inside a unit of work. Saving a product or sku keeps its card current."""

    async def add_category(self, name: str, slug: str, image: str) -> Category: ...

    async def get_category(self, category_id: int) -> Category | None: ...

    async def find_category(self, slug: str) -> Category | None: ...

    async def save_category(self, category: Category) -> None:
        """Write its name and image."""
        ...

    async def add_spu(self, name: str, detail: str, category_id: int) -> Spu: ...

    async def get_spu(self, spu_id: int) -> Spu | None: ...

    async def save_spu(self, spu: Spu) -> None:
        """Write its name, detail and category."""
        ...

    async def find_spu(self, name: str, category_id: int) -> Spu | None: ...

    async def products_of_spu(self, spu_id: int) -> list[int]:
        """The ids of the spu's products."""
        ...

    async def add_product(self, name: str, spu_id: int, category_id: int, on_shelf: bool) -> Product: ...

    async def get_product(self, product_id: int) -> Product | None:
        """The product with its skus (lowest id first)."""
        ...

    async def find_product(self, name: str, spu_id: int) -> Product | None: ...

    async def save_product(self, product: Product) -> None:
        """Write name, shelf state, spu and category, and refresh the product's card (first sku, image,
        price, sales)."""
        ...

    async def add_sku(self, product_id: int, sku: NewSku) -> Sku: ...

    async def get_sku(self, sku_id: int) -> Sku | None: ...

    async def save_sku(self, sku: Sku) -> None:
        """Write price/stock/sales/specs and refresh the owning product's card."""
        ...

    async def add_sku_image(self, sku_id: int, image: str) -> SkuImage:
        """Attach a file to a sku, after its other images."""
        ...

    async def get_sku_image(self, image_id: int) -> SkuImage | None: ...

    async def list_sku_images(self, sku_id: int) -> list[SkuImage]:
        """The sku's images in their order, (position, id): the first is the one cards show."""
        ...

    async def save_sku_image(self, image: SkuImage) -> None:
        """Write its file (a replaced image) and position."""
        ...

    async def delete_sku_image(self, image_id: int) -> None: ...

    async def add_banner(self, name: str, image: str, active: bool, position: int) -> Banner: ...

    async def get_banner(self, banner_id: int) -> Banner | None: ...

    async def save_banner(self, banner: Banner) -> None: ...

    async def delete_banner(self, banner_id: int) -> None: ...

    async def list_banners(self) -> list[Banner]: ...

    async def count_products(self) -> int: ...
