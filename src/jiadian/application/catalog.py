"""Catalogue use cases: what a shopper browses, and what an operator changes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from jiadian.application.blob_ports import FileReferences
from jiadian.application.catalog_ports import (
    CardRow,
    CatalogQueries,
    CatalogRepository,
    NewSku,
    ReviewRow,
)
from jiadian.application.files import Written, check_image_size, release, write_with_new_file
from jiadian.application.pagination import Page, clamp_page
from jiadian.application.ports import BlobStore, Cache
from jiadian.application.single_flight import SingleFlight
from jiadian.application.stock_gate import NO_GATE, StockGate, sync_quietly
from jiadian.application.unit_of_work import UnitOfWork, UnitOfWorkFactory
from jiadian.domain.catalog import (
    HOME_BANNERS,
    HOME_NAV_PER_CATEGORY,
    HOME_PRODUCTS_PER_CATEGORY,
    HOT_PRODUCTS,
    Banner,
    Category,
    Product,
    Sku,
    SkuImage,
    SortKey,
)
from jiadian.domain.errors import DomainError, NotFound, ValidationFailed
from jiadian.domain.money import Money
from jiadian.domain.reviews import ReviewSummary

T = TypeVar("T")

# --- views: read models with public URLs ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProductCard:
    id: int
    name: str
    sku_id: int
    price: Money
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
HOME_KEY = "catalog:home"
CATEGORIES_KEY = "catalog:categories"
BANNERS_KEY = "catalog:banners"
CACHED_KEYS = (HOME_KEY, CATEGORIES_KEY, BANNERS_KEY)


def _distinct(values: list[str]) -> list[str]:
    return [v for v in dict.fromkeys(values) if v]


MAX_ID = 2**63 - 1  # ids are positive 64-bit integers (BIGINT); SQLite cannot even bind a larger one


def _possible(entity_id: int) -> bool:
    """False for an id no row can have: it names nothing (404), it must not reach the database."""
    return 0 < entity_id <= MAX_ID


@dataclass(frozen=True)
class Catalog:
    """The shopper's side of the catalogue. Home, categories and banners are cached."""

    queries: CatalogQueries
    cache: Cache  # shared by every process (Redis in production)
    blobs: BlobStore
    cache_ttl: int = 7200
    max_page_size: int = 50
    detail_ttl: int = 60  # hot products may lag this much
    near: Cache | None = None  # this process's own, for what is keyed by the generation anyway
    _flights: SingleFlight = field(default_factory=SingleFlight, init=False, repr=False, compare=False)

    def card(self, row: CardRow) -> ProductCard:
        return ProductCard(
            row.id, row.name, row.sku_id, row.price, row.sales, self._url(row.image), row.category
        )

    def _url(self, file_id: str) -> str:
        return self.blobs.url(file_id) if file_id else ""

    def _category(self, category: Category) -> CategoryView:
        return CategoryView(category.id, category.name, category.slug, self._url(category.image))

    def _banner(self, banner: Banner) -> BannerView:
        return BannerView(banner.name, self._url(banner.image))

    def _check_page_size(self, page_size: int) -> None:
        if not 1 <= page_size <= self.max_page_size:
            raise ValidationFailed(f"page_size 必须在 1 到 {self.max_page_size} 之间", page_size=page_size)

    async def home(self) -> Home:
        return await self._kept(self.cache, HOME_KEY, Home, self._home, self.cache_ttl)

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

        return await self._kept(self.cache, CATEGORIES_KEY, list[CategoryView], views, self.cache_ttl)

    async def banners(self) -> list[BannerView]:
        async def views() -> list[BannerView]:
            return [self._banner(b) for b in await self.queries.banners(HOME_BANNERS)]

        return await self._kept(self.cache, BANNERS_KEY, list[BannerView], views, self.cache_ttl)

    async def generation(self) -> int:
        """The catalogue's version: it changes with every operator write (so caches keyed by it expire)."""
        return await self.cache.get(GENERATION_KEY, int) or 0

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
        return await self._kept(
            self._near, key, int, lambda: self.queries.count_products(category_id), self.cache_ttl
        )

    async def _kept(
        self, cache: Cache, key: str, type_: Any, compute: Callable[[], Awaitable[T]], ttl: int
    ) -> T:
        """`key`'s value from `cache`, else computed (once in this process however many ask at once)
        and kept for `ttl` seconds."""
        found: T | None = await cache.get(key, type_)
        if found is not None:
            return found

        async def fill() -> T:
            value = await compute()
            await cache.set(key, value, ttl)
            return value

        return await self._flights.run(key, fill)

    @property
    def _near(self) -> Cache:
        return self.near or self.cache

    async def list_products(
        self, category: str, sort: SortKey, page: int, page_size: int
    ) -> Page[ProductCard]:
        """Products of a category slug (or `all`); a page past the end answers the last page.

        The category and the number of products come from the cache (versioned by the catalogue's
        generation), so a page costs one indexed query.
        """
        self._check_page_size(page_size)
        category_id = await self._category_id(category)
        total = await self._count(category_id)
        request = clamp_page(page, page_size, total)
        rows = await self.queries.list_products(category_id, sort, request.offset, request.page_size)
        return Page([self.card(r) for r in rows], request.page, page_size, total)

    async def search(self, text: str, page: int, page_size: int) -> Page[ProductCard]:
        """Products whose name contains `text`, case-insensitive, best sellers first."""
        self._check_page_size(page_size)
        query = text.strip()
        if not query:
            raise ValidationFailed("搜索内容不能为空")
        if len(query) > 100:
            raise ValidationFailed("搜索内容不能超过 100 个字", length=len(query))
        total = await self.queries.count_search(query)
        request = clamp_page(page, page_size, total)
        rows = await self.queries.search(query, request.offset, page_size)
        return Page([self.card(r) for r in rows], request.page, page_size, total)

    async def detail(self, product_id: int) -> ProductDetail:
        """A product's page. What changes only with operator writes (names, images, specs) and the hot
        products are kept per generation in this process; prices, stock, sales and the review summary
        are read live (one statement) when the rest comes from there."""
        if not _possible(product_id):
            raise NotFound("商品", product_id)
        generation = await self.generation()
        key = f"catalog:{generation}:detail:{product_id}"
        fresh: list[ProductDetail] = []

        async def render() -> ProductDetail:
            fresh.append(await self._detail(product_id, generation))
            return fresh[0]

        page = await self._kept(self._near, key, ProductDetail, render, self.detail_ttl)
        if fresh:
            return page  # read just now: live already
        now = await self.queries.live_detail(product_id)
        if now is None:
            raise NotFound("商品", product_id)
        live = {s.id: s for s in now.skus}
        skus = [
            replace(v, price=live[v.id].price, stock=live[v.id].stock, sales=live[v.id].sales)
            for v in page.skus
            if v.id in live
        ]
        return replace(page, skus=skus, reviews=now.reviews)

    async def _detail(self, product_id: int, generation: int) -> ProductDetail:
        row = await self.queries.detail(product_id)
        if row is None:
            raise NotFound("商品", product_id)
        best = await self._best_sellers(row.category.id, generation)
        hot = [c for c in best if c.id != product_id][:HOT_PRODUCTS]
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
        return ProductDetail(
            id=row.product.id,
            name=row.product.name,
            spu=SpuView(row.spu.id, row.spu.name, row.spu.detail),
            category=row.category.slug,
            images=[url for s in skus for url in s.images],
            sizes=_distinct([s.size for s in skus]),
            colors=_distinct([s.color for s in skus]),
            skus=skus,
            hot=hot,
            reviews=row.reviews,
        )

    async def _best_sellers(self, category_id: int, generation: int) -> list[ProductCard]:
        """The category's best sellers, one more than a product page shows (it leaves itself out); kept
        per generation in this process, so a product page seen for the first time costs one statement."""
        key = f"catalog:{generation}:hot:{category_id}"

        async def cards() -> list[ProductCard]:
            rows = await self.queries.list_products(category_id, SortKey.SALES_DESC, 0, HOT_PRODUCTS + 1)
            return [self.card(r) for r in rows]

        return await self._kept(self._near, key, list[ProductCard], cards, self.detail_ttl)

    async def reviews(self, product_id: int, page: int, page_size: int) -> Page[ReviewView]:
        self._check_page_size(page_size)
        if not _possible(product_id) or not await self.queries.is_listed(product_id):
            raise NotFound("商品", product_id)
        total = await self.queries.count_reviews(product_id)
        request = clamp_page(page, page_size, total)
        rows = await self.queries.reviews(product_id, request.offset, page_size)
        return Page([_review(r) for r in rows], request.page, page_size, total)

    async def cards(self, product_ids: list[int]) -> list[ProductCard]:
        return [self.card(r) for r in await self.queries.cards([i for i in product_ids if _possible(i)])]


