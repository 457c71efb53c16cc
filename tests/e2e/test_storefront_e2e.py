"""A shopper's whole journey through the storefront, in Chromium, against the real server.

Registration with the e-mailed code, sign-in (and a wrong password), a password change in the user
centre and a forgotten password reset by an e-mailed code, an address, browsing (home, a sorted and
paged list, search, a product's variants), a cart of two products, checkout, payment from the wallet
(funded by the operator's CLI), the order's life (shipped by the operator, received, reviewed), a
second order refunded at the buyer's request (approved by the operator's CLI) — and the error paths:
wrong password, wrong current password, over stock, insufficient balance. Every page is saved as a
screenshot at both screen sizes under test-output/screenshots/.
"""

from __future__ import annotations

import re
import time
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from jiadian.entrypoints.http.app import SHARED, STOREFRONT
from tests.accounts_support import PASSWORD, code_in
from tests.e2e.support import Shop
from tests.files_support import png

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SIZES = {"mobile": (375, 812), "desktop": (1366, 900)}
CHANGED = "changed-Pa55word"  # the password after the change in the user centre
RESET = "reset-Pa55word"  # and after the reset by e-mail
EXPECT_TIMEOUT_MS = 15_000  # upper bounds for a slow machine, not measures
MAIL_TIMEOUT = 30.0


def money(text: str) -> Decimal:
    """'¥1,299.00' → Decimal('1299.00')."""
    return Decimal(re.sub(r"[^0-9.]", "", text))


class Journey:
    """One shopper in one browser page, saving a screenshot of each page it shows."""

    def __init__(self, page: Any, shop: Shop, shots: Path, size: tuple[int, int]) -> None:
        self.page = page
        self.shop = shop
        self.shots = shots
        self.size = size
        self.taken: list[Path] = []

    def tid(self, testid: str) -> Any:
        return self.page.get_by_test_id(testid)

    @property
    def error(self) -> Any:
        return self.tid("error-message")

    @property
    def notice(self) -> Any:
        return self.tid("notice-message")

    def shot(self, name: str) -> None:
        """A screenshot of the whole page once every image (lazy ones too) and the fonts have loaded.

        The viewport grows to the page's height for it, so sticky bars (header, cart total, buy buttons)
        sit where they belong instead of over the middle of the page. No page may scroll sideways.
        """
        page = self.page
        width, height = self.size
        page.evaluate(
            "() => document.querySelectorAll('img[loading=lazy]').forEach(i => { i.loading = 'eager'; })"
        )
        page.wait_for_function("() => Array.from(document.images).every(i => i.complete)")
        page.evaluate("() => document.fonts.ready.then(() => true)")
        overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"the {name} page scrolls sideways by {overflow}px at {width}x{height}"
        full = page.evaluate("() => document.documentElement.scrollHeight")
        page.set_viewport_size({"width": width, "height": max(height, full)})
        page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
        path = self.shots / f"{name}-{width}x{height}.png"
        page.screenshot(path=str(path), full_page=True)
        page.set_viewport_size({"width": width, "height": height})
        self.taken.append(path)

    def order_id(self) -> str:
        found = re.search(r"#/pay/([^/?]+)", self.page.url)
        assert found, f"not on a payment page: {self.page.url}"
        return found.group(1)


def wait_for_code(shop: Shop, email: str, *, after: int = 0) -> str:
    """The code in the newest mail to `email`, once more than `after` mails have come."""
    deadline = time.monotonic() + MAIL_TIMEOUT
    while time.monotonic() < deadline:
        mails = shop.inbox.to(email)
        if len(mails) > after:
            return code_in(mails[-1].get_content())
        time.sleep(0.1)
    raise AssertionError(f"no verification mail for {email} within {MAIL_TIMEOUT:.0f} s:\n{shop.log_tail()}")


