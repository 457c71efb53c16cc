"""The composition root: the one place that decides which adapter serves each port.

Nothing connects at import time; resources are opened lazily and closed by `shutdown()`.
Testers swap in the in-memory adapters with `use_memory(container)`.
"""

from __future__ import annotations

from pathlib import Path

from dependency_injector import containers, providers
from litestar.stores.base import Store
from litestar.stores.memory import MemoryStore
from litestar.stores.redis import RedisStore
from redis.asyncio import BlockingConnectionPool, Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from jiadian import wiring, wiring_payments
from jiadian.adapters.clock import SystemClock
from jiadian.adapters.images import sniff_image
from jiadian.adapters.local_files import LocalBlobStore
from jiadian.adapters.memory.blobs import MemoryBlobStore
from jiadian.adapters.memory.cache import MemoryCache
from jiadian.adapters.memory.cart import MemoryBrowsingHistory, MemoryCartStore
from jiadian.adapters.memory.catalog import MemoryCatalogQueries
from jiadian.adapters.memory.codes import MemoryCodeStore
from jiadian.adapters.memory.console import MemoryConsoleQueries
from jiadian.adapters.memory.files import MemoryFileReferences
from jiadian.adapters.memory.live_cache import MemoryLiveCache
from jiadian.adapters.memory.mail import MemoryMailer
from jiadian.adapters.memory.search import MemorySearchQueries
from jiadian.adapters.memory.sessions import MemorySessionIndex
from jiadian.adapters.memory.state import MemoryState
from jiadian.adapters.memory.stock_gate import MemoryStockGate
from jiadian.adapters.memory.uow import MemoryUnitOfWork
from jiadian.adapters.passwords import Argon2Hasher
from jiadian.adapters.prometheus import PrometheusMetrics
from jiadian.adapters.redis.cache import RedisCache
from jiadian.adapters.redis.cart import RedisBrowsingHistory, RedisCartStore
from jiadian.adapters.search.analyzer import shared_analyzer
from jiadian.adapters.sessions import ServerSessions
from jiadian.adapters.sql.catalog import SqlCatalogQueries
from jiadian.adapters.sql.console import SqlConsoleQueries
from jiadian.adapters.sql.engine import make_engine
from jiadian.adapters.sql.files import SqlFileReferences
from jiadian.adapters.sql.retry import DatabaseRetry
from jiadian.adapters.sql.search import SqlSearchQueries
from jiadian.adapters.sql.uow import SqlUnitOfWork
from jiadian.adapters.tasks.inline import InlineTaskQueue
from jiadian.application.accounts import Accounts, DeliverVerificationCode, Profiles, Registration
from jiadian.application.addresses import AddressBook
from jiadian.application.attempts import Attempts, LoginLimits
from jiadian.application.blob_ports import FileReferences
from jiadian.application.blobs import BlobFiles, BlobMigration
from jiadian.application.cart import ShoppingCart, ViewingHistory
from jiadian.application.cart_ports import BrowsingHistory, CartStore
from jiadian.application.catalog import Catalog
from jiadian.application.catalog_admin import CatalogAdmin
from jiadian.application.checkout import Checkout
from jiadian.application.console import Console
from jiadian.application.fulfilment import Fulfilment
from jiadian.application.live_values import LiveValues
from jiadian.application.operations import Operations
from jiadian.application.orders import Orders
from jiadian.application.passwords import DeliverPasswordResetCode, Passwords
from jiadian.application.payments import CallbackLimits, Payments
from jiadian.application.ports import BlobStore, Cache
from jiadian.application.refunds import Refunds
from jiadian.application.search import Search, SearchAdmin
from jiadian.application.sign_in import SignIn
from jiadian.application.stock import stock_keeper
from jiadian.application.stock_gate import StockGates
from jiadian.application.tasks import ExpireOrder, SendPasswordResetCode, SendVerificationCode, ShipOrder
from jiadian.application.unit_of_work import UnitOfWorkFactory
from jiadian.application.wallets import Wallets
from jiadian.domain.money import Money
from jiadian.settings import Settings


