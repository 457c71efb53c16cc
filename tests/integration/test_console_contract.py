"""The operator console's reads and the audit log, one contract on memory, SQLite and MariaDB alike.

Every test builds the same shop (`tests/console_support.py`) through the use cases and expects the very
same answers from `Console` (over `ConsoleQueries`) — so the in-memory adapter cannot drift from SQL.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from tests.catalog_support import sku
from tests.console_support import World, given_world, shanghai

from jiadian.adapters.clock import FixedClock
from jiadian.application.catalog_admin import SkuSpec
from jiadian.application.console import Console
from jiadian.container import Container
from jiadian.domain.audit import Actor
from jiadian.domain.errors import NotFound, ValidationFailed
from jiadian.domain.money import Money
from jiadian.domain.ordering import OrderStatus


@pytest.fixture(params=["memory", "sqlite", "mysql"])
def container(request: pytest.FixtureRequest) -> Container:
    if request.param == "memory":
        found, _state = request.getfixturevalue("memory")
        return found  # type: ignore[no-any-return]
    return request.getfixturevalue(request.param)  # type: ignore[no-any-return]


@pytest.fixture
async def world(container: Container, clock: FixedClock) -> World:
    return await given_world(container, clock)


def console(world: World) -> Console:
    return world.container.console()


def labels(world: World, order_ids: list[str]) -> list[str]:
    names = {order.id: label for label, order in world.orders.items()}
    return [names[order_id] for order_id in order_ids]


async def test_the_dashboard_counts_the_shops_days_and_what_waits(world: World) -> None:
    board = await console(world).dashboard()
    assert (board.today.placed, board.today.paid, board.today.revenue) == (3, 1, Money.of("209.00"))
    # Since Monday 29 December: every order; o1 (3009.00) and o3 (209.00) paid.
    assert (board.week.placed, board.week.paid, board.week.revenue) == (5, 2, Money.of("3218.00"))
    assert [d.day for d in board.days] == [date(2025, 12, 27) + timedelta(days=n) for n in range(7)]
    assert [(d.figures.placed, d.figures.paid) for d in board.days][-2:] == [(2, 1), (3, 1)]
    assert board.days[-2].figures.revenue == Money.of("3009.00")
    assert board.awaiting_shipment == 1  # o3
    assert board.expiring == 1  # o2: placed 27 hours before it expires... 3 hours from now
    assert (board.needs_refund, board.needs_refund_amount) == (1, Money.of("15009.00"))
    assert board.pending_trades == 0
    assert (board.low_stock, board.low_stock_at_most) == (9, 10)  # every sku but the fan's (49 left)


async def test_a_day_is_the_shops_day_not_utcs(world: World) -> None:
    """07:59 in Shanghai on Saturday is Friday 23:59 UTC: it is Saturday's first minute of trade."""
    world.clock.set(shanghai(3, 7, 59))
    board = await console(world).dashboard()
    assert (board.today.placed, board.days[-1].day) == (0, date(2026, 1, 3))
    assert board.days[-2].figures.placed == 3


async def test_orders_newest_first_and_paged(world: World) -> None:
    page = await console(world).orders(page_size=2)
    assert (page.total, page.pages) == (5, 3)
    assert labels(world, [row.order.id for row in page.items]) == ["o5", "o4"]
    assert [row.username for row in page.items] == ["bob", "bob"]
    last = await console(world).orders(page=99, page_size=2)
    assert (last.page, labels(world, [row.order.id for row in last.items])) == (3, ["o1"])
    assert [line.sku_id for line in last.items[0].order.lines] == [5]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"status": "1"}, ["o2"]),
        ({"status": "cancelled"}, ["o5", "o4"]),
        ({"user": "alice"}, ["o3", "o1"]),
        ({"user": "nobody"}, []),
        ({"user": "999999"}, []),
        ({"user": "bob", "status": "cancelled"}, ["o5", "o4"]),
        ({"placed_from": date(2026, 1, 2)}, ["o5", "o4", "o3"]),
        ({"placed_to": date(2026, 1, 1)}, ["o2", "o1"]),
        ({"placed_from": date(2026, 1, 1), "placed_to": date(2026, 1, 1), "status": "3"}, ["o1"]),
        ({"expiring": True}, ["o2"]),
    ],
)
async def test_orders_by_status_user_and_day(
    world: World, filters: dict[str, object], expected: list[str]
) -> None:
    page = await console(world).orders(**filters)  # type: ignore[arg-type]
    assert labels(world, [row.order.id for row in page.items]) == expected
    assert page.total == len(expected)