def fund_wallet(shop: Shop, page: Any, username: str, amount: str) -> None:
    """The operator recharges: with `jiadian wallet recharge`, else as an admin over HTTP."""
    if shop.has_command("wallet", "recharge"):
        shop.cli("wallet", "recharge", username, amount)
        return
    shop.cli(
        "users", "create", "operator", "--email", "operator@example.com", "--admin", stdin=f"{PASSWORD}\n"
    )
    user_id = page.evaluate("() => fetch('/api/me').then(r => r.json()).then(me => me.id)")
    with httpx.Client(base_url=shop.base_url) as admin:
        admin.get("/health")
        headers = {"x-csrftoken": admin.cookies["csrftoken"]}
        login = admin.post(
            "/api/auth/login", json={"username": "operator", "password": PASSWORD}, headers=headers
        )
        assert login.status_code == 200, login.text
        done = admin.post(
            f"/api/admin/users/{user_id}/wallet/recharge", json={"amount": amount}, headers=headers
        )
        assert done.status_code == 200, done.text


def product_api(shop: Shop, product_id: str) -> dict[str, Any]:
    response = httpx.get(f"{shop.base_url}/api/catalog/products/{product_id}")
    assert response.status_code == 200, response.text
    return dict(response.json())


def card_prices(j: Journey) -> list[Decimal]:
    return [money(t) for t in j.tid("product-grid").locator(".card-meta .price").all_inner_texts()]


def open_page(browser: Any, shop: Shop, screenshots: Path, size: str) -> tuple[Any, Journey, list[str]]:
    """A browser context at one of SIZES, a Journey on its page, and the page's script errors as they come."""
    from playwright.sync_api import expect

    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    width, height = SIZES[size]
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(EXPECT_TIMEOUT_MS)
    page_errors: list[str] = []
    page.on("pageerror", lambda exc: page_errors.append(str(exc)))
    return context, Journey(page, shop, screenshots, (width, height)), page_errors