def _engine(settings: Settings) -> AsyncEngine:
    if settings.is_sqlite:
        settings.var_dir.mkdir(parents=True, exist_ok=True)
    return make_engine(
        settings.resolved_database_url, pool_size=settings.database_pool_size, echo=settings.database_echo
    )


def _redis(settings: Settings) -> Redis | None:
    if not settings.redis_url:
        return None
    # A blocking pool: under a burst past `redis_max_connections`, requests queue for a connection (redis-py's
    # default pool fails the 101st concurrent command at once).
    pool = BlockingConnectionPool.from_url(
        settings.redis_url,
        max_connections=settings.redis_max_connections,
        timeout=settings.redis_wait_seconds,
        socket_timeout=5,
        socket_connect_timeout=2,
        health_check_interval=30,
    )
    return Redis.from_pool(pool)  # the client owns the pool: closing it closes the connections


def _cache(redis: Redis | None) -> Cache:
    return RedisCache(redis) if redis is not None else MemoryCache()


def _cart_store(redis: Redis | None) -> CartStore:
    return RedisCartStore(redis) if redis is not None else MemoryCartStore()


def _browsing_history(redis: Redis | None) -> BrowsingHistory:
    return RedisBrowsingHistory(redis) if redis is not None else MemoryBrowsingHistory()


def _blobs(settings: Settings) -> BlobStore:
    if settings.blob_store == "fastdfs":
        return _fastdfs_blobs(settings)
    return _local_blobs(settings)


def _local_blobs(settings: Settings) -> BlobStore:
    return LocalBlobStore(Path(settings.media_dir), settings.media_url)


def _fastdfs_blobs(settings: Settings) -> BlobStore:
    from jiadian.adapters.fastdfs import FastDfsBlobStore, parse_tracker

    return FastDfsBlobStore(
        trackers=[parse_tracker(t) for t in settings.fastdfs_trackers],
        base_url=settings.fastdfs_base_url,
        timeout=settings.fastdfs_timeout,
    )


def _to_fastdfs(
    references: FileReferences, local: BlobStore, fastdfs: BlobStore, uow: UnitOfWorkFactory
) -> BlobMigration:
    """`jiadian blobs migrate --to fastdfs`: the local directory's files into FastDFS."""
    from jiadian.adapters.fastdfs import is_file_id

    return BlobMigration(references=references, source=local, target=fastdfs, in_target=is_file_id, uow=uow)


def _session_store(redis: Redis | None) -> Store:
    if redis is None:
        return MemoryStore()
    return RedisStore(redis, namespace="jiadian:session", handle_client_shutdown=False)