def _review(row: ReviewRow) -> ReviewView:
    return ReviewView(
        row.id,
        row.username,
        row.score,
        row.content,
        row.created_at.isoformat(),
        row.sku_id,
        row.size,
        row.color,
    )


# --- the operator's side ----------------------------------------------------------------------


@dataclass(slots=True)
class SkuSpec:
    price: str
    stock: int
    color: str = ""
    size: str = ""
    images: list[str] = field(default_factory=list)  # blob file ids, added when the sku is new
    sales: int = 0  # carried over by imports of an existing shop's data


@dataclass(slots=True)
class ProductSpec:
    """One product to create or update, as an operator or an import file describes it."""

    category: str  # slug
    spu: str
    name: str
    skus: list[SkuSpec]
    spu_detail: str = ""
    on_shelf: bool = True


def _check_stock(stock: int) -> int:
    if not isinstance(stock, int) or stock < 0:
        raise ValidationFailed("库存必须是非负整数", stock=stock)
    return stock


def _check_text(label: str, value: str, limit: int, *, required: bool = True) -> str:
    text = value.strip()
    if required and not text:
        raise ValidationFailed(f"{label}不能为空")
    if len(text) > limit:
        raise ValidationFailed(f"{label}不能超过 {limit} 个字", length=len(text))
    return text


