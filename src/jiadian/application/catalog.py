"""The shopper's catalogue: home, lists, product pages and reviews, cached by generation.

The operator's writes are in `catalog_admin.py`, search in `search.py`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from jiadian.application.catalog_ports import (
    CardRow,
    CatalogQueries,
    LiveDetail,
    ReviewRow,
    SkuState,
    SkuViewRow,
)
from jiadian.application.live_values import LiveValues
from jiadian.application.pagination import Page, clamp_page
from jiadian.application.ports import BlobStore, Cache
from jiadian.application.single_flight import SingleFlight
from jiadian.domain.catalog import (
    HOME_BANNERS,
    HOME_NAV_PER_CATEGORY,
    HOME_PRODUCTS_PER_CATEGORY,
    HOT_PRODUCTS,
    Banner,
    Category,
    SortKey,
)
from jiadian.domain.errors import NotFound, ValidationFailed
from jiadian.domain.money import Money
from jiadian.domain.reviews import ReviewSummary, masked_name

T = TypeVar("T")

# --- views: read models with public URLs ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProductCard:
    id: int
    name: str
    sku_id: int
    price: Money
    max_price: Money
    sales: int
    image_url: str
    category: str


@dataclass(frozen=True, slots=True)
class CategoryView:
    id: int
    name: str
    slug: str
    image_url: str


@dataclass(frozen=True, slots=True)
class BannerView:
    name: str
    image_url: str


@dataclass(frozen=True, slots=True)
class HomeCategory:
    id: int
    name: str
    slug: str
    image_url: str
    nav: list[str]
    products: list[ProductCard]


@dataclass(frozen=True, slots=True)
class Home:
    categories: list[HomeCategory]
    banners: list[BannerView]


@dataclass(frozen=True, slots=True)
class SkuView:
    id: int
    size: str
    color: str
    price: Money
    stock: int
    sales: int
    images: list[str]


@dataclass(frozen=True, slots=True)
class SpuView:
    id: int
    name: str
    detail: str


@dataclass(frozen=True, slots=True)
class ProductDetail:
    id: int
    name: str
    spu: SpuView
    category: str
    images: list[str]
    sizes: list[str]
    colors: list[str]
    skus: list[SkuView]
    hot: list[ProductCard]
    reviews: ReviewSummary


@dataclass(frozen=True, slots=True)
class KeptPage:
    """A product's page as the caches keep it: without its hot products (kept apart, for less long)."""

    category_id: int
    page: ProductDetail


@dataclass(frozen=True, slots=True)
class ReviewView:
    id: int
    username: str
    score: int
    content: str
    created_at: str
    sku_id: int
    size: str
    color: str


GENERATION_KEY = "catalog:generation"  # bumped by every catalogue write; versions the keys below
GENERATION_SECONDS = 1  # how long a process keeps the generation it read (its own writes drop it at once)
HOME_KEY = "catalog:home"
CATEGORIES_KEY = "catalog:categories"
BANNERS_KEY = "catalog:banners"
CACHED_KEYS = (HOME_KEY, CATEGORIES_KEY, BANNERS_KEY)


async def catalogue_changed(cache: Cache, near: Cache | None = None) -> None:
    """After a committed catalogue write: drop what the cache holds and move the generation on, so every
    cached read (in every process) moves on with it — within `GENERATION_SECONDS` in other processes, at
    once in this one when its `near` cache (`Catalog.near`, which keeps its copy) is given."""
    await cache.delete(*CACHED_KEYS)
    await cache.incr(GENERATION_KEY)
    if near is not None:
        await near.delete(GENERATION_KEY)


def _distinct(values: list[str]) -> list[str]:
    return [v for v in dict.fromkeys(values) if v]


MAX_ID = 2**63 - 1  # ids are positive 64-bit integers (BIGINT); SQLite cannot even bind a larger one


def is_possible_id(entity_id: int) -> bool:
    """False for an id no row can have: it names nothing (404), it must not reach the database."""
    return 0 < entity_id <= MAX_ID


