"""What the embedded default does at start-up: migrate, and load the demo catalogue into an empty shop."""

from __future__ import annotations

import logging

from jiadian.adapters.demo import DemoLoader
from jiadian.adapters.sql.migrate import upgrade
from jiadian.container import Container

log = logging.getLogger("jiadian")


async def prepare(container: Container) -> None:
    settings = container.settings()
    await upgrade(container.engine())
    if settings.auto_demo and await DemoLoader(container.catalog_admin(), container.blobs()).load():
        log.info("loaded the demo catalogue")