class Container(containers.DeclarativeContainer):
    settings = providers.Singleton(Settings)
    clock = providers.Singleton(SystemClock)
    metrics = providers.Singleton(PrometheusMetrics)  # business counters: orders, payments

    engine = providers.Singleton(_engine, settings)
    redis = providers.Singleton(_redis, settings)
    cache = providers.Singleton(_cache, redis)
    near_cache = providers.Singleton(
        MemoryCache, max_ttl_seconds=60, max_entries=settings.provided.near_cache_entries
    )
    blobs = providers.Singleton(_blobs, settings)

    # Search: text into terms (jieba's dictionary, loaded once per process) and the index's reads.
    analyzer = providers.Singleton(shared_analyzer)
    uow = providers.Factory(SqlUnitOfWork, engine, clock, analyzer)
    catalog_queries = providers.Singleton(SqlCatalogQueries, engine)
    search_queries = providers.Singleton(SqlSearchQueries, engine)

    # The stock gate of hot skus: the operator works on its store; checkout uses it when `stock_gate` is on.
    stock_gate_store = providers.Singleton(wiring.stock_gate_store, redis)
    stock_gate = providers.Singleton(wiring.stock_gate, settings, stock_gate_store)
    stock_gates = providers.Singleton(
        StockGates, uow=uow.provider, gate=stock_gate_store, checkout_uses_it=settings.provided.stock_gate
    )

    live_cache = providers.Singleton(wiring.live_cache, redis)
    live_values = providers.Singleton(
        LiveValues,
        queries=catalog_queries,
        cache=live_cache,
        max_age_ms=settings.provided.live_values_ms,
        keep_ms=providers.Callable(lambda s: s * 1000, settings.provided.live_values_keep_seconds),
    )
    catalog = providers.Singleton(
        Catalog,
        queries=catalog_queries,
        cache=cache,
        near=near_cache,
        live=live_values,
        blobs=blobs,
        cache_ttl=settings.provided.cache_ttl_seconds,
        max_page_size=settings.provided.max_page_size,
    )
    search = providers.Singleton(Search, catalog=catalog, queries=search_queries, analyzer=analyzer)
    search_admin = providers.Singleton(
        SearchAdmin, uow=uow.provider, cache=cache, analyzer=analyzer, near=near_cache
    )
    file_references = providers.Singleton(SqlFileReferences, engine)
    catalog_admin = providers.Singleton(
        CatalogAdmin,
        uow=uow.provider,
        cache=cache,
        blobs=blobs,
        references=file_references,
        gate=stock_gate_store,
        near=near_cache,
    )
    blob_files = providers.Singleton(BlobFiles, blobs=blobs, references=file_references, uow=uow.provider)
    local_blobs = providers.Singleton(_local_blobs, settings)
    fastdfs_blobs = providers.Singleton(_fastdfs_blobs, settings)
    migration_to_fastdfs = providers.Factory(
        _to_fastdfs, file_references, local_blobs, fastdfs_blobs, uow.provider
    )

    hasher = providers.Singleton(Argon2Hasher)
    accounts = providers.Singleton(Accounts, uow=uow.provider, hasher=hasher)
    session_store = providers.Singleton(_session_store, redis)
    session_index = providers.Singleton(wiring.session_index, redis)
    sessions = providers.Singleton(
        ServerSessions,
        store=session_store,
        index=session_index,
        clock=clock,
        ttl_seconds=settings.provided.session_ttl_seconds,
        max_age_seconds=settings.provided.session_max_age_seconds,
    )

    # Orders: the operator's and the worker's side (handles the order tasks and runs the sweeps).
    order_retry = providers.Singleton(DatabaseRetry)
    fulfilment = providers.Singleton(
        Fulfilment,
        uow=uow.provider,
        clock=clock,
        retry=order_retry,
        order_ttl_seconds=settings.provided.order_ttl_seconds,
        ship_after_seconds=settings.provided.ship_after_seconds,
        max_page_size=settings.provided.max_page_size,
        gate=stock_gate,
        stock_moved=live_values.provided.moved,
    )

    # Background tasks: a handler per task type (one line each), run inline or by `jiadian worker`.
    codes = providers.Singleton(wiring.code_store, redis)
    mailer = providers.Singleton(wiring.mailer, settings)
    task_handlers = providers.Dict(
        {
            SendVerificationCode: providers.Singleton(DeliverVerificationCode, mailer=mailer),
            SendPasswordResetCode: providers.Singleton(
                DeliverPasswordResetCode, uow=uow.provider, mailer=mailer
            ),
            ExpireOrder: fulfilment.provided.on_expire_order,
            ShipOrder: fulfilment.provided.on_ship_order,
        }
    )
    task_queue = providers.Singleton(wiring.task_queue, settings, task_handlers.provider)

    # Failure limits of sign-in, password changes, reset codes and registration's name checks.
    attempts = providers.Singleton(
        Attempts,
        store=codes,
        clock=clock,
        limits=providers.Factory(
            LoginLimits,
            max_failures_per_user=settings.provided.login_max_failures_per_user,
            max_failures_per_client=settings.provided.login_max_failures_per_client,
            window_seconds=settings.provided.login_failure_window_seconds,
            account_failures_before_delay=settings.provided.login_account_failures_before_delay,
            max_delay_seconds=settings.provided.login_max_delay_seconds,
        ),
    )
    registration = providers.Singleton(
        Registration,
        uow=uow.provider,
        hasher=hasher,
        codes=codes,
        tasks=task_queue,
        clock=clock,
        attempts=attempts,
    )
    sign_in = providers.Singleton(SignIn, accounts=accounts, attempts=attempts)
    passwords = providers.Singleton(
        Passwords,
        uow=uow.provider,
        accounts=accounts,
        codes=codes,
        tasks=task_queue,
        clock=clock,
        attempts=attempts,
        sessions=sessions,
    )
    profiles = providers.Singleton(
        Profiles,
        uow=uow.provider,
        blobs=blobs,
        sniff=providers.Object(sniff_image),
        references=file_references,
    )
    address_book = providers.Singleton(AddressBook, uow=uow.provider)
    wallets = providers.Singleton(
        Wallets, uow=uow.provider, online_recharge=settings.provided.recharge_enabled
    )

    cart_store = providers.Singleton(_cart_store, redis)
    browsing_history = providers.Singleton(_browsing_history, redis)
    shopping_cart = providers.Singleton(ShoppingCart, carts=cart_store, catalog=catalog, blobs=blobs)
    viewing_history = providers.Singleton(ViewingHistory, history=browsing_history, catalog=catalog)

    payment_gateway = providers.Singleton(wiring_payments.payment_gateway, settings)
    payment_simulator = providers.Singleton(wiring_payments.payment_simulator, payment_gateway)

    # Checkout and orders: the shopper's side (schedules expiry and shipping on the task queue).
    checkout = providers.Singleton(
        Checkout,
        uow=uow.provider,
        clock=clock,
        retry=order_retry,
        tasks=task_queue,
        carts=cart_store,
        stock=providers.Callable(stock_keeper, settings.provided.stock_strategy),
        catalog=catalog,
        freight=providers.Callable(Money.of, settings.provided.freight),
        order_ttl_seconds=settings.provided.order_ttl_seconds,
        gate=stock_gate,
        group_commit=settings.provided.group_commit,
        group_commit_window=providers.Callable(
            lambda ms: ms / 1000, settings.provided.group_commit_window_ms
        ),
        group_commit_max=settings.provided.group_commit_max_orders,
        metrics=metrics,
        stock_moved=live_values.provided.moved,
    )
    orders = providers.Singleton(
        Orders,
        uow=uow.provider,
        clock=clock,
        retry=order_retry,
        tasks=task_queue,
        ship_after_seconds=settings.provided.ship_after_seconds,
        max_page_size=settings.provided.max_page_size,
        gateway=payment_gateway,
        order_ttl_seconds=settings.provided.order_ttl_seconds,
        gate=stock_gate,
        metrics=metrics,
        stock_moved=live_values.provided.moved,
    )

    # Payments through the gateway (notifications, returns, reconciliation, the simulator). Expiry
    # asks it first: an order whose trade was started is closed at the gateway before it is cancelled.
    payments = providers.Singleton(
        Payments,
        uow=uow.provider,
        clock=clock,
        retry=order_retry,
        tasks=task_queue,
        gateway=payment_gateway,
        simulator=payment_simulator,
        order_ttl_seconds=settings.provided.order_ttl_seconds,
        ship_after_seconds=settings.provided.ship_after_seconds,
        max_page_size=settings.provided.max_page_size,
        attempts=codes,
        metrics=metrics,
        callback_limits=providers.Factory(
            CallbackLimits,
            max_forged_per_client=settings.provided.notification_max_forged_per_client,
            window_seconds=settings.provided.notification_forged_window_seconds,
            retention_days=settings.provided.notification_retention_days,
        ),
    )
    # The shop's health: /ready, `jiadian status`, the metrics' gauges.
    probes = providers.Factory(wiring.probes, engine, cache, task_queue, blobs)
    operations = providers.Singleton(
        Operations, probes=probes, tasks=task_queue, gates=stock_gates, payments=payments
    )
    pool_use = providers.Callable(wiring.pool_use, engine, redis)
    fulfilment.add_kwargs(
        before_expiry=payments.provided.before_expiry, before_cancel=payments.provided.close_for_cancel
    )

    # Refunds: decided by operators (or asked for by buyers, through `orders`); the money goes back to the
    # wallet at once, or through the gateway — asked again by the periodic jobs until it confirms.
    refunds = providers.Singleton(
        Refunds,
        uow=uow.provider,
        clock=clock,
        retry=order_retry,
        gateway=payment_gateway,
        max_page_size=settings.provided.max_page_size,
        gate=stock_gate,
        stock_moved=live_values.provided.moved,
    )
    # Async callables run every `sweep_interval_seconds`: the sweeps, the refunds the gateway has not
    # confirmed yet, search's ranking sales, the pruning of forged callbacks (and the gate's reconcile when on).
    periodic_jobs = providers.Callable(
        wiring.periodic_jobs,
        settings,
        fulfilment,
        stock_gates,
        refunds,
        search_admin,
        payments.provided.prune_notifications,
    )
    orders.add_kwargs(before_cancel=payments.provided.close_for_cancel)

    # The operator console's reads (its changes go through the use cases above, which audit them).
    console_queries = providers.Singleton(SqlConsoleQueries, engine)
    console = providers.Singleton(
        Console,
        queries=console_queries,
        uow=uow.provider,
        clock=clock,
        zone=settings.provided.zone,
        order_ttl_seconds=settings.provided.order_ttl_seconds,
        expiring_within_seconds=providers.Callable(
            lambda hours: hours * 3600, settings.provided.expiring_within_hours
        ),
        low_stock_at_most=settings.provided.low_stock_at_most,
        max_page_size=settings.provided.max_page_size,
    )


