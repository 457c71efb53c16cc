"""The moments that used to end badly, each in Chromium against the real server.

Errors a shopper can cause are shown where they happen, with a way on (not the dead-end page); a
stalled server times out with a clear message and a retry; every card's price is the price its
product page opens at; a guest's cart is merged into the account's at sign-in, stock-checked; the
order page's timeline and "再次购买"; confirmations and undo; quantities clamped; notices that
close themselves; the phone's buy bar; the list's scroll position on Back. Screenshots of the pages
these show land beside the journey's in test-output/screenshots/.
"""

from __future__ import annotations

import os
import re
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.accounts_support import PASSWORD
from tests.e2e.support import EXPECT_TIMEOUT_MS, SIZES, Journey, Shop, api_get, create_shopper, money

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@contextmanager
def journey(browser: Any, shop: Shop, screenshots: Path, size: str = "mobile") -> Iterator[Journey]:
    """A fresh browser context at a screen size; fails the test on any script error of the page."""
    from playwright.sync_api import expect

    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    width, height = SIZES[size]
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(EXPECT_TIMEOUT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        yield Journey(page, shop, screenshots, (width, height))
    finally:
        context.close()
    assert not errors, errors


def sign_in(j: Journey, username: str) -> None:
    from playwright.sync_api import expect

    j.page.goto(f"{j.shop.base_url}/#/login")
    j.tid("login-username").fill(username)
    j.tid("login-password").fill(PASSWORD)
    j.tid("login-submit").click()
    expect(j.tid("user-link")).to_have_text(username)
    expect(j.page).not_to_have_url(re.compile(r"#/login"))  # on to the next page once the cart is merged


def both_sizes(test: Any) -> Any:
    return pytest.mark.parametrize("size", list(SIZES), ids=list(SIZES))(test)


# --- errors where they happen ----------------------------------------------------------------------


@both_sizes
def test_errors_a_shopper_meets_are_shown_where_they_happen_with_a_way_on(
    browser: Any, shop: Shop, screenshots: Path, size: str
) -> None:
    from playwright.sync_api import expect

    create_shopper(shop, f"errors_{size}", balance="100000.00")
    with journey(browser, shop, screenshots, size) as j:
        page, tid, base = j.page, j.tid, shop.base_url

        # An empty search does not leave the page; the search page without words asks for some.
        page.goto(f"{base}/#/")
        expect(tid("home-category").first).to_be_visible()
        tid("search-button").click()
        expect(page).to_have_url(re.compile(r"#/$"))
        expect(tid("search-input")).to_be_focused()
        page.goto(f"{base}/#/search?q=")
        expect(tid("search-problem")).to_contain_text("请输入要搜索的商品")
        expect(tid("search-input")).to_be_focused()
        expect(tid("page-error")).to_have_count(0)
        j.shot("problem-empty-search")
        page.goto(f"{base}/#/search?q=没有这种东西")
        expect(tid("empty-state")).to_contain_text("没有找到")
        expect(tid("category-chips").get_by_role("link")).to_have_count(4)

        # An unknown category: the categories there are.
        page.goto(f"{base}/#/category/nothing-here")
        expect(page.locator("h1")).to_have_text("没有找到这个分类")
        tid("category-chips").get_by_role("link").first.click()
        expect(tid("category-title")).to_be_visible()

        # An unknown (or off-shelf) product: ways to similar products.
        page.goto(f"{base}/#/product/999999")
        expect(tid("product-missing")).to_contain_text("不存在或已下架")
        j.shot("problem-product")
        tid("product-missing").get_by_role("link", name="浏览全部商品").click()
        expect(tid("category-title")).to_have_text("全部商品")

        # Buy now with more than the stock: the checkout offers the most there is.
        sign_in(j, f"errors_{size}")
        card = api_get(shop, "/api/catalog/products?category=all&sort=price")["items"][0]
        sku = next(
            s
            for s in api_get(shop, f"/api/catalog/products/{card['id']}")["skus"]
            if s["id"] == card["sku_id"]
        )
        page.goto(f"{base}/#/checkout?sku={sku['id']}&count={sku['stock'] + 5}&product={card['id']}")
        expect(tid("checkout-problem")).to_contain_text(f"仅剩 {sku['stock']} 件")
        j.shot("problem-stock")
        tid("buy-available").click()
        expect(tid("checkout-count")).to_have_text(str(sku["stock"]))

        # Back after placing an order: the pay page took the checkout's place; the checkout's own URL
        # says the lines were ordered and leads to the orders.
        page.goto(f"{base}/#/product/{card['id']}")
        tid("add-to-cart-button").click()
        expect(j.notice).to_contain_text("已加入购物车")
        tid("cart-link").click()
        tid("checkout-button").click()
        expect(tid("checkout-line")).to_have_count(1)
        checkout_url = page.url
        tid("place-order-button").click()
        expect(page).to_have_url(re.compile(r"#/pay/[^/]+$"))
        page.go_back()
        expect(page).to_have_url(re.compile(r"#/cart$"))
        page.goto(checkout_url)
        expect(tid("checkout-problem")).to_contain_text("已经不在购物车里")
        expect(tid("page-error")).to_have_count(0)
        j.shot("problem-ordered")
        tid("checkout-problem").get_by_role("link", name="查看待支付订单").click()
        expect(tid("order-card")).to_have_count(1)

        # An order that is not the shopper's.
        page.goto(f"{base}/#/order/nope")
        expect(tid("order-missing")).to_be_visible()


# --- a stalled server -----------------------------------------------------------------------------


@contextmanager
def stalled(shop: Shop) -> Iterator[None]:
    """The server paused, its worker processes too: it holds every connection and answers nothing until
    resumed."""
    os.killpg(shop.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.killpg(shop.pid, signal.SIGCONT)


def test_a_stalled_server_times_out_with_a_clear_message_and_a_retry(
    browser: Any, shop: Shop, screenshots: Path
) -> None:
    from playwright.sync_api import expect

    product = api_get(shop, "/api/catalog/products?category=all")["items"][0]
    with journey(browser, shop, screenshots) as j:
        page, tid, base = j.page, j.tid, shop.base_url
        page.goto(f"{base}/#/product/{product['id']}")
        expect(tid("add-to-cart-button")).to_be_enabled()
        page.goto(f"{base}/#/category/all")  # the list page's code is loaded before the stall
        expect(tid("product-card").first).to_be_visible()
        page.goto(f"{base}/#/product/{product['id']}")
        expect(tid("add-to-cart-button")).to_be_enabled()
        with stalled(shop):
            # A guest's cart is in the browser: signing in is what needs the server. A page needs it too.
            page.goto(f"{base}/#/category/all?sort=-sales")
            expect(tid("page-error")).to_contain_text("服务器没有及时响应", timeout=30_000)
            expect(tid("retry-button")).to_be_visible()
            j.shot_both("timeout")
        tid("retry-button").click()
        expect(tid("sort-sales-desc")).to_have_attribute("aria-pressed", "true")
        expect(tid("product-card").first).to_be_visible()

        # An action waits no longer than a page: the button comes back with the reason.
        page.goto(f"{base}/#/login")
        expect(tid("login-form")).to_be_visible()
        with stalled(shop):
            tid("login-username").fill("someone")
            tid("login-password").fill("not-the-password")
            tid("login-submit").click()
            expect(j.error).to_contain_text("服务器没有及时响应", timeout=30_000)
            expect(tid("login-submit")).to_be_enabled()
        tid("login-submit").click()
        expect(j.error).to_have_text("用户名或密码错误")


# --- prices: card → page, for every product of the demo ------------------------------------------


def test_every_card_opens_its_product_page_at_the_price_it_shows(
    browser: Any, shop: Shop, screenshots: Path
) -> None:
    from playwright.sync_api import expect

    listed = api_get(shop, "/api/catalog/products?category=all&page_size=50")
    assert listed["total"] == len(listed["items"]) == 24  # the whole demo on one page
    with journey(browser, shop, screenshots, "desktop") as j:
        page, tid, base = j.page, j.tid, shop.base_url
        page.goto(f"{base}/#/category/all")
        cards = tid("product-card")
        expect(cards.first).to_be_visible()
        pages = (
            int(re.sub(r"\D", " ", tid("page-info").inner_text()).split()[1])
            if tid("page-info").count()
            else 1
        )
        seen = 0
        for number in range(1, pages + 1):
            page.goto(f"{base}/#/category/all?page={number}")
            expect(tid("page-info")).to_contain_text(f"第 {number} /")
            for index in range(cards.count()):
                card = cards.nth(index)
                name = card.locator(".card-title").inner_text()
                shown = card.get_by_test_id("card-price").inner_text()
                sku_id = card.get_attribute("data-sku-id")
                detail = api_get(shop, f"/api/catalog/products/{card.get_attribute('data-product-id')}")
                prices = {Decimal(s["price"]) for s in detail["skus"]}
                assert money(shown) == min(prices), name
                assert shown.endswith("起") == (len(prices) > 1), f"{name}: {shown}"
                card.locator(".card-link").click()
                expect(tid("product-name")).to_have_text(name)
                expect(tid("sku-price")).to_have_text(f"¥{min(prices)}")  # opened at the card's sku
                expect(page).to_have_url(re.compile(rf"sku={sku_id}(&|$)"))
                page.go_back()
                expect(tid("page-info")).to_contain_text(f"第 {number} /")
                seen += 1
        assert seen == 24


def test_the_chosen_sku_and_count_live_in_the_url(browser: Any, shop: Shop, screenshots: Path) -> None:
    from playwright.sync_api import expect

    product = next(
        p
        for p in (
            api_get(shop, f"/api/catalog/products/{c['id']}")
            for c in api_get(shop, "/api/catalog/products?category=all&page_size=50")["items"]
        )
        if len({s["price"] for s in p["skus"]}) > 1
    )
    dearest = max(product["skus"], key=lambda s: Decimal(s["price"]))
    kind = "size" if len(product["specs"]["sizes"]) > 1 else "color"
    with journey(browser, shop, screenshots) as j:
        page, tid, base = j.page, j.tid, shop.base_url
        page.goto(f"{base}/#/product/{product['id']}")
        expect(tid("sku-price")).to_have_text(f"¥{min(Decimal(s['price']) for s in product['skus'])}")
        tid(f"variant-{kind}").filter(has_text=dearest[kind]).first.click()
        expect(tid("sku-price")).to_have_text(f"¥{dearest['price']}")
        tid("count-inc").click()
        expect(tid("count-input")).to_have_value("2")
        expect(page).to_have_url(re.compile(rf"sku={dearest['id']}.*count=2|count=2.*sku={dearest['id']}"))
        page.reload()
        expect(tid("sku-price")).to_have_text(f"¥{dearest['price']}")
        expect(tid("count-input")).to_have_value("2")
        page.goto(f"{base}/#/cart")
        page.go_back()
        expect(tid("sku-price")).to_have_text(f"¥{dearest['price']}")
        expect(tid("count-input")).to_have_value("2")

        # Quantities stay whole and within 1..stock, and say so.
        for typed, kept, said in [
            ("0", "1", "至少为 1 件"),
            ("-3", "1", "至少为 1 件"),
            ("2.5", "2", "整数"),
            (str(dearest["stock"] + 10), str(dearest["stock"]), f"库存仅剩 {dearest['stock']} 件"),
        ]:
            tid("count-input").fill(typed)
            tid("count-input").blur()
            expect(tid("count-input")).to_have_value(kept)
            expect(tid("count-note")).to_contain_text(said)
        expect(tid("count-inc")).to_be_disabled()
        j.shot_both("detail-clamped")
        tid("add-to-cart-button").click()  # a guest: the browser keeps the cart
        expect(j.notice).to_contain_text("已加入购物车")
        expect(tid("cart-count")).to_have_text("1")


# --- a guest's cart, merged at sign-in --------------------------------------------------------------


@both_sizes
def test_a_guest_cart_is_merged_into_the_account_at_sign_in_within_the_stock(
    browser: Any, shop: Shop, screenshots: Path, size: str
) -> None:
    from playwright.sync_api import expect

    username = f"guest_{size}"
    create_shopper(shop, username)
    cards = api_get(shop, "/api/catalog/products?category=all&sort=-sales")["items"]
    first, second = cards[0], cards[1]
    stock = next(
        s["stock"]
        for s in api_get(shop, f"/api/catalog/products/{second['id']}")["skus"]
        if s["id"] == second["sku_id"]
    )
    # The account already holds all of `second`'s stock but one: the guest's two of it cannot both come in.
    with journey(browser, shop, screenshots, size) as j:
        page, tid, base = j.page, j.tid, shop.base_url
        sign_in(j, username)
        page.goto(f"{base}/#/product/{second['id']}?sku={second['sku_id']}&count={stock - 1}")
        expect(tid("count-input")).to_have_value(str(stock - 1))
        tid("add-to-cart-button").click()
        expect(tid("cart-count")).to_have_text("1")
        tid("logout-button").click()
        expect(tid("login-link")).to_be_visible()

        # The guest fills a cart: it lives in the browser, priced by the server.
        page.goto(f"{base}/#/product/{first['id']}")
        tid("add-to-cart-button").click()
        expect(tid("cart-count")).to_have_text("1")
        page.goto(f"{base}/#/product/{second['id']}?count=2")
        tid("add-to-cart-button").click()
        expect(tid("cart-count")).to_have_text("2")
        tid("cart-link").click()
        expect(tid("guest-cart-hint")).to_be_visible()
        expect(tid("cart-line")).to_have_count(2)
        expect(tid("cart-total")).not_to_have_text("—")
        j.shot("cart-guest")

        # Checkout asks to sign in; signing in brings the lines along, within the stock.
        tid("checkout-button").click()
        expect(tid("login-form")).to_be_visible()
        tid("login-username").fill(username)
        tid("login-password").fill(PASSWORD)
        tid("login-submit").click()
        expect(j.notice).to_contain_text("已将登录前选购的 2 种商品放入购物车")
        expect(j.notice).to_contain_text("库存不足")
        page.goto(f"{base}/#/cart")
        expect(tid("cart-line")).to_have_count(2)
        expect(tid("guest-cart-hint")).to_have_count(0)
        lines = {line.get_attribute("data-sku-id"): line for line in tid("cart-line").all()}
        expect(lines[str(first["sku_id"])].get_by_test_id("cart-line-count")).to_have_value("1")
        expect(lines[str(second["sku_id"])].get_by_test_id("cart-line-count")).to_have_value(str(stock))
        assert page.evaluate("() => localStorage.getItem('jiadian.guest-cart')") is None


# --- the order: timeline, buy again, confirmations -------------------------------------------------


@both_sizes
def test_the_order_page_shows_where_the_order_stands_and_buys_it_again(
    browser: Any, shop: Shop, screenshots: Path, size: str
) -> None:
    from playwright.sync_api import expect

    username = f"timeline_{size}"
    create_shopper(shop, username, balance="100000.00")
    card = api_get(shop, "/api/catalog/products?category=all&sort=price")["items"][0]
    with journey(browser, shop, screenshots, size) as j:
        page, tid, base = j.page, j.tid, shop.base_url
        sign_in(j, username)

        def buy_now() -> str:
            page.goto(f"{base}/#/product/{card['id']}")
            tid("buy-now-button").click()
            tid("place-order-button").click()
            expect(page).to_have_url(re.compile(r"#/pay/[^/]+$"))
            return j.order_id()

        def states() -> list[tuple[str, str]]:
            steps = tid("timeline-step")
            expect(steps.first).to_be_visible()
            return [(s.get_attribute("data-state") or "", s.inner_text().split("\n")[0]) for s in steps.all()]

        # Placed: the payment is what comes next, with its deadline.
        order_id = buy_now()
        page.goto(f"{base}/#/order/{order_id}")
        assert [s for s, _ in states()] == ["done", "current", "todo", "todo", "todo"]
        expect(tid("order-timeline")).to_contain_text("前付款")
        # Paid, shipped by the operator, received.
        page.goto(f"{base}/#/pay/{order_id}")
        tid("pay-wallet-button").click()
        expect(tid("payment-success")).to_be_visible()
        shop.cli("orders", "ship", order_id)
        page.goto(f"{base}/#/order/{order_id}")
        assert [s for s, _ in states()] == ["done", "done", "done", "current", "todo"]
        tid("confirm-receipt-button").click()
        tid("confirm-ok").click()
        expect(tid("order-status")).to_have_text("待评价")
        assert [s for s, _ in states()] == ["done", "done", "done", "done", "current"]
        j.shot("order-timeline")

        # Buy again: the lines go into the cart.
        tid("buy-again-button").click()
        expect(page).to_have_url(re.compile(r"#/cart$"))
        expect(j.notice).to_contain_text("已将这个订单的 1 种商品放入购物车")
        expect(tid("cart-line")).to_have_count(1)

        # Cancelled: the timeline ends there, and says why.
        cancelled = buy_now()
        page.goto(f"{base}/#/order/{cancelled}")
        tid("cancel-order-button").click()
        expect(tid("confirm-dialog")).to_be_visible()
        page.keyboard.press("Escape")  # Esc keeps the order
        expect(tid("confirm-dialog")).to_have_count(0)
        expect(tid("order-status")).to_have_text("待支付")
        tid("cancel-order-button").click()
        tid("confirm-ok").click()
        expect(tid("order-status")).to_have_text("已取消")
        assert [s for s, _ in states()] == ["done", "cancelled"]
        expect(tid("order-timeline")).to_contain_text("您取消了订单")
        j.shot("order-cancelled")


@both_sizes
def test_irreversible_actions_are_confirmed_or_undone(
    browser: Any, shop: Shop, screenshots: Path, size: str
) -> None:
    from playwright.sync_api import expect

    username = f"confirm_{size}"
    create_shopper(shop, username)
    card = api_get(shop, "/api/catalog/products?category=all")["items"][0]
    with journey(browser, shop, screenshots, size) as j:
        page, tid, base = j.page, j.tid, shop.base_url
        sign_in(j, username)

        # Deleting an address asks first.
        page.goto(f"{base}/#/user/addresses")
        expect(tid("address-item")).to_have_count(1)
        tid("address-delete").click()
        expect(tid("confirm-dialog")).to_contain_text("删除这个收货地址")
        j.shot("confirm-address")
        tid("confirm-cancel").click()
        expect(tid("address-item")).to_have_count(1)
        tid("address-delete").click()
        tid("confirm-ok").click()
        expect(j.notice).to_have_text("地址已删除")
        expect(tid("address-item")).to_have_count(0)

        # Removing a cart line is one tap, and can be undone from the notice.
        page.goto(f"{base}/#/product/{card['id']}?count=2")
        tid("add-to-cart-button").click()
        expect(tid("cart-count")).to_have_text("1")
        tid("cart-link").click()
        tid("cart-line-remove").click()
        expect(tid("cart-empty")).to_be_visible()
        expect(tid("notice-action")).to_have_text("撤销")
        j.shot("cart-undo")
        tid("notice-action").click()
        expect(tid("cart-line")).to_have_count(1)
        expect(tid("cart-line-count")).to_have_value("2")
        # And the notice closes by itself (while the pointer is elsewhere: hovering keeps it open).
        page.mouse.move(1, 1)
        expect(j.notice).to_be_hidden(timeout=30_000)


# --- the phone: buy bar, messages, scroll on Back -------------------------------------------------------


def test_on_a_phone_the_buy_bar_stays_messages_leave_the_page_free_and_back_keeps_the_scroll(
    browser: Any, shop: Shop, screenshots: Path
) -> None:
    from playwright.sync_api import expect

    product = api_get(shop, "/api/catalog/products?category=all")["items"][0]
    with journey(browser, shop, screenshots) as j:
        page, tid, base = j.page, j.tid, shop.base_url
        _width, height = SIZES["mobile"]

        def in_view(locator: Any) -> bool:
            box = locator.bounding_box()
            return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height + 1

        page.goto(f"{base}/#/product/{product['id']}")
        expect(tid("add-to-cart-button")).to_be_enabled()
        page.mouse.wheel(0, 5000)
        page.wait_for_function("() => window.scrollY > 300")
        assert in_view(tid("add-to-cart-button")), "the buy bar left the screen"
        tid("add-to-cart-button").click()
        expect(j.notice).to_be_visible()
        # The notice floats above the bar; the page's end can still scroll clear of both.
        bar, notice = tid("add-to-cart-button").bounding_box(), page.locator("#notice-box").bounding_box()
        assert notice["y"] + notice["height"] <= bar["y"], (notice, bar)
        page.evaluate("() => window.scrollTo(0, document.documentElement.scrollHeight)")
        footer = page.locator(".site-footer").bounding_box()
        assert footer["y"] + footer["height"] <= notice["y"] + 4, "the notice covers the page's end"
        expect(j.notice).to_be_hidden(timeout=30_000)  # and it closes by itself

        # A list scrolled down, a product, Back: the list is where it was.
        page.goto(f"{base}/#/category/all")
        last = tid("product-card").last
        expect(last).to_be_visible()
        last.scroll_into_view_if_needed()
        page.wait_for_function("() => window.scrollY > 600")
        before = page.evaluate("() => window.scrollY")
        last.locator(".card-link").click()
        expect(tid("product-name")).to_be_visible()
        assert page.evaluate("() => window.scrollY") == 0  # a new page starts at the top
        page.go_back()
        expect(tid("category-title")).to_be_visible()
        page.wait_for_function(f"() => Math.abs(window.scrollY - {before}) <= 2")
