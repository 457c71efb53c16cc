"""What the embedded default does at start-up: migrate, index what was never indexed (a shop from before
search), and load the demo catalogue into an empty shop."""

from __future__ import annotations

import logging

from jiadian.adapters.demo import DemoLoader
from jiadian.adapters.sql.migrate import upgrade
from jiadian.container import Container

log = logging.getLogger("jiadian")


async def prepare(container: Container) -> None:
    settings = container.settings()
    await upgrade(container.engine())
    if indexed := await container.search_admin().reindex(missing_only=True):
        log.info("indexed %d products for search", indexed)
    loader = DemoLoader(container.catalog_admin(), container.blobs(), container.search_admin())
    if settings.auto_demo and await loader.load():
        log.info("loaded the demo catalogue")