async def test_an_order_by_its_id_or_trade_number(world: World) -> None:
    o3 = world.orders["o3"]
    by_id = await console(world).orders(ref=o3.id)
    by_trade = await console(world).orders(ref=o3.trade_no)
    assert [r.order.id for r in by_id.items] == [r.order.id for r in by_trade.items] == [o3.id]
    assert (await console(world).orders(ref="nothing")).total == 0


async def test_bad_order_filters_are_refused(world: World) -> None:
    with pytest.raises(ValidationFailed):
        await console(world).orders(status="9")
    with pytest.raises(ValidationFailed):
        await console(world).orders(placed_from=date(2026, 1, 3), placed_to=date(2026, 1, 1))
    with pytest.raises(ValidationFailed):
        await console(world).orders(page_size=51)


async def test_an_orders_detail_says_who_took_each_step(world: World) -> None:
    detail = await console(world).order(world.orders["o1"].id)
    assert [(s.step, s.by) for s in detail.history] == [
        ("placed", "alice"),
        ("paid", "alice"),
        ("shipped", "boss"),
    ]
    assert detail.history[1].note == "wallet"
    assert [e.action for e in detail.audit] == ["order.ship"]
    assert detail.buyer is not None
    assert detail.buyer.username == "alice"
    cancelled = await console(world).order(world.orders["o5"].trade_no)  # by its trade number too
    assert [(s.step, s.by, s.note) for s in cancelled.history][-1] == ("cancelled", "boss", "operator")
    assert [p.state.value for p in cancelled.payments] == ["needs_refund"]
    with pytest.raises(NotFound):
        await console(world).order("nothing")


async def test_products_newest_first_by_name_category_and_shelf(world: World) -> None:
    every = await console(world).products(page_size=50)
    assert [row.id for row in every.items] == [8, 7, 6, 5, 4, 3, 2, 1]
    iphone = every.items[-1]
    # Its skus: 8888.00 ×5, 9999.00 ×3, 8888.00 ×2 (o4's one came back).
    assert (iphone.price, iphone.stock, iphone.skus, iphone.spu) == (Money.of("8888.00"), 10, 3, "iPhone 14")
    assert iphone.image == "p1/a.png"
    assert [r.id for r in (await console(world).products(text="iphone")).items] == [2, 1]
    assert [r.id for r in (await console(world).products(text="7")).items] == [7]  # an id
    assert [r.id for r in (await console(world).products(on_shelf=False)).items] == [6]
    electricity = (await console(world).categories())[1].category.id
    assert [r.id for r in (await console(world).products(category_id=electricity)).items] == [7]
    intelligence = (await console(world).categories())[0].category.id
    on = await console(world).products(category_id=intelligence, on_shelf=True, page_size=2, page=2)
    assert ([r.id for r in on.items], on.total) == ([3, 2], 5)


async def test_skus_low_on_stock_least_first(world: World) -> None:
    page = await console(world).low_stock(at_most=3)
    assert [(row.sku.id, row.sku.stock) for row in page.items] == [(6, 1), (3, 2), (2, 3), (10, 3)]
    assert page.items[0].product_name == "华为 nova 11 Pro"
    assert page.items[2].image == "p1/c.png"  # its own first image
    assert page.items[1].image == "p1/a.png"  # none of its own: its product card's
    assert (await console(world).low_stock()).total == 9


async def test_categories_count_their_products_and_spus_are_suggested(world: World) -> None:
    rows = await console(world).categories()
    assert [(r.category.slug, r.products, r.on_shelf) for r in rows] == [
        ("intelligence", 6, 5),
        ("electricity", 1, 1),
        ("computer", 1, 1),
        ("headset", 0, 0),
    ]
    assert [s.name for s in await console(world).spus(text="I")] == ["iPhone 14", "Redmi Note 12"]
    assert [s.name for s in await console(world).spus(category_id=rows[2].category.id)] == ["MacBook"]


