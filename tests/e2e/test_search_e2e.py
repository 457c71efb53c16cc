"""Search in the storefront, in Chromium, against the real server with the demo catalogue: every quick
link of the home page finds its products, suggestions open under the search box as the shopper types
(pointer and keyboard), and a picked order sorts the results. Screenshots at both sizes."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.support import Shop
from tests.e2e.test_storefront_e2e import SIZES, card_prices, open_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.mark.parametrize("size", list(SIZES), ids=list(SIZES))
def test_search_from_quick_links_and_suggestions(
    browser: Any, shop: Shop, screenshots: Path, size: str
) -> None:
    from playwright.sync_api import expect

    context, j, page_errors = open_page(browser, shop, screenshots, size)
    page, tid = j.page, j.tid
    try:
        # --- every quick link under a category's title finds products -------------------------------
        page.goto(f"{shop.base_url}/")
        links = tid("category-nav-line").locator("a")
        expect(links.first).to_be_visible()
        names = links.all_inner_texts()
        assert len(names) == 16, names
        for index, name in enumerate(names):
            page.goto(f"{shop.base_url}/")
            tid("category-nav-line").locator("a").nth(index).click()
            expect(page).to_have_url(re.compile(r"#/search\?q="))
            expect(tid("search-summary")).to_contain_text(f"“{name}”共找到")
            expect(tid("product-card").first).to_be_visible()
            assert "共找到 0 件" not in tid("search-summary").inner_text(), name
            expect(tid("search-input")).to_have_value(name)

        # --- suggestions while typing: a product by keyboard ----------------------------------------
        page.goto(f"{shop.base_url}/")
        box = tid("search-input")
        box.click()
        box.press_sequentially("mac", delay=60)
        suggestions = tid("search-suggestion")
        expect(tid("search-suggestions")).to_be_visible()
        expect(suggestions.first).to_have_text(re.compile("MacBook笔记本电脑"))
        expect(suggestions.first).to_have_attribute("data-kind", "line")
        expect(box).to_have_attribute("aria-expanded", "true")
        j.shot("search-suggestions")
        product = suggestions.nth(1)
        expect(product).to_have_attribute("data-kind", "product")
        box.press("ArrowDown")
        box.press("ArrowDown")
        expect(product).to_have_attribute("aria-selected", "true")
        box.press("Enter")
        expect(page).to_have_url(re.compile(r"#/product/20$"))
        expect(tid("product-name")).to_contain_text("MacBook")
        expect(tid("search-suggestions")).to_be_hidden()

        # --- a product line by pointer; Escape closes; a picked order sorts -------------------------
        box.fill("")
        box.press_sequentially("华为", delay=60)
        expect(suggestions.first).to_be_visible()
        box.press("Escape")
        expect(tid("search-suggestions")).to_be_hidden()
        box.press_sequentially(" ")
        box.press("Backspace")
        line = tid("search-suggestion").and_(page.locator('[data-kind="line"]')).first
        expect(line).to_be_visible()
        chosen = line.locator(".suggestion-text").inner_text()
        line.click()
        expect(page).to_have_url(re.compile(r"#/search\?q="))
        expect(tid("search-summary")).to_contain_text(f"“{chosen}”共找到")
        expect(tid("product-card").first).to_be_visible()

        box.fill("手机")
        tid("search-button").click()
        expect(tid("search-summary")).to_contain_text("“手机”共找到 7 件商品")
        expect(tid("sort-default")).to_have_attribute("aria-pressed", "true")
        expect(tid("sort-default")).to_have_text("最相关")
        tid("sort-price-asc").click()
        expect(page).to_have_url(re.compile(r"sort=price"))
        expect(tid("sort-price-asc")).to_have_attribute("aria-pressed", "true")
        prices = card_prices(j)
        assert prices == sorted(prices), prices
        j.shot("search-sorted")
        assert not page_errors, page_errors
    finally:
        context.close()
