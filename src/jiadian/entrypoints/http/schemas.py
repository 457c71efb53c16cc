"""Response and request bodies of the HTTP API (pydantic). Amounts are decimal strings: "8888.00"."""

from __future__ import annotations

from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, Field

from jiadian.application import catalog as c
from jiadian.application import search
from jiadian.application.pagination import Page as AppPage

T = TypeVar("T")

Amount = Annotated[str, Field(pattern=r"^\d{1,9}\.\d{2}$", examples=["8888.00"], description="CNY, 2 places")]


class Page(BaseModel, Generic[T]):
    items: list[T]
    page: int
    page_size: int
    total: int
    pages: int

    @classmethod
    def of(cls, page: AppPage[Any], items: list[T]) -> Page[T]:
        return cls(items=items, page=page.page, page_size=page.page_size, total=page.total, pages=page.pages)


class ProductCard(BaseModel):
    id: int
    name: str
    sku_id: int
    price: Amount
    sales: int
    image_url: str
    category: str

    @classmethod
    def of(cls, card: c.ProductCard) -> ProductCard:
        return cls(
            id=card.id,
            name=card.name,
            sku_id=card.sku_id,
            price=str(card.price),
            sales=card.sales,
            image_url=card.image_url,
            category=card.category,
        )


class Suggestion(BaseModel):
    text: str
    kind: Literal["line", "product"] = Field(description="`line`: search `text`; `product`: open its page")
    product_id: int | None = None


class Suggestions(BaseModel):
    q: str
    items: list[Suggestion]

    @classmethod
    def of(cls, q: str, items: list[search.Suggestion]) -> Suggestions:
        return cls(
            q=q,
            items=[Suggestion(text=i.text, kind=i.kind, product_id=i.product_id) for i in items],
        )


class Category(BaseModel):
    id: int
    name: str
    slug: str
    image_url: str


class Banner(BaseModel):
    name: str
    image_url: str


class HomeCategory(Category):
    nav: list[str]
    products: list[ProductCard]


class Home(BaseModel):
    categories: list[HomeCategory]
    banners: list[Banner]

    @classmethod
    def of(cls, home: c.Home) -> Home:
        return cls(
            categories=[
                HomeCategory(
                    id=h.id,
                    name=h.name,
                    slug=h.slug,
                    image_url=h.image_url,
                    nav=h.nav,
                    products=[ProductCard.of(p) for p in h.products],
                )
                for h in home.categories
            ],
            banners=[Banner(name=b.name, image_url=b.image_url) for b in home.banners],
        )


class Spu(BaseModel):
    id: int
    name: str
    detail: str


class Specs(BaseModel):
    sizes: list[str]
    colors: list[str]


class SkuOut(BaseModel):
    id: int
    size: str
    color: str
    price: Amount
    stock: int
    sales: int
    images: list[str]


class ReviewSummary(BaseModel):
    count: int
    average_score: Annotated[str, Field(examples=["4.50"])]
    satisfaction: Annotated[
        str, Field(examples=["90.00"], description="percent of reviews scoring 3 or more")
    ]


class ProductDetail(BaseModel):
    id: int
    name: str
    spu: Spu
    category: str
    images: list[str]
    specs: Specs
    skus: list[SkuOut]
    hot: list[ProductCard]
    reviews: ReviewSummary

    @classmethod
    def of(cls, d: c.ProductDetail) -> ProductDetail:
        return cls(
            id=d.id,
            name=d.name,
            spu=Spu(id=d.spu.id, name=d.spu.name, detail=d.spu.detail),
            category=d.category,
            images=d.images,
            specs=Specs(sizes=d.sizes, colors=d.colors),
            skus=[
                SkuOut(
                    id=s.id,
                    size=s.size,
                    color=s.color,
                    price=str(s.price),
                    stock=s.stock,
                    sales=s.sales,
                    images=s.images,
                )
                for s in d.skus
            ],
            hot=[ProductCard.of(h) for h in d.hot],
            reviews=ReviewSummary(
                count=d.reviews.count,
                average_score=f"{d.reviews.average_score:.2f}",
                satisfaction=f"{d.reviews.satisfaction:.2f}",
            ),
        )


class ReviewSku(BaseModel):
    id: int
    size: str
    color: str


class Review(BaseModel):
    id: int
    username: str
    score: int
    content: str
    created_at: str
    sku: ReviewSku

    @classmethod
    def of(cls, r: c.ReviewView) -> Review:
        return cls(
            id=r.id,
            username=r.username,
            score=r.score,
            content=r.content,
            created_at=r.created_at,
            sku=ReviewSku(id=r.sku_id, size=r.size, color=r.color),
        )


class Health(BaseModel):
    status: str


class Readiness(BaseModel):
    status: str
    checks: dict[str, str]


# --- accounts -------------------------------------------------------------------------------


class Credentials(BaseModel):
    username: Annotated[str, Field(min_length=1, max_length=30)]
    password: Annotated[str, Field(min_length=1, max_length=128)]


class SignedIn(BaseModel):
    id: int
    username: str
    is_admin: bool


class WalletOut(BaseModel):
    balance: Amount
    total_recharged: Amount
    total_consumed: Amount

    @classmethod
    def of(cls, wallet: Any) -> WalletOut:
        return cls(
            balance=str(wallet.balance),
            total_recharged=str(wallet.total_recharged),
            total_consumed=str(wallet.total_consumed),
        )


class Profile(BaseModel):
    id: int
    username: str
    email: str
    phone: str
    introduce: str
    avatar_url: str
    is_admin: bool
    wallet: WalletOut
