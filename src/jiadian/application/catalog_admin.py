"""The operator's catalogue: categories, products, skus, images and banners.

Each write commits one transaction — with the search index's entries of the products it changed — then
bumps the catalogue's generation so every cached read moves on."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from jiadian.application.audit import (
    Snapshot,
    banner_fields,
    category_fields,
    images_order,
    product_fields,
    sku_fields,
)
from jiadian.application.blob_ports import FileReferences
from jiadian.application.catalog import catalogue_changed, is_possible_id
from jiadian.application.catalog_ports import (
    CatalogRepository,
    NewSku,
)
from jiadian.application.files import Written, check_image_size, release, write_with_new_file
from jiadian.application.ports import BlobStore, Cache
from jiadian.application.stock_gate import NO_GATE, StockGate, sync_quietly
from jiadian.application.unit_of_work import UnitOfWork, UnitOfWorkFactory
from jiadian.domain.audit import SYSTEM, Actor, target
from jiadian.domain.catalog import (
    MAX_STOCK,
    Banner,
    Category,
    Product,
    Sku,
    SkuImage,
    Spu,
    check_slug,
)
from jiadian.domain.errors import DomainError, NotFound, ValidationFailed
from jiadian.domain.money import Money


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
    if not isinstance(stock, int) or isinstance(stock, bool) or not 0 <= stock <= MAX_STOCK:
        raise ValidationFailed(f"库存必须是 0 到 {MAX_STOCK} 之间的整数", stock=stock)
    return stock


def _check_text(label: str, value: str, limit: int, *, required: bool = True) -> str:
    text = value.strip()
    if required and not text:
        raise ValidationFailed(f"{label}不能为空")
    if len(text) > limit:
        raise ValidationFailed(f"{label}不能超过 {limit} 个字", length=len(text))
    return text


class ProductExists(ValidationFailed):
    """A product's name is taken in its spu (names identify products within a spu: imports update by it)."""

    code = "product_exists"
    message = "同一系列中已有同名商品"


@dataclass(frozen=True, slots=True)
class ProductSheet:
    """A product as the operator edits it: with its spu, its category and every sku's images in order."""

    product: Product
    spu: Spu
    category: Category
    images: dict[int, list[SkuImage]]  # by sku id


