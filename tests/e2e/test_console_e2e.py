"""The operator console in Chromium, against the real server (`jiadian serve` on SQLite, demo catalogue).

A shopper who opens /admin/ gets the sign-in page and no data. An operator signs in, creates a product with
two skus and three images (ordered), sees it in the storefront, changes its price and stock (the storefront
shows the new values at once), ships an order a shopper placed in the same test, finds a payment kept for a
refund and gives it back through the gateway; the audit log shows each change with the operator's name. Every console page is
saved as a screenshot at both sizes under test-output/screenshots/ (console-*).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.accounts_support import PASSWORD
from tests.e2e.support import Shop
from tests.e2e.test_storefront_e2e import EXPECT_TIMEOUT_MS, SIZES, Journey
from tests.files_support import png

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PRODUCT = "云帆 X1 智能音箱"
SPU = "云帆 X1"


class Shopper:
    """A shopper over the API (the storefront's own journey is tested elsewhere): cookies and CSRF."""

    def __init__(self, shop: Shop, username: str) -> None:
        self.client = httpx.Client(base_url=shop.base_url, timeout=30)
        self.client.get("/health")
        self.client.headers["x-csrftoken"] = self.client.cookies["csrftoken"]
        self.call("POST", "/api/auth/login", json={"username": username, "password": PASSWORD})
        self.address = self.call(
            "POST",
            "/api/me/addresses",
            json={
                "recipient": "王小明",
                "phone": "13812345678",
                "province": "上海市",
                "city": "上海市",
                "county": "浦东新区",
                "detail": "世纪大道 100 号",
                "is_default": True,
            },
        )["id"]

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.client.request(method, path, **kwargs)
        assert response.status_code < 300, f"{method} {path}: {response.status_code} {response.text}"
        return response.json() if response.content else None

    def buy(self, sku_id: int) -> str:
        order = self.call(
            "POST",
            "/api/orders",
            json={"buy_now": {"sku_id": sku_id, "count": 1}, "address_id": self.address},
        )
        return str(order["order_id"])

    def pay(self, order_id: str, method: str) -> Any:
        return self.call("POST", f"/api/orders/{order_id}/payments", json={"method": method})


def audit_actions(page: Any) -> list[str]:
    return [
        str(a)
        for a in page.get_by_test_id("audit-action").evaluate_all("els => els.map(e => e.dataset.action)")
    ]


@pytest.mark.parametrize("size", list(SIZES), ids=list(SIZES))
def test_an_operator_runs_the_shop_from_the_console(
    browser: Any, shop: Shop, screenshots: Path, size: str
) -> None:
    from playwright.sync_api import expect

    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    width, height = SIZES[size]
    shop.cli("users", "create", "boss", "--email", "boss@example.com", "--admin", stdin=f"{PASSWORD}\n")
    shop.cli("users", "create", "alice", "--email", "alice@example.com", stdin=f"{PASSWORD}\n")
    shop.cli("wallet", "recharge", "alice", "50000.00")

    context = browser.new_context(
        viewport={"width": width, "height": height}, locale="zh-CN", timezone_id="Asia/Shanghai"
    )
    page = context.new_page()
    page.set_default_timeout(EXPECT_TIMEOUT_MS)
    page_errors: list[str] = []
    page.on("pageerror", lambda exc: page_errors.append(str(exc)))
    admin_answers: list[str] = []
    page.on(
        "response", lambda r: admin_answers.append(f"{r.status} {r.url}") if "/api/admin/" in r.url else None
    )
    j = Journey(page, shop, screenshots, (width, height))
    tid = j.tid
    console = f"{shop.base_url}/admin/"

    def shot(name: str) -> None:
        j.shot(f"console-{name}")

    # --- anyone but an operator: the sign-in page, and no data ------------------------------------
    page.goto(f"{console}#/orders")
    expect(tid("console-login-form")).to_be_visible()
    expect(tid("console-nav")).to_be_hidden()
    shot("login")
    tid("login-username").fill("alice")
    tid("login-password").fill(PASSWORD)
    tid("login-submit").click()
    expect(tid("not-operator")).to_contain_text("alice")
    expect(j.error).to_have_text("该账号没有运营权限")
    page.goto(f"{console}#/users")
    expect(tid("not-operator")).to_be_visible()
    expect(tid("users")).to_have_count(0)
    assert admin_answers == [], admin_answers  # the console asked the admin API nothing for them
    shot("not-operator")
    tid("signout-button").click()
    expect(tid("not-operator")).to_have_count(0)

    # --- the operator signs in: the dashboard -------------------------------------------------------
    tid("login-username").fill("boss")
    tid("login-password").fill(PASSWORD)
    tid("login-submit").click()
    expect(tid("operator-name")).to_have_text("boss")
    expect(tid("page-title")).to_have_text("概览")
    expect(tid("todo-ship-value")).to_have_text("0")
    shot("dashboard-empty")

    # --- a product with two skus --------------------------------------------------------------------
    tid("nav-products").click()
    expect(tid("products")).to_be_visible()
    shot("products")
    tid("new-product-link").click()
    expect(tid("product-form")).to_be_visible()
    tid("product-name").fill(PRODUCT)
    tid("product-category").select_option("intelligence")
    tid("product-spu").fill(SPU)
    tid("product-detail").fill("远场语音，360° 环绕声。")
    rows = tid("sku-row")
    rows.nth(0).get_by_test_id("sku-color").fill("白色")
    rows.nth(0).get_by_test_id("sku-size").fill("标准版")
    rows.nth(0).get_by_test_id("sku-price").fill("199.00")
    rows.nth(0).get_by_test_id("sku-stock").fill("30")
    tid("add-sku").click()
    rows.nth(1).get_by_test_id("sku-color").fill("黑色")
    rows.nth(1).get_by_test_id("sku-size").fill("Pro 版")
    rows.nth(1).get_by_test_id("sku-price").fill("299.00")
    rows.nth(1).get_by_test_id("sku-stock").fill("20")
    shot("product-new")
    tid("save-product").click()
    expect(j.notice).to_contain_text("已创建")
    expect(page).to_have_url(re.compile(r"#/products/\d+$"))
    product_id = int(page.url.rsplit("/", 1)[1])
    expect(tid("sku-images")).to_have_count(2)  # the edit page: a gallery per sku
    sku_ids = [int(s) for s in tid("sku-images").evaluate_all("els => els.map(e => e.dataset.skuId)")]

    # --- three images, the last made the first ------------------------------------------------------
    gallery = page.locator(f'[data-testid="sku-images"][data-sku-id="{sku_ids[0]}"]')
    gallery.get_by_test_id("image-upload").set_input_files(
        files=[
            {"name": f"{c}.png", "mimeType": "image/png", "buffer": png(c, (240, 240))}
            for c in ("teal", "orange", "purple")
        ]
    )
    gallery.get_by_test_id("upload-button").click()
    expect(j.notice).to_have_text("已上传 3 张图片")
    expect(gallery.get_by_test_id("image")).to_have_count(3)
    image_ids = gallery.get_by_test_id("image").evaluate_all("els => els.map(e => Number(e.dataset.imageId))")
    gallery.get_by_test_id("image").nth(2).get_by_test_id("image-left").click()
    expect(j.notice).to_have_text("图片顺序已调整")
    expect(gallery.get_by_test_id("image").nth(1)).to_have_attribute("data-image-id", str(image_ids[2]))
    gallery.get_by_test_id("image").nth(1).get_by_test_id("image-left").click()
    expect(j.notice).to_have_text("已设为首图")
    expect(gallery.get_by_test_id("image").first).to_have_attribute("data-image-id", str(image_ids[2]))
    ordered = gallery.get_by_test_id("image").evaluate_all("els => els.map(e => Number(e.dataset.imageId))")
    assert ordered == [image_ids[2], image_ids[0], image_ids[1]]
    expect(gallery.get_by_test_id("image").first.get_by_test_id("first-image")).to_be_visible()
    shot("product-edit")

    # --- it is in the storefront --------------------------------------------------------------------
    store = context.new_page()
    store.goto(f"{shop.base_url}/#/product/{product_id}")
    expect(store.get_by_test_id("product-name")).to_have_text(PRODUCT)
    expect(store.get_by_test_id("sku-price")).to_contain_text("199.00")
    expect(store.get_by_test_id("sku-stock")).to_have_text("30 件")
    main_image = store.get_by_test_id("product-main-image")
    first_file = gallery.get_by_test_id("image").first.locator("img").get_attribute("src")
    expect(main_image).to_have_attribute("src", first_file or "")

    # --- its price and stock change; the storefront shows them at once -------------------------------
    rows = tid("sku-row")
    rows.nth(0).get_by_test_id("sku-price").fill("189.00")
    rows.nth(0).get_by_test_id("sku-stock").fill("7")
    tid("save-product").click()
    expect(j.notice).to_contain_text("已保存")
    store.reload()
    expect(store.get_by_test_id("sku-price")).to_contain_text("189.00")
    expect(store.get_by_test_id("sku-stock")).to_have_text("7 件")
    store.close()

    # --- a shopper's order, shipped from the console --------------------------------------------------
    alice = Shopper(shop, "alice")
    shipped = alice.buy(sku_ids[0])
    alice.pay(shipped, "wallet")
    kept = alice.buy(sku_ids[1])  # Alipay started, then paid from the wallet: Alipay's money comes later
    alice.pay(kept, "alipay")
    alice.pay(kept, "wallet")
    shop.cli("payments", "simulate-pay", kept)

    tid("nav-dashboard").click()
    expect(tid("todo-ship-value")).to_have_text("2")
    expect(tid("todo-refund-value")).to_have_text("1")
    shot("dashboard")
    tid("todo-ship").click()
    expect(tid("order-tab-2")).to_have_attribute("aria-current", "page")
    expect(tid("order-row")).to_have_count(2)
    shot("orders")
    row = page.locator(f'[data-testid="order-row"][data-key="{shipped}"]')
    row.get_by_test_id("ship-button").click()
    expect(tid("confirm-dialog")).to_be_visible()
    expect(tid("confirm-message")).to_contain_text(shipped)
    tid("confirm-cancel").click()  # not yet
    expect(tid("confirm-dialog")).to_have_count(0)
    expect(row.get_by_test_id("order-status")).to_have_text("待发货")
    row.get_by_test_id("ship-button").click()
    tid("confirm-ok").click()
    expect(j.notice).to_have_text(f"订单 {shipped} 已发货")
    expect(page.locator(f'[data-testid="order-row"][data-key="{shipped}"]')).to_have_count(
        0
    )  # no longer waiting
    page.goto(f"{console}#/orders/{shipped}")
    expect(tid("order-status")).to_have_text("待收货")
    expect(tid("history-step").last).to_contain_text("boss")
    expect(tid("order-address")).to_contain_text("世纪大道 100 号")
    shot("order")

    # --- the payment kept for a refund ----------------------------------------------------------------
    tid("nav-payments").click()
    expect(tid("payment-tab-needs_refund")).to_have_attribute("aria-current", "page")
    refund = tid("payment-row")
    expect(refund).to_have_count(1)
    expect(refund).to_contain_text(kept)
    expect(tid("notification-row").first).to_be_visible()
    shot("payments")
    refund.get_by_test_id("refund-payment").click()  # back through Alipay (the simulator refunds at once)
    tid("confirm-input").fill("订单已用余额支付")
    tid("confirm-ok").click()
    expect(j.notice).to_contain_text("已退款")
    expect(tid("payment-row")).to_have_count(0)
    tid("nav-refunds").click()
    tid("refund-tab-all").click()
    expect(tid("refund-row")).to_have_count(1)
    expect(tid("refund-row").get_by_test_id("refund-state")).to_have_text("已退款")
    expect(tid("refund-row")).to_contain_text("订单已用余额支付")
    shot("refunds")

    # --- every other page -------------------------------------------------------------------------
    tid("nav-stock").click()
    tid("filter-at-most").fill("10")
    tid("stock-filter").locator("button[type=submit]").click()
    expect(page.locator(f'[data-testid="stock-row"][data-key="{sku_ids[0]}"]')).to_be_visible()
    shot("stock")
    tid("nav-categories").click()
    expect(tid("category-row")).to_have_count(4)
    shot("categories")
    tid("nav-banners").click()
    expect(tid("banner")).to_have_count(4)
    first_banner = tid("banner").first.get_attribute("data-banner-id")
    tid("banner").first.get_by_test_id("banner-down").click()
    expect(j.notice).to_have_text("轮播图顺序已调整")
    expect(tid("banner").nth(1)).to_have_attribute("data-banner-id", first_banner or "")
    shot("banners")
    tid("nav-users").click()
    expect(tid("user-row")).to_have_count(2)
    shot("users")
    page.locator('[data-testid="user-row"]', has_text="alice").get_by_test_id("user-link").click()
    expect(tid("wallet-balance")).to_have_text("¥49492.00")  # 50000 - 199.00 - 309.00
    expect(tid("ledger-row")).to_have_count(3)
    shot("user")
    tid("nav-gate").click()
    expect(tid("gate-mode")).to_be_visible()
    shot("gate")

    # --- the audit log shows each change, by the operator ----------------------------------------------
    tid("nav-audit").click()
    tid("filter-actor").fill("boss")
    tid("audit-filters").locator("button[type=submit]").click()
    expect(tid("audit-row").first).to_be_visible()
    actions = audit_actions(page)
    for wanted in (
        "product.create",
        "sku_image.add",
        "sku_image.order",
        "product.update",
        "order.ship",
        "payment.refund",
        "banner.order",
    ):
        assert wanted in actions, (wanted, actions)
    assert actions.count("sku_image.add") == 3
    update = page.locator('[data-testid="audit-row"]', has=page.locator('[data-action="product.update"]'))
    expect(update).to_contain_text("199.00")
    expect(update).to_contain_text("189.00")
    expect(update).to_contain_text("30")
    shot("audit")

    assert not page_errors, page_errors
    context.close()
