"""Every change an operator makes is in the audit log — who, when, what, before → after — written in the
transaction of the change: one that does not commit leaves no entry (in-memory adapters)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from dependency_injector import providers
from tests.catalog_support import product, sku
from tests.files_support import CommitBreaker, DatabaseWentAway, breakable_commits, png
from tests.ordering_support import OrderingShop

from jiadian.adapters.clock import FixedClock
from jiadian.adapters.memory.blobs import MemoryBlobStore
from jiadian.adapters.memory.state import MemoryState
from jiadian.application.accounts import CannotDemoteSelf
from jiadian.application.blobs import BlobFiles, BlobMigration
from jiadian.application.catalog_admin import CatalogAdmin, ProductExists
from jiadian.container import Container
from jiadian.domain.audit import SYSTEM, Actor, AuditEntry, change
from jiadian.domain.catalog import SortKey
from jiadian.domain.errors import NotFound, ValidationFailed

BOSS = Actor.operator(7, "boss")
ROOT = Actor.command_line("root")


@dataclass
class Shop:
    container: Container
    admin: CatalogAdmin
    clock: FixedClock
    breaker: CommitBreaker
    product_id: int
    sku_id: int

    async def log(self) -> list[AuditEntry]:
        """The whole log, newest first."""
        return list((await self.container.console().audit(page_size=50)).items)

    async def last(self) -> AuditEntry:
        return (await self.log())[0]


@pytest.fixture
async def shop(memory: tuple[Container, MemoryState], clock: FixedClock) -> Shop:
    container, state = memory
    container.blobs.override(providers.Object(MemoryBlobStore(base_url="http://img.test")))
    breaker = breakable_commits(container, state)
    admin = container.catalog_admin()
    await admin.add_category("智能设备", "intelligence")
    await admin.add_category("电脑产品", "computer")
    created = await admin.upsert_product(
        product(
            "intelligence",
            "iPhone 14",
            "iPhone 14 Pro",
            sku("8888.00", 5, color="白色"),
            sku("9999.00", 3, color="黑色"),
        )
    )
    return Shop(container, admin, clock, breaker, created.id, created.skus[0].id)


def test_an_entry_keeps_only_what_moved() -> None:
    entry = change(
        FixedClock().now(),
        BOSS,
        "sku.price",
        "sku:1",
        {"price": "1.00", "stock": 5},
        {"price": "2.00", "stock": 5},
    )
    assert (dict(entry.before), dict(entry.after)) == ({"price": "1.00"}, {"price": "2.00"})
    created = change(
        FixedClock().now(), BOSS, "banner.create", "banner:1", None, {"name": "a", "active": True}
    )
    assert (dict(created.before), dict(created.after)) == ({}, {"name": "a", "active": True})
    assert (BOSS.label, ROOT.label, SYSTEM.label) == ("boss", "cli:root", "system:jiadian")


async def test_a_price_and_a_stock_change(shop: Shop) -> None:
    shop.clock.advance(minutes=5)
    await shop.admin.set_price(shop.sku_id, "8000.00", by=BOSS)
    await shop.admin.set_stock(shop.sku_id, 9, by=ROOT)
    stock, price = (await shop.log())[:2]
    assert (price.actor, price.action, price.target) == (BOSS, "sku.price", f"sku:{shop.sku_id}")
    assert (dict(price.before), dict(price.after), price.at) == (
        {"price": "8888.00"},
        {"price": "8000.00"},
        shop.clock.now(),
    )
    assert (stock.actor.label, dict(stock.before), dict(stock.after)) == (
        "cli:root",
        {"stock": 5},
        {"stock": 9},
    )


async def test_a_change_that_does_not_commit_leaves_no_entry(shop: Shop) -> None:
    before = await shop.log()
    shop.breaker.broken = True
    with pytest.raises(DatabaseWentAway):
        await shop.admin.set_price(shop.sku_id, "1.00", by=BOSS)
    with pytest.raises(DatabaseWentAway):
        await shop.admin.add_sku_image(shop.sku_id, png(), "png", by=BOSS)
    shop.breaker.broken = False
    with pytest.raises(NotFound):
        await shop.admin.set_price(999, "1.00", by=BOSS)
    assert await shop.log() == before


async def test_a_product_edit_moves_it_and_says_what_changed(shop: Shop) -> None:
    await shop.admin.update_product(
        shop.product_id,
        "MacBook Air",
        [sku("8888.00", 5, color="白色"), sku("7999.00", 4, color="银色")],
        on_shelf=False,
        category="computer",
        spu="MacBook",
        spu_detail="轻薄本",
        by=BOSS,
    )
    entry = await shop.last()
    sheet = await shop.admin.sheet(shop.product_id)
    new_sku = sheet.product.skus[-1].id
    assert (sheet.category.slug, sheet.spu.name, sheet.spu.detail) == ("computer", "MacBook", "轻薄本")
    assert entry.action == "product.update"
    assert dict(entry.before) == {
        "name": "iPhone 14 Pro",
        "on_shelf": True,
        "category_id": 1,
        "spu_id": 1,
        "spu": "iPhone 14",
        "spu_detail": "iPhone 14 详情",
    }
    assert dict(entry.after) == {
        "name": "MacBook Air",
        "on_shelf": False,
        "category_id": 2,
        "spu_id": 2,
        "spu": "MacBook",
        "spu_detail": "轻薄本",
        f"skus.{new_sku}.price": "7999.00",
        f"skus.{new_sku}.stock": 4,
        f"skus.{new_sku}.color": "银色",
        f"skus.{new_sku}.size": "",
    }


async def test_an_edit_into_an_unknown_category_changes_nothing(shop: Shop) -> None:
    before = await shop.log()
    with pytest.raises(NotFound):
        await shop.admin.update_product(shop.product_id, "x", [sku("1.00")], category="nowhere", by=BOSS)
    assert (await shop.admin.sheet(shop.product_id)).product.name == "iPhone 14 Pro"
    assert await shop.log() == before


async def test_a_new_product_can_be_required_to_be_new(shop: Shop) -> None:
    again = product("intelligence", "iPhone 14", "iPhone 14 Pro", sku("1.00"))
    with pytest.raises(ProductExists):
        await shop.admin.upsert_product(again, must_be_new=True, by=BOSS)
    assert (await shop.admin.product(shop.product_id)).skus[0].price.amount == 8888
    updated = await shop.admin.upsert_product(again, by=BOSS)  # without: the same product, updated
    assert updated.id == shop.product_id
    assert (await shop.last()).action == "product.update"


async def test_shelf_and_name(shop: Shop) -> None:
    await shop.admin.unshelve(shop.product_id, by=BOSS)
    assert (dict((await shop.last()).before), dict((await shop.last()).after)) == (
        {"on_shelf": True},
        {"on_shelf": False},
    )
    await shop.admin.rename_product(shop.product_id, "iPhone 14 Pro 新", by=BOSS)
    assert (await shop.last()).after == {"name": "iPhone 14 Pro 新"}
    await shop.admin.shelve(shop.product_id, by=BOSS)
    assert [e.action for e in (await shop.log())[:3]] == [
        "product.shelve",
        "product.rename",
        "product.unshelve",
    ]


async def test_images_added_ordered_and_deleted(shop: Shop) -> None:
    first = await shop.admin.add_sku_image(shop.sku_id, png("red"), "png", by=BOSS)
    second = await shop.admin.add_sku_image(shop.sku_id, png("blue"), "png", by=BOSS)
    third = await shop.admin.add_sku_image(shop.sku_id, png("green"), "png", by=BOSS)
    assert [i.position for i in (first, second, third)] == [0, 1, 2]
    assert (await shop.last()).after == {f"images.{third.id}": third.image}

    ordered = await shop.admin.order_sku_images(shop.sku_id, [third.id, first.id, second.id], by=BOSS)
    assert [i.id for i in ordered] == [third.id, first.id, second.id]
    assert [i.id for i in await shop.admin.sku_images(shop.sku_id)] == [third.id, first.id, second.id]
    entry = await shop.last()
    assert (entry.action, dict(entry.before), dict(entry.after)) == (
        "sku_image.order",
        {"order": f"{first.id},{second.id},{third.id}"},
        {"order": f"{third.id},{first.id},{second.id}"},
    )
    card = (await shop.container.catalog().list_products("all", SortKey.DATE_DESC, 1, 10)).items[0]
    assert card.image_url.endswith(third.image)  # the first image is the card's

    await shop.admin.delete_sku_image(shop.sku_id, third.id, by=BOSS)
    assert (await shop.last()).before == {f"images.{third.id}": third.image}
    later = await shop.admin.add_sku_image(shop.sku_id, png("black"), "png", by=BOSS)
    assert [i.id for i in await shop.admin.sku_images(shop.sku_id)] == [first.id, second.id, later.id]


@pytest.mark.parametrize("ids", [[], [1], [1, 1, 2], [1, 2, 99]])
async def test_an_image_order_names_each_image_once(shop: Shop, ids: list[int]) -> None:
    for colour in ("red", "blue"):
        await shop.admin.add_sku_image(shop.sku_id, png(colour), "png")
    with pytest.raises(ValidationFailed):
        await shop.admin.order_sku_images(shop.sku_id, ids, by=BOSS)


async def test_banners_ordered_shown_and_deleted(shop: Shop) -> None:
    a = await shop.admin.add_banner("甲", "b/a.png", position=0, by=BOSS)
    b = await shop.admin.add_banner("乙", "b/b.png", position=1, by=BOSS)
    c = await shop.admin.add_banner("丙", "b/c.png", position=2, by=BOSS)
    ordered = await shop.admin.order_banners([c.id, a.id, b.id], by=BOSS)
    assert [(x.id, x.position) for x in ordered] == [(c.id, 0), (a.id, 1), (b.id, 2)]
    assert [x.id for x in await shop.admin.banners()] == [c.id, a.id, b.id]
    moved = [(e.target, dict(e.after)) for e in (await shop.log())[:3]]
    assert moved == [
        (f"banner:{b.id}", {"position": 2}),
        (f"banner:{a.id}", {"position": 1}),
        (f"banner:{c.id}", {"position": 0}),
    ]
    with pytest.raises(ValidationFailed):
        await shop.admin.order_banners([a.id, b.id], by=BOSS)
    await shop.admin.set_banner_active(a.id, False, by=BOSS)
    assert ((await shop.last()).action, (await shop.last()).after) == ("banner.deactivate", {"active": False})
    await shop.admin.delete_banner(a.id, by=BOSS)
    assert ((await shop.last()).action, (await shop.last()).after) == ("banner.delete", {})


async def test_a_category_needs_a_slug_fit_for_urls(shop: Shop) -> None:
    with pytest.raises(ValidationFailed):
        await shop.admin.add_category("耳机", "Head Set", by=BOSS)
    created = await shop.admin.add_category("耳机", "headset", by=BOSS)
    assert (await shop.last()).after == {"name": "耳机", "slug": "headset", "image": ""}
    assert (await shop.last()).target == f"category:{created.id}"


async def test_operators_are_made_and_unmade_but_not_by_themselves(shop: Shop) -> None:
    accounts = shop.container.accounts()
    alice = await accounts.create_user("alice", "alice@example.com", "secret-123", by=ROOT)
    assert (await shop.last()).after == {"username": "alice", "email": "alice@example.com", "is_admin": False}
    made = await accounts.set_admin(alice.id, True, by=BOSS)
    assert made.is_admin
    assert (await shop.last()).after == {"is_admin": True}
    with pytest.raises(CannotDemoteSelf):
        await accounts.set_admin(alice.id, False, by=Actor.operator(alice.id, "alice"))
    unmade = await accounts.set_admin(alice.id, False, by=BOSS)
    assert not unmade.is_admin
    assert not (await accounts.get(alice.id))[0].is_admin
    with pytest.raises(NotFound):
        await accounts.set_admin(999, True, by=BOSS)


async def test_a_recharge_says_the_balance_before_and_after(shop: Shop) -> None:
    user = await shop.container.accounts().create_user("bob", "bob@example.com", "secret-123")
    wallets = shop.container.wallets()
    await wallets.recharge(user.id, "100.00", by=ROOT)
    await wallets.recharge(user.id, "0.50", by=ROOT)
    entry = await shop.last()
    assert (entry.action, entry.target) == ("wallet.recharge", f"user:{user.id}")
    assert (dict(entry.before), dict(entry.after)) == (
        {"balance": "100.00", "total_recharged": "100.00"},
        {"balance": "100.50", "total_recharged": "100.50"},
    )


async def test_orders_shipped_and_cancelled(shop: Shop) -> None:
    ordering = OrderingShop(shop.container, shop.clock)
    buyer, address = await ordering.given_buyer(balance="100000.00")
    paid = await ordering.buy(buyer, address, shop.sku_id)
    await ordering.orders.pay(buyer, paid.id, "wallet")
    unpaid = await ordering.buy(buyer, address, shop.sku_id)
    fulfilment = shop.container.fulfilment()
    await fulfilment.ship(paid.id, by=BOSS)
    await fulfilment.cancel(unpaid.id, by=ROOT)
    cancel, ship = (await shop.log())[:2]
    assert (ship.action, ship.target, dict(ship.after)) == ("order.ship", f"order:{paid.id}", {"status": "3"})
    assert (cancel.actor, dict(cancel.after)) == (ROOT, {"status": "cancelled", "cancel_reason": "operator"})
    # The shop's own changes are not the operators': expiry writes nothing.
    expiring = await ordering.buy(buyer, address, shop.sku_id)
    shop.clock.advance(days=2)
    assert await fulfilment.expire(expiring.id)
    assert (await shop.last()).target == f"order:{unpaid.id}"


async def test_payments_refunded_simulated_and_reconciled(shop: Shop) -> None:
    ordering = OrderingShop(shop.container, shop.clock)
    buyer, address = await ordering.given_buyer(balance="100000.00")
    order = await ordering.buy(buyer, address, shop.sku_id)
    await shop.container.orders().pay(buyer, order.id, "alipay")
    await ordering.fulfilment.cancel(order.id)  # its trade left open
    payments = shop.container.payments()
    await payments.simulate_pay(order.id, by=BOSS)
    simulated = await shop.last()
    assert (simulated.action, dict(simulated.after)) == (
        "payment.simulate",
        {"amount": str(order.total), "verdict": "needs_refund", "status": "cancelled"},
    )
    kept = (await payments.list("needs_refund", 1, 10)).items[0]
    await payments.mark_refunded(kept.id, by=BOSS)
    refunded = await shop.last()
    assert (refunded.target, dict(refunded.before), dict(refunded.after)) == (
        f"payment:{kept.id}",
        {"state": "needs_refund"},
        {"state": "refunded"},
    )
    count = len(await shop.log())
    await payments.reconcile(by=ROOT)  # nothing pending: it asked about nothing, changed nothing
    assert len(await shop.log()) == count
    waiting = await ordering.buy(buyer, address, shop.sku_id)
    await shop.container.orders().pay(buyer, waiting.id, "alipay")
    await payments.reconcile(by=ROOT)
    entry = await shop.last()
    assert (entry.action, entry.actor, entry.after["checked"], entry.after["waiting"]) == (
        "payment.reconcile",
        ROOT,
        1,
        1,
    )
    await payments.reconcile()  # no operator named (as a test or the worker would): not logged
    assert len(await shop.log()) == count + 1


async def test_the_stock_gate_opened_closed_and_reconciled(shop: Shop) -> None:
    gates = shop.container.stock_gates()
    await gates.open([shop.sku_id], by=BOSS)
    assert (await shop.last()).before == {"gate_tokens": None}
    assert (await shop.last()).after == {"gate_tokens": 5}
    await shop.container.stock_gate_store().sync({shop.sku_id: 2})  # tokens lost
    await gates.reconcile(by=BOSS)
    entry = await shop.last()
    assert (entry.action, dict(entry.before), dict(entry.after)) == (
        "gate.reconcile",
        {"gate_tokens": 2},
        {"gate_tokens": 5},
    )
    await gates.close([shop.sku_id, 999], by=BOSS)
    assert ((await shop.last()).action, (await shop.last()).after) == ("gate.close", {"gate_tokens": None})


async def test_files_removed_and_moved_by_hand(shop: Shop) -> None:
    local, remote = MemoryBlobStore(prefix="local"), MemoryBlobStore(prefix="dfs")
    references = shop.container.file_references()
    files = BlobFiles(local, references, uow=shop.container.uow)
    stray = await files.put(b"x", "png")
    await files.remove(stray.file_id, by=ROOT)
    entry = await shop.last()
    assert (entry.action, entry.target, dict(entry.before)) == (
        "file.delete",
        f"file:{stray.file_id}",
        {"references": 0},
    )

    kept = await local.save(png("red"), "png")
    await shop.admin.add_banner("甲", kept)
    migration = BlobMigration(
        references, local, remote, lambda f: f.startswith("dfs/"), uow=shop.container.uow
    )
    await migration.run(by=ROOT)
    moved = await shop.last()
    assert (moved.action, dict(moved.after)) == ("file.migrate", {"copied": 1, "missing": 0, "vanished": 0})
    count = len(await shop.log())
    await migration.run(by=ROOT)  # nothing left to move: nothing to say
    assert len(await shop.log()) == count


async def test_refunds_decided_by_an_operator(shop: Shop) -> None:
    ordering = OrderingShop(shop.container, shop.clock)
    buyer, address = await ordering.given_buyer(balance="100000.00")
    refunds, orders = shop.container.refunds(), shop.container.orders()

    direct = await ordering.buy(buyer, address, shop.sku_id)
    await orders.pay(buyer, direct.id, "wallet")
    await refunds.refund_order(direct.id, operator="boss", reason="缺货", by=BOSS)
    entry = await shop.last()
    assert (entry.action, entry.target, entry.actor) == ("order.refund", f"order:{direct.id}", BOSS)
    assert dict(entry.before) == {"status": "2", "refund_state": None}
    assert (entry.after["status"], entry.after["refund_state"], entry.after["refund_method"]) == (
        "refunded",
        "refunded",
        "wallet",
    )

    asked = await ordering.buy(buyer, address, shop.sku_id)
    await orders.pay(buyer, asked.id, "wallet")
    request = await orders.request_refund(buyer, asked.id, "不想要了")
    await refunds.refuse(request.id, operator="boss", answer="已出库", by=BOSS)
    refused = await shop.last()
    assert (refused.action, refused.before["status"], refused.after["status"]) == (
        "refund.refuse",
        "refund_requested",
        "2",
    )
    assert (refused.after["refund_state"], refused.after["answer"]) == ("refused", "已出库")

    again = await ordering.buy(buyer, address, shop.sku_id)
    await orders.pay(buyer, again.id, "wallet")
    second = await orders.request_refund(buyer, again.id, "买错了")
    await refunds.approve(second.id, operator="boss", by=ROOT)
    approved = await shop.last()
    assert (approved.action, approved.actor, approved.before["refund_state"]) == (
        "refund.approve",
        ROOT,
        "requested",
    )

    count = len(await shop.log())
    await refunds.settle_due(by=BOSS)  # nothing pending: nothing asked, nothing logged
    assert len(await shop.log()) == count


async def test_a_needs_refund_payment_given_back(shop: Shop) -> None:
    ordering = OrderingShop(shop.container, shop.clock)
    buyer, address = await ordering.given_buyer(balance="100000.00")
    order = await ordering.buy(buyer, address, shop.sku_id)
    await shop.container.orders().pay(buyer, order.id, "alipay")
    await ordering.fulfilment.cancel(order.id)  # its trade left open
    await shop.container.payments().simulate_pay(order.id)
    kept = (await shop.container.payments().list("needs_refund", 1, 10)).items[0]
    refund = await shop.container.refunds().refund_payment(
        kept.id, operator="boss", reason="订单已取消", by=BOSS
    )
    given = [e for e in await shop.log() if e.action == "payment.refund"]
    assert [(e.target, e.before["state"], e.after["state"]) for e in given] == [
        (f"payment:{kept.id}", "needs_refund", "refunding")
    ]
    assert given[0].after["refund_id"] == refund.id


async def test_a_spu_detail_edit_indexes_each_of_its_products_for_search(shop: Shop) -> None:
    sibling = await shop.admin.upsert_product(
        product("intelligence", "iPhone 14", "iPhone 14 Plus", sku("6999.00"))
    )
    search = shop.container.search()
    assert (await search.products("灵动岛", 1, 8)).total == 0
    await shop.admin.update_product(
        shop.product_id,
        "iPhone 14 Pro",
        [sku("8888.00", 5, color="白色")],
        spu_detail="灵动岛 全新设计",
        by=BOSS,
    )
    found = await search.products("灵动岛", 1, 8)
    assert sorted(card.id for card in found.items) == sorted([shop.product_id, sibling.id])


async def test_brand_aliases_and_category_names(shop: Shop) -> None:
    await shop.container.search_admin().add_alias("苹果", "apple", by=ROOT)
    added = await shop.last()
    assert (added.action, dict(added.before), dict(added.after)) == (
        "alias.add",
        {},
        {"alias": "apple = 苹果"},
    )
    await shop.container.search_admin().remove_alias("苹果", "apple", by=ROOT)
    assert (await shop.last()).action == "alias.remove"
    await shop.admin.rename_category("computer", "电脑办公", by=BOSS)
    renamed = await shop.last()
    assert (renamed.action, dict(renamed.before), dict(renamed.after)) == (
        "category.rename",
        {"name": "电脑产品"},
        {"name": "电脑办公"},
    )
