"""What a cold visit costs: every answer the browser received for one page load, with its bytes on the wire.

Used by the storefront's weight test and by hand against any running shop:

    .venv/bin/python -m tests.e2e.weight http://127.0.0.1:8000/

Bytes are Chromium's `encodedDataLength` (headers and body as transferred, after compression) from the
DevTools protocol, summed over the answers of one load of a fresh browser context (empty cache).
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, dataclass
from typing import Any

from tests.e2e.support import CHROMIUM, CHROMIUM_ARGS


@dataclass
class Answer:
    url: str
    status: int
    bytes: int
    content_type: str
    content_encoding: str
    cache_control: str
    set_cookie: bool


def cold_load(
    browser: Any, url: str, viewport: tuple[int, int] = (375, 812), ready: str = ""
) -> list[Answer]:
    """Load `url` in a fresh context (nothing cached), wait for the network to settle (and `ready`, a
    selector, when given), and answer every response with its transferred size."""
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]}, locale="zh-CN")
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    seen: dict[str, dict[str, Any]] = {}

    def on_response(event: dict[str, Any]) -> None:
        response = event["response"]
        headers = {k.lower(): v for k, v in response.get("headers", {}).items()}
        seen[event["requestId"]] = {
            "url": response["url"],
            "status": response["status"],
            "content_type": headers.get("content-type", ""),
            "content_encoding": headers.get("content-encoding", ""),
            "cache_control": headers.get("cache-control", ""),
            "set_cookie": False,
            "bytes": 0,
        }

    cookies: set[str] = set()

    def on_extra(event: dict[str, Any]) -> None:  # the raw headers, Set-Cookie included
        if any(k.lower() == "set-cookie" for k in event.get("headers", {})):
            cookies.add(event["requestId"])

    def on_finished(event: dict[str, Any]) -> None:
        if event["requestId"] in seen:
            seen[event["requestId"]]["bytes"] = int(event["encodedDataLength"])

    cdp.on("Network.responseReceived", on_response)
    cdp.on("Network.responseReceivedExtraInfo", on_extra)
    cdp.on("Network.loadingFinished", on_finished)
    page.goto(url, wait_until="networkidle")
    if ready:
        page.wait_for_selector(ready)
        page.wait_for_load_state("networkidle")
    page.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
    for request_id in cookies & seen.keys():
        seen[request_id]["set_cookie"] = True
    answers = [Answer(**a) for a in seen.values() if not a["url"].startswith("data:")]
    context.close()
    return answers


def summary(answers: list[Answer]) -> dict[str, Any]:
    return {
        "requests": len(answers),
        "bytes": sum(a.bytes for a in answers),
        "by_type": {
            kind: sum(a.bytes for a in answers if kind in a.content_type)
            for kind in ("html", "javascript", "css", "json", "image")
        },
        "answers": [asdict(a) for a in answers],
    }


def main(url: str) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        result = summary(cold_load(browser, url))
        browser.close()
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000/")
