"""The demo catalogue for search tests, loaded fast (one tiny image for every placeholder), and its facts."""

from __future__ import annotations

import base64

import pytest

from jiadian.adapters import demo
from jiadian.adapters.demo import DemoLoader, demo_data
from jiadian.container import Container

# A 1×1 PNG: the demo's placeholders cost ~1.5 s to draw and search never looks at them.
TINY_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


async def given_demo(container: Container, monkeypatch: pytest.MonkeyPatch) -> None:
    """The demo catalogue with its aliases (product ids are the demo file's: 1..24)."""
    monkeypatch.setattr(demo, "placeholder_png", lambda _label, _size=(0, 0): TINY_PNG)
    loader = DemoLoader(container.catalog_admin(), container.blobs(), container.search_admin())
    assert await loader.load()


def products_of_line(spu_name: str) -> set[int]:
    """The demo's on-shelf products of the product line (spu) of that name."""
    data = demo_data()
    spu_ids = {s["id"] for s in data["spus"] if s["name"] == spu_name}
    return {p["id"] for p in data["products"] if p["spu_id"] in spu_ids and p["on_shelf"]}
