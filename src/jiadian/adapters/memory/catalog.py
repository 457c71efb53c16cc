"""The catalogue in memory: the same contract as the SQL adapter, for tests and experiments."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from jiadian.adapters.memory.state import MemoryState
from jiadian.application.catalog_ports import (
    CardRow,
    DetailRow,
    HomeRow,
    LiveDetail,
    NewSku,
    ReviewRow,
    SkuRow,
    SkuState,
    SkuViewRow,
)
from jiadian.application.ports import Clock
from jiadian.domain.catalog import Banner, Category, Product, Sku, SkuImage, SortKey, Spu
from jiadian.domain.reviews import ReviewSummary

CATEGORIES, SPUS, PRODUCTS, SKUS, IMAGES, BANNERS, REVIEWS = (
    "categories",
    "spus",
    "products",
    "skus",
    "sku_images",
    "banners",
    "reviews",
)


@dataclass(slots=True)
class StoredReview:
    """A review as the in-memory state keeps it (table "reviews")."""

    id: int
    product_id: int
    user_id: int
    order_line_id: int
    review: ReviewRow

    @property
    def score(self) -> int:
        return self.review.score


def image_order(image: SkuImage) -> tuple[int, int]:
    """A sku's images show in (position, id) order."""
    return (image.position, image.id)


def _copy_product(product: Product) -> Product:
    return replace(product, skus=[replace(s) for s in product.skus])


class MemoryCatalogRepository:
    def __init__(self, state: MemoryState, clock: Clock) -> None:
        self._s = state
        self._clock = clock

    async def add_category(self, name: str, slug: str, image: str) -> Category:
        category = Category(self._s.next_id(CATEGORIES), name, slug, image)
        self._s.table(CATEGORIES)[category.id] = replace(category)
        return category

    async def get_category(self, category_id: int) -> Category | None:
        found = self._s.table(CATEGORIES).get(category_id)
        return replace(found) if found else None

    async def find_category(self, slug: str) -> Category | None:
        return next((replace(c) for c in self._s.table(CATEGORIES).values() if c.slug == slug), None)

    async def save_category(self, category: Category) -> None:
        self._s.table(CATEGORIES)[category.id] = replace(category)

    async def add_spu(self, name: str, detail: str, category_id: int) -> Spu:
        spu = Spu(self._s.next_id(SPUS), name, detail, category_id)
        self._s.table(SPUS)[spu.id] = replace(spu)
        return spu

    async def get_spu(self, spu_id: int) -> Spu | None:
        found = self._s.table(SPUS).get(spu_id)
        return replace(found) if found else None

    async def save_spu(self, spu: Spu) -> None:
        self._s.table(SPUS)[spu.id] = replace(spu)

    async def products_of_spu(self, spu_id: int) -> list[int]:
        return sorted(p.id for p in self._s.table(PRODUCTS).values() if p.spu_id == spu_id)

    async def find_spu(self, name: str, category_id: int) -> Spu | None:
        spus = self._s.table(SPUS).values()
        return next((replace(s) for s in spus if s.name == name and s.category_id == category_id), None)

    async def add_product(self, name: str, spu_id: int, category_id: int, on_shelf: bool) -> Product:
        now = self._clock.now()
        product = Product(self._s.next_id(PRODUCTS), name, spu_id, category_id, on_shelf, now, now, [])
        self._s.table(PRODUCTS)[product.id] = _copy_product(product)
        return product

    def _with_skus(self, product: Product) -> Product:
        copy = _copy_product(product)
        copy.skus = sorted(
            (replace(s) for s in self._s.table(SKUS).values() if s.product_id == product.id),
            key=lambda s: s.id,
        )
        return copy

    async def get_product(self, product_id: int) -> Product | None:
        found = self._s.table(PRODUCTS).get(product_id)
        return self._with_skus(found) if found else None

    async def find_product(self, name: str, spu_id: int) -> Product | None:
        found = next(
            (p for p in self._s.table(PRODUCTS).values() if p.name == name and p.spu_id == spu_id), None
        )
        return self._with_skus(found) if found else None

    async def save_product(self, product: Product) -> None:
        stored = self._s.table(PRODUCTS)[product.id]
        stored.name, stored.on_shelf, stored.updated_at = product.name, product.on_shelf, self._clock.now()
        stored.spu_id, stored.category_id = product.spu_id, product.category_id

    async def add_sku(self, product_id: int, sku: NewSku) -> Sku:
        new = Sku(self._s.next_id(SKUS), product_id, sku.price, sku.stock, 0, sku.color, sku.size)
        self._s.table(SKUS)[new.id] = replace(new)
        for image in sku.images:
            await self.add_sku_image(new.id, image)
        return new

    async def get_sku(self, sku_id: int) -> Sku | None:
        found = self._s.table(SKUS).get(sku_id)
        return replace(found) if found else None

    async def save_sku(self, sku: Sku) -> None:
        self._s.table(SKUS)[sku.id] = replace(sku)

    async def add_sku_image(self, sku_id: int, image: str) -> SkuImage:
        positions = [i.position for i in self._s.table(IMAGES).values() if i.sku_id == sku_id]
        new = SkuImage(self._s.next_id(IMAGES), sku_id, image, max(positions) + 1 if positions else 0)
        self._s.table(IMAGES)[new.id] = replace(new)
        return new

    async def get_sku_image(self, image_id: int) -> SkuImage | None:
        found = self._s.table(IMAGES).get(image_id)
        return replace(found) if found else None

    async def list_sku_images(self, sku_id: int) -> list[SkuImage]:
        images = (replace(i) for i in self._s.table(IMAGES).values() if i.sku_id == sku_id)
        return sorted(images, key=image_order)

    async def save_sku_image(self, image: SkuImage) -> None:
        self._s.table(IMAGES)[image.id] = replace(image)

    async def delete_sku_image(self, image_id: int) -> None:
        self._s.table(IMAGES).pop(image_id, None)

    async def add_banner(self, name: str, image: str, active: bool, position: int) -> Banner:
        banner = Banner(self._s.next_id(BANNERS), name, image, active, position)
        self._s.table(BANNERS)[banner.id] = replace(banner)
        return banner

    async def get_banner(self, banner_id: int) -> Banner | None:
        found = self._s.table(BANNERS).get(banner_id)
        return replace(found) if found else None

    async def save_banner(self, banner: Banner) -> None:
        self._s.table(BANNERS)[banner.id] = replace(banner)

    async def delete_banner(self, banner_id: int) -> None:
        self._s.table(BANNERS).pop(banner_id, None)

    async def list_banners(self) -> list[Banner]:
        return sorted((replace(b) for b in self._s.table(BANNERS).values()), key=lambda b: (b.position, b.id))

    async def count_products(self) -> int:
        return len(self._s.table(PRODUCTS))


