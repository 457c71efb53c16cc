"""The operator's catalogue over HTTP: categories, spus, products and skus — lists, the product sheet,
creation and edits, stock and prices, shelf state. Images and banners: `admin_images.py`.

Operators only: anonymous 401 `not_authenticated`, a shopper 403 `forbidden`. Every change is written
to the audit log as the signed-in operator.
"""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, post, put
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody, Parameter
from pydantic import BaseModel, Field

from jiadian.application.catalog_admin import CatalogAdmin, ProductSpec, SkuSpec
from jiadian.application.console import Console
from jiadian.application.ports import BlobStore
from jiadian.domain.catalog import MAX_STOCK, Product, Sku
from jiadian.entrypoints.http import console_schemas as cs
from jiadian.entrypoints.http import schemas as s
from jiadian.entrypoints.http.auth import AuthUser, current_admin
from jiadian.entrypoints.http.catalog import PageParam, parse_page
from jiadian.entrypoints.http.schemas import Amount

# --- bodies ---------------------------------------------------------------------------------

Price = Annotated[
    str, Field(pattern=r"^\d{1,9}(\.\d{1,2})?$", examples=["8888.00"], description="CNY, at most 2 places")
]
Stock = Annotated[int, Field(ge=0, le=MAX_STOCK)]
PageSize = Annotated[int, Parameter(description="items per page (1..50)")]


class SkuIn(BaseModel):
    price: Price
    stock: Stock
    color: Annotated[str, Field(max_length=50)] = ""
    size: Annotated[str, Field(max_length=50)] = ""

    def spec(self) -> SkuSpec:
        return SkuSpec(price=self.price, stock=self.stock, color=self.color, size=self.size)


class ProductIn(BaseModel):
    """A product with its skus. A product of that name in that spu is updated, else one is created —
    unless `must_be_new`, which refuses it (400 `product_exists`)."""

    category: Annotated[str, Field(max_length=32, description="category slug")]
    spu: Annotated[str, Field(max_length=100, description="product line; created when new")]
    name: Annotated[str, Field(max_length=100)]
    spu_detail: Annotated[str, Field(max_length=10_000)] = ""
    on_shelf: bool = True
    skus: Annotated[list[SkuIn], Field(min_length=1, max_length=100)]
    must_be_new: Annotated[bool, Field(description="refuse a name the spu already has")] = False


class ProductUpdate(BaseModel):
    """A product's name, shelf state and skus (matched by color and size; new ones are added); and, when
    given, its category (slug), spu (name; created when new) or the spu's detail (its products share it)."""

    name: Annotated[str, Field(max_length=100)]
    on_shelf: bool = True
    skus: Annotated[list[SkuIn], Field(min_length=1, max_length=100)]
    category: Annotated[str | None, Field(max_length=32)] = None
    spu: Annotated[str | None, Field(max_length=100)] = None
    spu_detail: Annotated[str | None, Field(max_length=10_000)] = None


class StockIn(BaseModel):
    stock: Stock


class PriceIn(BaseModel):
    price: Price


# --- answers --------------------------------------------------------------------------------


class AdminSku(BaseModel):
    id: int
    product_id: int
    price: Amount
    stock: int
    sales: int
    color: str
    size: str

    @classmethod
    def of(cls, sku: Sku) -> AdminSku:
        return cls(
            id=sku.id,
            product_id=sku.product_id,
            price=str(sku.price),
            stock=sku.stock,
            sales=sku.sales,
            color=sku.color,
            size=sku.size,
        )


class AdminProduct(BaseModel):
    id: int
    name: str
    spu_id: int
    category_id: int
    on_shelf: bool
    skus: list[AdminSku]

    @classmethod
    def of(cls, product: Product) -> AdminProduct:
        return cls(
            id=product.id,
            name=product.name,
            spu_id=product.spu_id,
            category_id=product.category_id,
            on_shelf=product.on_shelf,
            skus=[AdminSku.of(s) for s in product.skus],
        )


