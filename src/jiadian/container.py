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
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from jiadian.adapters.clock import SystemClock
from jiadian.adapters.local_files import LocalBlobStore
from jiadian.adapters.memory.cache import MemoryCache
from jiadian.adapters.memory.catalog import MemoryCatalogQueries
from jiadian.adapters.memory.state import MemoryState
from jiadian.adapters.memory.uow import MemoryUnitOfWork
from jiadian.adapters.passwords import Argon2Hasher
from jiadian.adapters.redis.cache import RedisCache
from jiadian.adapters.sql.catalog import SqlCatalogQueries
from jiadian.adapters.sql.engine import make_engine
from jiadian.adapters.sql.uow import SqlUnitOfWork
from jiadian.application.accounts import Accounts
from jiadian.application.catalog import Catalog, CatalogAdmin
from jiadian.application.ports import BlobStore, Cache
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
    return Redis.from_url(
        settings.redis_url, socket_timeout=5, socket_connect_timeout=2, health_check_interval=30
    )


def _cache(redis: Redis | None) -> Cache:
    return RedisCache(redis) if redis is not None else MemoryCache()


def _blobs(settings: Settings) -> BlobStore:
    if settings.blob_store == "fastdfs":
        from jiadian.adapters.fastdfs import FastDfsBlobStore

        trackers = []
        for tracker in settings.fastdfs_trackers:
            host, _, port = tracker.rpartition(":")
            trackers.append((host, int(port)))
        return FastDfsBlobStore(
            trackers=trackers, base_url=settings.fastdfs_base_url, timeout=settings.fastdfs_timeout
        )
    return LocalBlobStore(Path(settings.media_dir), settings.media_url)


def _session_store(redis: Redis | None) -> Store:
    if redis is None:
        return MemoryStore()
    return RedisStore(redis, namespace="jiadian:session", handle_client_shutdown=False)


class Container(containers.DeclarativeContainer):
    settings = providers.Singleton(Settings)
    clock = providers.Singleton(SystemClock)

    engine = providers.Singleton(_engine, settings)
    redis = providers.Singleton(_redis, settings)
    cache = providers.Singleton(_cache, redis)
    blobs = providers.Singleton(_blobs, settings)

    uow = providers.Factory(SqlUnitOfWork, engine, clock)
    catalog_queries = providers.Singleton(SqlCatalogQueries, engine)

    catalog = providers.Singleton(
        Catalog,
        queries=catalog_queries,
        cache=cache,
        blobs=blobs,
        cache_ttl=settings.provided.cache_ttl_seconds,
        max_page_size=settings.provided.max_page_size,
    )
    catalog_admin = providers.Singleton(CatalogAdmin, uow=uow.provider, cache=cache, blobs=blobs)

    hasher = providers.Singleton(Argon2Hasher)
    accounts = providers.Singleton(Accounts, uow=uow.provider, hasher=hasher)
    session_store = providers.Singleton(_session_store, redis)


def build_container(settings: Settings | None = None) -> Container:
    container = Container()
    if settings is not None:
        container.settings.override(providers.Object(settings))
    return container


def use_memory(container: Container, state: MemoryState | None = None) -> MemoryState:
    """Serve every storage port from memory (one shared state). Returns the state for inspection."""
    state = state or MemoryState()
    container.uow.override(providers.Factory(MemoryUnitOfWork, state, container.clock))
    container.catalog_queries.override(providers.Object(MemoryCatalogQueries(state)))
    container.cache.override(providers.Object(MemoryCache()))
    container.session_store.override(providers.Object(MemoryStore()))
    return state


async def shutdown(container: Container) -> None:
    """Close what was opened (only what was)."""
    await container.engine().dispose()
    redis = container.redis()
    if redis is not None:
        await redis.aclose()
