"""The browser fronts' files: every file of `web/` under one versioned URL, and the fronts' pages.

`web/` holds the fronts as native ES modules (no build step): `shared/` (what every front imports),
`storefront/` (the shopper's, at `/`) and `admin/` (the operators' console, at `/admin/`). At start-up the tree is read once; its version is a hash of every
file's path and bytes. Files are served from that snapshot under `/assets/{version}/{path}` with
`Cache-Control: public, max-age=31536000, immutable`: any change to any file gives every file a new
URL, and modules import each other by relative paths (`../shared/api.js`), so imports carry the version
too. A URL of an older version (a page loaded before a deploy) still gets the current file, but
`no-cache`. A front's page (`index.html`) names its files as `{{assets}}/storefront/app.js`; it is
served with the version filled in, `no-cache` and an ETag, so a browser asks again every time and gets
304 until the next deploy. Edit a file, restart the server: the snapshot and its version are per
process.

None of these answers sets a cookie (`opt` exempts them from the CSRF cookie) — nor do the images
under `/media/`, whose files are never rewritten in place (a new image gets a new file id) and are
cached for a year.
"""

from __future__ import annotations

import hashlib
import mimetypes
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Annotated, Any

from litestar import Controller, MediaType, Request, Response, get
from litestar.datastructures import CacheControlHeader, ETag
from litestar.params import FromPath, Parameter
from litestar.status_codes import HTTP_304_NOT_MODIFIED

from jiadian.domain.errors import NotFound

WEB = Path(__file__).with_name("web")
ASSETS = "/assets"
FOREVER = CacheControlHeader(public=True, max_age=365 * 24 * 3600, immutable=True)
REVALIDATE = CacheControlHeader(no_cache=True)
NO_COOKIE = {"exclude_from_csrf": True}  # static answers set no csrftoken cookie (CSRFConfig's opt key)
TYPES = {".js": "text/javascript", ".css": "text/css", ".html": "text/html", ".svg": "image/svg+xml"}


@dataclass(frozen=True)
class Asset:
    body: bytes
    media_type: str


@dataclass(frozen=True)
class WebAssets:
    """A snapshot of the `web/` tree: its files by path ("storefront/app.js") and its version."""

    version: str
    files: dict[str, Asset]

    @classmethod
    def load(cls, root: Path = WEB) -> WebAssets:
        files: dict[str, Asset] = {}
        digest = hashlib.sha256()
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            name = path.relative_to(root).as_posix()
            body = path.read_bytes()
            kind = TYPES.get(path.suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"
            files[name] = Asset(body, kind)  # Litestar adds "; charset=utf-8" to text/*
            digest.update(name.encode() + b"\0" + body + b"\0")
        return cls(digest.hexdigest()[:16], files)

    @property
    def prefix(self) -> str:
        return f"{ASSETS}/{self.version}"

    def url(self, name: str) -> str:
        """The versioned URL of a file of the tree, e.g. url("storefront/default-avatar.svg")."""
        return f"{self.prefix}/{name}"

    def page(self, front: str) -> bytes:
        """A front's index.html with its `{{assets}}` filled in."""
        return self.files[f"{front}/index.html"].body.replace(b"{{assets}}", self.prefix.encode())


@cache
def web_assets() -> WebAssets:
    """This process's snapshot of the tree (read on first use)."""
    return WebAssets.load()


def _cache(header: CacheControlHeader) -> dict[str, str]:
    return {header.HEADER_NAME: header.to_header()}


def front_page(request: Request[Any, Any, Any], front: str) -> Response[bytes]:
    """A front's page: revalidated every time, 304 while the version is the same."""
    assets = web_assets()
    headers = {"ETag": ETag(value=f"{front}-{assets.version}").to_header(), **_cache(REVALIDATE)}
    if headers["ETag"] in request.headers.get("if-none-match", ""):
        return Response(b"", status_code=HTTP_304_NOT_MODIFIED, headers=headers)
    return Response(assets.page(front), media_type=MediaType.HTML, headers=headers)


class WebController(Controller):
    """The storefront's page at `/`, the console's at `/admin/`, and every front's files under
    `/assets/{version}/`."""

    include_in_schema = False
    opt = NO_COOKIE

    @get("/")
    async def storefront(self, request: Request[Any, Any, Any]) -> Response[bytes]:
        return front_page(request, "storefront")

    @get("/admin")  # and /admin/: Litestar serves a path with or without its trailing slash
    async def console(self, request: Request[Any, Any, Any]) -> Response[bytes]:
        return front_page(request, "admin")

    @get(f"{ASSETS}/{{version:str}}/{{name:path}}")
    async def asset(
        self, version: FromPath[Annotated[str, Parameter(max_length=64)]], name: FromPath[str]
    ) -> Response[bytes]:
        assets = web_assets()
        found = assets.files.get(name.lstrip("/"))
        if found is None or name.lstrip("/").endswith("index.html"):
            raise NotFound("文件", name)
        headers = _cache(FOREVER if version == assets.version else REVALIDATE)
        return Response(found.body, media_type=found.media_type, headers=headers)
