"""One contract for the payment repository, on memory, SQLite and MariaDB (so the twins cannot drift)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from tests.ordering_support import OrderingShop

from jiadian.adapters.clock import FixedClock
from jiadian.adapters.sql.payments import MAX_FIELDS_BYTES, fields_json
from jiadian.container import Container
from jiadian.domain.money import Money
from jiadian.domain.ordering import Order
from jiadian.domain.payments import Notification, Payment, PaymentState


@pytest.fixture(params=["memory", "sqlite", pytest.param("mysql", marks=pytest.mark.mysql)])
def container(request: pytest.FixtureRequest) -> Container:
    if request.param == "memory":
        found, _state = request.getfixturevalue("memory")
        return found  # type: ignore[no-any-return]
    return request.getfixturevalue(request.param)  # type: ignore[no-any-return]


async def an_order(container: Container, clock: FixedClock) -> tuple[int, Order]:
    shop = OrderingShop(container, clock)
    sku = await shop.given_sku(price="12.30")
    user, address = await shop.given_buyer()
    return user, await shop.buy(user, address, sku.id)


def payment(order: Order, state: PaymentState, clock: FixedClock, **changes: object) -> Payment:
    values: dict[str, object] = {
        "id": 0,
        "order_id": order.id,
        "user_id": 0,  # read back from the order
        "method": "alipay",
        "trade_no": order.trade_no,
        "gateway_trade_no": "",
        "amount": order.total,
        "state": state,
        "created_at": clock.now(),
        **changes,
    }
    return Payment(**values)  # type: ignore[arg-type]


async def test_a_started_trade_is_pending_once(container: Container, clock: FixedClock) -> None:
    user, order = await an_order(container, clock)
    async with container.uow() as uow:
        assert await uow.payments.order_id_for_trade(order.trade_no) == order.id
        assert await uow.payments.order_id_for_trade("JD-not-ours") is None
        await uow.payments.start(payment(order, PaymentState.PENDING, clock))
        await uow.payments.start(
            payment(order, PaymentState.PENDING, clock, created_at=clock.now() + timedelta(1))
        )
        await uow.commit()
    async with container.uow() as uow:
        found = await uow.payments.get("alipay", order.trade_no)
        assert found is not None
        assert (found.state, found.user_id, found.amount, found.created_at) == (
            PaymentState.PENDING,
            user,
            Money.of("22.30"),
            clock.now(),
        )
        assert await uow.payments.by_id(found.id) == found
        assert await uow.payments.get("wallet", order.trade_no) is None
        assert await uow.payments.count(state=None) == 1


async def test_settle_writes_over_an_open_row_once(container: Container, clock: FixedClock) -> None:
    _user, order = await an_order(container, clock)
    async with container.uow() as uow:
        await uow.payments.start(payment(order, PaymentState.PENDING, clock))
        await uow.commit()
    clock.advance(minutes=5)
    async with container.uow() as uow:
        applied = payment(order, PaymentState.APPLIED, clock, gateway_trade_no="2026A")
        assert await uow.payments.settle(applied)
        assert not await uow.payments.settle(payment(order, PaymentState.NEEDS_REFUND, clock))
        await uow.commit()
    async with container.uow() as uow:
        (only,) = await uow.payments.list(state=None, offset=0, limit=10)
        assert (only.state, only.gateway_trade_no) == (PaymentState.APPLIED, "2026A")
        assert not await uow.payments.settle(applied)


async def test_settle_adds_a_row_when_none_was_started_and_reopens_a_closed_one(
    container: Container, clock: FixedClock
) -> None:
    _user, first = await an_order(container, clock)
    _user2, second = await an_order(container, clock)
    async with container.uow() as uow:
        assert await uow.payments.settle(payment(first, PaymentState.NEEDS_REFUND, clock))
        await uow.payments.start(payment(second, PaymentState.PENDING, clock))
        started = await uow.payments.get("alipay", second.trade_no)
        assert started is not None
        assert await uow.payments.change_state(
            started.id, expected=PaymentState.PENDING, to=PaymentState.CLOSED
        )
        assert not await uow.payments.change_state(
            started.id, expected=PaymentState.PENDING, to=PaymentState.CLOSED
        )
        assert await uow.payments.settle(payment(second, PaymentState.NEEDS_REFUND, clock))
        await uow.commit()
    async with container.uow() as uow:
        assert await uow.payments.count(state=PaymentState.NEEDS_REFUND) == 2
        assert await uow.payments.count(state=PaymentState.CLOSED) == 0


async def test_nothing_is_kept_without_commit(container: Container, clock: FixedClock) -> None:
    _user, order = await an_order(container, clock)
    async with container.uow() as uow:
        assert await uow.payments.settle(payment(order, PaymentState.APPLIED, clock))
        await uow.payments.add_notification(
            Notification("alipay", order.trade_no, {"a": "b"}, "applied", clock.now())
        )
    async with container.uow() as uow:
        assert await uow.payments.count(state=None) == 0
        assert await uow.payments.notifications(trade_no=None, limit=10) == []


async def test_pending_oldest_first_and_lists_newest_first(container: Container, clock: FixedClock) -> None:
    orders = [(await an_order(container, clock))[1] for _ in range(3)]
    async with container.uow() as uow:
        for order in orders:
            await uow.payments.start(payment(order, PaymentState.PENDING, clock))
            clock.advance(seconds=1)
        first = await uow.payments.get("alipay", orders[0].trade_no)
        assert first is not None
        await uow.payments.change_state(first.id, expected=PaymentState.PENDING, to=PaymentState.CLOSED)
        await uow.commit()
    async with container.uow() as uow:
        assert [p.order_id for p in await uow.payments.pending("alipay", 10)] == [orders[1].id, orders[2].id]
        assert [p.order_id for p in await uow.payments.pending("alipay", 1)] == [orders[1].id]
        assert await uow.payments.pending("wallet", 10) == []
        newest = await uow.payments.list(state=None, offset=0, limit=2)
        assert [p.order_id for p in newest] == [orders[2].id, orders[1].id]
        assert [p.order_id for p in await uow.payments.list(state=None, offset=2, limit=2)] == [orders[0].id]
        closed = await uow.payments.list(state=PaymentState.CLOSED, offset=0, limit=10)
        assert [p.order_id for p in closed] == [orders[0].id]


async def test_notifications_keep_the_raw_fields(container: Container, clock: FixedClock) -> None:
    fields = {"out_trade_no": "JD1", "subject": "家电之选-订单支付", "sign": "abc=="}
    async with container.uow() as uow:
        first = await uow.payments.add_notification(
            Notification("alipay", "JD1", fields, "applied", clock.now())
        )
        clock.advance(seconds=1)
        await uow.payments.add_notification(Notification("alipay", "JD2", {}, "bad_signature", clock.now()))
        clock.advance(seconds=1)
        await uow.payments.add_notification(Notification("alipay", "JD1", {}, "duplicate", clock.now()))
        await uow.commit()
    async with container.uow() as uow:
        mine = await uow.payments.notifications(trade_no="JD1", limit=10)
        assert [n.verdict for n in mine] == ["duplicate", "applied"]
        assert (mine[1].id, mine[1].fields, mine[1].gateway, mine[1].received_at) == (
            first,
            fields,
            "alipay",
            clock.now() - timedelta(seconds=2),
        )
        assert [n.trade_no for n in await uow.payments.notifications(trade_no=None, limit=2)] == [
            "JD1",
            "JD2",
        ]


async def test_an_oversized_notification_is_shortened_to_fit(container: Container, clock: FixedClock) -> None:
    fields = {f"k{i:03d}": "字" * 5000 for i in range(40)}
    async with container.uow() as uow:
        await uow.payments.add_notification(
            Notification("alipay", "JD" + "9" * 100, fields, "bad_signature", clock.now())
        )
        await uow.commit()
    async with container.uow() as uow:
        (kept,) = await uow.payments.notifications(trade_no=None, limit=1)
    assert kept.verdict == "bad_signature"
    assert kept.trade_no.startswith("JD99")


def test_fields_json_stays_under_the_column_size() -> None:
    huge = {f"k{i:03d}": "字" * 5000 for i in range(40)}
    text = fields_json(huge)
    assert len(text.encode("utf-8")) < MAX_FIELDS_BYTES
    kept = json.loads(text)
    assert kept["_truncated"].endswith("fields left out")
    assert all(len(value) <= 4000 for value in kept.values())
    small = {"b": "2", "a": "1"}
    assert json.loads(fields_json(small)) == small


async def test_delete_notifications_by_verdict_and_age(container: Container, clock: FixedClock) -> None:
    def kept(verdict: str, days_ago: int) -> Notification:
        received = clock.now() - timedelta(days=days_ago)
        return Notification(gateway="alipay", trade_no="T", fields={}, verdict=verdict, received_at=received)

    async with container.uow() as uow:
        for verdict, days_ago in [
            ("bad_signature", 40),
            ("bad_signature", 10),
            ("applied", 40),
            ("unsigned", 50),
        ]:
            await uow.payments.add_notification(kept(verdict, days_ago))
        await uow.commit()
    before = clock.now() - timedelta(days=30)
    async with container.uow() as uow:
        verdicts = ["bad_signature", "unsigned"]
        assert await uow.payments.delete_notifications(verdicts=verdicts, before=before, limit=1) == 1
        assert await uow.payments.delete_notifications(verdicts=verdicts, before=before, limit=10) == 1
        assert await uow.payments.delete_notifications(verdicts=verdicts, before=before, limit=10) == 0
        await uow.commit()
    async with container.uow() as uow:
        left = await uow.payments.notifications(trade_no=None, limit=10)
    assert sorted(n.verdict for n in left) == ["applied", "bad_signature"]