class MemoryCatalogQueries:
    """The shopper's reads over the same state; cards are derived on the fly."""

    def __init__(self, state: MemoryState) -> None:
        self._s = state

    def _skus_of(self, product_id: int) -> list[Sku]:
        return sorted(
            (s for s in self._s.table(SKUS).values() if s.product_id == product_id), key=lambda s: s.id
        )

    def _images_of(self, sku_id: int) -> list[str]:
        images = sorted((i for i in self._s.table(IMAGES).values() if i.sku_id == sku_id), key=image_order)
        return [i.image for i in images]

    def _card(self, product: Product) -> CardRow | None:
        skus = self._skus_of(product.id)
        if not skus or not product.on_shelf:
            return None
        cheapest = min(skus, key=lambda s: (s.price, s.id))
        images = self._images_of(cheapest.id) or [i for s in skus for i in self._images_of(s.id)]
        category = self._s.table(CATEGORIES)[product.category_id]
        return CardRow(
            product.id,
            product.name,
            cheapest.id,
            cheapest.price,
            max(s.price for s in skus),
            sum(s.sales for s in skus),
            images[0] if images else "",
            category.slug,
        )

    def listed(self, category_id: int | None = None) -> list[tuple[Product, CardRow]]:
        """Every listed product (on shelf, with skus) with its card, of a category or all."""
        return self._listed(category_id)

    def _listed(self, category_id: int | None = None) -> list[tuple[Product, CardRow]]:
        rows = []
        for product in self._s.table(PRODUCTS).values():
            card = self._card(product)
            if card is not None and (category_id is None or product.category_id == category_id):
                rows.append((product, card))
        return rows

    async def categories(self) -> list[Category]:
        return sorted((replace(c) for c in self._s.table(CATEGORIES).values()), key=lambda c: c.id)

    async def category_by_slug(self, slug: str) -> Category | None:
        return next((replace(c) for c in self._s.table(CATEGORIES).values() if c.slug == slug), None)

    async def home(self, products_per_category: int, nav_per_category: int) -> list[HomeRow]:
        result = []
        for category in await self.categories():
            recent = sorted(
                self._listed(category.id), key=lambda pc: (_at(pc[0].updated_at), pc[0].id), reverse=True
            )
            nav: list[str] = []
            for product, _card in recent[:nav_per_category]:
                name = self._s.table(SPUS)[product.spu_id].name
                if name not in nav:
                    nav.append(name)
            result.append(HomeRow(category, nav, [c for _p, c in recent[:products_per_category]]))
        return result

    async def banners(self, limit: int) -> list[Banner]:
        active = [replace(b) for b in self._s.table(BANNERS).values() if b.active]
        return sorted(active, key=lambda b: (b.position, b.id))[:limit]

    async def count_products(self, category_id: int | None) -> int:
        return len(self._listed(category_id))

    async def list_products(
        self, category_id: int | None, sort: SortKey, offset: int, limit: int
    ) -> list[CardRow]:
        return [c for _p, c in in_order(self._listed(category_id), sort)[offset : offset + limit]]

    async def is_listed(self, product_id: int) -> bool:
        product = self._s.table(PRODUCTS).get(product_id)
        return product is not None and product.on_shelf

    async def detail(self, product_id: int) -> DetailRow | None:
        product = self._s.table(PRODUCTS).get(product_id)
        if product is None or not product.on_shelf:
            return None
        skus = self._skus_of(product_id)
        scores = [r.score for r in self._s.table(REVIEWS).values() if r.product_id == product_id]
        full = _copy_product(product)
        full.skus = [replace(s) for s in skus]
        return DetailRow(
            product=full,
            spu=replace(self._s.table(SPUS)[product.spu_id]),
            category=replace(self._s.table(CATEGORIES)[product.category_id]),
            skus=[SkuRow(replace(s), self._images_of(s.id)) for s in skus],
            reviews=ReviewSummary.from_scores(scores),
        )

    def _reviews(self, product_id: int) -> list[ReviewRow]:
        rows = [r.review for r in self._s.table(REVIEWS).values() if r.product_id == product_id]
        return sorted(rows, key=lambda r: (r.created_at, r.id), reverse=True)

    async def live_products(self, ranges: list[tuple[int, int]]) -> dict[int, LiveDetail]:
        found = {}
        products = self._s.table(PRODUCTS)
        wanted = sorted({i for first, last in ranges for i in range(first, last + 1) if i in products})
        for product_id in wanted:
            skus = self._skus_of(product_id)
            if not skus or not await self.is_listed(product_id):
                continue
            scores = [r.score for r in self._s.table(REVIEWS).values() if r.product_id == product_id]
            found[product_id] = LiveDetail(
                [SkuState(s.id, s.price, s.stock, s.sales) for s in skus], ReviewSummary.from_scores(scores)
            )
        return found

    async def count_reviews(self, product_id: int) -> int:
        return len(self._reviews(product_id))

    async def reviews(self, product_id: int, offset: int, limit: int) -> list[ReviewRow]:
        return self._reviews(product_id)[offset : offset + limit]

    async def cards(self, product_ids: list[int]) -> list[CardRow]:
        cards = {p.id: c for p, c in self._listed()}
        return [cards[i] for i in product_ids if i in cards]

    async def sku_views(self, sku_ids: list[int]) -> dict[int, SkuViewRow]:
        views = {}
        for sku_id in set(sku_ids):
            sku = self._s.table(SKUS).get(sku_id)
            if sku is None:
                continue
            product = self._s.table(PRODUCTS)[sku.product_id]
            images = self._images_of(sku_id) or self._images_of(self._skus_of(product.id)[0].id)
            views[sku_id] = SkuViewRow(
                replace(sku), product.name, product.on_shelf, images[0] if images else ""
            )
        return views


def in_order(rows: list[tuple[Product, CardRow]], sort: SortKey) -> list[tuple[Product, CardRow]]:
    """Listed products in a list order (ties: by id, the same way)."""

    def key(pc: tuple[Product, CardRow]) -> tuple[object, int]:
        product, card = pc
        value: object = {"price": card.price, "sales": card.sales, "created_at": _at(product.created_at)}[
            sort.column
        ]
        return (value, product.id)

    return sorted(rows, key=key, reverse=sort.descending)


def _at(moment: datetime | None) -> datetime:
    return moment or datetime.min
