"""Checkout and order use cases on the in-memory adapters, with a recording task queue."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from tests.conftest import settings_for
from tests.ordering_support import OrderingShop

from jiadian.adapters.clock import FixedClock
from jiadian.adapters.memory.state import MemoryState
from jiadian.adapters.tasks.inline import InlineTaskQueue
from jiadian.application.checkout import BuyNow, CheckoutRequest
from jiadian.application.ordering_ports import DuplicateOrder
from jiadian.application.orders import PaymentRedirect
from jiadian.application.tasks import ExpireOrder, ShipOrder
from jiadian.container import Container, build_container, use_memory
from jiadian.domain.errors import InsufficientStock, NotFound, ValidationFailed
from jiadian.domain.money import Money
from jiadian.domain.ordering import (
    AlreadyPaid,
    AlreadyReviewed,
    CancelReason,
    IllegalTransition,
    NotReviewable,
    OffShelf,
    OrderStatus,
    PaymentUnavailable,
    PayMethod,
    UnsupportedPaymentMethod,
)
from jiadian.domain.wallet import InsufficientBalance

DAY = 24 * 3600


@pytest.fixture(
    params=[
        ("conditional", False),
        ("pessimistic", False),
        ("optimistic", False),
        ("conditional", True),
        ("pessimistic", True),
        ("optimistic", True),
    ],
    ids=lambda p: f"{p[0]}{'-group-commit' if p[1] else ''}",
)
def shop(
    request: pytest.FixtureRequest, memory: tuple[Container, MemoryState], clock: FixedClock
) -> OrderingShop:
    """Each stock strategy, with one transaction per order and with group commit (whose batches of one
    order must behave the same)."""
    container, _state = memory
    strategy, group_commit = request.param
    return OrderingShop(container, clock, strategy=strategy, group_commit=group_commit)


@pytest.fixture(params=[False, True], ids=["one-by-one", "group-commit"])
def one_shop(
    request: pytest.FixtureRequest, memory: tuple[Container, MemoryState], clock: FixedClock
) -> OrderingShop:
    container, _state = memory
    return OrderingShop(container, clock, group_commit=request.param)


# --- placing ----------------------------------------------------------------------------------


async def test_buy_now_takes_stock_adds_sales_and_schedules_expiry(shop: OrderingShop) -> None:
    sku = await shop.given_sku(price="8888.00", stock=5)
    user, address = await shop.given_buyer()
    order = await shop.buy(user, address, sku.id, 2, mark="请尽快发货")
    assert order.status is OrderStatus.AWAITING_PAYMENT
    assert [(line.sku_id, line.count, line.unit_price) for line in order.lines] == [
        (sku.id, 2, Money.of("8888.00"))
    ]
    assert order.total == Money.of("17786.00")
    assert order.mark == "请尽快发货"
    assert order.address.recipient == "张三"
    after = await shop.sku(sku.id)
    assert (after.stock, after.sales) == (3, 2)
    assert shop.tasks.sent == [(ExpireOrder(order.id), DAY)]
    assert (await shop.orders.detail(user, order.id)).lines[0].id == order.lines[0].id


async def test_ordering_more_than_the_stock_is_refused_and_takes_nothing(shop: OrderingShop) -> None:
    plenty = await shop.given_sku(stock=10)
    scarce = await shop.given_sku(stock=1)
    user, address = await shop.given_buyer()
    await shop.carts.add(user, plenty.id, 3, limit=10)
    await shop.carts.add(user, scarce.id, 1, limit=10)
    await shop.buy(await_user := user, address, scarce.id, 1)  # someone bought the last one
    with pytest.raises(InsufficientStock) as refused:
        await shop.checkout.place(
            await_user, CheckoutRequest(sku_ids=(plenty.id, scarce.id)), address_id=address
        )
    assert refused.value.facts == {"sku_id": scarce.id, "requested": 1, "available": 0}
    assert (await shop.sku(plenty.id)).stock == 10  # the first line's stock came back with the rollback
    assert await shop.carts.lines(user) == {plenty.id: 3, scarce.id: 1}  # the cart is untouched


async def test_cart_lines_are_bought_at_cart_counts_and_leave_the_cart(one_shop: OrderingShop) -> None:
    shop = one_shop
    a, b, c = [await shop.given_sku(price=p, stock=9) for p in ("10.00", "20.00", "30.00")]
    user, address = await shop.given_buyer()
    for sku, count in ((a, 2), (b, 3), (c, 1)):
        await shop.carts.add(user, sku.id, count, limit=9)
    order = await shop.checkout.place(user, CheckoutRequest(sku_ids=(b.id, a.id)), address_id=address)
    assert {line.sku_id: line.count for line in order.lines} == {a.id: 2, b.id: 3}
    assert order.amount == Money.of("80.00")
    assert await shop.carts.lines(user) == {c.id: 1}


async def test_a_line_that_is_not_in_the_cart_is_not_found(one_shop: OrderingShop) -> None:
    sku = await one_shop.given_sku()
    user, address = await one_shop.given_buyer()
    with pytest.raises(NotFound):
        await one_shop.checkout.place(user, CheckoutRequest(sku_ids=(sku.id,)), address_id=address)


@pytest.mark.parametrize(
    "request_",
    [
        CheckoutRequest(),
        CheckoutRequest(sku_ids=(1,), buy_now=BuyNow(1, 1)),
        CheckoutRequest(buy_now=BuyNow(1, 0)),
    ],
)
async def test_a_request_names_either_cart_lines_or_one_buy_now(
    one_shop: OrderingShop, request_: CheckoutRequest
) -> None:
    user, address = await one_shop.given_buyer()
    with pytest.raises(ValidationFailed):
        await one_shop.checkout.place(user, request_, address_id=address)


async def test_someone_elses_address_is_not_found_and_nothing_is_taken(one_shop: OrderingShop) -> None:
    sku = await one_shop.given_sku(stock=3)
    user, _mine = await one_shop.given_buyer()
    _other, theirs = await one_shop.given_buyer()
    with pytest.raises(NotFound):
        await one_shop.buy(user, theirs, sku.id)
    assert (await one_shop.sku(sku.id)).stock == 3


async def test_off_shelf_and_unknown_skus_cannot_be_bought(one_shop: OrderingShop) -> None:
    off = await one_shop.given_sku(on_shelf=False)
    user, address = await one_shop.given_buyer()
    with pytest.raises(OffShelf):
        await one_shop.buy(user, address, off.id)
    with pytest.raises(NotFound):
        await one_shop.buy(user, address, 999_999)


async def test_a_retry_with_the_same_idempotency_key_answers_the_first_order(one_shop: OrderingShop) -> None:
    sku = await one_shop.given_sku(stock=5)
    user, address = await one_shop.given_buyer()
    first = await one_shop.buy(user, address, sku.id, 1, idempotency_key="k-1")
    again = await one_shop.buy(user, address, sku.id, 1, idempotency_key="k-1")
    other = await one_shop.buy(user, address, sku.id, 1, idempotency_key="k-2")
    assert again.id == first.id != other.id
    assert (await one_shop.sku(sku.id)).stock == 3
    assert len(one_shop.tasks.of_type(ExpireOrder)) == 2


async def test_a_retry_answers_the_first_order_even_when_it_could_not_be_placed_again(
    shop: OrderingShop,
) -> None:
    """The key's order is answered whatever would refuse a new one: sold out, cart lines gone, address gone."""
    sku = await shop.given_sku(stock=1)
    user, address = await shop.given_buyer()
    first = await shop.buy(user, address, sku.id, 1, idempotency_key="last-one")
    assert (await shop.buy(user, address, sku.id, 1, idempotency_key="last-one")).id == first.id
    with pytest.raises(InsufficientStock):
        await shop.buy(user, address, sku.id, 1, idempotency_key="another")

    other = await shop.given_sku(stock=5)
    await shop.carts.add(user, other.id, 2, limit=5)
    from_cart = CheckoutRequest(sku_ids=(other.id,))
    placed = await shop.checkout.place(user, from_cart, address_id=address, idempotency_key="cart")
    assert await shop.carts.lines(user) == {}
    again = await shop.checkout.place(user, from_cart, address_id=address, idempotency_key="cart")
    assert again.id == placed.id
    async with shop.container.uow() as uow:
        await uow.addresses.delete(address, user)
        await uow.commit()
    assert (await shop.buy(user, address, other.id, 1, idempotency_key="cart")).id == placed.id

    assert ((await shop.sku(sku.id)).stock, (await shop.sku(other.id)).stock) == (0, 3)
    assert len(shop.tasks.of_type(ExpireOrder)) == 2