@dataclass(frozen=True)
class CatalogAdmin:
    """Operator writes. Each commits one transaction, then drops what the cache holds.

    Every write records what it changed in the audit log (`uow.audit`), in the same transaction, as the
    actor `by` (the shop itself when none is named: the demo catalogue, tests).

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
    near: Cache | None = None  # this process's (`Catalog.near`): its copy of the generation goes at once

    async def _invalidate(self) -> None:
        await catalogue_changed(self.cache, self.near)

    def url(self, file_id: str) -> str:
        """The public URL of a stored file ("" for none)."""
        return self.blobs.url(file_id) if file_id else ""

    async def product_count(self) -> int:
        async with self.uow() as uow:
            return await uow.catalog.count_products()

    async def add_category(self, name: str, slug: str, image: str = "", *, by: Actor = SYSTEM) -> Category:
        async with self.uow() as uow:
            if await uow.catalog.find_category(check_slug(slug)) is not None:
                raise ValidationFailed("分类已存在", slug=slug)
            category = await uow.catalog.add_category(_check_text("分类名", name, 20), slug, image)
            await uow.audit.record(
                by, "category.create", target("category", category.id), None, category_fields(category)
            )
            await uow.commit()
        await self._invalidate()
        return category

    async def rename_category(self, slug: str, name: str, *, by: Actor = SYSTEM) -> Category:
        """Rename a category; its products are indexed again (its name is part of their searchable text)."""
        async with self.uow() as uow:
            category = await uow.catalog.find_category(slug)
            if category is None:
                raise NotFound("分类", slug)
            before = category_fields(category)
            category.name = _check_text("分类名", name, 20)
            await uow.catalog.save_category(category)
            await uow.search.refresh_category(category.id)
            await uow.audit.record(
                by, "category.rename", target("category", category.id), before, category_fields(category)
            )
            await uow.commit()
        await self._invalidate()
        return category

    async def upsert_product(
        self, spec: ProductSpec, *, must_be_new: bool = False, by: Actor = SYSTEM
    ) -> Product:
        """Create the product (and its spu) or, when one of that name exists in the spu, update it —
        unless `must_be_new`, which refuses it (`product_exists`).

        Skus are matched by (color, size): a known one gets the new price and stock, a new one is added.
        """
        async with self.uow() as uow:
            product = await self._upsert(uow, spec, by, must_be_new=must_be_new)
            await uow.search.refresh([product.id])
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
        by: Actor = SYSTEM,
    ) -> int:
        """All or nothing: one transaction for the whole batch (and an audit entry per product).

        A bad product names its position, or its label when given (e.g. "第 3 行", its line in a file).
        """
        written: list[Product] = []
        async with self.uow() as uow:
            for index, spec in enumerate(specs, start=1):
                try:
                    written.append(await self._upsert(uow, spec, by))
                except DomainError as exc:
                    where = labels[index - 1] if labels and index <= len(labels) else f"第 {index} 条商品"
                    exc.detail = f"{where} ({spec.name}): {exc.detail}"
                    exc.facts.setdefault("position", index)
                    raise
                if index % step == 0 or index == len(specs):
                    progress(step if index % step == 0 else index % step)
            await uow.search.refresh([p.id for p in written])
            await uow.commit()
        await self._invalidate()
        await self._resync(*written)
        return len(specs)

    async def _upsert(
        self, uow: UnitOfWork, spec: ProductSpec, by: Actor, *, must_be_new: bool = False
    ) -> Product:
        repo = uow.catalog
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
        before: Snapshot | None = None
        if product is None:
            product = await repo.add_product(name, spu.id, category.id, spec.on_shelf)
        elif must_be_new:
            raise ProductExists(name=name, product_id=product.id)
        else:
            before = product_fields(product, spu)
            product.on_shelf = spec.on_shelf
        await self._apply_skus(repo, product, spec.skus)
        await repo.save_product(product)
        action = "product.create" if before is None else "product.update"
        await uow.audit.record(
            by, action, target("product", product.id), before, product_fields(product, spu)
        )
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
            return await _product_of(uow, product_id)

    async def sheet(self, product_id: int) -> ProductSheet:
        """A product as the operator edits it: its spu, category and skus, each sku's images in order."""
        async with self.uow() as uow:
            product = await _product_of(uow, product_id)
            spu = await uow.catalog.get_spu(product.spu_id)
            category = await uow.catalog.get_category(product.category_id)
            images = {sku.id: await uow.catalog.list_sku_images(sku.id) for sku in product.skus}
        assert spu is not None
        assert category is not None
        return ProductSheet(product, spu, category, images)

    async def update_product(
        self,
        product_id: int,
        name: str,
        skus: list[SkuSpec],
        *,
        on_shelf: bool = True,
        category: str | None = None,
        spu: str | None = None,
        spu_detail: str | None = None,
        by: Actor = SYSTEM,
    ) -> Product:
        """Rename, shelve or unshelve a product, set its skus (matched by color and size; new ones added),
        and — when given — move it to another category (by slug) or spu (by name, created when new), or
        change its spu's detail (which every product of that spu shows)."""
        if not skus:
            raise ValidationFailed("商品至少需要一个规格", product=name)
        async with self.uow() as uow:
            repo = uow.catalog
            product = await _product_of(uow, product_id)
            line = await repo.get_spu(product.spu_id)
            assert line is not None  # a foreign key
            before = product_fields(product, line)
            if category is not None or spu is not None:
                line = await self._move(repo, product, line, category, spu, spu_detail)
            siblings: list[int] = []  # products whose searchable text holds the spu's detail
            if spu_detail is not None and spu_detail.strip() != line.detail:
                line.detail = _check_text("商品详情", spu_detail, 10_000, required=False)
                await repo.save_spu(line)
                siblings = await repo.products_of_spu(line.id)
            product.name = _check_text("商品名", name, 100)
            namesake = await repo.find_product(product.name, product.spu_id)
            if namesake is not None and namesake.id != product.id:
                raise ProductExists(name=product.name, product_id=namesake.id)
            product.on_shelf = on_shelf
            await self._apply_skus(repo, product, skus)
            await repo.save_product(product)
            await uow.search.refresh(sorted({product.id, *siblings}))
            await uow.audit.record(
                by, "product.update", target("product", product.id), before, product_fields(product, line)
            )
            await uow.commit()
        await self._invalidate()
        await self._resync(product)
        return product

    async def _move(
        self,
        repo: CatalogRepository,
        product: Product,
        line: Spu,
        category: str | None,
        spu: str | None,
        spu_detail: str | None,
    ) -> Spu:
        """Put the product in the spu named `spu` of the category `category` (each: its own when None)."""
        found = await repo.find_category(category) if category is not None else None
        if category is not None and found is None:
            raise NotFound("分类", category)
        category_id = found.id if found is not None else product.category_id
        name = _check_text("商品系列名", spu, 100) if spu is not None else line.name
        if (name, category_id) == (line.name, line.category_id):
            return line
        target_spu = await repo.find_spu(name, category_id) or await repo.add_spu(
            name, _check_text("商品详情", spu_detail or "", 10_000, required=False), category_id
        )
        product.spu_id, product.category_id = target_spu.id, category_id
        return target_spu

    async def rename_product(self, product_id: int, name: str, *, by: Actor = SYSTEM) -> Product:
        checked = _check_text("商品名", name, 100)
        return await self._change_product(
            product_id, "product.rename", lambda p: setattr(p, "name", checked), by
        )

    async def shelve(self, product_id: int, *, by: Actor = SYSTEM) -> Product:
        return await self._change_product(product_id, "product.shelve", Product.shelve, by)

    async def unshelve(self, product_id: int, *, by: Actor = SYSTEM) -> Product:
        return await self._change_product(product_id, "product.unshelve", Product.unshelve, by)

    async def _change_product(
        self, product_id: int, action: str, change: Callable[[Product], None], by: Actor
    ) -> Product:
        async with self.uow() as uow:
            product = await _product_of(uow, product_id)
            before = product_fields(product)
            change(product)
            await uow.catalog.save_product(product)
            await uow.search.refresh([product.id])
            await uow.audit.record(by, action, target("product", product.id), before, product_fields(product))
            await uow.commit()
        await self._invalidate()
        return product

    async def add_sku(self, product_id: int, spec: SkuSpec, *, by: Actor = SYSTEM) -> Sku:
        async with self.uow() as uow:
            await _product_of(uow, product_id)
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
            await uow.search.refresh([product_id])
            await uow.audit.record(by, "sku.create", target("sku", sku.id), None, sku_fields(sku))
            await uow.commit()
        await self._invalidate()
        return sku

    async def set_stock(self, sku_id: int, stock: int, *, by: Actor = SYSTEM) -> Sku:
        sku = await self._change_sku(sku_id, "sku.stock", lambda s: s.set_stock(_check_stock(stock)), by)
        await sync_quietly(self.gate, {sku.id: sku.stock})
        return sku

    async def set_price(self, sku_id: int, price: str, *, by: Actor = SYSTEM) -> Sku:
        money = Money.of(price)
        return await self._change_sku(sku_id, "sku.price", lambda s: setattr(s, "price", money), by)

    async def _change_sku(self, sku_id: int, action: str, change: Callable[[Sku], None], by: Actor) -> Sku:
        async with self.uow() as uow:
            sku = await _sku_of(uow, sku_id)
            before = sku_fields(sku)
            change(sku)
            await uow.catalog.save_sku(sku)
            await uow.audit.record(by, action, target("sku", sku.id), before, sku_fields(sku))
            await uow.commit()
        await self._invalidate()
        return sku

    # --- sku images -------------------------------------------------------------------------

    async def add_image(self, sku_id: int, data: bytes, extension: str, *, by: Actor = SYSTEM) -> str:
        """Store an image for a sku. If the row cannot be written, the stored file is removed again."""
        return (await self.add_sku_image(sku_id, data, extension, by=by)).image

    async def add_sku_image(
        self, sku_id: int, data: bytes, extension: str, *, by: Actor = SYSTEM
    ) -> SkuImage:
        """Store an image (at most 3 MiB) and attach it to a sku, after its other images; removed again if
        the row is not written."""
        check_image_size(data)

        async def write(uow: UnitOfWork, file_id: str) -> Written[SkuImage]:
            sku = await _sku_of(uow, sku_id)
            image = await uow.catalog.add_sku_image(sku_id, file_id)
            await _refresh_card(uow, sku.product_id)
            await uow.audit.record(by, "sku_image.add", target("sku", sku_id), None, _image_entry(image))
            return Written(image)

        image = await write_with_new_file(self.blobs, self.uow, data, extension, write, self.references)
        await self._invalidate()
        return image

    async def sku_images(self, sku_id: int) -> list[SkuImage]:
        async with self.uow() as uow:
            await _sku_of(uow, sku_id)
            return await uow.catalog.list_sku_images(sku_id)

    async def replace_sku_image(
        self, sku_id: int, image_id: int, data: bytes, extension: str, *, by: Actor = SYSTEM
    ) -> SkuImage:
        """Store a new file for a sku image; the old file is deleted once the row points at the new one."""
        check_image_size(data)

        async def write(uow: UnitOfWork, file_id: str) -> Written[SkuImage]:
            image = await _sku_image_of(uow, sku_id, image_id)
            before = _image_entry(image)
            old, image.image = image.image, file_id
            await uow.catalog.save_sku_image(image)
            await _refresh_card(uow, (await _sku_of(uow, sku_id)).product_id)
            await uow.audit.record(
                by, "sku_image.replace", target("sku", sku_id), before, _image_entry(image)
            )
            return Written(image, replaced=old)

        image = await write_with_new_file(self.blobs, self.uow, data, extension, write, self.references)
        await self._invalidate()
        return image

    async def delete_sku_image(self, sku_id: int, image_id: int, *, by: Actor = SYSTEM) -> None:
        """Remove a sku image; its file is deleted after the row is gone."""
        async with self.uow() as uow:
            image = await _sku_image_of(uow, sku_id, image_id)
            await uow.catalog.delete_sku_image(image_id)
            await _refresh_card(uow, (await _sku_of(uow, sku_id)).product_id)
            await uow.audit.record(by, "sku_image.delete", target("sku", sku_id), _image_entry(image), None)
            await uow.commit()
        await self._invalidate()
        await release(self.blobs, self.references, image.image)

    async def order_sku_images(
        self, sku_id: int, image_ids: list[int], *, by: Actor = SYSTEM
    ) -> list[SkuImage]:
        """Put a sku's images in this order (every one of its images, once); the first becomes the one its
        card shows."""
        async with self.uow() as uow:
            sku = await _sku_of(uow, sku_id)
            images = await uow.catalog.list_sku_images(sku_id)
            by_id = {image.id: image for image in images}
            if sorted(image_ids) != sorted(by_id):
                raise ValidationFailed("须按新顺序列出该规格的每一张图片，且每张一次", image_ids=image_ids)
            ordered = [by_id[image_id] for image_id in image_ids]
            for position, image in enumerate(ordered):
                if image.position != position:
                    image.position = position
                    await uow.catalog.save_sku_image(image)
            await _refresh_card(uow, sku.product_id)
            await uow.audit.record(
                by, "sku_image.order", target("sku", sku_id), images_order(images), images_order(ordered)
            )
            await uow.commit()
        await self._invalidate()
        return ordered

    # --- banners ----------------------------------------------------------------------------

    async def banners(self) -> list[Banner]:
        """Every banner, active or not, in display order."""
        async with self.uow() as uow:
            return await uow.catalog.list_banners()

    async def upload_banner(
        self,
        name: str,
        data: bytes,
        extension: str,
        *,
        active: bool = True,
        position: int = 0,
        by: Actor = SYSTEM,
    ) -> Banner:
        """Store a banner image (at most 3 MiB) and add the banner; the file is removed if the row is not."""
        check_image_size(data)
        title = _check_text("轮播图名", name, 50)

        async def write(uow: UnitOfWork, file_id: str) -> Written[Banner]:
            banner = await uow.catalog.add_banner(title, file_id, active, position)
            await uow.audit.record(
                by, "banner.create", target("banner", banner.id), None, banner_fields(banner)
            )
            return Written(banner)

        banner = await write_with_new_file(self.blobs, self.uow, data, extension, write, self.references)
        await self._invalidate()
        return banner

    async def replace_banner_image(
        self, banner_id: int, data: bytes, extension: str, *, by: Actor = SYSTEM
    ) -> Banner:
        """Store a new image for a banner; the old file is deleted once the banner points at the new one."""
        check_image_size(data)

        async def write(uow: UnitOfWork, file_id: str) -> Written[Banner]:
            banner = await _banner_of(uow, banner_id)
            before = banner_fields(banner)
            old, banner.image = banner.image, file_id
            await uow.catalog.save_banner(banner)
            await uow.audit.record(
                by, "banner.image", target("banner", banner.id), before, banner_fields(banner)
            )
            return Written(banner, replaced=old)

        banner = await write_with_new_file(self.blobs, self.uow, data, extension, write, self.references)
        await self._invalidate()
        return banner

    async def add_banner(
        self, name: str, image: str, *, active: bool = True, position: int = 0, by: Actor = SYSTEM
    ) -> Banner:
        async with self.uow() as uow:
            banner = await uow.catalog.add_banner(_check_text("轮播图名", name, 50), image, active, position)
            await uow.audit.record(
                by, "banner.create", target("banner", banner.id), None, banner_fields(banner)
            )
            await uow.commit()
        await self._invalidate()
        return banner

    async def set_banner_active(self, banner_id: int, active: bool, *, by: Actor = SYSTEM) -> Banner:
        async with self.uow() as uow:
            banner = await _banner_of(uow, banner_id)
            before = banner_fields(banner)
            banner.active = active
            await uow.catalog.save_banner(banner)
            action = "banner.activate" if active else "banner.deactivate"
            await uow.audit.record(by, action, target("banner", banner.id), before, banner_fields(banner))
            await uow.commit()
        await self._invalidate()
        return banner

    async def order_banners(self, banner_ids: list[int], *, by: Actor = SYSTEM) -> list[Banner]:
        """Show the banners in this order (every banner, once): their positions become 0, 1, 2 …"""
        async with self.uow() as uow:
            banners = {banner.id: banner for banner in await uow.catalog.list_banners()}
            if sorted(banner_ids) != sorted(banners):
                raise ValidationFailed("须按新顺序列出每一张轮播图，且每张一次", banner_ids=banner_ids)
            ordered = [banners[banner_id] for banner_id in banner_ids]
            for position, banner in enumerate(ordered):
                if banner.position != position:
                    before = banner_fields(banner)
                    banner.position = position
                    await uow.catalog.save_banner(banner)
                    await uow.audit.record(
                        by, "banner.order", target("banner", banner.id), before, banner_fields(banner)
                    )
            await uow.commit()
        await self._invalidate()
        return ordered

    async def delete_banner(self, banner_id: int, *, by: Actor = SYSTEM) -> None:
        """Delete a banner; its image file is deleted after the row is gone."""
        async with self.uow() as uow:
            banner = await _banner_of(uow, banner_id)
            await uow.catalog.delete_banner(banner_id)
            await uow.audit.record(
                by, "banner.delete", target("banner", banner.id), banner_fields(banner), None
            )
            await uow.commit()
        await self._invalidate()
        await release(self.blobs, self.references, banner.image)