@pytest.mark.parametrize("size", list(SIZES), ids=list(SIZES))
def test_a_shopper_buys_pays_receives_and_reviews(
    browser: Any, shop: Shop, screenshots: Path, size: str
) -> None:
    from playwright.sync_api import expect

    context, j, page_errors = open_page(browser, shop, screenshots, size)
    page, tid = j.page, j.tid
    username, email = f"shopper_{size}", f"shopper.{size}@example.com"

    # --- home ---------------------------------------------------------------------------------
    page.goto(f"{shop.base_url}/")
    expect(tid("banner-carousel")).to_be_visible()
    expect(tid("home-category")).to_have_count(4)
    expect(tid("category-link")).to_have_count(5)  # 全部商品 and the four categories
    expect(tid("login-link")).to_be_visible()
    assert tid("home-category").first.get_by_test_id("product-card").count() >= 1
    j.shot("home")

    # --- register with the e-mailed code --------------------------------------------------------
    tid("register-link").click()
    expect(tid("register-form")).to_be_visible()
    tid("register-username").fill(username)
    tid("register-email").fill(email)
    tid("register-send-code").click()
    expect(j.notice).to_contain_text(email)
    expect(tid("register-send-code")).to_be_disabled()  # the resend countdown
    code = wait_for_code(shop, email)
    tid("register-password").fill(PASSWORD)
    tid("register-password2").fill(PASSWORD)
    tid("register-code").fill(code)
    j.shot("register")
    tid("register-submit").click()
    expect(tid("user-link")).to_have_text(username)
    expect(j.notice).to_contain_text("注册成功")

    # --- sign out; a wrong password, then the right one -------------------------------------------
    tid("logout-button").click()
    expect(tid("login-link")).to_be_visible()
    tid("login-link").click()
    tid("login-username").fill(username)
    tid("login-password").fill("not-the-password")
    tid("login-submit").click()
    expect(j.error).to_have_text("用户名或密码错误")
    expect(tid("user-link")).to_have_count(0)
    j.shot("login")
    tid("login-password").fill(PASSWORD)
    tid("login-submit").click()
    expect(tid("user-link")).to_have_text(username)
    expect(j.error).to_be_hidden()

    # --- the profile: a phone number and an avatar ------------------------------------------------
    tid("user-link").click()
    expect(tid("profile-username")).to_have_value(username)
    expect(tid("profile-email")).to_have_value(email)
    tid("profile-phone").fill("13912345678")
    tid("profile-save").click()
    expect(j.notice).to_have_text("个人信息已保存")
    tid("avatar-input").set_input_files(
        files=[{"name": "me.png", "mimeType": "image/png", "buffer": png("teal", (64, 64))}]
    )
    expect(page.locator("#avatar-file-name")).to_have_text("me.png")
    tid("avatar-upload").click()
    expect(j.notice).to_have_text("头像已更新")
    expect(tid("avatar-image")).to_have_attribute("src", re.compile(r"^/media/"))

    # --- a new password in the user centre (a wrong current one is refused) -----------------------
    tid("user-menu").get_by_role("link", name="修改密码").click()
    expect(tid("password-form")).to_be_visible()
    tid("password-current").fill("not-the-password")
    tid("password-new").fill(CHANGED)
    tid("password-new2").fill(CHANGED)
    tid("password-submit").click()
    expect(j.error).to_have_text("当前密码不正确")
    tid("password-current").fill(PASSWORD)
    j.shot("password")
    tid("password-submit").click()
    expect(j.notice).to_contain_text("密码已修改")
    expect(tid("password-current")).to_have_value("")
    expect(tid("user-link")).to_have_text(username)  # this browser stays signed in

    # --- forgotten: a reset by the e-mailed code, then a sign-in with the new password -------------
    tid("logout-button").click()
    tid("login-link").click()
    tid("forgot-link").click()
    expect(tid("forgot-form")).to_be_visible()
    tid("forgot-email").fill(email)
    j.shot("forgot-password")
    mails = len(shop.inbox.to(email))
    tid("forgot-submit").click()
    expect(j.notice).to_contain_text(email)
    expect(tid("reset-email")).to_have_value(email)
    code = wait_for_code(shop, email, after=mails)
    assert username in shop.inbox.to(email)[-1].get_content()  # the mail names the account
    tid("reset-username").fill(username)
    tid("reset-code").fill(code)
    tid("reset-password").fill(RESET)
    tid("reset-password2").fill(RESET)
    j.shot("reset-password")
    tid("reset-submit").click()
    expect(j.notice).to_have_text("密码已重置，请用新密码登录")
    tid("login-username").fill(username)
    tid("login-password").fill(CHANGED)  # the old one no longer works
    tid("login-submit").click()
    expect(j.error).to_have_text("用户名或密码错误")
    tid("login-password").fill(RESET)
    tid("login-submit").click()
    expect(tid("user-link")).to_have_text(username)

    # --- an address (the user centre opens the form when there is none) --------------------------
    tid("user-menu").get_by_role("link", name="收货地址").click()
    expect(tid("address-form")).to_be_visible()
    for field, value in {
        "recipient": "张三",
        "phone": "13800138000",
        "province": "广东省",
        "city": "深圳市",
        "county": "南山区",
        "detail": "科技园南路 88 号 3 栋 501",
    }.items():
        tid(f"address-{field}").fill(value)
    tid("address-is-default").check()
    tid("address-save").click()
    expect(j.notice).to_have_text("地址已保存")
    expect(tid("address-item")).to_have_count(1)
    expect(tid("address-item")).to_contain_text("科技园南路 88 号")
    expect(tid("address-default-badge")).to_be_visible()
    expect(tid("address-form")).to_be_hidden()
    j.shot("addresses")

    # --- the operator funds the wallet -----------------------------------------------------------
    fund_wallet(shop, page, username, "1000.00")

    # --- a list: every product, cheapest first, page 2 ------------------------------------------
    tid("category-nav").locator('[data-slug="all"]').click()
    expect(tid("category-title")).to_have_text("全部商品")
    tid("sort-price-asc").click()
    expect(tid("sort-price-asc")).to_have_attribute("aria-pressed", "true")
    expect(page).to_have_url(re.compile(r"sort=price"))
    expect(tid("page-info")).to_contain_text("第 1 /")
    first_page = card_prices(j)
    assert first_page
    assert first_page == sorted(first_page)
    tid("page-2").click()
    expect(tid("page-info")).to_contain_text("第 2 /")
    expect(tid("page-2")).to_have_attribute("aria-current", "page")
    second_page = card_prices(j)
    assert second_page
    assert second_page == sorted(second_page)
    assert second_page[0] >= first_page[-1]
    j.shot("list")

    # The cheapest product (page 1) goes into the cart.
    tid("page-1").click()
    expect(tid("page-info")).to_contain_text("第 1 /")
    cheapest = tid("product-card").first
    cheapest_name = cheapest.locator(".card-title").inner_text()
    cheapest.locator(".card-link").click()
    expect(tid("product-name")).to_have_text(cheapest_name)
    expect(tid("add-to-cart-button")).to_be_enabled()
    tid("add-to-cart-button").click()
    expect(j.notice).to_contain_text("已加入购物车")
    expect(tid("cart-count")).to_have_text("1")

    # --- search, and a product with variants ------------------------------------------------------
    tid("search-input").fill("耳机")
    tid("search-button").click()
    expect(page).to_have_url(re.compile(r"#/search\?q="))
    expect(tid("search-summary")).to_contain_text("耳机")
    names = tid("product-card").locator(".card-title").all_inner_texts()
    assert names
    assert all("耳机" in name for name in names), names
    j.shot("search")
    prices = card_prices(j)
    pick = tid("product-card").nth(prices.index(min(prices)))
    product_id = pick.get_attribute("data-product-id")
    pick.locator(".card-link").click()
    detail = product_api(shop, str(product_id))
    expect(tid("product-name")).to_have_text(detail["name"])
    kind = "size" if len(detail["specs"]["sizes"]) > 1 else "color"
    options = tid(f"variant-{kind}")
    assert options.count() >= 2, f"the demo product {detail['name']} should have two {kind}s"
    expect(options.first).to_have_attribute("aria-pressed", "true")
    other = options.nth(1)
    other.click()
    expect(other).to_have_attribute("aria-pressed", "true")
    expect(options.first).to_have_attribute("aria-pressed", "false")
    chosen_sku = next(s for s in detail["skus"] if s[kind] == other.get_attribute("data-value"))
    expect(tid("sku-price")).to_have_text(f"¥{chosen_sku['price']}")
    expect(tid("sku-stock")).to_have_text(f"{chosen_sku['stock']} 件")
    expect(tid("product-main-image")).to_be_visible()
    j.shot("detail")
    tid("add-to-cart-button").click()
    expect(j.notice).to_contain_text("已加入购物车")
    expect(tid("cart-count")).to_have_text("2")

    # --- the cart: two lines, a count changed, a count over the stock ------------------------------
    tid("cart-link").click()
    expect(tid("cart-line")).to_have_count(2)
    cheap_line = tid("cart-line").filter(has_text=cheapest_name)
    variant_line = page.locator(f'[data-testid="cart-line"][data-sku-id="{chosen_sku["id"]}"]')
    cheap_price = money(cheap_line.get_by_test_id("cart-line-price").inner_text())
    cheap_line.get_by_test_id("cart-line-inc").click()
    expect(cheap_line.get_by_test_id("cart-line-count")).to_have_value("2")
    expect(cheap_line.get_by_test_id("cart-line-total")).to_have_text(f"¥{cheap_price * 2}")
    expected_amount = cheap_price * 2 + Decimal(chosen_sku["price"])
    expect(tid("cart-total")).to_have_text(f"¥{expected_amount}")
    expect(tid("cart-selected-count")).to_have_text("3")

    over = variant_line.get_by_test_id("cart-line-count")
    over.fill(str(chosen_sku["stock"] + 1))
    over.blur()
    expect(j.error).to_have_text(f"库存不足（仅剩 {chosen_sku['stock']} 件）")
    expect(over).to_have_value("1")  # the cart shows the server's count again
    expect(tid("cart-total")).to_have_text(f"¥{expected_amount}")
    j.shot("cart")

    # --- checkout with the address --------------------------------------------------------------------
    tid("checkout-button").click()
    expect(tid("checkout-line")).to_have_count(2)
    expect(tid("address-option")).to_be_checked()
    expect(tid("address-picker")).to_contain_text("张三")
    expect(tid("checkout-amount")).to_have_text(f"¥{expected_amount}")
    freight = money(tid("checkout-freight").inner_text())
    total = expected_amount + freight
    expect(tid("checkout-total")).to_have_text(f"¥{total}")
    tid("order-mark").fill("工作日送货，请先电话联系")
    j.shot("checkout")
    tid("place-order-button").click()
    expect(page).to_have_url(re.compile(r"#/pay/[^/]+$"))
    order_id = j.order_id()

    # --- payment from the wallet ------------------------------------------------------------------------
    expect(tid("pay-total")).to_have_text(f"¥{total}")
    expect(tid("wallet-balance")).to_have_text("¥1000.00")
    expect(tid("cart-count")).to_be_hidden()  # the ordered lines left the cart
    j.shot("payment")
    tid("pay-wallet-button").click()
    expect(tid("payment-success")).to_be_visible()
    expect(tid("order-status")).to_have_text("待发货")
    j.shot("payment-success")

    balance = Decimal("1000.00") - total
    tid("user-link").click()
    expect(tid("history-list").get_by_test_id("product-card")).to_have_count(2)
    j.shot("user")
    tid("user-menu").get_by_role("link", name="我的余额").click()
    expect(tid("wallet-balance")).to_have_text(f"¥{balance}")
    expect(tid("wallet-total-recharged")).to_have_text("¥1000.00")
    expect(tid("wallet-total-consumed")).to_have_text(f"¥{total}")
    j.shot("balance")

    # --- the order in the history; shipped by the operator; received; reviewed ---------------------------
    tid("orders-link").click()
    card = page.locator(f'[data-testid="order-card"][data-order-id="{order_id}"]')
    expect(tid("order-card")).to_have_count(1)
    expect(card.get_by_test_id("order-status")).to_have_text("待发货")
    expect(card.get_by_test_id("order-line")).to_have_count(2)
    j.shot("orders")

    shop.cli("orders", "ship", order_id)
    card.get_by_test_id("order-detail-link").click()
    expect(tid("order-detail")).to_be_visible()
    expect(tid("order-status")).to_have_text("待收货")
    expect(tid("order-address")).to_contain_text("科技园南路 88 号")
    expect(tid("order-total")).to_have_text(f"¥{total}")
    tid("confirm-receipt-button").click()
    expect(tid("order-status")).to_have_text("待评价")
    expect(j.notice).to_contain_text("已确认收货")
    j.shot("order-detail")

    tid("review-link").click()
    expect(tid("review-form")).to_have_count(2)
    first_form, second_form = tid("review-form").first, tid("review-form").nth(1)
    first_form.get_by_test_id("review-content").fill("很好用，物流也快。")
    second_form.locator('[data-testid="review-score"][value="3"]').check()
    second_form.get_by_test_id("review-content").fill("一般般。")
    j.shot("review")
    first_form.get_by_test_id("review-submit").click()
    expect(tid("review-done")).to_have_count(1)
    tid("review-form").first.get_by_test_id("review-submit").click()
    expect(tid("review-done")).to_have_count(2)
    expect(tid("order-status")).to_have_text("已完成")

    # The review is on the product's page.
    page.goto(f"{shop.base_url}/#/product/{product_id}")
    expect(tid("review-item").first).to_be_visible()
    expect(tid("review-list")).to_contain_text(username)

    # --- a second order, paid, then refunded at the buyer's request ---------------------------------
    page.goto(f"{shop.base_url}/#/category/all?sort=price")
    expect(tid("sort-price-asc")).to_have_attribute("aria-pressed", "true")
    tid("product-card").first.locator(".card-link").click()
    tid("buy-now-button").click()
    expect(tid("checkout-line")).to_have_count(1)
    tid("place-order-button").click()
    expect(page).to_have_url(re.compile(r"#/pay/[^/]+$"))
    refunded_id = j.order_id()
    tid("pay-wallet-button").click()
    expect(tid("payment-success")).to_be_visible()
    page.goto(f"{shop.base_url}/#/order/{refunded_id}")
    expect(tid("order-status")).to_have_text("待发货")
    expect(tid("refund-form")).to_be_hidden()
    tid("refund-request-button").click()
    tid("refund-reason").fill("拍错了型号")
    j.shot("refund-request")
    tid("refund-submit").click()
    expect(j.notice).to_contain_text("退款申请已提交")
    expect(tid("order-status")).to_have_text("退款申请中")
    expect(tid("refund-state")).to_have_attribute("data-state", "requested")
    expect(tid("refund-state-label")).to_have_text("退款申请中")
    expect(tid("refund-request-button")).to_have_count(0)
    j.shot("refund-requested")
    shop.cli("refunds", "order", refunded_id)  # the operator approves it
    page.reload()
    expect(tid("order-status")).to_have_text("已退款")
    expect(tid("refund-state-label")).to_have_text("已退款")
    expect(tid("refund-state")).to_contain_text("拍错了型号")
    j.shot("refund-done")
    tid("user-menu").get_by_role("link", name="我的余额").click()
    expect(tid("wallet-balance")).to_have_text(f"¥{balance}")  # all of it back

    # --- insufficient balance: the dearest product, bought now --------------------------------------
    page.goto(f"{shop.base_url}/#/category/all?sort=-price")
    expect(tid("sort-price-desc")).to_have_attribute("aria-pressed", "true")
    dearest = tid("product-card").first
    assert money(dearest.locator(".price").inner_text()) > balance
    dearest.locator(".card-link").click()
    tid("buy-now-button").click()
    expect(tid("checkout-line")).to_have_count(1)
    tid("place-order-button").click()
    expect(page).to_have_url(re.compile(r"#/pay/[^/]+$"))
    expect(tid("wallet-balance")).to_have_text(f"¥{balance}")
    tid("pay-wallet-button").click()
    expect(j.error).to_have_text("余额不足")
    expect(tid("pay-wallet-button")).to_be_enabled()
    expect(page).to_have_url(re.compile(r"#/pay/[^/]+$"))

    # Alipay: the storefront goes to the payment_url the server answers (the simulator's cashier page by
    # default). The answer is read on its way to the page: once the page has left, its body is gone.
    answers: list[tuple[int, dict[str, Any]]] = []

    def keep_answer(route: Any) -> None:
        response = route.fetch()
        answers.append((response.status, response.json()))
        route.fulfill(response=response)

    page.route(re.compile(r"/api/orders/[^/]+/payments$"), keep_answer)
    tid("pay-alipay-button").click()
    # Either the page went to the gateway, or it shows why not.
    page.wait_for_function(
        "() => !location.hash.startsWith('#/pay/') || !document.getElementById('error-box').hidden"
    )
    assert answers, "the pay-with-alipay button sent no payment request"
    status, body = answers[0]
    if status == 200:
        page.wait_for_url(body["payment_url"])
        assert "/api/payments/simulator/" in page.url  # the default gateway: the simulator's cashier page
        expect(page.locator("h1")).to_contain_text("支付模拟器")
    else:  # no gateway configured: its refusal shows where errors go
        expect(j.error).to_have_text(body["detail"])

    # The shopper gives up on the unpaid order: cancelled, it shows under its tab.
    page.goto(f"{shop.base_url}/#/orders")  # the alias server pages link to
    expect(tid("order-card")).to_have_count(3)
    tid("order-tab-1").click()
    expect(tid("order-card")).to_have_count(1)
    tid("order-card").get_by_test_id("order-detail-link").click()
    tid("cancel-order-button").click()
    expect(tid("order-status")).to_have_text("已取消")
    expect(j.notice).to_have_text("订单已取消")
    page.goto(f"{shop.base_url}/#/user/orders?status=cancelled")
    expect(tid("order-tab-cancelled")).to_have_attribute("aria-current", "page")
    expect(tid("order-card")).to_have_count(1)
    expect(tid("order-card").get_by_test_id("order-status")).to_have_text("已取消")
    tid("order-tab-refunded").click()
    expect(tid("order-card")).to_have_count(1)
    expect(tid("order-card").get_by_test_id("order-status")).to_have_text("已退款")

    assert not page_errors, page_errors
    context.close()


