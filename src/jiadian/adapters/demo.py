"""The demo catalogue of the original shop (categories, product lines, products, skus, banners),
with generated placeholder images in place of the original photographs, and a set of brand aliases."""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from typing import Any

from PIL import Image, ImageDraw

from jiadian.application.catalog_admin import CatalogAdmin, ProductSpec, SkuSpec
from jiadian.application.ports import BlobStore
from jiadian.application.search import SearchAdmin


def demo_data() -> dict[str, list[dict[str, Any]]]:
    text = resources.files("jiadian.data").joinpath("demo_catalog.json").read_text(encoding="utf-8")
    data: dict[str, list[dict[str, Any]]] = json.loads(text)
    return data


def placeholder_png(label: str, size: tuple[int, int] = (400, 400)) -> bytes:
    """A small PNG whose colour is derived from `label`, so images of different things differ."""
    digest = hashlib.sha256(label.encode()).digest()
    background = (80 + digest[0] % 150, 80 + digest[1] % 150, 80 + digest[2] % 150)
    image = Image.new("RGB", size, background)
    draw = ImageDraw.Draw(image)
    w, h = size
    draw.rounded_rectangle((w * 0.2, h * 0.15, w * 0.8, h * 0.85), radius=24, outline="white", width=6)
    draw.ellipse((w * 0.45, h * 0.72, w * 0.55, h * 0.8), fill="white")
    draw.text((12, 10), label.encode("ascii", "ignore").decode()[:40], fill="white")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


@dataclass(frozen=True)
class DemoLoader:
    admin: CatalogAdmin
    blobs: BlobStore
    search: SearchAdmin | None = None  # when given, the demo's brand aliases too

    async def load(self, progress: Callable[[int], None] = lambda _n: None) -> bool:
        """Load the demo catalogue into an empty shop; False (and nothing changed) when it has products."""
        if await self.admin.product_count() > 0:
            return False
        data = demo_data()
        if self.search is not None:  # before the products, so that they are indexed with them
            for alias in data["aliases"]:
                await self.search.add_alias(alias["word"], alias["other"])
        for category in data["categories"]:
            image = await self.blobs.save(placeholder_png(category["slug"], (120, 120)), "png")
            await self.admin.add_category(category["name"], category["slug"], image)
        slugs = {c["id"]: c["slug"] for c in data["categories"]}
        spus = {s["id"]: s for s in data["spus"]}
        images: dict[int, list[str]] = {}
        for row in data["images"]:
            images.setdefault(row["sku_id"], []).append(row["image"])
        specs = []
        for product in sorted(data["products"], key=lambda p: p["id"]):
            spu = spus[product["spu_id"]]
            skus = []
            for sku in sorted(
                (s for s in data["skus"] if s["product_id"] == product["id"]), key=lambda s: s["id"]
            ):
                files = [
                    await self.blobs.save(placeholder_png(f"sku {sku['id']} / {i}"), "png")
                    for i, _original in enumerate(images.get(sku["id"], ["placeholder"]))
                ]
                skus.append(
                    SkuSpec(sku["price"], sku["stock"], sku["color"], sku["size"], files, sku["sales"])
                )
            specs.append(
                ProductSpec(
                    slugs[product["category_id"]],
                    spu["name"],
                    product["name"],
                    skus,
                    spu["detail"],
                    product["on_shelf"],
                )
            )
            progress(1)
        await self.admin.import_products(specs)
        for position, banner in enumerate(data["banners"]):
            image = await self.blobs.save(placeholder_png(f"banner {banner['id']}", (1200, 400)), "png")
            await self.admin.add_banner(banner["name"], image, active=banner["active"], position=position)
        return True
