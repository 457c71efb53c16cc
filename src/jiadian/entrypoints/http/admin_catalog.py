"""The operator's catalogue over HTTP: products and skus, stock and prices, shelf state, images, banners.

Operators only: anonymous 401 `not_authenticated`, a shopper 403 `forbidden`. Images are uploaded
as multipart field `image`, at most 3 MiB (413 `payload_too_large`), recognised by content (400
otherwise); a blob store that does not answer is 503 `storage_unavailable`, and then nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from litestar import Controller, delete, get, post, put
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency, Provide
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, JSONBody, Parameter
from msgspec import Meta
from pydantic import BaseModel, Field

from jiadian.adapters.images import sniff_image
from jiadian.application.catalog_admin import CatalogAdmin, ProductSpec, SkuSpec
from jiadian.application.files import check_image_size
from jiadian.domain.catalog import MAX_STOCK, Banner, Product, Sku, SkuImage
from jiadian.entrypoints.http.auth import AuthUser, current_admin
from jiadian.entrypoints.http.schemas import Amount

# --- bodies ---------------------------------------------------------------------------------

Price = Annotated[
    str, Field(pattern=r"^\d{1,9}(\.\d{1,2})?$", examples=["8888.00"], description="CNY, at most 2 places")
]
Stock = Annotated[int, Field(ge=0, le=MAX_STOCK)]
MAX_POSITION = 1_000_000


class SkuIn(BaseModel):
    price: Price
    stock: Stock
    color: Annotated[str, Field(max_length=50)] = ""
    size: Annotated[str, Field(max_length=50)] = ""

    def spec(self) -> SkuSpec:
        return SkuSpec(price=self.price, stock=self.stock, color=self.color, size=self.size)


class ProductIn(BaseModel):
    """A product with its skus. A product of that name in that spu is updated, else one is created."""

    category: Annotated[str, Field(max_length=32, description="category slug")]
    spu: Annotated[str, Field(max_length=100, description="product line; created when new")]
    name: Annotated[str, Field(max_length=100)]
    spu_detail: Annotated[str, Field(max_length=10_000)] = ""
    on_shelf: bool = True
    skus: Annotated[list[SkuIn], Field(min_length=1, max_length=100)]


class ProductUpdate(BaseModel):
    """A product's name, shelf state and skus (matched by color and size; new ones are added)."""

    name: Annotated[str, Field(max_length=100)]
    on_shelf: bool = True
    skus: Annotated[list[SkuIn], Field(min_length=1, max_length=100)]


class StockIn(BaseModel):
    stock: Stock


class PriceIn(BaseModel):
    price: Price


@dataclass
class ImageUpload:
    image: UploadFile


@dataclass
class BannerUpload:
    name: str
    image: UploadFile
    active: bool = True
    # msgspec enforces the bounds on a multipart dataclass, Parameter documents them.
    position: Annotated[int, Meta(ge=0, le=MAX_POSITION), Parameter(ge=0, le=MAX_POSITION)] = 0


Multipart = Body(media_type=RequestEncodingType.MULTI_PART)

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


class AdminImage(BaseModel):
    id: int
    sku_id: int
    file_id: str
    url: str

    @classmethod
    def of(cls, image: SkuImage, admin: CatalogAdmin) -> AdminImage:
        return cls(id=image.id, sku_id=image.sku_id, file_id=image.image, url=admin.url(image.image))


class AdminBanner(BaseModel):
    id: int
    name: str
    file_id: str
    image_url: str
    active: bool
    position: int

    @classmethod
    def of(cls, banner: Banner, admin: CatalogAdmin) -> AdminBanner:
        return cls(
            id=banner.id,
            name=banner.name,
            file_id=banner.image,
            image_url=admin.url(banner.image),
            active=banner.active,
            position=banner.position,
        )


async def read_image(upload: UploadFile) -> tuple[bytes, str]:
    """The upload's bytes and extension: 413 over 3 MiB, 400 when it is not an image."""
    data = await upload.read()
    check_image_size(data)
    return data, sniff_image(data)


