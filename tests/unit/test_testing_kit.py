"""The testers' kit itself (`jiadian.testing`): what docs/testing.md promises of it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from tests.files_support import png

from jiadian.adapters.memory.blobs import MemoryBlobStore
from jiadian.adapters.memory.tasks import BrokerDown
from jiadian.application.tasks import ExpireOrder, SendVerificationCode, ShipOrder
from jiadian.container import build_container, use_memory
from jiadian.testing import PASSWORD, START, InMemoryShop, OrderStatus, in_memory_shop, settings_only


async def test_a_shop_in_memory_writes_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    shop = in_memory_shop()
    buyer = await shop.given_buyer(balance="100.00")
    file_id = await shop.profiles.change_avatar(buyer.id, png("red"))
    await shop.given_paid_order(buyer)
    assert await shop.blobs.open(file_id) == png("red")
    assert list(tmp_path.iterdir()) == []


def test_use_memory_keeps_files_in_memory_too(tmp_path: Path) -> None:
    container = build_container(settings_only(var_dir=tmp_path))
    use_memory(container)
    assert isinstance(container.blobs(), MemoryBlobStore)
    assert container.local_blobs() is container.blobs()


def test_the_environment_does_not_reach_a_test_shop(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(os.environ, "JIADIAN_FREIGHT", "99.00")
    monkeypatch.setitem(os.environ, "JIADIAN_STOCK_STRATEGY", "optimistic")
    shop = in_memory_shop(order_ttl_seconds=60)
    assert (str(shop.settings.freight), shop.settings.stock_strategy.value) == ("10.00", "conditional")
    assert shop.settings.order_ttl_seconds == 60


async def test_the_builders_make_valid_givens_through_the_use_cases(shop: InMemoryShop) -> None:
    assert shop.clock.now() == START
    sku = await shop.given_sku(price="3.00", stock=4, color="红色", size="小号")
    assert (str(sku.price), sku.stock, sku.color, sku.size) == ("3.00", 4, "红色", "小号")
    assert (await shop.given_category()).slug == "intelligence"
    buyer = await shop.given_buyer(balance="7.00", username="li_ming")
    assert (await shop.sign_in.login("li_ming", PASSWORD, "198.51.100.7")).id == buyer.id
    assert str((await shop.wallet(buyer)).balance) == "7.00"
    assert (await shop.addresses.list(buyer.id)) == [buyer.address]
    product = await shop.given_product(("1.00", 2), ("2.00", 3))
    order = await shop.given_placed_order(buyer, *product.skus, count=2)
    assert [(line.sku_id, line.count) for line in order.lines] == [(s.id, 2) for s in product.skus]
    assert (await shop.cart.view(buyer.id)).lines == []  # ordered from the cart, which it left
    paid = await shop.given_paid_order(buyer, sku, count=4)  # 22.00 with freight: topped up by 15.00
    assert (paid.status, str((await shop.wallet(buyer)).balance)) == (OrderStatus.AWAITING_SHIPMENT, "0.00")


async def test_tasks_wait_for_the_clock_and_run_in_due_order(shop: InMemoryShop) -> None:
    buyer = await shop.given_buyer(balance="1000.00")
    paid = await shop.given_paid_order(buyer)
    unpaid = await shop.given_placed_order(buyer)
    assert [type(t.task) for t in shop.tasks.waiting] == [ShipOrder, ExpireOrder, ExpireOrder]
    assert shop.tasks.of_type(ShipOrder) == [(ShipOrder(paid.id), 300)]
    assert await shop.advance(minutes=4) == []
    assert await shop.advance(minutes=1) == [ShipOrder(paid.id)]
    ran = await shop.advance(hours=24)
    assert ran == [ExpireOrder(paid.id), ExpireOrder(unpaid.id)]  # the paid one's expiry changes nothing
    assert (await shop.order(unpaid.id)).status is OrderStatus.CANCELLED
    assert shop.tasks.waiting == []


async def test_a_task_without_a_delay_runs_at_once_and_a_broker_can_be_down(shop: InMemoryShop) -> None:
    await shop.registration.request_code("newcomer", "new@example.com", "198.51.100.7")
    [mail] = shop.mailer.to("new@example.com")
    assert shop.tasks.done == [SendVerificationCode("new@example.com", mail.body.split("验证码是：")[1][:6])]
    shop.tasks.down = True
    with pytest.raises(BrokerDown):
        await shop.tasks.send(ExpireOrder("o1"), delay_seconds=1)
    with pytest.raises(BrokerDown):
        await shop.tasks.ping()


async def test_a_failing_task_fails_the_call_that_ran_it(shop: InMemoryShop) -> None:
    await shop.tasks.send(ShipOrder("no-such-order"), delay_seconds=1)
    shop.container.task_handlers.override({ShipOrder: _boom})
    with pytest.raises(RuntimeError, match="boom"):
        await shop.advance(seconds=1)


async def _boom(_task: object) -> None:
    raise RuntimeError("boom")