class AdminCatalogController(Controller):
    path = "/api/admin/catalog"
    tags = ["operator: catalogue"]
    dependencies = {"admin": Provide(current_admin)}

    # --- categories and spus ----------------------------------------------------------------

    @get("/categories", summary="Every category, with its number of products (and of those on shelf)")
    async def categories(
        self,
        admin: NamedDependency[AuthUser],
        console: NamedDependency[Console],
        blobs: NamedDependency[BlobStore],
    ) -> list[cs.AdminCategoryOut]:
        return [cs.AdminCategoryOut.of(row, blobs) for row in await console.categories()]

    @post("/categories", summary="Add a category (its slug: lowercase letters, digits, hyphens)")
    async def add_category(
        self,
        admin: NamedDependency[AuthUser],
        catalog_admin: NamedDependency[CatalogAdmin],
        data: JSONBody[cs.CategoryIn],
    ) -> cs.SheetCategory:
        category = await catalog_admin.add_category(data.name, data.slug, by=admin.actor)
        return cs.SheetCategory(id=category.id, name=category.name, slug=category.slug)

    @get("/spus", summary="Up to 20 spus (product lines) whose name contains `q`, of a category")
    async def spus(
        self,
        admin: NamedDependency[AuthUser],
        console: NamedDependency[Console],
        category_id: Annotated[int | None, Parameter(ge=1)] = None,
        q: Annotated[str | None, Parameter(max_length=100)] = None,
    ) -> list[cs.SpuOut]:
        return [cs.SpuOut.of(spu) for spu in await console.spus(category_id=category_id, text=q or None)]

    # --- products and skus ------------------------------------------------------------------

    @get("/products", summary="Every product, on shelf or not, newest first; by name or id, category, shelf")
    async def products(
        self,
        admin: NamedDependency[AuthUser],
        console: NamedDependency[Console],
        blobs: NamedDependency[BlobStore],
        q: Annotated[str | None, Parameter(max_length=100, description="in the name, or the id")] = None,
        category_id: Annotated[int | None, Parameter(ge=1)] = None,
        on_shelf: Annotated[bool | None, Parameter(description="on shelf (true) or off (false)")] = None,
        page: PageParam = "1",
        page_size: PageSize = 20,
    ) -> s.Page[cs.ProductRowOut]:
        result = await console.products(
            text=q or None,
            category_id=category_id,
            on_shelf=on_shelf,
            page=parse_page(page),
            page_size=page_size,
        )
        return s.Page.of(result, [cs.ProductRowOut.of(row, blobs) for row in result.items])

    @post("/products", summary="Create a product with its skus (or update the one of that name in that spu)")
    async def upsert_product(
        self,
        admin: NamedDependency[AuthUser],
        catalog_admin: NamedDependency[CatalogAdmin],
        data: JSONBody[ProductIn],
    ) -> AdminProduct:
        spec = ProductSpec(
            category=data.category,
            spu=data.spu,
            name=data.name,
            skus=[s.spec() for s in data.skus],
            spu_detail=data.spu_detail,
            on_shelf=data.on_shelf,
        )
        product = await catalog_admin.upsert_product(spec, must_be_new=data.must_be_new, by=admin.actor)
        return AdminProduct.of(product)

    @get(
        "/products/{product_id:int}",
        summary="A product with its spu, category and skus, each sku's images in order; on or off shelf",
    )
    async def product(
        self,
        admin: NamedDependency[AuthUser],
        catalog_admin: NamedDependency[CatalogAdmin],
        blobs: NamedDependency[BlobStore],
        product_id: FromPath[int],
    ) -> cs.AdminProductSheet:
        return cs.AdminProductSheet.of(await catalog_admin.sheet(product_id), blobs)

    @put(
        "/products/{product_id:int}", summary="Edit a product: name, shelf state, skus, category, spu, detail"
    )
    async def update_product(
        self,
        admin: NamedDependency[AuthUser],
        catalog_admin: NamedDependency[CatalogAdmin],
        product_id: FromPath[int],
        data: JSONBody[ProductUpdate],
    ) -> AdminProduct:
        product = await catalog_admin.update_product(
            product_id,
            data.name,
            [s.spec() for s in data.skus],
            on_shelf=data.on_shelf,
            category=data.category,
            spu=data.spu,
            spu_detail=data.spu_detail,
            by=admin.actor,
        )
        return AdminProduct.of(product)

    @post("/products/{product_id:int}/shelve", status_code=200, summary="Put a product on shelf")
    async def shelve(
        self,
        admin: NamedDependency[AuthUser],
        catalog_admin: NamedDependency[CatalogAdmin],
        product_id: FromPath[int],
    ) -> AdminProduct:
        return AdminProduct.of(await catalog_admin.shelve(product_id, by=admin.actor))

    @post("/products/{product_id:int}/unshelve", status_code=200, summary="Take a product off shelf")
    async def unshelve(
        self,
        admin: NamedDependency[AuthUser],
        catalog_admin: NamedDependency[CatalogAdmin],
        product_id: FromPath[int],
    ) -> AdminProduct:
        return AdminProduct.of(await catalog_admin.unshelve(product_id, by=admin.actor))

    @get(
        "/skus",
        summary="Skus low on stock: at most `stock_at_most` (default: the shop's threshold), least first",
    )
    async def low_stock(
        self,
        admin: NamedDependency[AuthUser],
        console: NamedDependency[Console],
        blobs: NamedDependency[BlobStore],
        stock_at_most: Annotated[int | None, Parameter(ge=0, le=MAX_STOCK)] = None,
        page: PageParam = "1",
        page_size: PageSize = 20,
    ) -> s.Page[cs.StockRowOut]:
        result = await console.low_stock(at_most=stock_at_most, page=parse_page(page), page_size=page_size)
        return s.Page.of(result, [cs.StockRowOut.of(row, blobs) for row in result.items])

    @put("/skus/{sku_id:int}/stock", summary="Set a sku's stock")
    async def set_stock(
        self,
        admin: NamedDependency[AuthUser],
        catalog_admin: NamedDependency[CatalogAdmin],
        sku_id: FromPath[int],
        data: JSONBody[StockIn],
    ) -> AdminSku:
        return AdminSku.of(await catalog_admin.set_stock(sku_id, data.stock, by=admin.actor))

    @put("/skus/{sku_id:int}/price", summary="Set a sku's price")
    async def set_price(
        self,
        admin: NamedDependency[AuthUser],
        catalog_admin: NamedDependency[CatalogAdmin],
        sku_id: FromPath[int],
        data: JSONBody[PriceIn],
    ) -> AdminSku:
        return AdminSku.of(await catalog_admin.set_price(sku_id, data.price, by=admin.actor))