def _image_entry(image: SkuImage) -> Snapshot:
    """A sku image as the log keeps it under its sku: its file, by the image's id."""
    return {f"images.{image.id}": image.image}


async def _product_of(uow: UnitOfWork, product_id: int) -> Product:
    product = await uow.catalog.get_product(product_id) if is_possible_id(product_id) else None
    if product is None:
        raise NotFound("商品", product_id)
    return product


async def _sku_of(uow: UnitOfWork, sku_id: int) -> Sku:
    sku = await uow.catalog.get_sku(sku_id) if is_possible_id(sku_id) else None
    if sku is None:
        raise NotFound("商品规格", sku_id)
    return sku


async def _sku_image_of(uow: UnitOfWork, sku_id: int, image_id: int) -> SkuImage:
    image = await uow.catalog.get_sku_image(image_id) if is_possible_id(image_id) else None
    if image is None or image.sku_id != sku_id:
        raise NotFound("商品图片", image_id)
    return image


async def _banner_of(uow: UnitOfWork, banner_id: int) -> Banner:
    banner = await uow.catalog.get_banner(banner_id) if is_possible_id(banner_id) else None
    if banner is None:
        raise NotFound("轮播图", banner_id)
    return banner


async def _refresh_card(uow: UnitOfWork, product_id: int) -> None:
    """Saving the product recomputes its card (first sku's first image) and marks it updated."""
    product = await uow.catalog.get_product(product_id)
    if product is not None:
        await uow.catalog.save_product(product)