@dataclass(frozen=True)
class Catalog:
    """The shopper's side of the catalogue. Home, categories and banners are cached; product pages are
    kept per generation, their live values (`live`) up to a second behind the orders."""

    queries: CatalogQueries
    cache: Cache  # shared by every process (Redis in production)
    blobs: BlobStore
    live: LiveValues
    cache_ttl: int = 7200
    max_page_size: int = 50
    detail_ttl: int = 60  # hot products may lag this much
    near: Cache | None = None  # this process's own, for what is keyed by the generation anyway
    _flights: SingleFlight = field(default_factory=SingleFlight, init=False, repr=False, compare=False)

    def card(self, row: CardRow) -> ProductCard:
        return ProductCard(
            row.id,
            row.name,
            row.sku_id,
            row.price,
            row.max_price,
            row.sales,
            self._url(row.image),
            row.category,
        )

    def _url(self, file_id: str) -> str:
        return self.blobs.url(file_id) if file_id else ""

    def _category(self, category: Category) -> CategoryView:
        return CategoryView(category.id, category.name, category.slug, self._url(category.image))

    def _banner(self, banner: Banner) -> BannerView:
        return BannerView(banner.name, self._url(banner.image))

    def check_page_size(self, page_size: int) -> None:
        if not 1 <= page_size <= self.max_page_size:
            raise ValidationFailed(f"page_size 必须在 1 到 {self.max_page_size} 之间", page_size=page_size)

    async def home(self) -> Home:
        return await self.kept(self.cache, HOME_KEY, Home, self._home, self.cache_ttl)

    async def _home(self) -> Home:
        rows = await self.queries.home(HOME_PRODUCTS_PER_CATEGORY, HOME_NAV_PER_CATEGORY)
        banners = await self.queries.banners(HOME_BANNERS)
        home = Home(
            categories=[
                HomeCategory(
                    row.category.id,
                    row.category.name,
                    row.category.slug,
                    self._url(row.category.image),
                    row.nav,
                    [self.card(c) for c in row.products],
                )
                for row in rows
            ],
            banners=[self._banner(b) for b in banners],
        )
        return home

    async def categories(self) -> list[CategoryView]:
        async def views() -> list[CategoryView]:
            return [self._category(c) for c in await self.queries.categories()]

        return await self.kept(self.cache, CATEGORIES_KEY, list[CategoryView], views, self.cache_ttl)

    async def banners(self) -> list[BannerView]:
        async def views() -> list[BannerView]:
            return [self._banner(b) for b in await self.queries.banners(HOME_BANNERS)]

        return await self.kept(self.cache, BANNERS_KEY, list[BannerView], views, self.cache_ttl)

    async def generation(self) -> int:
        """The catalogue's version: it changes with every operator write (so caches keyed by it expire).

        A process reads it from the shared cache at most once every `GENERATION_SECONDS`: another
        process's write shows that much later (this process's own at once: `CatalogAdmin` drops it)."""
        if self.near is None:
            return await self.cache.get(GENERATION_KEY, int) or 0
        found = await self.near.get(GENERATION_KEY, int)
        if found is None:
            found = await self.cache.get(GENERATION_KEY, int) or 0
            await self.near.set(GENERATION_KEY, found, GENERATION_SECONDS)
        return found

    async def _category_id(self, slug: str) -> int | None:
        """`all` → None; a known slug → its id (from the cached category list); else NotFound."""
        if slug == "all":
            return None
        for category in await self.categories():
            if category.slug == slug:
                return category.id
        raise NotFound("分类", slug)

    async def _count(self, category_id: int | None) -> int:
        key = f"catalog:{await self.generation()}:count:{category_id or 'all'}"
        return await self.kept(
            self.near_cache, key, int, lambda: self.queries.count_products(category_id), self.cache_ttl
        )

    async def listed_count(self) -> int:
        """How many products are listed (kept per generation in this process)."""
        return await self._count(None)

    async def kept(
        self, cache: Cache, key: str, type_: Any, compute: Callable[[], Awaitable[T]], ttl: int
    ) -> T:
        """`key`'s value from `cache`, else computed (once in this process however many ask at once)
        and kept for `ttl` seconds."""
        return await self._kept_in((cache,), key, type_, compute, ttl)

    async def _kept_in(
        self, caches: tuple[Cache, ...], key: str, type_: Any, compute: Callable[[], Awaitable[T]], ttl: int
    ) -> T:
        """`kept` over caches nearest first: found in a farther one, it is kept in the nearer ones too."""
        for depth, cache in enumerate(caches):
            found: T | None = await cache.get(key, type_)
            if found is not None:
                for nearer in caches[:depth]:
                    await nearer.set(key, found, ttl)
                return found

        async def fill() -> T:
            value = await compute()
            for cache in caches:
                await cache.set(key, value, ttl)
            return value

        return await self._flights.run(key, fill)

    @property
    def _both(self) -> tuple[Cache, ...]:
        """This process's cache, then the shared one (for what is worth sharing between processes)."""
        return (self.near, self.cache) if self.near is not None else (self.cache,)

    @property
    def near_cache(self) -> Cache:
        return self.near or self.cache

    async def list_products(
        self, category: str, sort: SortKey, page: int, page_size: int
    ) -> Page[ProductCard]:
        """Products of a category slug (or `all`); a page past the end answers the last page.

        The category and the number of products come from the cache (versioned by the catalogue's
        generation), so a page costs one indexed query.
        """
        self.check_page_size(page_size)
        category_id = await self._category_id(category)
        total = await self._count(category_id)
        request = clamp_page(page, page_size, total)
        rows = await self.queries.list_products(category_id, sort, request.offset, request.page_size)
        return Page([self.card(r) for r in rows], request.page, page_size, total)

    async def detail(self, product_id: int) -> ProductDetail:
        """A product's page. What changes only with operator writes (names, images, specs) is kept per
        generation, in this process and in the shared cache for `cache_ttl` (so a spread of views over a
        large catalogue is not cold in every process, nor after a restart); the hot products come from
        this process's list of the category's best sellers (up to `detail_ttl` old); prices, stock, sales
        and the review summary from `live` (up to a second behind the orders) when the rest comes from the
        caches; a page rendered keeps its live values in `live` too."""
        if not is_possible_id(product_id):
            raise NotFound("商品", product_id)
        generation = await self.generation()
        key = f"catalog:{generation}:page:{product_id}"
        fresh: list[KeptPage] = []

        async def read() -> tuple[KeptPage, LiveDetail | None]:
            kept = await self._kept_page(product_id)
            skus = [SkuState(s.id, s.price, s.stock, s.sales) for s in kept.page.skus]
            return kept, LiveDetail(skus, kept.page.reviews) if skus else None

        async def render() -> KeptPage:  # its live values kept too: the next view reads no database
            fresh.append(await self.live.read_with(generation, product_id, read))
            return fresh[0]

        kept = await self._kept_in(self._both, key, KeptPage, render, self.cache_ttl)
        best = await self._best_sellers(kept.category_id, generation)
        hot = [c for c in best if c.id != product_id][:HOT_PRODUCTS]
        now = None if fresh else (await self.live.of([product_id], generation)).get(product_id)
        if now is None:  # read just now (live already), or no live values: the page's own
            return replace(kept.page, hot=hot)
        live = {s.id: s for s in now.skus}
        skus = [
            SkuView(v.id, v.size, v.color, state.price, state.stock, state.sales, v.images)
            for v in kept.page.skus
            if (state := live.get(v.id)) is not None
        ]
        return replace(kept.page, hot=hot, skus=skus, reviews=now.reviews)

    async def _kept_page(self, product_id: int) -> KeptPage:
        row = await self.queries.detail(product_id)
        if row is None:
            raise NotFound("商品", product_id)
        skus = [
            SkuView(
                s.sku.id,
                s.sku.size,
                s.sku.color,
                s.sku.price,
                s.sku.stock,
                s.sku.sales,
                [self._url(i) for i in s.images],
            )
            for s in row.skus
        ]
        page = ProductDetail(
            id=row.product.id,
            name=row.product.name,
            spu=SpuView(row.spu.id, row.spu.name, row.spu.detail),
            category=row.category.slug,
            images=[url for s in skus for url in s.images],
            sizes=_distinct([s.size for s in skus]),
            colors=_distinct([s.color for s in skus]),
            skus=skus,
            hot=[],
            reviews=row.reviews,
        )
        return KeptPage(row.category.id, page)

    async def _best_sellers(self, category_id: int, generation: int) -> list[ProductCard]:
        """The category's best sellers, one more than a product page shows (it leaves itself out); kept
        per generation in this process, so a product page seen for the first time costs one statement."""
        key = f"catalog:{generation}:hot:{category_id}"

        async def cards() -> list[ProductCard]:
            rows = await self.queries.list_products(category_id, SortKey.SALES_DESC, 0, HOT_PRODUCTS + 1)
            return [self.card(r) for r in rows]

        return await self.kept(self.near_cache, key, list[ProductCard], cards, self.detail_ttl)

    async def sku_views(self, sku_ids: list[int]) -> dict[int, SkuViewRow]:
        """Skus as carts and the checkout preview show them (on or off shelf; unknown ids absent): what
        changes only with operator writes kept per generation — in this process, then the shared cache,
        else one statement for all that are missing — and price, stock and sales from `live` (up to a
        second old)."""
        generation = await self.generation()
        keys = {
            sku_id: f"catalog:{generation}:sku:{sku_id}" for sku_id in set(sku_ids) if is_possible_id(sku_id)
        }
        views: dict[int, SkuViewRow] = {}
        missing = []
        for sku_id, key in keys.items():
            found = await self.near_cache.get(key, SkuViewRow)
            if found is None:
                missing.append(sku_id)
            else:
                views[sku_id] = found
        if missing and self.near is not None:
            shared = await self.cache.get_many([keys[i] for i in missing], SkuViewRow)
            for sku_id in [i for i in missing if keys[i] in shared]:
                views[sku_id] = shared[keys[sku_id]]
                await self.near.set(keys[sku_id], views[sku_id], self.cache_ttl)
            missing = [i for i in missing if keys[i] not in shared]
        if missing:
            read = await self.queries.sku_views(missing)  # live values too, as of now
            kept = {keys[sku_id]: view for sku_id, view in read.items()}
            for cache in self._both:
                await cache.set_many(kept, self.cache_ttl)
            fresh = set(read)
            views.update(read)
        else:
            fresh = set()
        stale = [view for sku_id, view in views.items() if sku_id not in fresh]
        live = await self.live.of({view.sku.product_id for view in stale}, generation)
        for view in stale:
            now = live.get(view.sku.product_id)
            state = next((s for s in now.skus if s.id == view.sku.id), None) if now else None
            if state is not None:
                sku = replace(view.sku, price=state.price, stock=state.stock, sales=state.sales)
                views[sku.id] = replace(view, sku=sku)
        return views

    async def reviews(self, product_id: int, page: int, page_size: int) -> Page[ReviewView]:
        self.check_page_size(page_size)
        if not is_possible_id(product_id) or not await self.queries.is_listed(product_id):
            raise NotFound("商品", product_id)
        total = await self.queries.count_reviews(product_id)
        request = clamp_page(page, page_size, total)
        rows = await self.queries.reviews(product_id, request.offset, page_size)
        return Page([_review(r) for r in rows], request.page, page_size, total)

    async def cards(self, product_ids: list[int]) -> list[ProductCard]:
        return [self.card(r) for r in await self.queries.cards([i for i in product_ids if is_possible_id(i)])]


def _review(row: ReviewRow) -> ReviewView:
    """A review as every shopper sees it: the reviewer's name masked."""
    return ReviewView(
        row.id,
        masked_name(row.username),
        row.score,
        row.content,
        row.created_at.isoformat(),
        row.sku_id,
        row.size,
        row.color,
    )