def test_the_alipay_button_goes_to_the_payment_url(browser: Any) -> None:
    """Whatever the gateway, the storefront navigates to the payment_url the server returns.

    No server here: the storefront's files come from the source tree and the API answers are canned.
    """
    from playwright.sync_api import expect

    origin = "http://storefront.test"
    gateway_page = "http://gateway.test/cashier?trade=JD1"
    order = {"order_id": "JD1", "trade_no": "JD1", "status": 1, "status_label": "待支付", "total": "100.00"}
    canned: dict[tuple[str, str], Any] = {
        ("GET", "/api/me"): {"id": 1, "username": "payer", "is_admin": False},
        ("GET", "/api/cart"): {"lines": [], "total_count": 0, "amount": "0.00"},
        ("GET", "/api/catalog/categories"): [],
        ("GET", "/api/orders/JD1"): order,
        ("GET", "/api/me/wallet"): {"balance": "0.00", "total_recharged": "0.00", "total_consumed": "0.00"},
        ("POST", "/api/orders/JD1/payments"): {"payment_url": gateway_page},
    }
    asked: list[tuple[str, Any]] = []

    def answer(route: Any) -> None:
        request = route.request
        path = urlsplit(request.url).path
        if urlsplit(request.url).netloc == "gateway.test":
            route.fulfill(body="<h1>cashier</h1>", content_type="text/html; charset=utf-8")
        elif (request.method, path) in canned:
            asked.append((path, request.post_data_json if request.method == "POST" else None))
            route.fulfill(json=canned[(request.method, path)])
        elif request.method == "GET" and not path.startswith("/api/"):
            name = path.lstrip("/") or "index.html"
            types = {"html": "text/html", "js": "text/javascript", "css": "text/css", "svg": "image/svg+xml"}
            kind = types.get(name.rpartition(".")[2], "application/octet-stream")
            shared = name.removeprefix("shared/")
            file = SHARED / shared if shared != name else STOREFRONT / name
            route.fulfill(path=str(file), content_type=f"{kind}; charset=utf-8")
        else:
            route.fulfill(status=404, json={"code": "not_found", "detail": "资源不存在"})

    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    context.route("**/*", answer)
    page = context.new_page()
    page.set_default_timeout(EXPECT_TIMEOUT_MS)
    page.goto(f"{origin}/#/pay/JD1")
    expect(page.get_by_test_id("pay-total")).to_have_text("¥100.00")
    page.get_by_test_id("pay-alipay-button").click()
    page.wait_for_url(gateway_page)
    assert ("/api/orders/JD1/payments", {"method": "alipay"}) in asked
    context.close()
