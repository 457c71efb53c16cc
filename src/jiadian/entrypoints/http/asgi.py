"""ASGI entry for servers: `uvicorn --factory jiadian.entrypoints.http.asgi:app`."""

from __future__ import annotations

import logging

from litestar import Litestar

from jiadian.entrypoints.http.app import create_app


def app() -> Litestar:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return create_app()
