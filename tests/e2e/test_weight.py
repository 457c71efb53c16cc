"""What a cold visit costs and what a browser may keep: bytes on the wire, compression, caching, cookies.

The cold home page at phone size is measured with Chromium's own byte counts (tests/e2e/weight.py) and
written to test-output/cold-home.json — the figure the README quotes. The checks are of kind, not of
size: scripts, styles and the page's JSON arrive compressed, the fronts' files and images are cacheable
for a year, none of them sets a cookie, the home page loads no other page's code, and a product page
asks for the product and its reviews at once.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from jiadian.entrypoints.http.web import WebAssets
from tests.e2e.support import EXPECT_TIMEOUT_MS, SIZES, Shop, api_get
from tests.e2e.weight import cold_load, summary

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_a_cold_home_page_is_compressed_cacheable_and_sets_no_cookie_on_static_answers(
    browser: Any, shop: Shop, pytestconfig: pytest.Config
) -> None:
    answers = cold_load(browser, f"{shop.base_url}/", SIZES["mobile"], ready='[data-testid="home-category"]')
    result = summary(answers)
    out: Path = pytestconfig.rootpath / "test-output"
    out.mkdir(exist_ok=True)
    (out / "cold-home.json").write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    print(
        f"\ncold home page at 375x812: {result['requests']} requests, {result['bytes']:,} bytes {result['by_type']}"
    )

    static = [a for a in answers if "/assets/" in a.url]
    images = [a for a in answers if "/media/" in a.url]
    assert static
    assert images
    files = WebAssets.load().files
    for answer in static:
        assert answer.status == 200, answer
        assert "immutable" in answer.cache_control, answer
        assert "max-age=31536000" in answer.cache_control, answer
        name = answer.url.split("/assets/", 1)[1].split("/", 1)[1]
        if len(files[name].body) > 1000:  # the smallest files go as they are (gzip starts at 500 bytes)
            assert answer.content_encoding == "gzip", answer
    for answer in images:
        assert "max-age=31536000" in answer.cache_control, answer
    for answer in [*static, *images]:
        assert not answer.set_cookie, f"{answer.url} sets a cookie"
    (page,) = [a for a in answers if a.url.rstrip("/") == shop.base_url]
    assert page.cache_control == "no-cache", page
    assert not page.set_cookie, page
    home = [a for a in answers if "/api/catalog/home" in a.url]
    assert home
    assert home[0].content_encoding == "gzip"
    # Each page's code loads when it is first shown: the home page brings none of the others'.
    pages = {re.sub(r".*/pages/", "", a.url) for a in static if "/pages/" in a.url}
    assert pages == {"home.js"}, pages


def test_a_product_page_asks_for_the_product_and_its_reviews_at_once(browser: Any, shop: Shop) -> None:
    from playwright.sync_api import expect

    product = api_get(shop, "/api/catalog/products?category=all")["items"][0]
    context = browser.new_context(viewport={"width": 375, "height": 812}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(EXPECT_TIMEOUT_MS)
    events: list[tuple[str, str]] = []
    detail = re.compile(rf"/api/catalog/products/{product['id']}(/reviews)?(\?|$)")
    page.on("request", lambda r: events.append(("asked", r.url)) if detail.search(r.url) else None)
    page.on("requestfinished", lambda r: events.append(("answered", r.url)) if detail.search(r.url) else None)
    page.goto(f"{shop.base_url}/#/product/{product['id']}")
    expect(page.get_by_test_id("review-summary")).to_be_visible()
    expect(page.get_by_test_id("review-list")).not_to_contain_text("加载中")
    context.close()
    first_answer = next(i for i, (kind, _) in enumerate(events) if kind == "answered")
    asked_first = [url for kind, url in events[:first_answer] if kind == "asked"]
    assert len(asked_first) == 2, events  # the product and its reviews, both before either answered
