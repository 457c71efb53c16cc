"""The signed-in shopper's cart and browsing history; a guest's cart, kept in the browser, priced here and
merged into the account's cart at sign-in."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Response, delete, get, post, put
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody
from pydantic import BaseModel, Field

from jiadian.application import cart as c
from jiadian.application.cart import ShoppingCart, ViewingHistory
from jiadian.domain.cart import MAX_LINES
from jiadian.entrypoints.http.auth import AuthUser, current_user
from jiadian.entrypoints.http.schemas import Amount, ProductCard

Count = Annotated[int, Field(description="how many; at least 1, at most the stock", examples=[1])]


class AddItem(BaseModel):
    sku_id: int
    count: Count = 1


class SetCount(BaseModel):
    count: Count


class GuestLine(BaseModel):
    sku_id: int
    count: Count


class LinesIn(BaseModel):
    """Lines by sku id, as a guest's cart keeps them (a sku named twice counts as one line, summed)."""

    lines: Annotated[list[GuestLine], Field(max_length=MAX_LINES)]

    def pairs(self) -> list[tuple[int, int]]:
        return [(line.sku_id, line.count) for line in self.lines]


class MergedLineOut(BaseModel):
    sku_id: int
    requested: int
    added: Annotated[int, Field(description="how many came into the cart: 0 up to `requested`")]
    problem: Annotated[
        str | None,
        Field(
            description="why fewer than requested came in: deleted, off_shelf, out_of_stock, "
            "over_stock (the line holds what the stock allows), cart_full",
            examples=[None, "over_stock"],
        ),
    ]


class CartLines(BaseModel):
    lines: Annotated[int, Field(description="the number of distinct lines in the cart")]


class CartLine(BaseModel):
    sku_id: int
    product_id: Annotated[int | None, Field(description="null when the sku was deleted")]
    name: str
    size: str
    color: str
    image_url: str
    price: Annotated[Amount | None, Field(description="unit price; null when the sku was deleted")]
    stock: int
    count: int
    line_total: Annotated[
        Amount | None,
        Field(description="price × count; null when the sku was deleted or the total is over the cap"),
    ]
    available: Annotated[bool, Field(description="false when the line cannot be bought as it stands")]
    problem: Annotated[
        str | None,
        Field(
            description="why it cannot: deleted, off_shelf, out_of_stock, over_stock, over_amount_limit",
            examples=[None, "off_shelf"],
        ),
    ]

    @classmethod
    def of(cls, line: c.CartLineView) -> CartLine:
        return cls(
            sku_id=line.sku_id,
            product_id=line.product_id,
            name=line.name,
            size=line.size,
            color=line.color,
            image_url=line.image_url,
            price=None if line.price is None else str(line.price),
            stock=line.stock,
            count=line.count,
            line_total=None if line.line_total is None else str(line.line_total),
            available=line.available,
            problem=None if line.problem is None else line.problem.value,
        )


class Cart(BaseModel):
    lines: list[CartLine]
    total_count: Annotated[int, Field(description="items in the available lines")]
    amount: Annotated[Amount, Field(description="total of the available lines")]

    @classmethod
    def of(cls, cart: c.CartView) -> Cart:
        return cls(
            lines=[CartLine.of(line) for line in cart.lines],
            total_count=cart.total_count,
            amount=str(cart.amount),
        )


class MergeOut(BaseModel):
    lines: list[MergedLineOut]
    cart: Cart

    @classmethod
    def of(cls, merge: c.Merge) -> MergeOut:
        return cls(
            lines=[
                MergedLineOut(
                    sku_id=line.sku_id,
                    requested=line.requested,
                    added=line.added,
                    problem=None if line.problem is None else line.problem.value,
                )
                for line in merge.lines
            ],
            cart=Cart.of(merge.cart),
        )


class CartController(Controller):
    path = "/api/cart"
    tags = ["cart"]
    dependencies = {"user": Provide(current_user)}

    @get("", summary="The cart: every line by sku id, unavailable ones flagged, and the totals")
    async def view(
        self, user: NamedDependency[AuthUser], shopping_cart: NamedDependency[ShoppingCart]
    ) -> Cart:
        return Cart.of(await shopping_cart.view(user.id))

    @post("/items", status_code=200, summary="Add to the cart (counts accumulate up to the stock)")
    async def add(
        self,
        data: JSONBody[AddItem],
        user: NamedDependency[AuthUser],
        shopping_cart: NamedDependency[ShoppingCart],
    ) -> CartLines:
        return CartLines(lines=await shopping_cart.add(user.id, data.sku_id, data.count))

    @post(
        "/merge",
        status_code=200,
        summary="Bring lines into the cart (a guest's cart at sign-in, an order bought again): each adds to "
        "the line's count up to the stock; the lines say what came in and why not all",
    )
    async def merge(
        self,
        data: JSONBody[LinesIn],
        user: NamedDependency[AuthUser],
        shopping_cart: NamedDependency[ShoppingCart],
    ) -> MergeOut:
        return MergeOut.of(await shopping_cart.merge(user.id, data.pairs()))

    @put("/items/{sku_id:int}", summary="Set the count of a line (1..stock); a line not in the cart is 404")
    async def set_count(
        self,
        sku_id: FromPath[int],
        data: JSONBody[SetCount],
        user: NamedDependency[AuthUser],
        shopping_cart: NamedDependency[ShoppingCart],
    ) -> CartLine:
        return CartLine.of(await shopping_cart.set_count(user.id, sku_id, data.count))

    @delete(
        "/items/{sku_id:int}", status_code=204, summary="Remove a line (a line not there is not an error)"
    )
    async def remove(
        self,
        sku_id: FromPath[int],
        user: NamedDependency[AuthUser],
        shopping_cart: NamedDependency[ShoppingCart],
    ) -> Response[None]:
        await shopping_cart.remove(user.id, sku_id)
        return Response(None, status_code=204)


class GuestCartController(Controller):
    path = "/api/cart/guest"
    tags = ["cart"]

    @post(
        "",
        status_code=200,
        summary="A guest's cart (kept in the browser): its lines priced and checked as GET /api/cart shows "
        "a stored cart; nothing is stored, no sign-in needed",
    )
    async def quote(self, data: JSONBody[LinesIn], shopping_cart: NamedDependency[ShoppingCart]) -> Cart:
        return Cart.of(await shopping_cart.quote(data.pairs()))


class HistoryController(Controller):
    path = "/api/me/history"
    tags = ["accounts"]
    dependencies = {"user": Provide(current_user)}

    @get(
        "", summary="Recently viewed products, most recent first, each once, at most 20 (off-shelf left out)"
    )
    async def recent(
        self, user: NamedDependency[AuthUser], viewing_history: NamedDependency[ViewingHistory]
    ) -> list[ProductCard]:
        return [ProductCard.of(card) for card in await viewing_history.recent(user.id)]
