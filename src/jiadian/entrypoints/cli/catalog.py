"""`jiadian demo` and `jiadian catalog`: the operator's catalogue commands."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from rich.progress import Progress

from jiadian.adapters.demo import DemoLoader
from jiadian.application.catalog_admin import ProductSpec, SkuSpec
from jiadian.container import Container
from jiadian.domain.catalog import MAX_STOCK, Product, SortKey
from jiadian.domain.errors import ValidationFailed
from jiadian.entrypoints.cli.common import MAX_ID, console, run, table

SKU_ID = typer.Argument(..., min=1, max=MAX_ID, help="A sku id", show_default=False)
PRODUCT_ID = typer.Argument(..., min=1, max=MAX_ID, help="A product id", show_default=False)
# "-5" is the value of an argument here, not an option (the use case then refuses it)
NUMBERS_AS_ARGUMENTS = {"ignore_unknown_options": True}

demo = typer.Typer(help="The demo catalogue.", no_args_is_help=True)
app = typer.Typer(help="Products, skus, stock and prices.", no_args_is_help=True)


@demo.command("load")
def demo_load() -> None:
    """Load the demo catalogue (4 categories, 24 products, 36 skus, 4 banners, brand aliases) into an
    empty shop.

    Safe to run twice: a shop that has products is left as it is.
    """

    async def action(c: Container) -> bool:
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("loading the demo catalogue", total=24)
            loader = DemoLoader(c.catalog_admin(), c.blobs(), c.search_admin())
            return await loader.load(lambda n: progress.advance(task, n))

    if run(action):
        console.print("demo catalogue loaded")
    else:
        console.print("the shop already has products: nothing changed")


def _spec(row: Any) -> ProductSpec:
    if not isinstance(row, dict):
        raise ValidationFailed("每行必须是一个 JSON 对象")
    try:
        skus = [
            SkuSpec(
                price=str(s["price"]),
                stock=s["stock"],
                color=s.get("color", ""),
                size=s.get("size", ""),
                sales=s.get("sales", 0),
            )
            for s in row["skus"]
        ]
        return ProductSpec(
            category=row["category"],
            spu=row["spu"],
            name=row["name"],
            skus=skus,
            spu_detail=row.get("spu_detail", ""),
            on_shelf=row.get("on_shelf", True),
        )
    except (KeyError, TypeError, AttributeError) as exc:
        raise ValidationFailed(f"缺少或错误的字段: {exc}") from exc


def read_import_file(path: Path) -> list[ProductSpec]:
    """A JSON array of products, or JSON Lines (one product per line). Errors name the line."""
    return [spec for _where, spec in read_import_rows(path)]


def read_import_rows(path: Path) -> list[tuple[str, ProductSpec]]:
    """The products of a file, each with where it stands ("第 3 行", or "第 3 条商品" in an array)."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ValidationFailed("文件不是 UTF-8 编码的文本") from exc
    stripped = text.lstrip()
    specs: list[tuple[str, ProductSpec]] = []
    if stripped.startswith("["):
        try:
            rows = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValidationFailed(f"第 {exc.lineno} 行: JSON 格式错误: {exc.msg}") from exc
        for index, row in enumerate(rows, start=1):
            try:
                specs.append((f"第 {index} 条商品", _spec(row)))
            except ValidationFailed as exc:
                raise ValidationFailed(f"第 {index} 条商品: {exc.detail}") from exc
        return specs
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            specs.append((f"第 {number} 行", _spec(json.loads(line))))
        except json.JSONDecodeError as exc:
            raise ValidationFailed(f"第 {number} 行: JSON 格式错误: {exc.msg}") from exc
        except ValidationFailed as exc:
            raise ValidationFailed(f"第 {number} 行: {exc.detail}") from exc
    return specs


@app.command("import")
def import_command(
    file: Path = typer.Argument(
        ..., exists=True, dir_okay=False, readable=True, help="JSON array or JSON Lines of products"
    ),
    batch: int = typer.Option(500, min=1, help="Products per progress step (one transaction in all)"),
) -> None:
    """Import products: {"category","spu","name","spu_detail","on_shelf","skus":[{"price","stock","color","size"}]}.

    All or nothing: a bad row is reported with its line and nothing is imported.
    """
    rows = read_import_rows(file)  # a bad row fails here, before any write
    specs = [spec for _where, spec in rows]

    async def action(c: Container) -> int:
        admin = c.catalog_admin()
        with Progress(console=console) as progress:
            task = progress.add_task("importing", total=len(specs))
            return await admin.import_products(
                specs,
                progress=lambda n: progress.advance(task, n),
                step=batch,
                labels=[where for where, _spec in rows],  # a bad product is named by its line
            )

    count = run(action)  # a domain error exits 1 with its message; nothing is imported
    console.print(f"imported {count} products")


