"""What the use cases answer, field by field and error by error, on the testing kit's `shop` fixture
(the pytest plugin of `jiadian.testing`): cart, checkout preview, order lists and wallets."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from jiadian.adapters.memory.ordering import MemoryStockRepository
from jiadian.application.cart import CartLineView
from jiadian.application.ordering import product_sales
from jiadian.domain.cart import LineProblem
from jiadian.domain.errors import DomainError, ServiceUnavailable
from jiadian.domain.ordering import OrderLine, ShippingAddress
from jiadian.testing import (
    BuyNow,
    CheckoutRequest,
    InMemoryShop,
    InsufficientStock,
    Money,
    NotFound,
    OrderStatus,
    SkuSpec,
    ValidationFailed,
    in_memory_shop,
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


# --- placing an order -------------------------------------------------------------------------


async def test_an_order_copies_its_lines_from_the_catalogue_and_its_address_from_the_book(
    shop: InMemoryShop,
) -> None:
    buyer = await shop.given_buyer()
    product = await shop.given_product(
        SkuSpec("88.00", 5, color="白色", size="大号", images=["p/1.png"]), name="风扇"
    )
    sku = product.skus[0]
    order = await shop.checkout.place(
        buyer.id, CheckoutRequest(buy_now=BuyNow(sku.id, 2)), address_id=buyer.address_id
    )
    [line] = order.lines
    assert (line.sku_id, line.product_id, line.name, line.size, line.color, line.image) == (
        sku.id,
        product.id,
        "风扇",
        "大号",
        "白色",
        "p/1.png",
    )
    assert (line.count, line.unit_price, line.reviewed) == (2, Money.of("88.00"), False)
    a = buyer.address
    assert order.address == ShippingAddress(
        a.id, a.recipient, a.phone, a.province, a.city, a.county, a.detail
    )
    assert (order.mark, order.user_id, order.created_at) == ("", buyer.id, shop.clock.now())


async def test_the_freight_comes_from_the_settings() -> None:
    shop = in_memory_shop(freight="0.00")
    buyer = await shop.given_buyer()
    order = await shop.given_placed_order(buyer, await shop.given_sku(price="5.00"))
    assert (order.freight, order.total) == (Money.zero(), Money.of("5.00"))


async def test_an_unknown_or_off_shelf_sku_or_address_is_named(shop: InMemoryShop) -> None:
    buyer = await shop.given_buyer()
    with pytest.raises(NotFound) as unknown:
        await shop.checkout.place(
            buyer.id, CheckoutRequest(buy_now=BuyNow(999, 1)), address_id=buyer.address_id
        )
    assert unknown.value.facts == {"resource": "商品规格", "key": "999"}
    shelved = await shop.given_sku(on_shelf=False)
    with pytest.raises(DomainError) as off:
        await shop.checkout.place(
            buyer.id, CheckoutRequest(buy_now=BuyNow(shelved.id, 1)), address_id=buyer.address_id
        )
    assert (off.value.code, off.value.facts) == ("off_shelf", {"sku_id": shelved.id})
    other = await shop.given_buyer()
    sku = await shop.given_sku()
    with pytest.raises(NotFound) as elsewhere:
        await shop.checkout.place(
            buyer.id, CheckoutRequest(buy_now=BuyNow(sku.id, 1)), address_id=other.address_id
        )
    assert elsewhere.value.facts == {"resource": "收货地址", "key": str(other.address_id)}


@pytest.mark.parametrize("key", ["k" * 64, " trimmed "])
async def test_an_idempotency_key_of_up_to_64_printable_ascii_characters(
    shop: InMemoryShop, key: str
) -> None:
    buyer = await shop.given_buyer()
    sku = await shop.given_sku()
    request = CheckoutRequest(buy_now=BuyNow(sku.id, 1))
    first = await shop.checkout.place(buyer.id, request, address_id=buyer.address_id, idempotency_key=key)
    again = await shop.checkout.place(
        buyer.id, request, address_id=buyer.address_id, idempotency_key=key.strip()
    )
    assert again.id == first.id


@pytest.mark.parametrize("key", ["k" * 65, "", "   ", "键", "bell\x07"])
async def test_any_other_idempotency_key_is_refused_by_name(shop: InMemoryShop, key: str) -> None:
    buyer = await shop.given_buyer()
    sku = await shop.given_sku()
    with pytest.raises(ValidationFailed) as refused:
        await shop.checkout.place(
            buyer.id,
            CheckoutRequest(buy_now=BuyNow(sku.id, 1)),
            address_id=buyer.address_id,
            idempotency_key=key,
        )
    assert seen(refused.value) == {
        "code": "validation_error",
        "detail": "Idempotency-Key 须为 1-64 个可打印 ASCII 字符",
        "field": "Idempotency-Key",
    }
    assert (await shop.sku(sku.id)).stock == sku.stock


async def test_ids_that_keep_colliding_end_in_a_clear_refusal(shop: InMemoryShop) -> None:
    buyer = await shop.given_buyer()
    sku = await shop.given_sku()
    stuck = dataclasses.replace(shop.checkout, new_ids=lambda now: ("o-same", "t-same"))
    await stuck.place(buyer.id, CheckoutRequest(buy_now=BuyNow(sku.id, 1)), address_id=buyer.address_id)
    with pytest.raises(ServiceUnavailable) as refused:
        await stuck.place(buyer.id, CheckoutRequest(buy_now=BuyNow(sku.id, 1)), address_id=buyer.address_id)
    assert (refused.value.code, refused.value.detail) == ("service_unavailable", "下单失败，请稍后再试")
    assert (await shop.sku(sku.id)).stock == sku.stock - 1


async def test_placing_adds_to_the_products_sales_and_cancelling_takes_them_off(
    shop: InMemoryShop, monkeypatch: pytest.MonkeyPatch
) -> None:
    changes: list[dict[int, int]] = []

    async def record(self: object, product_sales: dict[int, int]) -> None:
        changes.append(product_sales)

    monkeypatch.setattr(MemoryStockRepository, "add_product_sales", record)
    buyer = await shop.given_buyer()
    product = await shop.given_product(("1.00", 9), ("2.00", 9))
    order = await shop.given_placed_order(buyer, *product.skus, count=2)
    await shop.orders.cancel(buyer.id, order.id)
    assert changes == [{product.id: 4}, {product.id: -4}]


def test_product_sales_sum_the_counts_of_each_product() -> None:
    lines = [
        OrderLine(0, 1, 10, "a", "", "", "", 2, Money.of("1.00")),
        OrderLine(0, 2, 10, "b", "", "", "", 3, Money.of("1.00")),
        OrderLine(0, 3, 20, "c", "", "", "", 1, Money.of("1.00")),
    ]
    assert product_sales(lines, +1) == {10: 5, 20: 1}
    assert product_sales(lines, -1) == {10: -5, 20: -1}


async def test_an_order_of_somebody_else_is_not_found_by_its_id(shop: InMemoryShop) -> None:
    buyer, other = await shop.given_buyer(), await shop.given_buyer()
    order = await shop.given_placed_order(buyer)
    for user_id, order_id in [(other.id, order.id), (buyer.id, "missing")]:
        with pytest.raises(NotFound) as refused:
            await shop.orders.detail(user_id, order_id)
        assert refused.value.facts == {"resource": "订单", "key": order_id}