class AdminCatalogController(Controller):
    path = "/api/admin/catalog"
    tags = ["operator: catalogue"]
    dependencies = {"admin": Provide(current_admin)}

    # --- products and skus ------------------------------------------------------------------

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
        return AdminProduct.of(await catalog_admin.upsert_product(spec))

    @get("/products/{product_id:int}", summary="A product with its skus, on or off shelf")
    async def product(
        self,
        admin: NamedDependency[AuthUser],
        catalog_admin: NamedDependency[CatalogAdmin],
        product_id: FromPath[int],
    ) -> AdminProduct:
        return AdminProduct.of(await catalog_admin.product(product_id))

    @put("/products/{product_id:int}", summary="Rename, (un)shelve a product and set its skus")
    async def update_product(
        self,
        admin: NamedDependency[AuthUser],
        catalog_admin: NamedDependency[CatalogAdmin],
        product_id: FromPath[int],
        data: JSONBody[ProductUpdate],
    ) -> AdminProduct:
        product = await catalog_admin.update_product(
            product_id, data.name, [s.spec() for s in data.skus], on_shelf=data.on_shelf
        )
        return AdminProduct.of(product)

    @post("/products/{product_id:int}/shelve", status_code=200, summary="Put a product on shelf")
    async def shelve(
        self,
        admin: NamedDependency[AuthUser],
        catalog_admin: NamedDependency[CatalogAdmin],
        product_id: FromPath[int],
    ) -> AdminProduct:
        return AdminProduct.of(await catalog_admin.shelve(product_id))

    @post("/products/{product_id:int}/unshelve", status_code=200, summary="Take a product off shelf")
    async def unshelve(
        self,
        admin: NamedDependency[AuthUser],
        catalog_admin: NamedDependency[CatalogAdmin],
        product_id: FromPath[int],
    ) -> AdminProduct:
        return AdminProduct.of(await catalog_admin.unshelve(product_id))

    @put("/skus/{sku_id:int}/stock", summary="Set a sku's stock")
    async def set_stock(
        self,
        admin: NamedDependency[AuthUser],
        catalog_admin: NamedDependency[CatalogAdmin],
        sku_id: FromPath[int],
        data: JSONBody[StockIn],
    ) -> AdminSku:
        return AdminSku.of(await catalog_admin.set_stock(sku_id, data.stock))

    @put("/skus/{sku_id:int}/price", summary="Set a sku's price")
    async def set_price(
        self,
        admin: NamedDependency[AuthUser],
        catalog_admin: NamedDependency[CatalogAdmin],
        sku_id: FromPath[int],
        data: JSONBody[PriceIn],
    ) -> AdminSku:
        return AdminSku.of(await catalog_admin.set_price(sku_id, data.price))

    # --- sku images -------------------------------------------------------------------------

    @get("/skus/{sku_id:int}/images", summary="A sku's images, the one cards show first")
    async def sku_images(
        self,
        admin: NamedDependency[AuthUser],
        catalog_admin: NamedDependency[CatalogAdmin],
        sku_id: FromPath[int],
    ) -> list[AdminImage]:
        return [AdminImage.of(i, catalog_admin) for i in await catalog_admin.sku_images(sku_id)]

    @post("/skus/{sku_id:int}/images", summary="Add an image to a sku (multipart field `image`, ≤ 3 MiB)")
    async def add_sku_image(
        self,
        admin: NamedDependency[AuthUser],
        catalog_admin: NamedDependency[CatalogAdmin],
        sku_id: FromPath[int],
        data: Annotated[ImageUpload, Multipart],
    ) -> AdminImage:
        content, extension = await read_image(data.image)
        return AdminImage.of(await catalog_admin.add_sku_image(sku_id, content, extension), catalog_admin)

    @put("/skus/{sku_id:int}/images/{image_id:int}", summary="Replace a sku image's file (multipart `image`)")
    async def replace_sku_image(
        self,
        admin: NamedDependency[AuthUser],
        catalog_admin: NamedDependency[CatalogAdmin],
        sku_id: FromPath[int],
        image_id: FromPath[int],
        data: Annotated[ImageUpload, Multipart],
    ) -> AdminImage:
        content, extension = await read_image(data.image)
        image = await catalog_admin.replace_sku_image(sku_id, image_id, content, extension)
        return AdminImage.of(image, catalog_admin)

    @delete("/skus/{sku_id:int}/images/{image_id:int}", summary="Remove a sku image (and its file)")
    async def delete_sku_image(
        self,
        admin: NamedDependency[AuthUser],
        catalog_admin: NamedDependency[CatalogAdmin],
        sku_id: FromPath[int],
        image_id: FromPath[int],
    ) -> None:
        await catalog_admin.delete_sku_image(sku_id, image_id)

    # --- banners ----------------------------------------------------------------------------

    @get("/banners", summary="Every banner, active or not, in display order")
    async def banners(
        self,
        admin: NamedDependency[AuthUser],
        catalog_admin: NamedDependency[CatalogAdmin],
    ) -> list[AdminBanner]:
        return [AdminBanner.of(b, catalog_admin) for b in await catalog_admin.banners()]

    @post("/banners", summary="Add a banner (multipart: `name`, `image` ≤ 3 MiB, `active`, `position`)")
    async def add_banner(
        self,
        admin: NamedDependency[AuthUser],
        catalog_admin: NamedDependency[CatalogAdmin],
        data: Annotated[BannerUpload, Multipart],
    ) -> AdminBanner:
        content, extension = await read_image(data.image)
        banner = await catalog_admin.upload_banner(
            data.name, content, extension, active=data.active, position=data.position
        )
        return AdminBanner.of(banner, catalog_admin)

    @put("/banners/{banner_id:int}/image", summary="Replace a banner's image (multipart `image`)")
    async def replace_banner_image(
        self,
        admin: NamedDependency[AuthUser],
        catalog_admin: NamedDependency[CatalogAdmin],
        banner_id: FromPath[int],
        data: Annotated[ImageUpload, Multipart],
    ) -> AdminBanner:
        content, extension = await read_image(data.image)
        return AdminBanner.of(
            await catalog_admin.replace_banner_image(banner_id, content, extension), catalog_admin
        )

    @post("/banners/{banner_id:int}/activate", status_code=200, summary="Show a banner on the home page")
    async def activate_banner(
        self,
        admin: NamedDependency[AuthUser],
        catalog_admin: NamedDependency[CatalogAdmin],
        banner_id: FromPath[int],
    ) -> AdminBanner:
        return AdminBanner.of(await catalog_admin.set_banner_active(banner_id, True), catalog_admin)

    @post("/banners/{banner_id:int}/deactivate", status_code=200, summary="Hide a banner")
    async def deactivate_banner(
        self,
        admin: NamedDependency[AuthUser],
        catalog_admin: NamedDependency[CatalogAdmin],
        banner_id: FromPath[int],
    ) -> AdminBanner:
        return AdminBanner.of(await catalog_admin.set_banner_active(banner_id, False), catalog_admin)

    @delete("/banners/{banner_id:int}", summary="Delete a banner (and its image file)")
    async def delete_banner(
        self,
        admin: NamedDependency[AuthUser],
        catalog_admin: NamedDependency[CatalogAdmin],
        banner_id: FromPath[int],
    ) -> None:
        await catalog_admin.delete_banner(banner_id)
