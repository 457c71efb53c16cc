"""The README and docs/ stay true: the settings table is the settings', the first steps run, the CSRF
rule is stated, and every link stays inside the repository."""

from __future__ import annotations

import asyncio
import os
import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from jiadian.application.checkout import BuyNow, CheckoutRequest
from jiadian.container import build_container, shutdown
from jiadian.domain.accounts import Address
from jiadian.domain.catalog import SortKey
from jiadian.entrypoints.cli.main import app
from jiadian.settings import TABLE_END, TABLE_START, Settings, settings_table

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_described() -> None:
    undescribed = [
        name for name, info in Settings.model_fields.items() if not (info.description or "").strip()
    ]
    assert not undescribed, f"give these settings a description (it is their documentation): {undescribed}"


def test_the_configuration_table_is_generated_from_the_settings() -> None:
    start, end = README.index(TABLE_START) + len(TABLE_START), README.index(TABLE_END)
    assert README[start:end].strip() == settings_table(), (
        "the README's settings table is stale: run `make docs`"
    )
    for name in (
        "JIADIAN_HOST",
        "JIADIAN_PORT",
        "JIADIAN_WORKERS",
        "JIADIAN_VAR_DIR",
        "JIADIAN_FASTDFS_TRACKERS",
    ):
        assert f"| `{name}` |" in README


def test_the_csrf_rule_is_stated() -> None:
    assert "X-CSRFToken" in README
    assert "`csrftoken`" in README
    assert "csrf_failed" in README


def first_steps() -> list[list[str]]:
    section = README[README.index("## First steps") :]
    block = section[
        section.index("```bash") + len("```bash") : section.index("```", section.index("```bash") + 7)
    ]
    commands = []
    for line in block.splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith(".venv/bin/jiadian "):
            commands.append(shlex.split(line)[1:])
    return commands


def test_the_first_steps_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each command of the walk, in order, on a fresh shop; the shopper's part in the browser is played
    by the use cases (an address, an order, a wallet payment)."""
    for name in [n for n in os.environ if n.startswith("JIADIAN_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("JIADIAN_VAR_DIR", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    assert runner.invoke(app, ["demo", "load"]).exit_code == 0
    commands = first_steps()
    assert [c[:2] for c in commands][:3] == [["users", "create"], ["users", "create"], ["wallet", "recharge"]]
    order_id = None
    for args in commands:
        if "ORDER_ID" in args:
            order_id = order_id or asyncio.run(_alice_orders_and_pays())
            args = [order_id if a == "ORDER_ID" else a for a in args]
        result = runner.invoke(app, args, input="first-steps-password\n")
        assert result.exit_code == 0, f"{args}: {result.output}"
        if args[:2] == ["orders", "ship"]:
            assert "待收货" in result.output
    assert order_id is not None


async def _alice_orders_and_pays() -> str:
    """In the browser: an address, "buy now" of the cheapest product, 余额支付."""
    container = build_container()
    try:
        alice = await container.accounts().by_username("alice")
        async with container.uow() as uow:
            address = await uow.addresses.add(
                Address(
                    0,
                    alice.id,
                    "爱丽丝",
                    "13812345678",
                    "北京市",
                    "北京市",
                    "海淀区",
                    "中关村大街 1 号",
                    True,
                )
            )
            await uow.commit()
        card = (await container.catalog().list_products("all", SortKey("price"), 1, 1)).items[
            0
        ]  # the cheapest
        order = await container.checkout().place(
            alice.id, CheckoutRequest(buy_now=BuyNow(card.sku_id, 1)), address_id=address.id
        )
        await container.orders().pay(alice.id, order.id, "wallet")
        return order.id
    finally:
        await shutdown(container)


def test_the_docs_stay_inside_the_repository() -> None:
    """CONTRIBUTING and the README send readers to files of this repository only (no ../shared)."""
    for document in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        text = document.read_text(encoding="utf-8")
        for outside in ("../shared/", "DESIGN.md", "PITFALLS.md", "STYLE.md"):  # the brief's files, not ours
            assert outside not in text, f"{document.name} sends readers to {outside}, outside the repository"
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
            if re.match(r"^[a-z]+:", target):
                continue  # a web address
            resolved = (document.parent / target).resolve()
            assert resolved.is_relative_to(ROOT), f"{document.name} links outside the repository: {target}"
            assert resolved.exists(), f"{document.name} links to a missing file: {target}"


def test_the_csrf_rule_is_a_security_scheme_of_the_openapi_document(tmp_path: Path) -> None:
    from jiadian.entrypoints.http.app import create_app
    from tests.conftest import settings_for

    document = create_app(
        build_container(settings_for(tmp_path)), prepare_database=False
    ).openapi_schema.to_schema()
    schemes = document["components"]["securitySchemes"]
    assert schemes["csrf"]["in"] == "header"
    assert schemes["csrf"]["name"] == "X-CSRFToken"
    assert "csrftoken" in schemes["csrf"]["description"]
    assert schemes["session"]["in"] == "cookie"
