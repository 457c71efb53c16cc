"""What the use cases answer, field by field and error by error, on the testing kit's `shop` fixture
(the pytest plugin of `jiadian.testing`): cart, checkout preview, order lists and wallets."""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

import pytest

from jiadian.adapters.memory.catalog import MemoryCatalogQueries
from jiadian.adapters.memory.ordering import MemoryOrderRepository, MemoryStockRepository
from jiadian.adapters.memory.tasks import BrokerDown
from jiadian.application.cart import CartLineView
from jiadian.application.ordering import product_sales
from jiadian.application.stock_gate import NoGate
from jiadian.domain.cart import HISTORY_SIZE, LineProblem
from jiadian.domain.errors import DomainError, ServiceUnavailable
from jiadian.domain.ordering import OrderLine, ShippingAddress
from jiadian.testing import (
    BuyNow,
    CheckoutRequest,
    IllegalTransition,
    InMemoryShop,
    InsufficientStock,
    Money,
    NotFound,
    Order,
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
    other = await shop.given_sku(stock=3)
    with pytest.raises(InsufficientStock) as at_once:
        await shop.cart.add(buyer.id, other.id, 4)
    assert at_once.value.facts == {"sku_id": other.id, "requested": 4, "available": 3}


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


async def test_an_empty_cart_asks_the_catalogue_nothing(
    shop: InMemoryShop, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[list[int]] = []

    async def sku_views(self: object, sku_ids: list[int]) -> dict[int, Any]:
        asked.append(sku_ids)
        return {}

    monkeypatch.setattr(MemoryCatalogQueries, "sku_views", sku_views)
    view = await shop.cart.view(1)
    assert (view.lines, asked) == ([], [])


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


async def test_a_checkout_takes_cart_lines_or_one_sku_never_both_nor_neither(shop: InMemoryShop) -> None:
    buyer = await shop.given_buyer()
    sku = await shop.given_sku()
    for request in (CheckoutRequest(), CheckoutRequest(sku_ids=(sku.id,), buy_now=BuyNow(sku.id, 1))):
        with pytest.raises(ValidationFailed) as refused:
            await shop.checkout.preview(buyer.id, request)
        assert refused.value.detail == "请选择购物车中的商品，或直接购买一件商品（二选一）"


async def test_a_checkout_of_up_to_100_cart_lines(shop: InMemoryShop) -> None:
    buyer = await shop.given_buyer()
    product = await shop.given_product(*[("1.00", 5)] * 100)
    ids = tuple(each.id for each in product.skus)
    await shop.given_cart(buyer, dict.fromkeys(ids, 1))
    assert (await shop.checkout.preview(buyer.id, CheckoutRequest(sku_ids=ids))).total_count == 100
    with pytest.raises(ValidationFailed) as refused:
        await shop.checkout.preview(buyer.id, CheckoutRequest(sku_ids=(*ids, 99999)))
    assert refused.value.detail == "一次最多结算 100 种商品"


async def test_a_chosen_line_not_in_the_cart_is_named(shop: InMemoryShop) -> None:
    buyer = await shop.given_buyer()
    sku = await shop.given_sku()
    with pytest.raises(NotFound) as refused:
        await shop.checkout.preview(buyer.id, CheckoutRequest(sku_ids=(sku.id,)))
    assert refused.value.facts == {"resource": "购物车商品", "key": str(sku.id)}


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


# --- order changes that lose a race, cancels, pages --------------------------------------------


async def test_a_payment_that_loses_the_race_to_a_cancel_is_refused_from_the_state_it_left(
    shop: InMemoryShop, monkeypatch: pytest.MonkeyPatch
) -> None:
    buyer = await shop.given_buyer(balance="500.00")
    order = await shop.given_placed_order(buyer)
    save = MemoryOrderRepository.save
    races = [order.id]

    async def cancelled_meanwhile(
        self: MemoryOrderRepository, changed: Order, *, expected: OrderStatus
    ) -> bool:
        if races and changed.id == races.pop():  # another tab cancels it between our read and our write
            self._orders[changed.id].status = OrderStatus.CANCELLED
        return await save(self, changed, expected=expected)

    monkeypatch.setattr(MemoryOrderRepository, "save", cancelled_meanwhile)
    with pytest.raises(IllegalTransition) as refused:
        await shop.orders.pay(buyer.id, order.id, "wallet")
    assert refused.value.facts == {"order_id": order.id, "status": "cancelled", "wanted": "2"}
    assert (await shop.wallet(buyer)).balance == Money.of("500.00")


async def test_a_cancel_records_when_and_gives_the_stock_back(shop: InMemoryShop) -> None:
    buyer = await shop.given_buyer()
    sku = await shop.given_sku(stock=5)
    order = await shop.given_placed_order(buyer, sku, count=2)
    shop.clock.advance(minutes=7)
    cancelled = await shop.orders.cancel(buyer.id, order.id)
    assert (cancelled.status, cancelled.cancelled_at, cancelled.cancel_reason) == (
        OrderStatus.CANCELLED,
        shop.clock.now(),
        "buyer",
    )
    assert (await shop.sku(sku.id)).stock == 5


@pytest.mark.parametrize("hook", ["wired", "none"])
async def test_nobody_cancels_an_order_of_somebody_else(shop: InMemoryShop, hook: str) -> None:
    buyer, other = await shop.given_buyer(), await shop.given_buyer()
    order = await shop.given_placed_order(buyer)
    await shop.orders.pay(buyer.id, order.id, "alipay")  # a trade started at the gateway
    orders = shop.orders if hook == "wired" else dataclasses.replace(shop.orders, before_cancel=None)
    with pytest.raises(NotFound):
        await orders.cancel(other.id, order.id)
    assert (await shop.order(order.id)).status is OrderStatus.AWAITING_PAYMENT
    assert [p.state.value for p in (await shop.payments.list(None, 1, 10)).items] == ["pending"]


async def test_a_page_holds_1_to_max_page_size_orders(shop: InMemoryShop) -> None:
    buyer = await shop.given_buyer()
    await shop.given_placed_order(buyer)
    assert (await shop.orders.list(buyer.id, None, 1, 1)).page_size == 1
    assert (await shop.orders.list(buyer.id, None, 1, 50)).page_size == 50
    for size in (0, 51):
        with pytest.raises(ValidationFailed) as refused:
            await shop.orders.list(buyer.id, None, 1, size)
        assert seen(refused.value) == {
            "code": "validation_error",
            "detail": "page_size 必须在 1 到 50 之间",
            "page_size": size,
        }


async def test_only_a_review_reads_the_order_for_update(
    shop: InMemoryShop, monkeypatch: pytest.MonkeyPatch
) -> None:
    buyer = await shop.given_buyer()
    order = await shop.given_paid_order(buyer)
    await shop.fulfilment.ship(order.id)
    await shop.orders.confirm_receipt(buyer.id, order.id)
    get, locks = MemoryOrderRepository.get, []

    async def recording(self: MemoryOrderRepository, order_id: str, *, lock: bool = False) -> Order | None:
        locks.append(lock)
        return await get(self, order_id, lock=lock)

    monkeypatch.setattr(MemoryOrderRepository, "get", recording)
    await shop.orders.detail(buyer.id, order.id)
    await shop.orders.review(buyer.id, order.id, order.lines[0].id, 5, "")
    assert locks == [False, True]


async def test_a_preview_reads_stock_without_locking_rows(
    shop: InMemoryShop, monkeypatch: pytest.MonkeyPatch
) -> None:
    buyer = await shop.given_buyer()
    sku = await shop.given_sku()
    levels, locks = MemoryStockRepository.levels, []

    async def recording(self: MemoryStockRepository, sku_ids: list[int], *, lock: bool) -> Any:
        locks.append(lock)
        return await levels(self, sku_ids, lock=lock)

    monkeypatch.setattr(MemoryStockRepository, "levels", recording)
    preview = await shop.checkout.preview(buyer.id, CheckoutRequest(buy_now=BuyNow(sku.id, 1)))
    assert preview.total_count == 1
    assert locks == []  # the catalogue's views (stock up to a second old), not the stock rows


async def test_a_wallet_that_is_not_there_is_named(shop: InMemoryShop) -> None:
    with pytest.raises(NotFound) as refused:
        await shop.wallets.show(404)
    assert refused.value.facts == {"resource": "钱包", "key": "404"}


async def test_the_browsing_history_store_keeps_only_the_latest(shop: InMemoryShop) -> None:
    buyer = await shop.given_buyer()
    for _ in range(HISTORY_SIZE + 3):
        product = await shop.given_product()
        await shop.history.record(buyer.id, product.id)
    assert len(await shop.container.browsing_history().recent(buyer.id, 100)) == HISTORY_SIZE


# --- what operators read in the log -----------------------------------------------------------


async def test_a_broker_that_does_not_answer_is_logged_with_the_task(
    shop: InMemoryShop, caplog: pytest.LogCaptureFixture
) -> None:
    buyer = await shop.given_buyer()
    shop.tasks.down = True
    with caplog.at_level(logging.WARNING, logger="jiadian"):
        order = await shop.given_placed_order(buyer)
    [record] = [r for r in caplog.records if r.name == "jiadian.application.ordering"]
    assert record.getMessage() == (
        f"could not schedule ExpireOrder(order_id='{order.id}'); the periodic sweep will handle it"
    )
    assert record.exc_info  # with the traceback
    assert record.exc_info[0] is BrokerDown


async def test_a_gate_or_a_cart_that_does_not_answer_is_logged(
    shop: InMemoryShop, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    buyer = await shop.given_buyer()
    sku = await shop.given_sku()
    await shop.given_cart(buyer, {sku.id: 1})

    async def down(*_args: object, **_kwargs: object) -> Any:
        raise ConnectionError("down")

    class SilentGate(NoGate):
        admit = down

    checkout = dataclasses.replace(shop.checkout, gate=SilentGate())
    monkeypatch.setattr(type(checkout.carts), "remove", down)
    with caplog.at_level(logging.WARNING, logger="jiadian"):
        await checkout.place(buyer.id, CheckoutRequest(sku_ids=(sku.id,)), address_id=buyer.address_id)
    messages = [
        (r.getMessage(), r.exc_info[0] if r.exc_info else None)
        for r in caplog.records
        if r.name.endswith("checkout")
    ]
    assert messages == [  # each with its traceback
        ("the stock gate did not answer; checking stock in the database only", ConnectionError),
        (f"could not clear the cart of user {buyer.id}", ConnectionError),
    ]


async def test_a_history_that_does_not_answer_is_logged_not_shown(
    shop: InMemoryShop, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def down(*_args: object, **_kwargs: object) -> None:
        raise ServiceUnavailable("浏览记录暂时不可用")

    monkeypatch.setattr(type(shop.container.browsing_history()), "record", down)
    with caplog.at_level(logging.WARNING, logger="jiadian"):
        await shop.history.record(7, 1)
    assert [r.getMessage() for r in caplog.records] == [
        "browsing history not recorded for user 7: 浏览记录暂时不可用"
    ]
