"""The Redis cache of read models: typed JSON round trips (no pickle), expiry and delete."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from jiadian.adapters.redis.cache import RedisCache
from jiadian.application.catalog import BannerView, CategoryView, Home, HomeCategory, ProductCard
from jiadian.domain.money import Money

pytestmark = pytest.mark.redis


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    yield client
    await client.aclose()


@pytest.fixture
def cache(redis: Redis) -> RedisCache:
    return RedisCache(redis, prefix="test:cache:")


def a_card(n: int, price: str) -> ProductCard:
    return ProductCard(
        n, f"商品{n}", n * 10, Money.of(price), Money.of(price), n * 100, f"/media/{n}.png", "intelligence"
    )


def a_home() -> Home:
    return Home(
        categories=[
            HomeCategory(
                1,
                "智能设备",
                "intelligence",
                "/media/c1.png",
                ["iPhone 14", "华为 nova 11"],
                [a_card(1, "8888.00"), a_card(2, "0.10")],
            ),
            HomeCategory(4, "高端耳机", "headset", "", [], []),
        ],
        banners=[BannerView("轮播图1", "/media/b1.jpg")],
    )


async def test_home_round_trips_with_its_money(cache: RedisCache) -> None:
    home = a_home()
    await cache.set("catalog:home", home, 60)
    back = await cache.get("catalog:home", Home)
    assert back == home
    assert back is not None
    price = back.categories[0].products[1].price
    assert isinstance(price, Money)
    assert str(price) == "0.10"


async def test_values_are_json_not_pickle(cache: RedisCache, redis: Redis) -> None:
    await cache.set("catalog:home", a_home(), 60)
    raw = await redis.get("test:cache:catalog:home")
    assert isinstance(raw, bytes)
    assert raw.startswith(b"{")
    assert '"智能设备"'.encode() in raw
    assert b'"8888.00"' in raw  # amounts as decimal strings


async def test_lists_of_views_round_trip(cache: RedisCache) -> None:
    categories = [
        CategoryView(1, "智能设备", "intelligence", "/media/c1.png"),
        CategoryView(2, "家用电器", "electricity", ""),
    ]
    banners = [BannerView("轮播图1", "/media/b1.jpg"), BannerView("轮播图2", "/media/b2.jpg")]
    cards = [a_card(1, "1.00"), a_card(2, "999999999.99")]
    await cache.set("categories", categories, 60)
    await cache.set("banners", banners, 60)
    await cache.set("cards", cards, 60)
    await cache.set("empty", [], 60)
    assert await cache.get("categories", list[CategoryView]) == categories
    assert await cache.get("banners", list[BannerView]) == banners
    assert await cache.get("cards", list[ProductCard]) == cards
    assert await cache.get("empty", list[BannerView]) == []


async def test_a_missing_key_is_none(cache: RedisCache) -> None:
    assert await cache.get("nothing", Home) is None


async def test_values_expire(cache: RedisCache, redis: Redis) -> None:
    await cache.set("short", [BannerView("b", "")], 1)
    assert 0 < await redis.ttl("test:cache:short") <= 1
    await cache.set("long", [BannerView("b", "")], 7200)
    assert 7000 < await redis.ttl("test:cache:long") <= 7200
    for _ in range(50):  # gone within about a second; wait at most five
        if await cache.get("short", list[BannerView]) is None:
            break
        await asyncio.sleep(0.1)
    assert await cache.get("short", list[BannerView]) is None
    assert await cache.get("long", list[BannerView]) is not None


async def test_delete(cache: RedisCache) -> None:
    for key in ("a", "b", "c"):
        await cache.set(key, [], 60)
    await cache.delete("a", "b", "never-set")
    await cache.delete()
    assert await cache.get("a", list[BannerView]) is None
    assert await cache.get("b", list[BannerView]) is None
    assert await cache.get("c", list[BannerView]) == []


async def test_prefixes_keep_caches_apart(cache: RedisCache, redis: Redis) -> None:
    other = RedisCache(redis, prefix="other:")
    await cache.set("k", [BannerView("mine", "")], 60)
    assert await other.get("k", list[BannerView]) is None
    await other.delete("k")
    assert await cache.get("k", list[BannerView]) == [BannerView("mine", "")]


async def test_incr_and_ping(cache: RedisCache) -> None:
    assert await cache.incr("generation") == 1
    assert await cache.incr("generation") == 2
    await cache.ping()


async def test_many_values_in_one_round_trip_each_way(cache: RedisCache, redis: Redis) -> None:
    await cache.set_many({"m1": [a_card(1, "1.00")], "m2": [a_card(2, "2.50")]}, 60)
    assert 0 < await redis.ttl("test:cache:m2") <= 60
    found = await cache.get_many(["m1", "missing", "m2"], list[ProductCard])
    assert found == {"m1": [a_card(1, "1.00")], "m2": [a_card(2, "2.50")]}
    assert await cache.get_many([], list[ProductCard]) == {}
