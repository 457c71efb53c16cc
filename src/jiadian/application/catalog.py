"""Catalogue use cases: what a shopper browses, and what an operator changes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from jiadian.application.catalog_ports import (
    CardRow,
    CatalogQueries,
    CatalogRepository,
    NewSku,
    ReviewRow,
)
from jiadian.application.pagination import Page, clamp_page
from jiadian.application.ports import BlobStore, Cache
from jiadian.application.unit_of_work import UnitOfWorkFactory
from jiadian.domain.catalog import (
    HOME_BANNERS,
    HOME_NAV_PER_CATEGORY,
    HOME_PRODUCTS_PER_CATEGORY,
    HOT_PRODUCTS,
    Banner,
    Category,
    Product,
    Sku,
    SortKey,
)
from jiadian.domain.errors import DomainError, NotFound, ValidationFailed
from jiadian.domain.money import Money
from jiadian.domain.reviews import ReviewSummary

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


HOME_KEY = "catalog:home"
CATEGORIES_KEY = "catalog:categories"
BANNERS_KEY = "catalog:banners"
CACHED_KEYS = (HOME_KEY, CATEGORIES_KEY, BANNERS_KEY)


def _distinct(values: list[str]) -> list[str]:
    return [v for v in dict.fromkeys(values) if v]


@dataclass(frozen=True)
class Catalog:
    """The shopper's side of the catalogue. Home, categories and banners are cached."""

    queries: CatalogQueries
    cache: Cache
    blobs: BlobStore
    cache_ttl: int = 7200
    max_page_size: int = 50

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
        cached = await self.cache.get(HOME_KEY, Home)
        if cached is not None:
            return cached
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
        await self.cache.set(HOME_KEY, home, self.cache_ttl)
        return home

    async def categories(self) -> list[CategoryView]:
        cached = await self.cache.get(CATEGORIES_KEY, list[CategoryView])
        if cached is not None:
            return cached
        views = [self._category(c) for c in await self.queries.categories()]
        await self.cache.set(CATEGORIES_KEY, views, self.cache_ttl)
        return views

    async def banners(self) -> list[BannerView]:
        cached = await self.cache.get(BANNERS_KEY, list[BannerView])
        if cached is not None:
            return cached
        views = [self._banner(b) for b in await self.queries.banners(HOME_BANNERS)]
        await self.cache.set(BANNERS_KEY, views, self.cache_ttl)
        return views

    async def list_products(
        self, category: str, sort: SortKey, page: int, page_size: int
    ) -> Page[ProductCard]:
        """Products of a category slug (or `all`); a page past the end answers the last page."""
        self._check_page_size(page_size)
        category_id: int | None = None
        if category != "all":
            found = await self.queries.category_by_slug(category)
            if found is None:
                raise NotFound("分类", category)
            category_id = found.id
        total = await self.queries.count_products(category_id)
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
        row = await self.queries.detail(product_id, HOT_PRODUCTS)
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
        return ProductDetail(
            id=row.product.id,
            name=row.product.name,
            spu=SpuView(row.spu.id, row.spu.name, row.spu.detail),
            category=row.category.slug,
            images=[url for s in skus for url in s.images],
            sizes=_distinct([s.size for s in skus]),
            colors=_distinct([s.color for s in skus]),
            skus=skus,
            hot=[self.card(c) for c in row.hot],
            reviews=row.reviews,
        )

    async def reviews(self, product_id: int, page: int, page_size: int) -> Page[ReviewView]:
        self._check_page_size(page_size)
        if not await self.queries.is_listed(product_id):
            raise NotFound("商品", product_id)
        total = await self.queries.count_reviews(product_id)
        request = clamp_page(page, page_size, total)
        rows = await self.queries.reviews(product_id, request.offset, page_size)
        return Page([_review(r) for r in rows], request.page, page_size, total)

    async def cards(self, product_ids: list[int]) -> list[ProductCard]:
        return [self.card(r) for r in await self.queries.cards(product_ids)]


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
    """Operator writes. Each commits one transaction, then drops what the cache holds."""

    uow: UnitOfWorkFactory
    cache: Cache
    blobs: BlobStore

    async def _invalidate(self) -> None:
        await self.cache.delete(*CACHED_KEYS)

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
        return product

    async def import_products(
        self, specs: list[ProductSpec], *, progress: Callable[[int], None] = lambda _n: None, step: int = 100
    ) -> int:
        """All or nothing: one transaction for the whole batch. A bad product names its position."""
        async with self.uow() as uow:
            for index, spec in enumerate(specs, start=1):
                try:
                    await self._upsert(uow.catalog, spec)
                except DomainError as exc:
                    exc.detail = f"第 {index} 条商品 ({spec.name}): {exc.detail}"
                    raise
                if index % step == 0 or index == len(specs):
                    progress(step if index % step == 0 else index % step)
            await uow.commit()
        await self._invalidate()
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
        existing = {(s.color, s.size): s for s in product.skus}
        for sku_spec in spec.skus:
            price = Money.of(sku_spec.price)
            stock = _check_stock(sku_spec.stock)
            color = _check_text("颜色", sku_spec.color, 50, required=False)
            size = _check_text("规格", sku_spec.size, 50, required=False)
            sku = existing.get((color, size))
            if sku is None:
                sku = await repo.add_sku(product.id, NewSku(price, stock, color, size, list(sku_spec.images)))
                product.skus.append(sku)
            else:
                sku.price, sku.stock = price, stock
            if sku_spec.sales:
                sku.sales = _check_stock(sku_spec.sales)
            await repo.save_sku(sku)
        await repo.save_product(product)
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
            if await uow.catalog.get_product(product_id) is None:
                raise NotFound("商品", product_id)
            sku = await uow.catalog.add_sku(
                product_id,
                NewSku(
                    Money.of(spec.price),
                    _check_stock(spec.stock),
                    _check_text("颜色", spec.color, 50, required=False),
                    _check_text("规格", spec.size, 50, required=False),
                ),
            )
            for image in spec.images:
                await uow.catalog.add_sku_image(sku.id, image)
            await uow.commit()
        await self._invalidate()
        return sku

    async def set_stock(self, sku_id: int, stock: int) -> Sku:
        return await self._change_sku(sku_id, lambda s: s.set_stock(_check_stock(stock)))

    async def set_price(self, sku_id: int, price: str) -> Sku:
        money = Money.of(price)
        return await self._change_sku(sku_id, lambda s: setattr(s, "price", money))

    async def _change_sku(self, sku_id: int, change: object) -> Sku:
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
        file_id = await self.blobs.save(data, extension)
        try:
            async with self.uow() as uow:
                if await uow.catalog.get_sku(sku_id) is None:
                    raise NotFound("商品规格", sku_id)
                await uow.catalog.add_sku_image(sku_id, file_id)
                sku = await uow.catalog.get_sku(sku_id)
                product = await uow.catalog.get_product(sku.product_id) if sku else None
                if product is not None:
                    await uow.catalog.save_product(product)
                await uow.commit()
        except BaseException:
            await self.blobs.delete(file_id)
            raise
        await self._invalidate()
        return file_id

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
        async with self.uow() as uow:
            if await uow.catalog.get_banner(banner_id) is None:
                raise NotFound("轮播图", banner_id)
            await uow.catalog.delete_banner(banner_id)
            await uow.commit()
        await self._invalidate()
