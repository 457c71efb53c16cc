"""The operator's image use cases keep files and rows consistent: no orphan file, no dangling reference."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import pytest
from dependency_injector import providers
from tests.catalog_support import product, sku
from tests.files_support import CommitBreaker, DatabaseWentAway, breakable_commits, png

from jiadian.adapters.memory.blobs import MemoryBlobStore
from jiadian.adapters.memory.state import MemoryState
from jiadian.application.catalog import Catalog
from jiadian.application.catalog_admin import CatalogAdmin
from jiadian.application.files import MAX_IMAGE_BYTES
from jiadian.container import Container
from jiadian.domain.catalog import SortKey
from jiadian.domain.errors import FileTooLarge, NotFound, StorageUnavailable, ValidationFailed
from jiadian.domain.money import Money


@dataclass
class Shop:
    admin: CatalogAdmin
    catalog: Catalog
    blobs: MemoryBlobStore
    breaker: CommitBreaker
    product_id: int
    sku_id: int
    second_sku_id: int


@pytest.fixture
async def shop(memory: tuple[Container, MemoryState]) -> Shop:
    container, state = memory
    blobs = MemoryBlobStore(base_url="http://img.test")
    container.blobs.override(providers.Object(blobs))
    breaker = breakable_commits(container, state)
    admin = container.catalog_admin()
    await admin.add_category("智能设备", "intelligence")
    created = await admin.upsert_product(
        product(
            "intelligence",
            "iPhone 14",
            "iPhone 14 Pro",
            sku("8888.00", color="白色"),
            sku("9999.00", color="黑色"),
        )
    )
    return Shop(
        admin, container.catalog(), blobs, breaker, created.id, created.skus[0].id, created.skus[1].id
    )


# --- a new file whose row does not commit is deleted ---------------------------------------------


async def test_sku_image_whose_row_does_not_commit_leaves_no_file(shop: Shop) -> None:
    shop.breaker.broken = True

    with pytest.raises(DatabaseWentAway):
        await shop.admin.add_sku_image(shop.sku_id, png(), "png")

    assert shop.breaker.failed == 1
    assert shop.blobs.files == {}
    shop.breaker.broken = False
    assert await shop.admin.sku_images(shop.sku_id) == []


async def test_banner_whose_row_does_not_commit_leaves_no_file(shop: Shop) -> None:
    shop.breaker.broken = True

    with pytest.raises(DatabaseWentAway):
        await shop.admin.upload_banner("双十一", png(), "png")

    assert shop.blobs.files == {}
    shop.breaker.broken = False
    assert await shop.admin.banners() == []


async def test_image_for_an_unknown_sku_leaves_no_file(shop: Shop) -> None:
    with pytest.raises(NotFound):
        await shop.admin.add_sku_image(999, png(), "png")

    assert shop.blobs.files == {}


async def test_the_original_error_survives_a_store_that_cannot_clean_up(
    shop: Shop, caplog: pytest.LogCaptureFixture
) -> None:
    async def store_down(file_id: str) -> None:
        raise StorageUnavailable(operation="delete")

    shop.blobs.delete = store_down  # type: ignore[method-assign]
    shop.breaker.broken = True

    with caplog.at_level(logging.WARNING), pytest.raises(DatabaseWentAway):
        await shop.admin.upload_banner("双十一", png(), "png")

    (left_behind,) = shop.blobs.files
    assert left_behind in caplog.text


async def test_an_image_over_3_mib_is_refused_before_it_is_stored(shop: Shop) -> None:
    with pytest.raises(FileTooLarge) as raised:
        await shop.admin.add_sku_image(shop.sku_id, b"x" * (MAX_IMAGE_BYTES + 1), "png")
    with pytest.raises(FileTooLarge):
        await shop.admin.upload_banner("大图", b"x" * (MAX_IMAGE_BYTES + 1), "png")

    assert raised.value.code == "payload_too_large"
    assert shop.blobs.files == {}


async def test_an_image_of_exactly_3_mib_is_accepted(shop: Shop) -> None:
    image = await shop.admin.add_sku_image(shop.sku_id, b"x" * MAX_IMAGE_BYTES, "png")

    assert len(shop.blobs.files[image.image]) == MAX_IMAGE_BYTES


# --- adding, replacing and deleting ----------------------------------------------------------------


async def test_added_image_is_shown_on_the_product_and_its_card(shop: Shop) -> None:
    image = await shop.admin.add_sku_image(shop.sku_id, png(), "png")

    detail = await shop.catalog.detail(shop.product_id)
    assert detail.skus[0].images == [f"http://img.test/{image.image}"]
    (card,) = (await shop.catalog.list_products("all", SortKey.DATE_DESC, 1, 8)).items
    assert card.image_url == f"http://img.test/{image.image}"


async def test_replacing_a_sku_image_deletes_the_old_file_after_the_row_points_at_the_new(shop: Shop) -> None:
    old = await shop.admin.add_sku_image(shop.sku_id, png("red"), "png")

    new = await shop.admin.replace_sku_image(shop.sku_id, old.id, png("blue"), "png")

    assert new.id == old.id
    assert new.image != old.image
    assert list(shop.blobs.files) == [new.image]
    assert shop.blobs.files[new.image] == png("blue")
    assert [i.image for i in await shop.admin.sku_images(shop.sku_id)] == [new.image]
    (card,) = (await shop.catalog.list_products("all", SortKey.DATE_DESC, 1, 8)).items
    assert card.image_url == f"http://img.test/{new.image}"


async def test_a_replacement_that_does_not_commit_keeps_the_old_image(shop: Shop) -> None:
    old = await shop.admin.add_sku_image(shop.sku_id, png("red"), "png")
    shop.breaker.broken = True

    with pytest.raises(DatabaseWentAway):
        await shop.admin.replace_sku_image(shop.sku_id, old.id, png("blue"), "png")

    assert list(shop.blobs.files) == [old.image]
    shop.breaker.broken = False
    assert await shop.admin.sku_images(shop.sku_id) == [old]


async def test_replacing_an_image_of_another_sku_is_not_found(shop: Shop) -> None:
    image = await shop.admin.add_sku_image(shop.sku_id, png(), "png")

    with pytest.raises(NotFound):
        await shop.admin.replace_sku_image(shop.second_sku_id, image.id, png("blue"), "png")
    with pytest.raises(NotFound):
        await shop.admin.delete_sku_image(shop.second_sku_id, image.id)

    assert list(shop.blobs.files) == [image.image]


async def test_deleting_a_sku_image_deletes_its_file_and_the_card_moves_on(shop: Shop) -> None:
    first = await shop.admin.add_sku_image(shop.sku_id, png("red"), "png")
    second = await shop.admin.add_sku_image(shop.sku_id, png("blue"), "png")

    await shop.admin.delete_sku_image(shop.sku_id, first.id)

    assert list(shop.blobs.files) == [second.image]
    (card,) = (await shop.catalog.list_products("all", SortKey.DATE_DESC, 1, 8)).items
    assert card.image_url == f"http://img.test/{second.image}"


async def test_replacing_a_banner_image_deletes_the_old_file(shop: Shop) -> None:
    banner = await shop.admin.upload_banner("双十一", png("red"), "png", position=2)

    replaced = await shop.admin.replace_banner_image(banner.id, png("blue"), "png")

    assert (replaced.id, replaced.name, replaced.position) == (banner.id, "双十一", 2)
    assert list(shop.blobs.files) == [replaced.image]
    assert [b.image_url for b in await shop.catalog.banners()] == [f"http://img.test/{replaced.image}"]


async def test_a_banner_replacement_that_does_not_commit_keeps_the_old_image(shop: Shop) -> None:
    banner = await shop.admin.upload_banner("双十一", png("red"), "png")
    shop.breaker.broken = True

    with pytest.raises(DatabaseWentAway):
        await shop.admin.replace_banner_image(banner.id, png("blue"), "png")

    assert list(shop.blobs.files) == [banner.image]
    shop.breaker.broken = False
    assert [b.image for b in await shop.admin.banners()] == [banner.image]


async def test_a_replaced_file_that_something_else_refers_to_is_kept(shop: Shop) -> None:
    banner = await shop.admin.upload_banner("双十一", png("red"), "png")
    await shop.admin.add_banner("双十一 (副本)", banner.image)

    await shop.admin.replace_banner_image(banner.id, png("blue"), "png")

    assert banner.image in shop.blobs.files


async def test_deleting_a_banner_deletes_its_file_after_the_row(shop: Shop) -> None:
    kept = await shop.admin.upload_banner("保留", png("red"), "png")
    gone = await shop.admin.upload_banner("删除", png("blue"), "png")

    await shop.admin.delete_banner(gone.id)

    assert list(shop.blobs.files) == [kept.image]
    assert [b.id for b in await shop.admin.banners()] == [kept.id]


async def test_a_banner_delete_that_does_not_commit_keeps_the_file(shop: Shop) -> None:
    banner = await shop.admin.upload_banner("双十一", png(), "png")
    shop.breaker.broken = True

    with pytest.raises(DatabaseWentAway):
        await shop.admin.delete_banner(banner.id)

    assert list(shop.blobs.files) == [banner.image]


async def test_uploaded_banner_settings_are_kept(shop: Shop) -> None:
    banner = await shop.admin.upload_banner("  双十一  ", png(), "png", active=False, position=3)

    assert (banner.name, banner.active, banner.position) == ("双十一", False, 3)
    assert await shop.catalog.banners() == []
    with pytest.raises(ValidationFailed):
        await shop.admin.upload_banner(" ", png(), "png")
    assert list(shop.blobs.files) == [banner.image]


# --- products by id ----------------------------------------------------------------------------------


async def test_update_product_renames_unshelves_and_sets_skus(shop: Shop) -> None:
    updated = await shop.admin.update_product(
        shop.product_id,
        "iPhone 14 Pro 新款",
        [sku("7999.00", 4, color="白色"), sku("6999.00", 9, color="紫色")],
        on_shelf=False,
    )

    assert updated.name == "iPhone 14 Pro 新款"
    assert not updated.on_shelf
    again = await shop.admin.product(shop.product_id)
    assert [(s.color, s.price, s.stock) for s in again.skus] == [
        ("白色", Money.of("7999.00"), 4),
        ("黑色", Money.of("9999.00"), 10),
        ("紫色", Money.of("6999.00"), 9),
    ]
    with pytest.raises(NotFound):
        await shop.catalog.detail(shop.product_id)


async def test_update_product_refuses_a_name_taken_in_the_same_spu(shop: Shop) -> None:
    other = await shop.admin.upsert_product(product("intelligence", "iPhone 14", "iPhone 14", sku("5999.00")))

    with pytest.raises(ValidationFailed):
        await shop.admin.update_product(other.id, "iPhone 14 Pro", [sku("5999.00")])
    with pytest.raises(ValidationFailed):
        await shop.admin.update_product(other.id, "iPhone 14", [])

    assert (await shop.admin.product(other.id)).name == "iPhone 14"


async def test_unknown_products_and_skus_are_not_found(shop: Shop) -> None:
    with pytest.raises(NotFound):
        await shop.admin.product(999)
    with pytest.raises(NotFound):
        await shop.admin.update_product(999, "x", [sku("1.00")])
    with pytest.raises(NotFound):
        await shop.admin.sku_images(999)
    with pytest.raises(NotFound):
        await shop.admin.replace_banner_image(999, png(), "png")
    assert shop.blobs.files == {}
