"""An order from an empty shop to a review, with the shop's clock in the test's hands.

Uses only `jiadian.testing` (and the fixtures of its pytest plugin) as docs/testing.md describes it:
run it with `pytest docs/examples` in any project that has installed the shop.
"""

from __future__ import annotations

import pytest

from jiadian.testing import (
    Buyer,
    BuyNow,
    CheckoutRequest,
    DomainError,
    InMemoryShop,
    Order,
    OrderStatus,
    in_memory_shop,
)


async def test_a_buyer_places_pays_receives_and_reviews() -> None:
    shop = in_memory_shop()
    phone = await shop.given_sku(price="1999.00", stock=5, color="黑色", size="8G+256G")
    buyer = await shop.given_buyer(balance="5000.00")

    order = await shop.checkout.place(
        buyer.id, CheckoutRequest(buy_now=BuyNow(phone.id, 2)), address_id=buyer.address_id
    )
    assert order.status is OrderStatus.AWAITING_PAYMENT
    assert str(order.total) == "4008.00"  # 2 × 1999.00 + 10.00 freight
    assert (await shop.sku(phone.id)).stock == 3

    await shop.orders.pay(buyer.id, order.id, "wallet")
    assert str((await shop.wallet(buyer)).balance) == "992.00"

    await shop.advance(minutes=4)  # the shop ships paid orders after 5 minutes
    assert (await shop.order(order.id)).status is OrderStatus.AWAITING_SHIPMENT
    await shop.advance(minutes=1)
    assert (await shop.order(order.id)).status is OrderStatus.SHIPPED

    await shop.orders.confirm_receipt(buyer.id, order.id)
    [line] = (await shop.order(order.id)).lines
    review = await shop.orders.review(buyer.id, order.id, line.id, 5, "很好用")

    assert review.content == "很好用"
    reviewed = await shop.order(order.id)
    assert reviewed.status is OrderStatus.COMPLETED
    assert reviewed.completed_at == shop.clock.now()
    detail = await shop.catalog.detail(phone.product_id)
    assert detail.reviews.count == 1


async def test_an_unpaid_order_expires_after_a_day_and_its_stock_comes_back() -> None:
    shop = in_memory_shop()
    sku = await shop.given_sku(stock=1)
    buyer = await shop.given_buyer()
    order = await shop.given_placed_order(buyer, sku)
    assert (await shop.sku(sku.id)).stock == 0

    await shop.advance(hours=23, minutes=59)
    assert (await shop.order(order.id)).status is OrderStatus.AWAITING_PAYMENT
    await shop.advance(minutes=1)

    expired = await shop.order(order.id)
    assert expired.status is OrderStatus.CANCELLED
    assert expired.cancel_reason == "expired"
    assert (await shop.sku(sku.id)).stock == 1


async def test_the_plugin_fixtures_give_a_paid_order(
    shop: InMemoryShop, buyer: Buyer, paid_order: Order
) -> None:
    assert paid_order.status is OrderStatus.AWAITING_SHIPMENT
    assert paid_order.user_id == buyer.id
    with pytest.raises(DomainError) as refused:
        await shop.orders.cancel(buyer.id, paid_order.id)
    assert refused.value.code == "already_paid"