@dataclass(frozen=True)
class CatalogAdmin:
    """Operator writes. Each commits one transaction, then drops what the cache holds.

    Images follow `jiadian.application.files`: a new file whose row does not commit is deleted; a
    replaced or deleted image's file goes after the commit, unless `references` says that something
    else (an order line's snapshot) still refers to it.

    A stock change of a sku the stock gate holds tokens for re-syncs its tokens after the commit (best
    effort; `StockGates.reconcile` catches up with any it misses).
    """

    uow: UnitOfWorkFactory
    cache: Cache
    blobs: BlobStore
    references: FileReferences | None = None
    gate: StockGate = NO_GATE

    async def _invalidate(self) -> None:
        await self.cache.delete(*CACHED_KEYS)
        await self.cache.incr(GENERATION_KEY)

    def url(self, file_id: str) -> str:
        """The public URL of a stored file ("" for none)."""
        return self.blobs.url(file_id) if file_id else ""

    async def product_count(self) -> int:
        async with self.uow() as uow:
            return await uow.catalog.count_products()

    async def add_category(self, name: str, slug: str, image: str = "") -> Category:
        async with self.uow() as uow:
            if await uow.catalog.find_category(slug) is not None:
                raise ValidationFailed("分类已存在", slug=slug)
            category = await uow.catalog.add_category(_check_text("分类名", name, 20), slug, image)
            await uow.commit()
        await self._invalidate()
        return category

    async def upsert_product(self, spec: ProductSpec) -> Product:
        """Create the product (and its spu) or, when one of that name exists in the spu, update it.

        Skus are matched by (color, size): a known one gets the new price and stock, a new one is added.
        """
        async with self.uow() as uow:
            product = await self._upsert(uow.catalog, spec)
            await uow.commit()
        await self._invalidate()
        await self._resync(product)
        return product

    async def _resync(self, *products: Product) -> None:
        await sync_quietly(self.gate, {sku.id: sku.stock for product in products for sku in product.skus})

    async def import_products(
        self,
        specs: list[ProductSpec],
        *,
        progress: Callable[[int], None] = lambda _n: None,
        step: int = 100,
        labels: list[str] | None = None,
    ) -> int:
        """All or nothing: one transaction for the whole batch.

        A bad product names its position, or its label when given (e.g. "第 3 行", its line in a file).
        """
        written: list[Product] = []
        async with self.uow() as uow:
            for index, spec in enumerate(specs, start=1):
                try:
                    written.append(await self._upsert(uow.catalog, spec))
                except DomainError as exc:
                    where = labels[index - 1] if labels and index <= len(labels) else f"第 {index} 条商品"
                    exc.detail = f"{where} ({spec.name}): {exc.detail}"
                    exc.facts.setdefault("position", index)
                    raise
                if index % step == 0 or index == len(specs):
                    progress(step if index % step == 0 else index % step)
            await uow.commit()
        await self._invalidate()
        await self._resync(*written)
        return len(specs)

    async def _upsert(self, repo: CatalogRepository, spec: ProductSpec) -> Product:
        category = await repo.find_category(spec.category)
        if category is None:
            raise NotFound("分类", spec.category)
        if not spec.skus:
            raise ValidationFailed("商品至少需要一个规格", product=spec.name)
        spu_name = _check_text("商品系列名", spec.spu, 100)
        spu = await repo.find_spu(spu_name, category.id) or await repo.add_spu(
            spu_name, _check_text("商品详情", spec.spu_detail, 10_000, required=False), category.id
        )
        name = _check_text("商品名", spec.name, 100)
        product = await repo.find_product(name, spu.id)
        if product is None:
            product = await repo.add_product(name, spu.id, category.id, spec.on_shelf)
        else:
            product.on_shelf = spec.on_shelf
        await self._apply_skus(repo, product, spec.skus)
        await repo.save_product(product)
        return product

    async def _apply_skus(self, repo: CatalogRepository, product: Product, specs: list[SkuSpec]) -> None:
        """Skus matched by (color, size): a known one gets the new price and stock, a new one is added."""
        existing = {(s.color, s.size): s for s in product.skus}
        seen: set[tuple[str, str]] = set()
        for sku_spec in specs:
            price = Money.of(sku_spec.price)
            stock = _check_stock(sku_spec.stock)
            color = _check_text("颜色", sku_spec.color, 50, required=False)
            size = _check_text("规格", sku_spec.size, 50, required=False)
            if (color, size) in seen:  # else the second would be added as another sku with the same specs
                raise ValidationFailed("同一商品中有重复的规格（颜色和尺寸相同）", color=color, size=size)
            seen.add((color, size))
            sku = existing.get((color, size))
            if sku is None:
                sku = await repo.add_sku(product.id, NewSku(price, stock, color, size, list(sku_spec.images)))
                product.skus.append(sku)
            else:
                sku.price, sku.stock = price, stock
            if sku_spec.sales:
                sku.sales = _check_stock(sku_spec.sales)
            await repo.save_sku(sku)

    async def product(self, product_id: int) -> Product:
        """A product with its skus, on or off shelf."""
        async with self.uow() as uow:
            product = await uow.catalog.get_product(product_id)
        if product is None:
            raise NotFound("商品", product_id)
        return product

    async def update_product(
        self, product_id: int, name: str, skus: list[SkuSpec], *, on_shelf: bool = True
    ) -> Product:
        """Rename, shelve or unshelve a product and set its skus (matched by color and size; new ones added)."""
        if not skus:
            raise ValidationFailed("商品至少需要一个规格", product=name)
        async with self.uow() as uow:
            product = await uow.catalog.get_product(product_id)
            if product is None:
                raise NotFound("商品", product_id)
            product.name = _check_text("商品名", name, 100)
            namesake = await uow.catalog.find_product(product.name, product.spu_id)
            if namesake is not None and namesake.id != product.id:
                raise ValidationFailed("同一系列中已有同名商品", name=product.name, product_id=namesake.id)
            product.on_shelf = on_shelf
            await self._apply_skus(uow.catalog, product, skus)
            await uow.catalog.save_product(product)
            await uow.commit()
        await self._invalidate()
        await self._resync(product)
        return product

    async def rename_product(self, product_id: int, name: str) -> Product:
        return await self._change_product(
            product_id, lambda p: setattr(p, "name", _check_text("商品名", name, 100))
        )

    async def shelve(self, product_id: int) -> Product:
        return await self._change_product(product_id, Product.shelve)

    async def unshelve(self, product_id: int) -> Product:
        return await self._change_product(product_id, Product.unshelve)

    async def _change_product(self, product_id: int, change: object) -> Product:
        if not _possible(product_id):
            raise NotFound("商品", product_id)
        async with self.uow() as uow:
            product = await uow.catalog.get_product(product_id)
            if product is None:
                raise NotFound("商品", product_id)
            change(product)  # type: ignore[operator]
            await uow.catalog.save_product(product)
            await uow.commit()
        await self._invalidate()
        return product

    async def add_sku(self, product_id: int, spec: SkuSpec) -> Sku:
        async with self.uow() as uow:
            if not _possible(product_id) or await uow.catalog.get_product(product_id) is None:
                raise NotFound("商品", product_id)
            sku = await uow.catalog.add_sku(
                product_id,
                NewSku(
                    Money.of(spec.price),
                    _check_stock(spec.stock),
                    _check_text("颜色", spec.color, 50, required=False),
                    _check_text("规格", spec.size, 50, required=False),
                    list(spec.images),
                ),
            )
            await uow.commit()
        await self._invalidate()
        return sku

    async def set_stock(self, sku_id: int, stock: int) -> Sku:
        sku = await self._change_sku(sku_id, lambda s: s.set_stock(_check_stock(stock)))
        await sync_quietly(self.gate, {sku.id: sku.stock})
        return sku

    async def set_price(self, sku_id: int, price: str) -> Sku:
        money = Money.of(price)
        return await self._change_sku(sku_id, lambda s: setattr(s, "price", money))

    async def _change_sku(self, sku_id: int, change: object) -> Sku:
        if not _possible(sku_id):
            raise NotFound("商品规格", sku_id)
        async with self.uow() as uow:
            sku = await uow.catalog.get_sku(sku_id)
            if sku is None:
                raise NotFound("商品规格", sku_id)
            change(sku)  # type: ignore[operator]
            await uow.catalog.save_sku(sku)
            await uow.commit()
        await self._invalidate()
        return sku

    async def add_image(self, sku_id: int, data: bytes, extension: str) -> str:
        """Store an image for a sku. If the row cannot be written, the stored file is removed again."""
        return (await self.add_sku_image(sku_id, data, extension)).image

    async def add_sku_image(self, sku_id: int, data: bytes, extension: str) -> SkuImage:
        """Store an image (at most 3 MiB) and attach it to a sku; removed again if the row is not written."""
        check_image_size(data)

        async def write(uow: UnitOfWork, file_id: str) -> Written[SkuImage]:
            sku = await _sku_of(uow, sku_id)
            image = await uow.catalog.add_sku_image(sku_id, file_id)
            await _refresh_card(uow, sku.product_id)
            return Written(image)

        image = await write_with_new_file(self.blobs, self.uow, data, extension, write, self.references)
        await self._invalidate()
        return image

    async def sku_images(self, sku_id: int) -> list[SkuImage]:
        async with self.uow() as uow:
            await _sku_of(uow, sku_id)
            return await uow.catalog.list_sku_images(sku_id)

    async def replace_sku_image(self, sku_id: int, image_id: int, data: bytes, extension: str) -> SkuImage:
        """Store a new file for a sku image; the old file is deleted once the row points at the new one."""
        check_image_size(data)

        async def write(uow: UnitOfWork, file_id: str) -> Written[SkuImage]:
            image = await _sku_image_of(uow, sku_id, image_id)
            old, image.image = image.image, file_id
            await uow.catalog.save_sku_image(image)
            await _refresh_card(uow, (await _sku_of(uow, sku_id)).product_id)
            return Written(image, replaced=old)

        image = await write_with_new_file(self.blobs, self.uow, data, extension, write, self.references)
        await self._invalidate()
        return image

    async def delete_sku_image(self, sku_id: int, image_id: int) -> None:
        """Remove a sku image; its file is deleted after the row is gone."""
        async with self.uow() as uow:
            image = await _sku_image_of(uow, sku_id, image_id)
            await uow.catalog.delete_sku_image(image_id)
            await _refresh_card(uow, (await _sku_of(uow, sku_id)).product_id)
            await uow.commit()
        await self._invalidate()
        await release(self.blobs, self.references, image.image)

    async def banners(self) -> list[Banner]:
        """Every banner, active or not, in display order."""
        async with self.uow() as uow:
            return await uow.catalog.list_banners()

    async def upload_banner(
        self, name: str, data: bytes, extension: str, *, active: bool = True, position: int = 0
    ) -> Banner:
        """Store a banner image (at most 3 MiB) and add the banner; the file is removed if the row is not."""
        check_image_size(data)
        title = _check_text("轮播图名", name, 50)

        async def write(uow: UnitOfWork, file_id: str) -> Written[Banner]:
            return Written(await uow.catalog.add_banner(title, file_id, active, position))

        banner = await write_with_new_file(self.blobs, self.uow, data, extension, write, self.references)
        await self._invalidate()
        return banner

    async def replace_banner_image(self, banner_id: int, data: bytes, extension: str) -> Banner:
        """Store a new image for a banner; the old file is deleted once the banner points at the new one."""
        check_image_size(data)

        async def write(uow: UnitOfWork, file_id: str) -> Written[Banner]:
            banner = await uow.catalog.get_banner(banner_id)
            if banner is None:
                raise NotFound("轮播图", banner_id)
            old, banner.image = banner.image, file_id
            await uow.catalog.save_banner(banner)
            return Written(banner, replaced=old)

        banner = await write_with_new_file(self.blobs, self.uow, data, extension, write, self.references)
        await self._invalidate()
        return banner

    async def add_banner(self, name: str, image: str, *, active: bool = True, position: int = 0) -> Banner:
        async with self.uow() as uow:
            banner = await uow.catalog.add_banner(_check_text("轮播图名", name, 50), image, active, position)
            await uow.commit()
        await self._invalidate()
        return banner

    async def set_banner_active(self, banner_id: int, active: bool) -> Banner:
        async with self.uow() as uow:
            banner = await uow.catalog.get_banner(banner_id)
            if banner is None:
                raise NotFound("轮播图", banner_id)
            banner.active = active
            await uow.catalog.save_banner(banner)
            await uow.commit()
        await self._invalidate()
        return banner

    async def delete_banner(self, banner_id: int) -> None:
        """Delete a banner; its image file is deleted after the row is gone."""
        async with self.uow() as uow:
            banner = await uow.catalog.get_banner(banner_id)
            if banner is None:
                raise NotFound("轮播图", banner_id)
            await uow.catalog.delete_banner(banner_id)
            await uow.commit()
        await self._invalidate()
        await release(self.blobs, self.references, banner.image)


async def _sku_of(uow: UnitOfWork, sku_id: int) -> Sku:
    sku = await uow.catalog.get_sku(sku_id) if _possible(sku_id) else None
    if sku is None:
        raise NotFound("商品规格", sku_id)
    return sku


async def _sku_image_of(uow: UnitOfWork, sku_id: int, image_id: int) -> SkuImage:
    image = await uow.catalog.get_sku_image(image_id)
    if image is None or image.sku_id != sku_id:
        raise NotFound("商品图片", image_id)
    return image


async def _refresh_card(uow: UnitOfWork, product_id: int) -> None:
    """Saving the product recomputes its card (first sku's first image) and marks it updated."""
    product = await uow.catalog.get_product(product_id)
    if product is not None:
        await uow.catalog.save_product(product)
