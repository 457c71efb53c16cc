"""The catalogue: categories, product lines (Spu), listings (Product), variants (Sku), images, banners."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from jiadian.domain.errors import InsufficientStock, InvalidQuantity, ValidationFailed
from jiadian.domain.money import Money


@dataclass(slots=True)
class Category:
    id: int
    name: str
    slug: str  # the original's `logo`: intelligence, electricity, computer, headset
    image: str = ""  # blob file id


@dataclass(slots=True)
class Spu:
    id: int
    name: str
    detail: str
    category_id: int


# The most a sku's stock (or sales) may be: the columns are 32-bit integers on MySQL; every entrypoint
# (HTTP, CLI, imports) refuses more, the same way on every database.
MAX_STOCK = 2_000_000_000


@dataclass(slots=True)
class Sku:
    """A purchasable variant. Stock lives here."""

    id: int
    product_id: int
    price: Money
    stock: int
    sales: int = 0
    color: str = ""
    size: str = ""

    def __post_init__(self) -> None:
        if self.stock < 0:
            raise ValidationFailed("库存不能为负数", stock=self.stock)
        if self.sales < 0:
            raise ValidationFailed("销量不能为负数", sales=self.sales)

    def check_available(self, count: int) -> None:
        if count <= 0:
            raise InvalidQuantity(count)
        if count > self.stock:
            raise InsufficientStock(self.id, requested=count, available=self.stock)

    def sell(self, count: int) -> None:
        self.check_available(count)
        self.stock -= count
        self.sales += count

    def restore(self, count: int) -> None:
        """Undo a sale (a cancelled or expired order)."""
        if count <= 0:
            raise InvalidQuantity(count)
        self.stock += count
        self.sales = max(0, self.sales - count)

    def set_stock(self, stock: int) -> None:
        if stock < 0:
            raise ValidationFailed("库存不能为负数", stock=stock)
        if stock > MAX_STOCK:
            raise ValidationFailed(f"库存不能超过 {MAX_STOCK}", stock=stock)
        self.stock = stock


@dataclass(slots=True)
class SkuImage:
    id: int
    sku_id: int
    image: str  # blob file id


@dataclass(slots=True)
class Product:
    """A listing shoppers see. Its card shows its first Sku (lowest id): price, image."""

    id: int
    name: str
    spu_id: int
    category_id: int
    on_shelf: bool = True
    created_at: datetime | None = None
    updated_at: datetime | None = None
    skus: list[Sku] = field(default_factory=list)

    def shelve(self) -> None:
        self.on_shelf = True

    def unshelve(self) -> None:
        self.on_shelf = False


@dataclass(slots=True)
class Banner:
    id: int
    name: str
    image: str
    active: bool = True
    position: int = 0


HOME_BANNERS = 4
HOME_PRODUCTS_PER_CATEGORY = 4
HOME_NAV_PER_CATEGORY = 4
HOT_PRODUCTS = 4


class SortKey(StrEnum):
    """The six list orders. A product's price is its lowest Sku price; its sales, the sum over its Skus."""

    PRICE = "price"
    PRICE_DESC = "-price"
    SALES = "sales"
    SALES_DESC = "-sales"
    DATE = "date"
    DATE_DESC = "-date"

    @property
    def column(self) -> str:
        return {"price": "price", "sales": "sales", "date": "created_at"}[self.value.lstrip("-")]

    @property
    def descending(self) -> bool:
        return self.value.startswith("-")