async def test_users_newest_first_with_balance_and_orders(world: World) -> None:
    page = await console(world).users()
    assert [(r.user.username, r.orders) for r in page.items] == [("boss", 0), ("bob", 3), ("alice", 2)]
    alice = page.items[-1]
    assert alice.balance == Money.of("100000.00") - Money.of("3009.00") - Money.of("209.00")
    assert [r.user.username for r in (await console(world).users(text="ALI")).items] == ["alice"]
    assert [r.user.username for r in (await console(world).users(is_admin=True)).items] == ["boss"]
    detail = await console(world).user(world.bob)
    assert (detail.orders, detail.wallet.balance, len(detail.addresses)) == (3, Money.of("100000.00"), 1)
    with pytest.raises(NotFound):
        await console(world).user(999_999)


async def test_a_wallets_ledger_newest_first(world: World) -> None:
    page = await console(world).ledger(world.alice)
    assert [(e.kind.value, str(e.amount)) for e in page.items] == [
        ("payment", "209.00"),
        ("payment", "3009.00"),
        ("recharge", "100000.00"),
    ]
    assert page.items[0].balance_after == Money.of("96782.00")


async def test_the_audit_log_keeps_each_operators_change(world: World) -> None:
    log = await console(world).audit(actor="boss")
    assert [(e.action, e.target) for e in log.items] == [
        ("order.cancel", f"order:{world.orders['o5'].id}"),
        ("order.cancel", f"order:{world.orders['o4'].id}"),
        ("order.ship", f"order:{world.orders['o1'].id}"),
    ]
    shipped = log.items[-1]
    assert (dict(shipped.before), dict(shipped.after)) == ({"status": "2"}, {"status": "3"})
    assert (shipped.actor.user_id, shipped.at) == (world.boss.user_id, shanghai(1, 8, 20))
    assert dict(log.items[0].after) == {"status": "cancelled", "cancel_reason": "operator"}


async def test_the_audit_log_by_action_target_and_time(world: World) -> None:
    admin = world.container.catalog_admin()
    world.clock.set(shanghai(2, 13))
    await admin.set_price(1, "8000.00", by=world.boss)
    await admin.set_stock(1, 7, by=Actor.command_line("root"))
    c = console(world)
    assert [e.action for e in (await c.audit(action="sku")).items] == ["sku.stock", "sku.price"]
    assert [e.action for e in (await c.audit(action="sku.price")).items] == ["sku.price"]
    assert [e.actor.label for e in (await c.audit(target="sku:1")).items] == ["cli:root", "boss"]
    assert (await c.audit(target="sku:10")).total == 0  # not a prefix of sku:1
    assert (await c.audit(actor="cli:root")).items[0].before == {"stock": 5}
    since_lunch = await c.audit(since=shanghai(2, 12, 30))
    assert [e.action for e in since_lunch.items] == ["sku.stock", "sku.price"]
    assert (await c.audit(until=shanghai(2, 12, 30), action="sku")).total == 0
    # The products the catalogue was built with are there too, as the shop's own (no operator named).
    created = await c.audit(action="product.create", page_size=50)
    assert created.total == 8
    assert {e.actor.label for e in created.items} == {"system:jiadian"}
    assert created.items[-1].after["skus.1.price"] == "8888.00"


async def test_a_change_that_fails_leaves_no_entry(world: World) -> None:
    admin = world.container.catalog_admin()
    before = (await console(world).audit(page_size=1)).total
    with pytest.raises(ValidationFailed):  # written up to the second sku, then refused: rolled back
        await admin.update_product(
            1,
            "iPhone 14 Pro",
            [_sku("1.00"), _sku("2.00", color="红"), _sku("3.00", color="红")],
            by=world.boss,
        )
    with pytest.raises(Exception):
        await world.container.fulfilment().ship(world.orders["o4"].id, by=world.boss)
    assert (await console(world).audit(page_size=1)).total == before


async def test_payments_by_order_or_trade_number(world: World) -> None:
    payments = world.container.payments()
    o5 = world.orders["o5"]
    by_trade = await payments.list(None, 1, 10, ref=o5.trade_no)
    by_id = await payments.list("needs_refund", 1, 10, ref=o5.id)
    assert [p.order_id for p in by_trade.items] == [p.order_id for p in by_id.items] == [o5.id]
    assert (await payments.list(None, 1, 10, ref=world.orders["o1"].id)).total == 0


def _sku(price: str, *, color: str = "白色") -> SkuSpec:
    return sku(price, 1, color=color, size="8G+256G")


async def test_status_is_parsed_like_the_shoppers(world: World) -> None:
    page = await console(world).orders(status=OrderStatus.SHIPPED.value)
    assert labels(world, [r.order.id for r in page.items]) == ["o1"]
