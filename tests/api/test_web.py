"""The fronts' files and pages: versioned URLs cached for a year, pages revalidated, gzip, no cookies."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import PurePosixPath

import pytest
import pytest_asyncio
from tests.conftest import ShopClient, open_client, settings_for

from jiadian.adapters.demo import DemoLoader
from jiadian.adapters.sql.migrate import upgrade
from jiadian.container import build_container
from jiadian.entrypoints.http.web import WebAssets, web_assets

YEAR = {"public", "max-age=31536000", "immutable"}


def directives(header: str) -> set[str]:
    return {part.strip() for part in header.split(",")}


# Every module a module names: import … from '…' (over several lines too), export … from '…',
# import '…' and import('…').
IMPORT = re.compile(
    r"""^\s*(?:import|export)\b[^'"]*?\bfrom\s*['"]([^'"]+)['"]|^\s*import\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]""",
    re.MULTILINE,
)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def shop(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[ShopClient]:
    container = build_container(settings_for(tmp_path_factory.mktemp("web")))
    await upgrade(container.engine())
    assert await DemoLoader(container.catalog_admin(), container.blobs()).load()
    async for client in open_client(container):
        yield client


on_the_shop = pytest.mark.asyncio(loop_scope="module")  # the module's shop, read only


@on_the_shop
async def test_the_storefront_page_names_its_files_under_the_version_and_is_revalidated(
    shop: ShopClient,
) -> None:
    assets = web_assets()
    page = await shop.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["cache-control"] == "no-cache"
    assert "set-cookie" not in page.headers
    assert "{{assets}}" not in page.text
    for url in re.findall(r'(?:src|href)="(/assets/[^"]+)"', page.text):
        assert url.startswith(assets.prefix + "/"), url
        assert (await shop.get(url)).status_code == 200, url
    again = await shop.get("/", headers={"if-none-match": page.headers["etag"]})
    assert (again.status_code, again.content) == (304, b"")


@on_the_shop
async def test_a_file_of_this_version_is_cached_for_a_year_compressed_and_sets_no_cookie(
    shop: ShopClient,
) -> None:
    assets = web_assets()
    answer = await shop.get(assets.url("storefront/app.js"), headers={"accept-encoding": "gzip"})
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/javascript; charset=utf-8"
    assert directives(answer.headers["cache-control"]) == YEAR
    assert answer.headers["content-encoding"] == "gzip"
    assert int(answer.headers["content-length"]) < len(assets.files["storefront/app.js"].body)
    assert answer.content == assets.files["storefront/app.js"].body  # httpx decoded it
    assert "set-cookie" not in answer.headers
    css = await shop.get(assets.url("storefront/style.css"), headers={"accept-encoding": "gzip"})
    assert (css.headers["content-encoding"], directives(css.headers["cache-control"])) == ("gzip", YEAR)


@on_the_shop
async def test_an_older_version_gets_the_current_file_revalidated(shop: ShopClient) -> None:
    answer = await shop.get("/assets/0123456789abcdef/shared/api.js")
    assert answer.status_code == 200
    assert answer.content == web_assets().files["shared/api.js"].body
    assert answer.headers["cache-control"] == "no-cache"


@pytest.mark.parametrize("name", ["nothing.js", "storefront/index.html", "../app.py", "storefront/pages"])
@on_the_shop
async def test_only_the_trees_files_are_served(shop: ShopClient, name: str) -> None:
    answer = await shop.get(f"{web_assets().prefix}/{name}")
    assert answer.status_code == 404, name
    assert "set-cookie" not in answer.headers


@on_the_shop
async def test_images_are_cached_for_a_year_uncompressed_and_set_no_cookie(shop: ShopClient) -> None:
    home = (await shop.get("/api/catalog/home")).json()
    image = await shop.get(home["categories"][0]["image_url"], headers={"accept-encoding": "gzip"})
    assert image.status_code == 200
    assert directives(image.headers["cache-control"]) == YEAR  # a new image gets a new file id
    assert "content-encoding" not in image.headers  # a PNG is compressed already
    assert "set-cookie" not in image.headers


@on_the_shop
async def test_the_apis_json_is_compressed_for_clients_that_accept_it(shop: ShopClient) -> None:
    home = await shop.get("/api/catalog/home", headers={"accept-encoding": "gzip"})
    assert home.headers["content-encoding"] == "gzip"
    plain = await shop.get("/api/catalog/home", headers={"accept-encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert plain.json() == home.json()


def test_every_module_imports_by_relative_paths_that_exist() -> None:
    """Imports carry the version only when relative; a missing module would break a page at run time."""
    assets = WebAssets.load()
    modules = [name for name in assets.files if name.endswith(".js")]
    assert "storefront/app.js" in modules and "shared/api.js" in modules  # noqa: PT018
    seen = 0
    for name in modules:
        text = re.sub(r"/\*.*?\*/|//[^\n]*", "", assets.files[name].body.decode(), flags=re.S)  # code only
        for target in ["".join(groups) for groups in IMPORT.findall(text)]:
            assert target.startswith(("./", "../")), f"{name} imports {target!r}: not relative"
            resolved = str(PurePosixPath(name).parent / target)
            parts: list[str] = []
            for part in resolved.split("/"):
                if part == "..":
                    parts.pop()
                elif part != ".":
                    parts.append(part)
            assert "/".join(parts) in assets.files, f"{name} imports {target!r}: no such module"
            seen += 1
    assert seen > 3 * len(modules)  # the pattern finds the imports there are


def test_the_version_changes_with_any_file(tmp_path: PurePosixPath) -> None:
    from pathlib import Path

    root = Path(str(tmp_path))
    (root / "shared").mkdir()
    (root / "shared" / "a.js").write_text("export const a = 1;\n")
    first = WebAssets.load(root).version
    (root / "shared" / "a.js").write_text("export const a = 2;\n")
    assert WebAssets.load(root).version != first
