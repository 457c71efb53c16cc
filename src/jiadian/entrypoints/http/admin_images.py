"""The operator's images over HTTP: a sku's images (upload several, replace, order, delete — the first is
its card's) and the home page's banners (upload, replace, order, show or hide, delete).

Operators only. Images are uploaded as multipart field `image`, at most 3 MiB (413
`payload_too_large`), recognised by content (400 otherwise); a blob store that does not answer is 503
`storage_unavailable`, and then nothing is written. Every change is written to the audit log.
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
from pydantic import BaseModel

from jiadian.adapters.images import sniff_image
from jiadian.application.catalog_admin import CatalogAdmin
from jiadian.application.files import check_image_size
from jiadian.domain.catalog import Banner, SkuImage
from jiadian.entrypoints.http.auth import AuthUser, current_admin
from jiadian.entrypoints.http.console_schemas import IdsIn, SkuImageOut

MAX_POSITION = 1_000_000


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


def _image(image: SkuImage, admin: CatalogAdmin) -> SkuImageOut:
    return SkuImageOut.of(image, admin.url(image.image))


async def read_image(upload: UploadFile) -> tuple[bytes, str]:
    """The upload's bytes and extension: 413 over 3 MiB, 400 when it is not an image."""
    data = await upload.read()
    check_image_size(data)
    return data, sniff_image(data)


class AdminImagesController(Controller):
    path = "/api/admin/catalog"
    tags = ["operator: catalogue"]
    dependencies = {"admin": Provide(current_admin)}

    # --- sku images -------------------------------------------------------------------------

    @get("/skus/{sku_id:int}/images", summary="A sku's images, the one cards show first")
    async def sku_images(
        self,
        admin: NamedDependency[AuthUser],
        catalog_admin: NamedDependency[CatalogAdmin],
        sku_id: FromPath[int],
    ) -> list[SkuImageOut]:
        return [_image(i, catalog_admin) for i in await catalog_admin.sku_images(sku_id)]

    @post("/skus/{sku_id:int}/images", summary="Add an image to a sku (multipart field `image`, ≤ 3 MiB)")
    async def add_sku_image(
        self,
        admin: NamedDependency[AuthUser],
        catalog_admin: NamedDependency[CatalogAdmin],
        sku_id: FromPath[int],
        data: Annotated[ImageUpload, Multipart],
    ) -> SkuImageOut:
        content, extension = await read_image(data.image)
        return _image(
            await catalog_admin.add_sku_image(sku_id, content, extension, by=admin.actor), catalog_admin
        )

    @put(
        "/skus/{sku_id:int}/image-order",
        summary="Put a sku's images in this order (all of them, once each); the first becomes the card's",
    )
    async def order_sku_images(
        self,
        admin: NamedDependency[AuthUser],
        catalog_admin: NamedDependency[CatalogAdmin],
        sku_id: FromPath[int],
        data: JSONBody[IdsIn],
    ) -> list[SkuImageOut]:
        images = await catalog_admin.order_sku_images(sku_id, data.ids, by=admin.actor)
        return [_image(i, catalog_admin) for i in images]

    @put("/skus/{sku_id:int}/images/{image_id:int}", summary="Replace a sku image's file (multipart `image`)")
    async def replace_sku_image(
        self,
        admin: NamedDependency[AuthUser],
        catalog_admin: NamedDependency[CatalogAdmin],
        sku_id: FromPath[int],
        image_id: FromPath[int],
        data: Annotated[ImageUpload, Multipart],
    ) -> SkuImageOut:
        content, extension = await read_image(data.image)
        image = await catalog_admin.replace_sku_image(sku_id, image_id, content, extension, by=admin.actor)
        return _image(image, catalog_admin)

    @delete("/skus/{sku_id:int}/images/{image_id:int}", summary="Remove a sku image (and its file)")
    async def delete_sku_image(
        self,
        admin: NamedDependency[AuthUser],
        catalog_admin: NamedDependency[CatalogAdmin],
        sku_id: FromPath[int],
        image_id: FromPath[int],
    ) -> None:
        await catalog_admin.delete_sku_image(sku_id, image_id, by=admin.actor)

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
            data.name, content, extension, active=data.active, position=data.position, by=admin.actor
        )
        return AdminBanner.of(banner, catalog_admin)

    @put("/banner-order", summary="Show the banners in this order (all of them, once each)")
    async def order_banners(
        self,
        admin: NamedDependency[AuthUser],
        catalog_admin: NamedDependency[CatalogAdmin],
        data: JSONBody[IdsIn],
    ) -> list[AdminBanner]:
        banners = await catalog_admin.order_banners(data.ids, by=admin.actor)
        return [AdminBanner.of(b, catalog_admin) for b in banners]

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
            await catalog_admin.replace_banner_image(banner_id, content, extension, by=admin.actor),
            catalog_admin,
        )

    @post("/banners/{banner_id:int}/activate", status_code=200, summary="Show a banner on the home page")
    async def activate_banner(
        self,
        admin: NamedDependency[AuthUser],
        catalog_admin: NamedDependency[CatalogAdmin],
        banner_id: FromPath[int],
    ) -> AdminBanner:
        return AdminBanner.of(
            await catalog_admin.set_banner_active(banner_id, True, by=admin.actor), catalog_admin
        )

    @post("/banners/{banner_id:int}/deactivate", status_code=200, summary="Hide a banner")
    async def deactivate_banner(
        self,
        admin: NamedDependency[AuthUser],
        catalog_admin: NamedDependency[CatalogAdmin],
        banner_id: FromPath[int],
    ) -> AdminBanner:
        return AdminBanner.of(
            await catalog_admin.set_banner_active(banner_id, False, by=admin.actor), catalog_admin
        )

    @delete("/banners/{banner_id:int}", summary="Delete a banner (and its image file)")
    async def delete_banner(
        self,
        admin: NamedDependency[AuthUser],
        catalog_admin: NamedDependency[CatalogAdmin],
        banner_id: FromPath[int],
    ) -> None:
        await catalog_admin.delete_banner(banner_id, by=admin.actor)
