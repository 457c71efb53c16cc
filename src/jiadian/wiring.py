"""Factories the composition root (`jiadian.container`) uses for the account, mail, task and stock gate
adapters.

Kept beside the container so that it stays a list of providers; nothing here connects to anything.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, runtime_checkable

from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import QueuePool

from jiadian.adapters.mail import ConsoleMailer, SmtpMailer
from jiadian.adapters.memory.codes import MemoryCodeStore
from jiadian.adapters.memory.live_cache import MemoryLiveCache
from jiadian.adapters.memory.sessions import MemorySessionIndex
from jiadian.adapters.memory.stock_gate import MemoryStockGate
from jiadian.adapters.redis.codes import RedisCodeStore
from jiadian.adapters.redis.live_cache import RedisLiveCache
from jiadian.adapters.redis.sessions import RedisSessionIndex
from jiadian.adapters.redis.stock_gate import RedisStockGate
from jiadian.adapters.sessions import SessionIndex
from jiadian.adapters.tasks.dispatch import TaskHandlers
from jiadian.adapters.tasks.inline import InlineTaskQueue
from jiadian.adapters.tasks.periodic import PeriodicJob
from jiadian.application.accounts_ports import CodeStore, Mailer
from jiadian.application.catalog_ports import LiveCache
from jiadian.application.fulfilment import Fulfilment
from jiadian.application.operations import Probe
from jiadian.application.ports import BlobStore, Cache
from jiadian.application.refunds import Refunds
from jiadian.application.search import SearchAdmin
from jiadian.application.stock_gate import NO_GATE, StockGate, StockGates
from jiadian.application.tasks import TaskQueue
from jiadian.settings import Settings, SettingsConflict


def code_store(redis: Redis | None) -> CodeStore:
    return RedisCodeStore(redis) if redis is not None else MemoryCodeStore()


def live_cache(redis: Redis | None) -> LiveCache:
    return RedisLiveCache(redis) if redis is not None else MemoryLiveCache()


def session_index(redis: Redis | None) -> SessionIndex:
    return RedisSessionIndex(redis) if redis is not None else MemorySessionIndex()


def stock_gate_store(redis: Redis | None) -> StockGate:
    """Where the gate's tokens live: Redis when the shop has one, else this process's memory."""
    return RedisStockGate(redis) if redis is not None else MemoryStockGate()


def stock_gate(settings: Settings, store: StockGate) -> StockGate:
    """The gate checkout and cancellations use: the store when `stock_gate` is on, else no gate."""
    return store if settings.stock_gate else NO_GATE


def periodic_jobs(
    settings: Settings,
    fulfilment: Fulfilment,
    gates: StockGates,
    refunds: Refunds,
    search: SearchAdmin,
    prune_notifications: PeriodicJob,
) -> list[PeriodicJob]:
    """The sweeps, the refunds due at the gateway, search's ranking sales following the orders and the
    pruning of forged payment callbacks; with the stock gate on, also its reconcile (lost tokens come
    back by themselves)."""
    jobs: list[PeriodicJob] = [
        fulfilment.expire_unpaid,
        fulfilment.ship_due,
        refunds.settle_due,
        search.follow_sales,
        prune_notifications,
    ]
    if settings.stock_gate:
        jobs.append(gates.reconcile)
    return jobs


def mailer(settings: Settings) -> Mailer:
    if settings.mailer == "console":
        return ConsoleMailer()
    return SmtpMailer(
        host=settings.smtp_host,
        port=settings.smtp_port,
        mail_from=settings.mail_from,
        user=settings.smtp_user,
        password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
        starttls=settings.smtp_starttls,
        use_ssl=settings.smtp_ssl,
        timeout=settings.smtp_timeout,
    )


def task_queue(settings: Settings, handlers: Callable[[], TaskHandlers]) -> TaskQueue:
    """dramatiq on Redis or RabbitMQ when `broker` says so; else tasks run inline (the embedded default)."""
    if settings.broker == "inline":
        return InlineTaskQueue(handlers)
    from jiadian.adapters.tasks.broker import DramatiqTaskQueue, rabbitmq_broker, redis_broker

    if settings.broker == "redis":
        if not settings.redis_url:
            raise SettingsConflict("JIADIAN_BROKER=redis needs JIADIAN_REDIS_URL")
        broker = redis_broker(
            settings.redis_url,
            heartbeat_timeout_ms=int(settings.broker_heartbeat_timeout_seconds * 1000),
            maintenance_chance=settings.broker_maintenance_chance,
        )
        return DramatiqTaskQueue(broker, settings.task_queue_name, redis_url=settings.redis_url)
    return DramatiqTaskQueue(rabbitmq_broker(settings.rabbitmq_url), settings.task_queue_name)


def probes(engine: AsyncEngine, cache: Cache, tasks: TaskQueue, blobs: BlobStore) -> dict[str, Probe]:
    """What `/ready` and `jiadian status` ask: does each dependency answer now?"""

    async def database() -> None:  # answers, and has a schema (an unmigrated database serves nothing)
        async with engine.connect() as conn:
            await conn.execute(text("SELECT version_num FROM alembic_version"))

    return {  # each method looked up at every call (a test may swap one)
        "database": database,
        "cache": lambda: cache.ping(),
        "broker": lambda: tasks.ping(),
        "blobs": lambda: blobs.ping(),
    }


def pool_use(engine: AsyncEngine, redis: Redis | None) -> dict[str, tuple[int, int]]:
    """This process's connections in use, and the most its pools keep (for the metrics)."""
    use: dict[str, tuple[int, int]] = {}
    pool = engine.pool
    if isinstance(pool, QueuePool):
        use["database"] = (pool.checkedout(), pool.size())
    if redis is not None:
        connections = redis.connection_pool
        in_use = len(getattr(connections, "_in_use_connections", ()))
        use["redis"] = (in_use, int(getattr(connections, "max_connections", 0) or 0))
    return use


@runtime_checkable
class _Closable(Protocol):
    async def close(self) -> None: ...


async def close_task_queue(queue: TaskQueue) -> None:
    """Let running inline tasks finish, or close the broker's connections."""
    if isinstance(queue, _Closable):
        await queue.close()
