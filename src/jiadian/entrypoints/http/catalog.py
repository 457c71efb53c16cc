"""Catalogue endpoints (anonymous)."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Response, get
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, Parameter

from jiadian.application.cart import ViewingHistory
from jiadian.application.catalog import Catalog
from jiadian.application.search import Search
from jiadian.domain.catalog import SortKey
from jiadian.entrypoints.http import schemas as s
from jiadian.entrypoints.http.auth import AuthUser, viewer
from jiadian.entrypoints.http.errors import error_responses
from jiadian.entrypoints.http.response_cache import ResponseCache

PageParam = Annotated[
    str,
    Parameter(
        description="1-based; past the end answers the last page; not a number answers the first",
        max_length=20,
    ),
]
PageSizeParam = Annotated[int, Parameter(description="items per page (1..50)")]
QueryParam = Annotated[str, Parameter(max_length=100, description="what the shopper typed")]


def parse_page(raw: str) -> int:
    """The original shop's leniency: anything that is not a positive number means the first page."""
    try:
        return max(int(raw), 1)
    except ValueError:
        return 1


class CatalogController(Controller):
    path = "/api/catalog"
    tags = ["catalogue"]

    @get("/home", summary="Home page: categories with their nav line and newest products, and banners")
    async def home(
        self, catalog: NamedDependency[Catalog], responses: NamedDependency[ResponseCache]
    ) -> Response[s.Home]:
        async def render() -> s.Home:
            return s.Home.of(await catalog.home())

        return await responses.respond(catalog, ("home",), render)

    @get("/categories", summary="Every category")
    async def categories(
        self, catalog: NamedDependency[Catalog], responses: NamedDependency[ResponseCache]
    ) -> Response[list[s.Category]]:
        async def render() -> list[s.Category]:
            return [
                s.Category(id=v.id, name=v.name, slug=v.slug, image_url=v.image_url)
                for v in await catalog.categories()
            ]

        return await responses.respond(catalog, ("categories",), render)

    @get("/banners", summary="Up to 4 active banners")
    async def banners(
        self, catalog: NamedDependency[Catalog], responses: NamedDependency[ResponseCache]
    ) -> Response[list[s.Banner]]:
        async def render() -> list[s.Banner]:
            return [s.Banner(name=b.name, image_url=b.image_url) for b in await catalog.banners()]

        return await responses.respond(catalog, ("banners",), render)

    @get(
        "/products",
        summary="Products of a category (or all), sorted and paginated",
        responses=error_responses(400, 404),
    )
    async def products(
        self,
        catalog: NamedDependency[Catalog],
        responses: NamedDependency[ResponseCache],
        page: PageParam = "1",
        page_size: PageSizeParam = 8,
        category: Annotated[str, Parameter(max_length=32, description="category slug or `all`")] = "all",
        sort: Annotated[SortKey, Parameter(description="price is the lowest sku price")] = SortKey.DATE_DESC,
    ) -> Response[s.Page[s.ProductCard]]:
        number = parse_page(page)

        async def render() -> s.Page[s.ProductCard]:
            result = await catalog.list_products(category, sort, number, page_size)
            return s.Page.of(result, [s.ProductCard.of(c) for c in result.items])

        return await responses.respond(catalog, ("products", category, sort.value, number, page_size), render)

    @get(
        "/search",
        summary="Products holding every word of q, best match first (or in a list order)",
        description=(
            "q is split into words (Chinese by word segmentation; Latin words and numbers case- and "
            "width-folded) and a product matches when its name, product line, detail, category or specs "
            "hold every word (brand aliases count: huawei finds 华为). Best match first: words in the "
            "name before the product line before the rest, then best sellers. Punctuation, `%` and `_` "
            "are no words: a query of them alone finds nothing. Empty or over 100 characters: 400."
        ),
        responses=error_responses(400),
    )
    async def search(
        self,
        catalog: NamedDependency[Catalog],
        search: NamedDependency[Search],
        responses: NamedDependency[ResponseCache],
        page: PageParam = "1",
        page_size: PageSizeParam = 8,
        q: QueryParam = "",
        sort: Annotated[
            SortKey | None, Parameter(description="a list order instead of best match first")
        ] = None,
    ) -> Response[s.Page[s.ProductCard]]:
        number = parse_page(page)

        async def render() -> s.Page[s.ProductCard]:
            result = await search.products(q, number, page_size, sort)
            return s.Page.of(result, [s.ProductCard.of(c) for c in result.items])

        key = ("search", number, page_size, sort or "", q.strip().lower())
        return await responses.respond(catalog, key, render)

    @get(
        "/search/suggest",
        summary="Names to offer while q is typed: product lines, then products (at most 8)",
        description=(
            "The product lines (kind `line`: search their name) and products (kind `product`: open "
            "`product_id`) of the best matches of q. A Latin word at the end of q with no space after it "
            "is taken as still being typed (`mac` offers MacBook). Empty or over 100 characters: 400."
        ),
        responses=error_responses(400),
    )
    async def suggest(
        self,
        catalog: NamedDependency[Catalog],
        search: NamedDependency[Search],
        responses: NamedDependency[ResponseCache],
        q: QueryParam = "",
    ) -> Response[s.Suggestions]:
        async def render() -> s.Suggestions:
            return s.Suggestions.of(q, await search.suggest(q))

        return await responses.respond(catalog, ("suggest", q.lower()), render)

    @get(
        "/products/{product_id:int}",
        summary="A product's page; off shelf or unknown answers 404. A signed-in viewer's history records it",
        dependencies={"viewer": Provide(viewer)},
        responses=error_responses(400, 404),
    )
    async def detail(
        self,
        catalog: NamedDependency[Catalog],
        product_id: FromPath[int],
        viewer: NamedDependency[AuthUser | None],
        viewing_history: NamedDependency[ViewingHistory],
    ) -> s.ProductDetail:
        detail = await catalog.detail(product_id)
        await viewing_history.record(viewer.id if viewer else None, product_id)
        return s.ProductDetail.of(detail)

    @get(
        "/products/{product_id:int}/reviews",
        summary="Reviews of a product, newest first",
        responses=error_responses(400, 404),
    )
    async def reviews(
        self,
        catalog: NamedDependency[Catalog],
        product_id: FromPath[int],
        page: PageParam = "1",
        page_size: PageSizeParam = 8,
    ) -> s.Page[s.Review]:
        result = await catalog.reviews(product_id, parse_page(page), page_size)
        return s.Page.of(result, [s.Review.of(r) for r in result.items])
