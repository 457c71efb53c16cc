"""The `jiadian` command: serve the shop, migrate, and run the operator's use cases."""

from __future__ import annotations

import os
from typing import Any

import typer

from jiadian.entrypoints.cli import (
    audit,
    blobs,
    catalog,
    db,
    ops,
    orders,
    payments,
    refunds,
    search,
    stock,
    users,
    worker,
)
from jiadian.entrypoints.cli import cart as cart_commands
from jiadian.entrypoints.cli.common import run
from jiadian.entrypoints.cli.errors import ShopGroup
from jiadian.logs import configure_logging
from jiadian.settings import Settings

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

app = typer.Typer(
    name="jiadian",
    cls=ShopGroup,  # every command's errors: one line, a code and an exit status (cli/errors.py)
    help="jiadian (家电之选): an online shop for home appliances.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(db.app, name="db")
app.add_typer(catalog.demo, name="demo")
app.add_typer(catalog.app, name="catalog")
app.add_typer(users.app, name="users")
app.add_typer(users.wallet, name="wallet")
app.command("worker")(worker.worker)
app.add_typer(cart_commands.app, name="cart")
app.add_typer(blobs.app, name="blobs")
app.add_typer(orders.app, name="orders")
app.add_typer(payments.app, name="payments")
app.add_typer(refunds.app, name="refunds")
app.add_typer(stock.app, name="stock")
app.add_typer(audit.app, name="audit")
app.command("status")(ops.status)
app.add_typer(ops.settings_app, name="settings")
app.add_typer(search.app, name="search")


# How long a worker may not answer uvicorn's supervisor (with `--server uvicorn`) before it is taken for
# hung and replaced. Its
# answers come from a thread, which waits while a long native call holds the interpreter: at start-up,
# loading jieba's dictionary and the first full collection take about a second, several on a loaded
# machine (uvicorn's default of 5 s had workers replaced in a loop on a busy 2-core machine).
WORKER_HEALTHCHECK_SECONDS = 30


@app.command()
def serve(
    host: str | None = typer.Option(None, help="Interface to bind (default: settings, 127.0.0.1)"),
    port: int | None = typer.Option(None, min=1, max=65535, help="Port (default: settings, 8000)"),
    workers: int | None = typer.Option(None, min=1, max=64, help="Worker processes (default: settings, 1)"),
    server: str | None = typer.Option(
        None, help="granian or uvicorn (default: settings, granian — see README, Benchmark)"
    ),
) -> None:
    """Serve the HTTP API and the storefront (granian by default; uvicorn with uvloop and httptools).

    The production profile (JIADIAN_DATABASE_URL or JIADIAN_REDIS_URL set) refuses to start with the
    published default CSRF secret: set JIADIAN_CSRF_SECRET (or JIADIAN_TEST_DEPLOYMENT=true for a test).

    With JIADIAN_AUTO_MIGRATE on (the embedded default), the database is migrated — and the demo
    catalogue loaded into an empty shop — once, here, before the worker processes start. With several
    workers, their metrics meet in PROMETHEUS_MULTIPROC_DIR (default: <var_dir>/prometheus, emptied
    here); with JIADIAN_METRICS_PORT, this process serves them on that port.
    """

    from jiadian.entrypoints.http.startup import prepare

    settings = Settings()
    chosen = server or settings.server
    if chosen not in ("granian", "uvicorn"):
        raise typer.BadParameter(f"{chosen!r}: granian or uvicorn", param_hint="--server")
    settings.check_secrets()  # the production profile with the published secret: one line, exit 78
    configure_logging(settings.log_level, settings.log_format)
    options = server_options(settings, host=host, port=port, workers=workers)
    several = share_metrics(settings, options["workers"])
    if settings.auto_migrate:
        run(prepare)
        os.environ["JIADIAN_AUTO_MIGRATE"] = "false"  # the workers need not do it again
    if settings.metrics_port is not None:
        from jiadian.adapters.prometheus import serve_on_port

        serve_on_port(settings.metrics_port, settings.metrics_host, several_processes=several)
    if chosen == "uvicorn":
        import uvicorn

        uvicorn.run(ASGI_FACTORY, **uvicorn_options(options))
    else:
        granian(options).serve()


ASGI_FACTORY = "jiadian.entrypoints.http.asgi:app"


def share_metrics(settings: Settings, workers: int) -> bool:
    """Whether the workers' metrics go through files (PROMETHEUS_MULTIPROC_DIR, set before they start).

    The operator's directory is used as it is; the default one, `<var_dir>/prometheus`, is emptied
    (values of an earlier run would add up). One worker keeps its metrics in memory.
    """
    from jiadian.adapters.prometheus import prepare_directory

    if os.environ.get(MULTIPROC_ENV):
        return True
    if workers <= 1:
        return False
    directory = settings.var_dir / "prometheus"
    prepare_directory(directory)
    os.environ[MULTIPROC_ENV] = str(directory)
    return True


def server_options(
    settings: Settings, *, host: str | None, port: int | None, workers: int | None
) -> dict[str, Any]:
    """Where `serve` listens and with how many workers. The client's address comes from X-Forwarded-For
    only when it was set by a proxy named in `forwarded_allow_ips`: the ASGI factory sees to it
    (`jiadian.entrypoints.http.asgi`), the same under either server."""
    return {
        "host": host or settings.host,
        "port": port or settings.port,
        "workers": workers or settings.workers,
    }


def uvicorn_options(options: dict[str, Any]) -> dict[str, Any]:
    return {
        **options,
        "factory": True,
        "loop": "uvloop",
        "http": "httptools",
        "access_log": False,
        "log_config": None,  # the shop's logging (JIADIAN_LOG_FORMAT), configured by each process
        "proxy_headers": False,  # the app's own middleware, when forwarded_allow_ips names proxies
        "timeout_worker_healthcheck": WORKER_HEALTHCHECK_SECONDS,
    }


def granian(options: dict[str, Any]) -> Any:
    """granian serving the ASGI factory: uvloop, no access log, a worker that dies is started again."""
    from granian import Granian
    from granian.constants import Interfaces, Loops

    return Granian(
        ASGI_FACTORY,
        address=options["host"],
        port=options["port"],
        workers=options["workers"],
        interface=Interfaces.ASGI,
        loop=Loops.uvloop,
        factory=True,
        log_access=False,
        respawn_failed_workers=True,
    )


if __name__ == "__main__":  # pragma: no cover
    app()