@app.command("list")
def list_command(
    category: str = typer.Option("all", help="Category slug or `all`"),
    sort: SortKey = typer.Option(SortKey.DATE_DESC, help="Sort key"),
    page: int = typer.Option(1, min=1, max=MAX_ID),
    page_size: int = typer.Option(20, min=1, max=50),
    skus: bool = typer.Option(False, "--skus", help="One row per sku (colour, size, price, stock, sales)"),
) -> None:
    """List on-shelf products with their first sku's id, price and sales (every sku with --skus)."""

    async def action(c: Container) -> tuple[Any, list[Product]]:
        result = await c.catalog().list_products(category, sort, page, page_size)
        admin = c.catalog_admin()
        products = [await admin.product(card.id) for card in result.items] if skus else []
        return result, products

    result, products = run(action)
    title = f"page {result.page}/{result.pages}"
    if skus:
        rows = table(
            "id",
            "name",
            "sku",
            "colour",
            "size",
            "price",
            "stock",
            "sales",
            ids=("id", "sku", "price"),
            title=title,
        )
        for product in products:
            for sku in product.skus:
                rows.add_row(
                    str(product.id), product.name, str(sku.id), sku.color, sku.size, str(sku.price),
                    str(sku.stock), str(sku.sales),
                )  # fmt: skip
    else:
        rows = table(
            "id", "name", "sku", "price", "sales", "category", ids=("id", "sku", "price"), title=title
        )
        for card in result.items:
            rows.add_row(
                str(card.id), card.name, str(card.sku_id), str(card.price), str(card.sales), card.category
            )
    console.print(rows)


@app.command("set-stock", context_settings=NUMBERS_AS_ARGUMENTS)
def set_stock(
    sku_id: int = SKU_ID,
    stock: int = typer.Argument(..., min=0, max=MAX_STOCK, help="The new stock", show_default=False),
) -> None:
    """Set a sku's stock to N."""

    async def action(c: Container) -> Any:
        return await c.catalog_admin().set_stock(sku_id, stock)

    sku = run(action)
    console.print(f"sku {sku.id}: stock {sku.stock}")


@app.command("set-price", context_settings=NUMBERS_AS_ARGUMENTS)
def set_price(
    sku_id: int = SKU_ID, price: str = typer.Argument(..., help="e.g. 8888.00", show_default=False)
) -> None:
    """Set a sku's price (a decimal with at most 2 places, e.g. 8888.00)."""

    async def action(c: Container) -> Any:
        return await c.catalog_admin().set_price(sku_id, price)

    sku = run(action)
    console.print(f"sku {sku.id}: price {sku.price}")


@app.command("shelve")
def shelve(product_id: int = PRODUCT_ID) -> None:
    """Put a product on shelf."""

    async def action(c: Container) -> Any:
        return await c.catalog_admin().shelve(product_id)

    run(action)
    console.print(f"product {product_id} on shelf")


@app.command("unshelve")
def unshelve(product_id: int = PRODUCT_ID) -> None:
    """Take a product off shelf (no longer listed nor purchasable)."""

    async def action(c: Container) -> Any:
        return await c.catalog_admin().unshelve(product_id)

    run(action)
    console.print(f"product {product_id} off shelf")


@app.command("rename-category")
def rename_category(slug: str, name: str) -> None:
    """Rename the category SLUG to NAME (its products are indexed again for search)."""

    async def action(c: Container) -> Any:
        return await c.catalog_admin().rename_category(slug, name)

    category = run(action)
    console.print(f"category {category.slug}: {escape(category.name)}")


@app.command("add-image")
def add_image(
    sku_id: int = SKU_ID, file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True)
) -> None:
    """Store FILE (an image) in the blob store and attach it to a sku."""
    from jiadian.adapters.images import sniff_image

    data = file.read_bytes()
    extension = sniff_image(data)

    async def action(c: Container) -> str:
        return await c.catalog_admin().add_image(sku_id, data, extension)

    file_id = run(action)
    console.print(f"sku {sku_id}: image {file_id}")
