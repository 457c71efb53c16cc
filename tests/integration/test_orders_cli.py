"""`jiadian orders …` against the shop's database (a SQLite file), as an operator runs them."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tests.conftest import settings_for
from tests.ordering_support import OrderingShop
from typer.testing import CliRunner

from jiadian.adapters.clock import FixedClock
from jiadian.adapters.sql.migrate import upgrade
from jiadian.container import build_container, shutdown
from jiadian.entrypoints.cli.main import app


def _seed(tmp_path: Path) -> tuple[dict[str, str], int]:
    """Four orders placed two days ago by alice: two unpaid, two paid. Returns their ids and the sku."""

    async def main() -> tuple[dict[str, str], int]:
        container = build_container(settings_for(tmp_path))
        try:
            await upgrade(container.engine())
            shop = OrderingShop(container, FixedClock(datetime.now(UTC) - timedelta(days=2)))
            sku = await shop.given_sku(stock=10)
            user, address = await shop.given_buyer(balance="1000.00", name="alice")
            ids = {
                name: (await shop.buy(user, address, sku.id)).id
                for name in ("stale", "paid", "other", "to_ship")
            }
            for name in ("paid", "to_ship"):
                await shop.orders.pay(user, ids[name], "wallet")
            return ids, sku.id
        finally:
            await shutdown(container)

    return asyncio.run(main())


def _stock(tmp_path: Path, sku_id: int) -> int:
    async def main() -> int:
        container = build_container(settings_for(tmp_path))
        try:
            async with container.uow() as uow:
                sku = await uow.catalog.get_sku(sku_id)
            assert sku is not None
            return sku.stock
        finally:
            await shutdown(container)

    return asyncio.run(main())


def test_the_operator_lists_ships_cancels_and_sweeps(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ids, sku_id = _seed(tmp_path)
    monkeypatch.setenv("JIADIAN_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("JIADIAN_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'shop.sqlite3'}")
    monkeypatch.setenv("JIADIAN_AUTO_DEMO", "false")
    monkeypatch.setenv("COLUMNS", "200")
    runner = CliRunner()

    def jiadian(*args: str, code: int = 0) -> str:
        result = runner.invoke(app, ["orders", *args])
        assert result.exit_code == code, result.output
        return result.output

    listed = jiadian("list")
    assert "4 orders" in listed
    assert all(order_id in listed for order_id in ids.values())
    paid = jiadian("list", "--status", "2", "--user", "alice")
    assert {ids["paid"], ids["to_ship"]} == {i for i in ids.values() if i in paid}
    assert "2 orders" in paid
    assert "2 AWAITING_SHIPMENT 待发货" in paid  # the code, the name and the label
    by_name = jiadian("list", "--status", "awaiting_shipment", "--user", "alice")
    assert {ids["paid"], ids["to_ship"]} == {i for i in ids.values() if i in by_name}
    assert "not_found" in jiadian("list", "--user", "999", code=1)  # no such user (by name or id)

    shown = jiadian("show", ids["stale"])
    assert "status 1 AWAITING_PAYMENT 待支付" in shown
    assert "total 110.00" in shown
    assert "张三" in shown

    assert f"order {ids['other']}: cancelled CANCELLED 已取消" in jiadian("cancel", ids["other"])
    assert "3 SHIPPED 待收货" in jiadian("ship", ids["to_ship"])
    assert "illegal_transition" in jiadian("ship", ids["stale"], code=1)
    assert "not_found" in jiadian("show", "nope", code=1)

    assert "expired 1 unpaid orders" in jiadian("expire-unpaid")
    assert "expired 0 unpaid orders" in jiadian("expire-unpaid")
    assert "shipped 1 paid orders" in jiadian("ship-due")
    assert "shipped 0 paid orders" in jiadian("ship-due")

    statuses = jiadian("list")
    assert statuses.count("已取消") == 2
    assert statuses.count("待收货") == 2
    assert _stock(tmp_path, sku_id) == 8  # two cancelled orders gave their stock back
