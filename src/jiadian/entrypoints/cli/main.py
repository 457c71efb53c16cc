"""The `jiadian` command: serve the shop, migrate, and run the operator's use cases."""

from __future__ import annotations

from typing import Any

import typer

from jiadian.entrypoints.cli import (
    blobs,
    catalog,
    db,
    orders,
    payments,
    refunds,
    search,
    stock,
    users,
    worker,
)
from jiadian.entrypoints.cli import cart as cart_commands
from jiadian.entrypoints.cli.common import err, run
from jiadian.settings import InsecureSettings, Settings

app = typer.Typer(
    help="jiadian (家电之选): an online shop for home appliances.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
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
    port: int | None = typer.Option(None, help="Port (default: settings, 8000)"),
    workers: int | None = typer.Option(None, min=1, help="Worker processes (default: settings, 1)"),
    server: str | None = typer.Option(
        None, help="granian or uvicorn (default: settings, granian — see README, Benchmark)"
    ),
) -> None:
    """Serve the HTTP API and the storefront (granian by default; uvicorn with uvloop and httptools).

    The production profile (JIADIAN_DATABASE_URL or JIADIAN_REDIS_URL set) refuses to start with the
    published default CSRF secret: set JIADIAN_CSRF_SECRET (or JIADIAN_TEST_DEPLOYMENT=true for a test).

    With JIADIAN_AUTO_MIGRATE on (the embedded default), the database is migrated — and the demo
    catalogue loaded into an empty shop — once, here, before the worker processes start.
    """
    import os

    from jiadian.entrypoints.http.startup import prepare

    settings = Settings()
    chosen = server or settings.server
    if chosen not in ("granian", "uvicorn"):
        raise typer.BadParameter(f"{chosen!r}: granian or uvicorn", param_hint="--server")
    try:
        settings.check_secrets()
    except InsecureSettings as exc:
        err.print(f"[red]error[/red] {exc}")
        raise typer.Exit(1) from exc
    if settings.auto_migrate:
        run(prepare)
        os.environ["JIADIAN_AUTO_MIGRATE"] = "false"  # the workers need not do it again
    options = server_options(settings, host=host, port=port, workers=workers)
    if chosen == "uvicorn":
        import uvicorn

        uvicorn.run(ASGI_FACTORY, **uvicorn_options(options))
    else:
        granian(options).serve()


ASGI_FACTORY = "jiadian.entrypoints.http.asgi:app"


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
