"""Products for the cart's tests, made through the operator's use cases (on any backend)."""

from __future__ import annotations

import contextlib
import itertools

from jiadian.application.catalog_admin import CatalogAdmin, ProductSpec, SkuSpec
from jiadian.domain.catalog import Product
from jiadian.domain.errors import ValidationFailed

_names = itertools.count(1)


async def given_product(
    admin: CatalogAdmin,
    *skus: tuple[str, int],
    on_shelf: bool = True,
    images: list[str] | None = None,
) -> Product:
    """A product with skus (price, stock) — by default one at 100.00 with 10 in stock."""
    with contextlib.suppress(ValidationFailed):  # already there
        await admin.add_category("智能设备", "intelligence")
    number = next(_names)
    specs = [
        SkuSpec(price, stock, color=f"颜色{i}", size=f"规格{i}", images=list(images or []) if i == 0 else [])
        for i, (price, stock) in enumerate(skus or [("100.00", 10)])
    ]
    return await admin.upsert_product(
        ProductSpec("intelligence", f"系列{number}", f"商品{number}", specs, on_shelf=on_shelf)
    )


async def given_sku(
    admin: CatalogAdmin, price: str = "100.00", stock: int = 10, *, on_shelf: bool = True
) -> int:
    """The id of a new sku (of a new product)."""
    return (await given_product(admin, (price, stock), on_shelf=on_shelf)).skus[0].id
