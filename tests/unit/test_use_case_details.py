"""What the use cases answer, field by field and error by error, on the testing kit's `shop` fixture
(the pytest plugin of `jiadian.testing`): cart, checkout preview, order lists and wallets."""

from __future__ import annotations

from typing import Any

import pytest

from jiadian.application.cart import CartLineView
from jiadian.domain.cart import LineProblem
from jiadian.domain.errors import DomainError
from jiadian.testing import (
    BuyNow,
    CheckoutRequest,
    InMemoryShop,
    InsufficientStock,
    Money,
    NotFound,
    OrderStatus,
)


def seen(error: DomainError) -> dict[str, Any]:
    return {"code": error.code, "detail": error.detail, **error.facts}


# --- the cart ---------------------------------------------------------------------------------


async def test_adding_an_unknown_sku_names_it(shop: InMemoryShop) -> None:
    buyer = await shop.given_buyer()
    with pytest.raises(NotFound) as refused:
        await shop.cart.add(buyer.id, 999, 1)
    assert refused.value.facts == {"resource": "商品规格", "key": "999"}


async def test_a_cart_line_reaches_the_stock_and_the_next_one_is_refused_with_the_sku(
    shop: InMemoryShop,
) -> None:
    buyer = await shop.given_buyer()
    sku = await shop.given_sku(stock=3)
    assert await shop.cart.add(buyer.id, sku.id, 3) == 1
    with pytest.raises(InsufficientStock) as refused:
        await shop.cart.add(buyer.id, sku.id, 1)
    assert refused.value.facts == {"sku_id": sku.id, "requested": 4, "available": 3}
    with pytest.raises(InsufficientStock) as at_once:
        await shop.cart.add(buyer.id, (await shop.given_sku(stock=3)).id, 4)
    assert at_once.value.facts["requested"] == 4


async def test_setting_a_count_answers_that_line_and_refuses_past_the_stock(shop: InMemoryShop) -> None:
    buyer = await shop.given_buyer()
    sku = await shop.given_sku(price="5.00", stock=4)
    await shop.given_cart(buyer, {sku.id: 1})
    line = await shop.cart.set_count(buyer.id, sku.id, 4)
    assert (line.sku_id, line.count, line.line_total, line.problem) == (sku.id, 4, Money.of("20.00"), None)
    with pytest.raises(InsufficientStock) as refused:
        await shop.cart.set_count(buyer.id, sku.id, 5)
    assert seen(refused.value) == {
        "code": "insufficient_stock",
        "detail": "库存不足",
        "sku_id": sku.id,
        "requested": 5,
        "available": 4,
    }


async def test_setting_the_count_of_a_line_not_in_the_cart_names_the_sku(shop: InMemoryShop) -> None:
    buyer = await shop.given_buyer()
    sku = await shop.given_sku()
    with pytest.raises(NotFound) as refused:
        await shop.cart.set_count(buyer.id, sku.id, 1)
    assert refused.value.facts == {"resource": "购物车商品", "key": str(sku.id)}


async def test_a_deleted_sku_keeps_only_its_id_and_count_in_the_cart(shop: InMemoryShop) -> None:
    buyer = await shop.given_buyer()
    await shop.container.cart_store().add(buyer.id, 777, 2, limit=10)  # a sku since deleted
    [line] = (await shop.cart.view(buyer.id)).lines
    assert line == CartLineView(777, None, "", "", "", "", None, 0, 2, None, LineProblem.DELETED)


async def test_a_sku_without_images_has_no_image_url(shop: InMemoryShop) -> None:
    buyer = await shop.given_buyer()
    sku = await shop.given_sku()
    await shop.given_cart(buyer, {sku.id: 1})
    [line] = (await shop.cart.view(buyer.id)).lines
    assert line.image_url == ""


# --- the checkout preview ---------------------------------------------------------------------


async def test_a_preview_of_the_buyers_own_cart_lines(shop: InMemoryShop) -> None:
    buyer, other = await shop.given_buyer(), await shop.given_buyer()
    sku = await shop.given_sku(price="2.50", stock=9)
    await shop.given_cart(buyer, {sku.id: 4})
    await shop.given_cart(other, {sku.id: 1})
    preview = await shop.checkout.preview(buyer.id, CheckoutRequest(sku_ids=(sku.id,)))
    assert [(line.sku_id, line.count) for line in preview.lines] == [(sku.id, 4)]
    assert (preview.amount, preview.total) == (Money.of("10.00"), Money.of("20.00"))


async def test_a_preview_takes_the_whole_stock_but_not_one_more(shop: InMemoryShop) -> None:
    buyer = await shop.given_buyer()
    sku = await shop.given_sku(stock=3)
    preview = await shop.checkout.preview(buyer.id, CheckoutRequest(buy_now=BuyNow(sku.id, 3)))
    assert preview.total_count == 3
    with pytest.raises(InsufficientStock) as refused:
        await shop.checkout.preview(buyer.id, CheckoutRequest(buy_now=BuyNow(sku.id, 4)))
    assert refused.value.facts == {"sku_id": sku.id, "requested": 4, "available": 3}


# --- order lists ------------------------------------------------------------------------------


async def test_a_list_of_one_status_counts_only_orders_of_that_status(shop: InMemoryShop) -> None:
    buyer = await shop.given_buyer()
    sku = await shop.given_sku()
    await shop.given_paid_order(buyer, sku)
    unpaid = [await shop.given_placed_order(buyer, sku) for _ in range(2)]
    page = await shop.orders.list(buyer.id, "1", 1, 10)
    assert (page.total, sorted(o.id for o in page.items)) == (2, sorted(o.id for o in unpaid))
    everything = await shop.fulfilment.list(OrderStatus.AWAITING_SHIPMENT.value, None, 1, 10)
    assert everything.total == 1


# --- wallets ----------------------------------------------------------------------------------


async def test_a_wallet_is_found_by_its_owners_name(shop: InMemoryShop) -> None:
    buyer = await shop.given_buyer(balance="12.34")
    user, wallet = await shop.wallets.of_username(buyer.username)
    assert (user.id, wallet.user_id, wallet.balance) == (buyer.id, buyer.id, Money.of("12.34"))
    with pytest.raises(NotFound) as refused:
        await shop.wallets.of_username("nobody")
    assert refused.value.facts == {"resource": "用户", "key": "nobody"}