async def test_a_retry_clears_the_cart_lines_the_first_attempt_left(
    one_shop: OrderingShop, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first attempt committed but could not clear the cart (its answer was lost too): the client's
    retry with the same key answers that order and takes its lines out of the cart."""
    shop = one_shop
    sku, kept = await shop.given_sku(stock=5), await shop.given_sku(stock=5)
    user, address = await shop.given_buyer()
    await shop.carts.add(user, sku.id, 2, limit=5)
    await shop.carts.add(user, kept.id, 1, limit=5)
    remove = shop.carts.remove

    async def redis_down(*_args: object) -> None:
        raise ConnectionError("Redis did not answer")

    monkeypatch.setattr(shop.carts, "remove", redis_down)
    request = CheckoutRequest(sku_ids=(sku.id,))
    first = await shop.checkout.place(user, request, address_id=address, idempotency_key="k")
    assert await shop.carts.lines(user) == {sku.id: 2, kept.id: 1}
    monkeypatch.setattr(shop.carts, "remove", remove)

    again = await shop.checkout.place(user, request, address_id=address, idempotency_key="k")

    assert again.id == first.id
    assert await shop.carts.lines(user) == {kept.id: 1}
    assert (await shop.sku(sku.id)).stock == 3  # bought once
    assert len(shop.tasks.of_type(ExpireOrder)) == 1


async def test_an_order_stands_when_the_broker_is_down(one_shop: OrderingShop) -> None:
    sku = await one_shop.given_sku(stock=5)
    user, address = await one_shop.given_buyer()
    one_shop.tasks.down = True
    order = await one_shop.buy(user, address, sku.id)
    assert (await one_shop.orders.detail(user, order.id)).status is OrderStatus.AWAITING_PAYMENT
    assert (await one_shop.sku(sku.id)).stock == 4


async def test_an_order_id_that_is_taken_is_drawn_again(one_shop: OrderingShop) -> None:
    sku = await one_shop.given_sku(stock=5)
    user, address = await one_shop.given_buyer()
    first = await one_shop.buy(user, address, sku.id)
    draws: Iterator[tuple[str, str]] = iter([(first.id, "JD-fresh-1"), ("20260101000000fresh", "JD-fresh-2")])
    checkout = dataclasses.replace(one_shop.checkout, new_ids=lambda _now: next(draws))
    second = await checkout.place(user, CheckoutRequest(buy_now=BuyNow(sku.id, 1)), address_id=address)
    assert second.id == "20260101000000fresh"
    assert (await one_shop.sku(sku.id)).stock == 3  # the failed draw's stock went back


async def test_preview_shows_lines_and_totals_without_taking_stock(one_shop: OrderingShop) -> None:
    sku = await one_shop.given_sku(price="99.90", stock=5)
    user, _address = await one_shop.given_buyer()
    preview = await one_shop.checkout.preview(user, CheckoutRequest(buy_now=BuyNow(sku.id, 3)))
    assert (preview.total_count, preview.amount, preview.freight, preview.total) == (
        3,
        Money.of("299.70"),
        Money.of("10.00"),
        Money.of("309.70"),
    )
    assert (await one_shop.sku(sku.id)).stock == 5
    with pytest.raises(InsufficientStock):
        await one_shop.checkout.preview(user, CheckoutRequest(buy_now=BuyNow(sku.id, 6)))


# --- paying -----------------------------------------------------------------------------------


async def test_wallet_payment_debits_once_and_schedules_shipping(one_shop: OrderingShop) -> None:
    shop = one_shop
    sku = await shop.given_sku(price="90.00")
    user, address = await shop.given_buyer(balance="250.00")
    order = await shop.buy(user, address, sku.id, 2)
    paid = await shop.orders.pay(user, order.id, "wallet")
    assert not isinstance(paid, PaymentRedirect)
    assert (paid.status, paid.pay_method, paid.paid_at) == (
        OrderStatus.AWAITING_SHIPMENT,
        "wallet",
        shop.clock.now(),
    )
    assert await shop.balance(user) == Money.of("60.00")
    assert shop.tasks.of_type(ShipOrder) == [(ShipOrder(order.id), 300)]
    with pytest.raises(AlreadyPaid):
        await shop.orders.pay(user, order.id, "wallet")
    assert await shop.balance(user) == Money.of("60.00")
    async with shop.container.uow() as uow:
        wallet = await uow.wallets.get(user)
        ledger = await uow.wallets.ledger(user)
    assert wallet is not None
    assert wallet.total_consumed == Money.of("190.00")
    assert [(e.kind.value, e.order_id) for e in ledger] == [("recharge", None), ("payment", order.id)]


async def test_a_short_wallet_leaves_the_order_unpaid(one_shop: OrderingShop) -> None:
    sku = await one_shop.given_sku(price="90.00")
    user, address = await one_shop.given_buyer(balance="99.99")
    order = await one_shop.buy(user, address, sku.id)  # 100.00 with freight
    with pytest.raises(InsufficientBalance):
        await one_shop.orders.pay(user, order.id, "wallet")
    assert (await one_shop.orders.detail(user, order.id)).status is OrderStatus.AWAITING_PAYMENT
    assert await one_shop.balance(user) == Money.of("99.99")


async def test_paying_a_cancelled_order_is_refused(one_shop: OrderingShop) -> None:
    sku = await one_shop.given_sku()
    user, address = await one_shop.given_buyer(balance="1000.00")
    order = await one_shop.buy(user, address, sku.id)
    await one_shop.orders.cancel(user, order.id)
    with pytest.raises(IllegalTransition):
        await one_shop.orders.pay(user, order.id, "wallet")
    assert await one_shop.balance(user) == Money.of("1000.00")


async def test_alipay_without_a_gateway_and_other_methods(one_shop: OrderingShop) -> None:
    sku = await one_shop.given_sku()
    user, address = await one_shop.given_buyer()
    order = await one_shop.buy(user, address, sku.id)
    with pytest.raises(PaymentUnavailable):
        await one_shop.orders.pay(user, order.id, "alipay")
    with pytest.raises(UnsupportedPaymentMethod):
        await one_shop.orders.pay(user, order.id, "cod")


async def test_alipay_with_a_gateway_answers_its_url(one_shop: OrderingShop) -> None:
    from jiadian.adapters.alipay import SimulatedGateway

    sku = await one_shop.given_sku(price="1.00")
    user, address = await one_shop.given_buyer()
    order = await one_shop.buy(user, address, sku.id)
    orders = dataclasses.replace(one_shop.orders, gateway=SimulatedGateway("http://shop.test"))
    answer = await orders.pay(user, order.id, "alipay")
    assert isinstance(answer, PaymentRedirect)
    assert order.trade_no in answer.url
    assert (await orders.detail(user, order.id)).status is OrderStatus.AWAITING_PAYMENT


# --- cancelling, expiring, shipping -----------------------------------------------------------


async def test_cancelling_restores_stock_and_sales_once(shop: OrderingShop) -> None:
    sku = await shop.given_sku(stock=5)
    user, address = await shop.given_buyer()
    order = await shop.buy(user, address, sku.id, 2)
    cancelled = await shop.orders.cancel(user, order.id)
    assert (cancelled.status, cancelled.cancel_reason) == (OrderStatus.CANCELLED, "buyer")
    assert ((s := await shop.sku(sku.id)).stock, s.sales) == (5, 0)
    with pytest.raises(IllegalTransition):
        await shop.orders.cancel(user, order.id)
    assert (await shop.sku(sku.id)).stock == 5


async def test_a_paid_order_cannot_be_cancelled(one_shop: OrderingShop) -> None:
    sku = await one_shop.given_sku(stock=5)
    user, address = await one_shop.given_buyer(balance="1000.00")
    order = await one_shop.buy(user, address, sku.id)
    await one_shop.orders.pay(user, order.id, "wallet")
    with pytest.raises(AlreadyPaid):
        await one_shop.orders.cancel(user, order.id)
    assert (await one_shop.sku(sku.id)).stock == 4


async def test_expiry_after_24_hours_restores_stock_once_even_when_redelivered(
    one_shop: OrderingShop,
) -> None:
    shop = one_shop
    sku = await shop.given_sku(stock=5)
    user, address = await shop.given_buyer()
    order = await shop.buy(user, address, sku.id, 3)
    ((task, delay),) = shop.tasks.sent
    assert isinstance(task, ExpireOrder)
    shop.clock.advance(seconds=delay - 1)
    await shop.fulfilment.on_expire_order(task)  # early: nothing happens
    assert (await shop.sku(sku.id)).stock == 2
    shop.clock.advance(seconds=1)
    await shop.fulfilment.on_expire_order(task)
    await shop.fulfilment.on_expire_order(task)  # redelivered
    assert ((s := await shop.sku(sku.id)).stock, s.sales) == (5, 0)
    expired = await shop.orders.detail(user, order.id)
    assert (expired.status, expired.cancel_reason) == (OrderStatus.CANCELLED, "expired")
    assert await shop.fulfilment.expire_unpaid() == 0


async def test_the_sweep_expires_what_a_lost_message_did_not(one_shop: OrderingShop) -> None:
    shop = one_shop
    sku = await shop.given_sku(stock=5)
    user, address = await shop.given_buyer(balance="1000.00")
    shop.tasks.down = True  # the expiry message is lost
    stale = await shop.buy(user, address, sku.id, 2)
    paid = await shop.buy(user, address, sku.id, 1)
    await shop.orders.pay(user, paid.id, "wallet")
    shop.clock.advance(hours=23)
    fresh = await shop.buy(user, address, sku.id, 1)
    shop.clock.advance(hours=1)
    assert await shop.fulfilment.expire_unpaid() == 1
    assert await shop.fulfilment.expire_unpaid() == 0
    statuses = {o.id: o.status for o in (await shop.orders.list(user, None, 1, 10)).items}
    assert statuses == {
        stale.id: OrderStatus.CANCELLED,
        paid.id: OrderStatus.AWAITING_SHIPMENT,
        fresh.id: OrderStatus.AWAITING_PAYMENT,
    }
    assert (await shop.sku(sku.id)).stock == 3
    await shop.fulfilment.on_expire_order(ExpireOrder(stale.id))  # the message turns up after all
    assert (await shop.sku(sku.id)).stock == 3


async def test_shipping_five_minutes_after_payment_once(one_shop: OrderingShop) -> None:
    shop = one_shop
    sku = await shop.given_sku()
    user, address = await shop.given_buyer(balance="1000.00")
    order = await shop.buy(user, address, sku.id)
    await shop.orders.pay(user, order.id, "wallet")
    ((task, delay),) = shop.tasks.of_type(ShipOrder)
    assert isinstance(task, ShipOrder)
    await shop.fulfilment.on_ship_order(task)
    assert (await shop.orders.detail(user, order.id)).status is OrderStatus.AWAITING_SHIPMENT
    shop.clock.advance(seconds=delay)
    await shop.fulfilment.on_ship_order(task)
    await shop.fulfilment.on_ship_order(task)
    shipped = await shop.orders.detail(user, order.id)
    assert (shipped.status, shipped.shipped_at) == (OrderStatus.SHIPPED, shop.clock.now())
    assert await shop.fulfilment.ship_due() == 0


async def test_the_shipping_sweep_and_the_operator(one_shop: OrderingShop) -> None:
    shop = one_shop
    sku = await shop.given_sku()
    user, address = await shop.given_buyer(balance="1000.00")
    a, b, unpaid = [await shop.buy(user, address, sku.id) for _ in range(3)]
    shop.tasks.down = True
    await shop.orders.pay(user, a.id, "wallet")
    await shop.orders.pay(user, b.id, "wallet")
    assert (await shop.fulfilment.ship(a.id)).status is OrderStatus.SHIPPED
    with pytest.raises(IllegalTransition):
        await shop.fulfilment.ship(a.id)
    with pytest.raises(IllegalTransition):
        await shop.fulfilment.ship(unpaid.id)
    assert await shop.fulfilment.ship_due() == 0  # not due yet
    shop.clock.advance(minutes=5)
    assert await shop.fulfilment.ship_due() == 1
    assert (await shop.fulfilment.show(b.id)).status is OrderStatus.SHIPPED


# --- receipt, reviews, history ----------------------------------------------------------------


async def _received(shop: OrderingShop, lines: int = 2) -> tuple[int, str, list[int]]:
    skus = [await shop.given_sku(price="10.00") for _ in range(lines)]
    user, address = await shop.given_buyer(balance="1000.00", name=f"reviewer{skus[0].id}")
    for sku in skus:
        await shop.carts.add(user, sku.id, 1, limit=10)
    order = await shop.checkout.place(
        user, CheckoutRequest(sku_ids=tuple(s.id for s in skus)), address_id=address
    )
    await shop.orders.pay(user, order.id, "wallet")
    await shop.fulfilment.ship(order.id)
    received = await shop.orders.confirm_receipt(user, order.id)
    assert received.status is OrderStatus.RECEIVED
    return user, order.id, [line.id for line in received.lines]


async def test_receipt_is_confirmed_by_the_owner_after_shipping(one_shop: OrderingShop) -> None:
    sku = await one_shop.given_sku()
    user, address = await one_shop.given_buyer(balance="1000.00")
    stranger, _ = await one_shop.given_buyer()
    order = await one_shop.buy(user, address, sku.id)
    with pytest.raises(IllegalTransition):
        await one_shop.orders.confirm_receipt(user, order.id)
    await one_shop.orders.pay(user, order.id, "wallet")
    await one_shop.fulfilment.ship(order.id)
    with pytest.raises(NotFound):
        await one_shop.orders.confirm_receipt(stranger, order.id)
    assert (await one_shop.orders.confirm_receipt(user, order.id)).status is OrderStatus.RECEIVED


async def test_reviews_complete_the_order_and_reach_the_catalogue(one_shop: OrderingShop) -> None:
    shop = one_shop
    user, order_id, (first, second) = await _received(shop)
    review = await shop.orders.review(user, order_id, first, 5, "很好用")
    assert (review.score, review.content, review.username) == (5, "很好用", f"reviewer{review.sku_id}")
    with pytest.raises(AlreadyReviewed):
        await shop.orders.review(user, order_id, first, 3, "")
    with pytest.raises(ValidationFailed):
        await shop.orders.review(user, order_id, second, 2, "")
    await shop.orders.review(user, order_id, second, 1, "")
    order = await shop.orders.detail(user, order_id)
    assert order.status is OrderStatus.COMPLETED
    assert all(line.reviewed for line in order.lines)
    product_id = order.lines[0].product_id
    catalog = shop.container.catalog()
    page = await catalog.reviews(product_id, 1, 10)
    assert [(r.score, r.content) for r in page.items] == [(5, "很好用")]
    assert (await catalog.detail(product_id)).reviews.count == 1


async def test_no_review_before_receipt(one_shop: OrderingShop) -> None:
    sku = await one_shop.given_sku()
    user, address = await one_shop.given_buyer()
    order = await one_shop.buy(user, address, sku.id)
    with pytest.raises(NotReviewable):
        await one_shop.orders.review(user, order.id, order.lines[0].id, 5, "")


async def test_history_filters_pages_and_shows_newest_first(one_shop: OrderingShop) -> None:
    shop = one_shop
    sku = await shop.given_sku(stock=50)
    user, address = await shop.given_buyer(balance="1000.00")
    stranger, theirs = await shop.given_buyer()
    placed = []
    for _ in range(5):
        placed.append(await shop.buy(user, address, sku.id))
        shop.clock.advance(seconds=1)
    await shop.buy(stranger, theirs, sku.id)
    await shop.orders.pay(user, placed[1].id, "wallet")
    page = await shop.orders.list(user, None, 1, 2)
    assert (page.total, page.pages, [o.id for o in page.items]) == (5, 3, [placed[4].id, placed[3].id])
    last = await shop.orders.list(user, None, 99, 2)
    assert (last.page, [o.id for o in last.items]) == (3, [placed[0].id])
    paid = await shop.orders.list(user, "2", 1, 10)
    assert [o.id for o in paid.items] == [placed[1].id]
    with pytest.raises(ValidationFailed):
        await shop.orders.list(user, "7", 1, 10)
    with pytest.raises(ValidationFailed):
        await shop.orders.list(user, None, 1, 500)
    with pytest.raises(NotFound):
        await shop.orders.detail(stranger, placed[0].id)


# --- the repository contract (also run on SQL by tests/integration/test_ordering_sql.py) ----


async def test_ids_trade_numbers_and_idempotency_keys_are_unique(one_shop: OrderingShop) -> None:
    sku = await one_shop.given_sku()
    user, address = await one_shop.given_buyer()
    order = await one_shop.buy(user, address, sku.id, idempotency_key="key")
    for order_id, trade_no, key in (
        (order.id, "other-trade", None),
        ("other-id", order.trade_no, None),
        ("x", "y", "key"),
    ):
        copy = await one_shop.orders.detail(user, order.id)
        copy.id, copy.trade_no = order_id, trade_no
        async with one_shop.container.uow() as uow:
            with pytest.raises(DuplicateOrder):
                await uow.orders.add(copy, key)


async def test_a_save_applies_only_from_the_expected_status(one_shop: OrderingShop) -> None:
    sku = await one_shop.given_sku()
    user, address = await one_shop.given_buyer()
    order = await one_shop.buy(user, address, sku.id)
    clock = one_shop.clock
    paid = await one_shop.orders.detail(user, order.id)
    paid.pay(PayMethod.WALLET, clock.now())
    cancelled = await one_shop.orders.detail(user, order.id)
    cancelled.cancel(CancelReason.BUYER, clock.now())
    async with one_shop.container.uow() as uow:
        assert await uow.orders.save(paid, expected=OrderStatus.AWAITING_PAYMENT)
        assert not await uow.orders.save(cancelled, expected=OrderStatus.AWAITING_PAYMENT)
        await uow.commit()
    stored = await one_shop.orders.detail(user, order.id)
    assert (stored.status, stored.pay_method, stored.paid_at) == (
        OrderStatus.AWAITING_SHIPMENT,
        "wallet",
        clock.now(),
    )


async def test_sweep_queries_find_what_is_due_oldest_first(one_shop: OrderingShop) -> None:
    sku = await one_shop.given_sku(stock=20)
    user, address = await one_shop.given_buyer(balance="1000.00")
    old = await one_shop.buy(user, address, sku.id)
    one_shop.clock.advance(hours=1)
    older_paid = await one_shop.buy(user, address, sku.id)
    await one_shop.orders.pay(user, older_paid.id, "wallet")
    newer = await one_shop.buy(user, address, sku.id)
    now = one_shop.clock.now()
    async with one_shop.container.uow() as uow:
        assert await uow.orders.placed_before(OrderStatus.AWAITING_PAYMENT, now, 10) == [old.id, newer.id]
        assert await uow.orders.placed_before(
            OrderStatus.AWAITING_PAYMENT, now - timedelta(minutes=1), 10
        ) == [old.id]
        assert await uow.orders.placed_before(OrderStatus.AWAITING_PAYMENT, now, 1) == [old.id]
        assert await uow.orders.paid_before(OrderStatus.AWAITING_SHIPMENT, now, 10) == [older_paid.id]
        assert (
            await uow.orders.paid_before(OrderStatus.AWAITING_SHIPMENT, now - timedelta(seconds=1), 10) == []
        )


# --- wiring -----------------------------------------------------------------------------------


@pytest.mark.slow  # a second of real time: the inline queue's timers are the event loop's
async def test_the_container_runs_expiry_inline_and_registers_the_sweeps(
    tmp_path: Path, clock: FixedClock
) -> None:
    """The embedded default: the inline queue runs the registered handler when the delay is over."""
    container = build_container(settings_for(tmp_path, order_ttl_seconds=1))
    container.clock.override(clock)
    use_memory(container)
    shop = OrderingShop(container, clock)
    sku = await shop.given_sku(stock=5)
    user, address = await shop.given_buyer()
    checkout = container.checkout()
    order = await checkout.place(user, CheckoutRequest(buy_now=BuyNow(sku.id, 2)), address_id=address)
    assert (await shop.sku(sku.id)).stock == 3
    clock.advance(seconds=1)
    queue = container.task_queue()
    assert isinstance(queue, InlineTaskQueue)
    assert queue.pending == 1
    for _ in range(100):
        if not queue.pending:
            break
        await asyncio.sleep(0.05)
    await queue.join()
    assert (await shop.orders.detail(user, order.id)).status is OrderStatus.CANCELLED
    assert (await shop.sku(sku.id)).stock == 5

    fulfilment = container.fulfilment()
    handlers = container.task_handlers()
    assert (handlers[ExpireOrder], handlers[ShipOrder]) == (
        fulfilment.on_expire_order,
        fulfilment.on_ship_order,
    )
    assert container.periodic_jobs() == [
        fulfilment.expire_unpaid,
        fulfilment.ship_due,
        container.refunds().settle_due,
        container.search_admin().follow_sales,
        container.payments().prune_notifications,
    ]
    await queue.close()