def build_container(settings: Settings | None = None) -> Container:
    container = Container()
    if settings is not None:
        container.settings.override(providers.Object(settings))
    return container


def use_memory(container: Container, state: MemoryState | None = None) -> MemoryState:
    """Serve every storage port from memory (one shared state). Returns the state for inspection.

    The blob store too: files live in a `MemoryBlobStore` (`container.blobs()`), and nothing is written
    to the media directory.
    """
    state = state or MemoryState()
    blobs = MemoryBlobStore(container.settings().media_url)
    container.blobs.override(providers.Object(blobs))
    container.local_blobs.override(providers.Object(blobs))
    container.uow.override(providers.Factory(MemoryUnitOfWork, state, container.clock, container.analyzer))
    container.catalog_queries.override(providers.Object(MemoryCatalogQueries(state)))
    container.console_queries.override(providers.Object(MemoryConsoleQueries(state)))
    container.search_queries.override(providers.Object(MemorySearchQueries(state)))
    container.file_references.override(providers.Object(MemoryFileReferences(state)))
    container.cache.override(providers.Object(MemoryCache()))
    container.live_cache.override(providers.Object(MemoryLiveCache()))
    container.session_store.override(providers.Object(MemoryStore()))
    container.session_index.override(providers.Object(MemorySessionIndex()))
    container.cart_store.override(providers.Object(MemoryCartStore()))
    container.stock_gate_store.override(providers.Object(MemoryStockGate()))
    container.browsing_history.override(providers.Object(MemoryBrowsingHistory()))
    container.codes.override(providers.Object(MemoryCodeStore()))
    container.mailer.override(providers.Object(MemoryMailer()))
    container.task_queue.override(providers.Singleton(InlineTaskQueue, container.task_handlers.provider))
    return state


async def shutdown(container: Container) -> None:
    """Close what was opened (only what was)."""
    await wiring.close_task_queue(container.task_queue())
    await container.engine().dispose()
    redis = container.redis()
    if redis is not None:
        await redis.aclose()
