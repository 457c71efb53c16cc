"""The catalogue on SQL: the operator's repository and the shopper's queries."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import (
    Row,
    Select,
    and_,
    bindparam,
    case,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from jiadian.adapters.sql.engine import from_db, to_db
from jiadian.adapters.sql.ordering import SKU_IMAGE
from jiadian.adapters.sql.tables import banners, categories, products, reviews, sku_images, skus, spus, users
from jiadian.application.catalog_ports import (
    CardRow,
    DetailRow,
    HomeRow,
    LiveDetail,
    NewSku,
    ReviewRow,
    SkuRow,
    SkuState,
    SkuViewRow,
)
from jiadian.application.ports import Clock
from jiadian.domain.catalog import Banner, Category, Product, Sku, SkuImage, SortKey, Spu
from jiadian.domain.money import Money
from jiadian.domain.reviews import GOOD_SCORE, ReviewSummary

# --- mapping rows <-> domain ------------------------------------------------------------------


def _category(row: Row[Any]) -> Category:
    return Category(row.id, row.name, row.slug, row.image)


def _spu(row: Row[Any]) -> Spu:
    return Spu(row.id, row.name, row.detail, row.category_id)


def _sku(row: Row[Any]) -> Sku:
    return Sku(row.id, row.product_id, Money.of(row.price), row.stock, row.sales, row.color, row.size)


def _product(row: Row[Any], sku_rows: list[Sku]) -> Product:
    return Product(
        row.id,
        row.name,
        row.spu_id,
        row.category_id,
        bool(row.on_shelf),
        from_db(row.created_at),
        from_db(row.updated_at),
        sku_rows,
    )


def _image(row: Row[Any]) -> SkuImage:
    return SkuImage(row.id, row.sku_id, row.image, row.position)


def _banner(row: Row[Any]) -> Banner:
    return Banner(row.id, row.name, row.image, bool(row.active), row.position)


CARD_COLUMNS = (
    products.c.id,
    products.c.name,
    products.c.first_sku_id,
    products.c.price,
    products.c.max_price,
    products.c.sales,
    products.c.image,
    categories.c.slug,
)


def _card_select() -> Select[Any]:
    return (
        select(*CARD_COLUMNS)
        .select_from(products.join(categories, categories.c.id == products.c.category_id))
        .where(products.c.on_shelf == true(), products.c.first_sku_id.is_not(None))
        # Drive from products so ORDER BY … LIMIT walks an index; MariaDB otherwise starts from the
        # 4 categories and sorts every product (bench: list page 1 of `all`, 54 ms -> 5 ms).
        .prefix_with("STRAIGHT_JOIN", dialect="mysql")
    )


def card_row(row: Row[Any]) -> CardRow:
    return CardRow(
        row.id,
        row.name,
        row.first_sku_id,
        Money.of(row.price),
        Money.of(row.max_price),
        row.sales,
        row.image,
        row.slug,
    )


def _review_summary(of_product: Any) -> tuple[Any, Any, Any]:
    """A product's review figures as three scalar subqueries: count, sum of scores, number of 好评."""
    return (
        select(func.count(reviews.c.id)).where(of_product).scalar_subquery().label("review_count"),
        select(func.coalesce(func.sum(reviews.c.score), 0))
        .where(of_product)
        .scalar_subquery()
        .label("score_sum"),
        select(func.coalesce(func.sum(case((reviews.c.score == GOOD_SCORE, 1), else_=0)), 0))
        .where(of_product)
        .scalar_subquery()
        .label("satisfied"),
    )


# --- the shopper's hot statements, built once ---------------------------------------------------
# Building a statement and its cache key costs more CPU than MariaDB spends answering it, so the reads
# every page view makes are built here with bound parameters (see `jiadian.adapters.sql.ordering`).


def _listing(sort: SortKey, in_category: bool) -> Select[Any]:
    """A list page as a deferred join: the page's ids first, from the covering list index alone (a deep
    page walks index entries, not rows: at 100,000 products MariaDB otherwise sorted every row), then
    their cards."""

    ids = select(products.c.id, products.c[sort.column]).where(
        products.c.on_shelf == true(), products.c.first_sku_id.is_not(None)
    )
    if in_category:
        ids = ids.where(products.c.category_id == bindparam("category_id"))
    return cards_in_order(ids, sort)


def cards_in_order(ids: Select[Any], sort: SortKey) -> Select[Any]:
    """The cards of a page of `ids` (a select of products' id and sort column, from any join) in a list
    order, as a deferred join: the page's ids first, then their cards. Binds `offset` and `limit`."""

    def order(of: Any) -> tuple[Any, Any]:
        column, key = of.c[sort.column], of.c.id
        return (column.desc(), key.desc()) if sort.descending else (column.asc(), key.asc())

    page = (
        ids.order_by(*order(products)).offset(bindparam("offset")).limit(bindparam("limit")).subquery("page")
    )
    return (
        select(*CARD_COLUMNS)
        .select_from(
            page.join(products, products.c.id == page.c.id).join(
                categories, categories.c.id == products.c.category_id
            )
        )
        .order_by(*order(page))
        .prefix_with("STRAIGHT_JOIN", dialect="mysql")
    )


LISTINGS = {
    (sort, in_category): _listing(sort, in_category) for sort in SortKey for in_category in (False, True)
}

_OF_PRODUCT = reviews.c.product_id == bindparam("product_id")
# A product's page: the product with its spu, category, skus, images and review summary (a row per image).
DETAIL: Select[Any] = (
    select(
        products,
        spus.c.name.label("spu_name"),
        spus.c.detail.label("spu_detail"),
        categories.c.name.label("category_name"),
        categories.c.slug.label("category_slug"),
        categories.c.image.label("category_image"),
        skus.c.id.label("sku_id"),
        skus.c.price.label("sku_price"),
        skus.c.stock.label("sku_stock"),
        skus.c.sales.label("sku_sales"),
        skus.c.color.label("sku_color"),
        skus.c.size.label("sku_size"),
        sku_images.c.image.label("image_id"),
        *_review_summary(_OF_PRODUCT),
    )
    .join(spus, spus.c.id == products.c.spu_id)
    .join(categories, categories.c.id == products.c.category_id)
    .outerjoin(skus, skus.c.product_id == products.c.id)
    .outerjoin(sku_images, sku_images.c.sku_id == skus.c.id)
    .where(products.c.id == bindparam("product_id"), products.c.on_shelf == true())
    .order_by(skus.c.id, sku_images.c.position, sku_images.c.id)
)
# What changes with orders and reviews, of blocks of products whose pages are cached: every sku, with its
# product's review figures (one row per sku; the figures repeat). Built once per number of blocks.


def _live_blocks(count: int) -> Select[Any]:
    def within(column: Any) -> Any:
        return or_(*(column.between(bindparam(f"first_{n}"), bindparam(f"last_{n}")) for n in range(count)))

    figures = (
        select(
            reviews.c.product_id,
            func.count(reviews.c.id).label("review_count"),
            func.sum(reviews.c.score).label("score_sum"),
            func.sum(case((reviews.c.score == GOOD_SCORE, 1), else_=0)).label("satisfied"),
        )
        .where(within(reviews.c.product_id))
        .group_by(reviews.c.product_id)
        .subquery("block_reviews")
    )
    return (
        select(
            skus.c.id,
            skus.c.product_id,
            skus.c.price,
            skus.c.stock,
            skus.c.sales,
            figures.c.review_count,
            figures.c.score_sum,
            figures.c.satisfied,
        )
        .join(products, products.c.id == skus.c.product_id)
        .outerjoin(figures, figures.c.product_id == skus.c.product_id)
        .where(within(skus.c.product_id), products.c.on_shelf == true())
        .order_by(skus.c.product_id, skus.c.id)
    )


LIVE_BLOCKS: dict[int, Select[Any]] = {}
# Cart lines: the skus with their product's name, shelf state and first image.
SKU_VIEWS: Select[Any] = (
    select(
        *(skus.c[name] for name in ("id", "product_id", "price", "stock", "sales", "color", "size")),
        products.c.name.label("product_name"),
        products.c.on_shelf,
        SKU_IMAGE.label("first_image"),
    )
    .join(products, products.c.id == skus.c.product_id)
    .where(skus.c.id.in_(bindparam("sku_ids", expanding=True)))
)


# --- the operator's repository ----------------------------------------------------------------


class SqlCatalogRepository:
    def __init__(self, conn: AsyncConnection, clock: Clock) -> None:
        self._conn = conn
        self._clock = clock

    def _now(self) -> Any:
        return to_db(self._clock.now())

    async def _insert(self, table: Any, **values: Any) -> int:
        result = await self._conn.execute(insert(table).values(**values))
        return int(result.inserted_primary_key[0])  # type: ignore[index]

    async def add_category(self, name: str, slug: str, image: str) -> Category:
        now = self._now()
        new_id = await self._insert(
            categories, name=name, slug=slug, image=image, created_at=now, updated_at=now
        )
        return Category(new_id, name, slug, image)

    async def get_category(self, category_id: int) -> Category | None:
        row = (await self._conn.execute(select(categories).where(categories.c.id == category_id))).first()
        return _category(row) if row else None

    async def find_category(self, slug: str) -> Category | None:
        row = (await self._conn.execute(select(categories).where(categories.c.slug == slug))).first()
        return _category(row) if row else None

    async def save_category(self, category: Category) -> None:
        await self._conn.execute(
            update(categories)
            .where(categories.c.id == category.id)
            .values(name=category.name, image=category.image, updated_at=self._now())
        )

    async def add_spu(self, name: str, detail: str, category_id: int) -> Spu:
        now = self._now()
        new_id = await self._insert(
            spus, name=name, detail=detail, category_id=category_id, created_at=now, updated_at=now
        )
        return Spu(new_id, name, detail, category_id)

    async def get_spu(self, spu_id: int) -> Spu | None:
        row = (await self._conn.execute(select(spus).where(spus.c.id == spu_id))).first()
        return _spu(row) if row else None

    async def save_spu(self, spu: Spu) -> None:
        await self._conn.execute(
            update(spus)
            .where(spus.c.id == spu.id)
            .values(name=spu.name, detail=spu.detail, category_id=spu.category_id, updated_at=self._now())
        )

    async def products_of_spu(self, spu_id: int) -> list[int]:
        rows = await self._conn.execute(select(products.c.id).where(products.c.spu_id == spu_id))
        return sorted(int(r.id) for r in rows)

    async def find_spu(self, name: str, category_id: int) -> Spu | None:
        query = select(spus).where(spus.c.name == name, spus.c.category_id == category_id).order_by(spus.c.id)
        row = (await self._conn.execute(query.limit(1))).first()
        return _spu(row) if row else None

    async def add_product(self, name: str, spu_id: int, category_id: int, on_shelf: bool) -> Product:
        now = self._now()
        new_id = await self._insert(
            products,
            name=name,
            spu_id=spu_id,
            category_id=category_id,
            on_shelf=on_shelf,
            created_at=now,
            updated_at=now,
        )
        return Product(new_id, name, spu_id, category_id, on_shelf, from_db(now), from_db(now), [])

    async def _load_product(self, where: Any) -> Product | None:
        row = (
            await self._conn.execute(select(products).where(where).order_by(products.c.id).limit(1))
        ).first()
        if row is None:
            return None
        sku_rows = await self._conn.execute(
            select(skus).where(skus.c.product_id == row.id).order_by(skus.c.id)
        )
        return _product(row, [_sku(s) for s in sku_rows])

    async def get_product(self, product_id: int) -> Product | None:
        return await self._load_product(products.c.id == product_id)

    async def find_product(self, name: str, spu_id: int) -> Product | None:
        return await self._load_product(and_(products.c.name == name, products.c.spu_id == spu_id))

    async def save_product(self, product: Product) -> None:
        await self._conn.execute(
            update(products)
            .where(products.c.id == product.id)
            .values(
                name=product.name,
                on_shelf=product.on_shelf,
                spu_id=product.spu_id,
                category_id=product.category_id,
                updated_at=self._now(),
            )
        )
        await self._refresh_card(product.id)

    async def _refresh_card(self, product_id: int) -> None:
        """Recompute the denormalised card. It shows the cheapest sku (ties: the oldest) — its id, price
        and first image (or the product's first image when that sku has none) —, the dearest sku's price
        (the card says 起 when the two differ) and the summed sales."""
        of_product = skus.c.product_id == product_id
        card_sku = (
            select(skus.c.id).where(of_product).order_by(skus.c.price, skus.c.id).limit(1).scalar_subquery()
        )

        def first_image(where: Any) -> Any:
            return (
                select(sku_images.c.image)
                .join(skus, skus.c.id == sku_images.c.sku_id)
                .where(where)
                .order_by(skus.c.id, sku_images.c.position, sku_images.c.id)
                .limit(1)
                .scalar_subquery()
            )

        await self._conn.execute(
            update(products)
            .where(products.c.id == product_id)
            .values(
                first_sku_id=card_sku,
                image=func.coalesce(first_image(skus.c.id == card_sku), first_image(of_product), ""),
                price=func.coalesce(select(func.min(skus.c.price)).where(of_product).scalar_subquery(), 0),
                max_price=func.coalesce(
                    select(func.max(skus.c.price)).where(of_product).scalar_subquery(), 0
                ),
                sales=func.coalesce(select(func.sum(skus.c.sales)).where(of_product).scalar_subquery(), 0),
            )
        )

    async def add_sku(self, product_id: int, sku: NewSku) -> Sku:
        now = self._now()
        new_id = await self._insert(
            skus,
            product_id=product_id,
            price=sku.price.amount,
            stock=sku.stock,
            sales=0,
            color=sku.color,
            size=sku.size,
            created_at=now,
            updated_at=now,
        )
        for image in sku.images:
            await self.add_sku_image(new_id, image)
        await self._refresh_card(product_id)
        return Sku(new_id, product_id, sku.price, sku.stock, 0, sku.color, sku.size)

    async def get_sku(self, sku_id: int) -> Sku | None:
        row = (await self._conn.execute(select(skus).where(skus.c.id == sku_id))).first()
        return _sku(row) if row else None

    async def save_sku(self, sku: Sku) -> None:
        await self._conn.execute(
            update(skus)
            .where(skus.c.id == sku.id)
            .values(
                price=sku.price.amount,
                stock=sku.stock,
                sales=sku.sales,
                color=sku.color,
                size=sku.size,
                version=skus.c.version + 1,
                updated_at=self._now(),
            )
        )
        await self._refresh_card(sku.product_id)

    async def add_sku_image(self, sku_id: int, image: str) -> SkuImage:
        last = select(func.max(sku_images.c.position)).where(sku_images.c.sku_id == sku_id)
        position = (await self._conn.execute(last)).scalar_one()
        position = 0 if position is None else int(position) + 1
        new_id = await self._insert(
            sku_images, sku_id=sku_id, image=image, position=position, created_at=self._now()
        )
        return SkuImage(new_id, sku_id, image, position)

    async def get_sku_image(self, image_id: int) -> SkuImage | None:
        row = (await self._conn.execute(select(sku_images).where(sku_images.c.id == image_id))).first()
        return _image(row) if row else None

    async def list_sku_images(self, sku_id: int) -> list[SkuImage]:
        rows = await self._conn.execute(
            select(sku_images)
            .where(sku_images.c.sku_id == sku_id)
            .order_by(sku_images.c.position, sku_images.c.id)
        )
        return [_image(r) for r in rows]

    async def save_sku_image(self, image: SkuImage) -> None:
        await self._conn.execute(
            update(sku_images)
            .where(sku_images.c.id == image.id)
            .values(image=image.image, position=image.position)
        )

    async def delete_sku_image(self, image_id: int) -> None:
        await self._conn.execute(delete(sku_images).where(sku_images.c.id == image_id))

    async def add_banner(self, name: str, image: str, active: bool, position: int) -> Banner:
        new_id = await self._insert(
            banners, name=name, image=image, active=active, position=position, created_at=self._now()
        )
        return Banner(new_id, name, image, active, position)

    async def get_banner(self, banner_id: int) -> Banner | None:
        row = (await self._conn.execute(select(banners).where(banners.c.id == banner_id))).first()
        return _banner(row) if row else None

    async def save_banner(self, banner: Banner) -> None:
        await self._conn.execute(
            update(banners)
            .where(banners.c.id == banner.id)
            .values(name=banner.name, image=banner.image, active=banner.active, position=banner.position)
        )

    async def delete_banner(self, banner_id: int) -> None:
        await self._conn.execute(delete(banners).where(banners.c.id == banner_id))

    async def list_banners(self) -> list[Banner]:
        rows = await self._conn.execute(select(banners).order_by(banners.c.position, banners.c.id))
        return [_banner(r) for r in rows]

    async def count_products(self) -> int:
        return int((await self._conn.execute(select(func.count()).select_from(products))).scalar_one())


# --- the shopper's queries --------------------------------------------------------------------


class SqlCatalogQueries:
    """Read-only queries, each on one pooled connection, a fixed number of statements per call."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def categories(self) -> list[Category]:
        async with self._engine.connect() as conn:
            rows = await conn.execute(select(categories).order_by(categories.c.id))
            return [_category(r) for r in rows]

    async def category_by_slug(self, slug: str) -> Category | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(categories).where(categories.c.slug == slug))).first()
            return _category(row) if row else None

    async def home(self, products_per_category: int, nav_per_category: int) -> list[HomeRow]:
        rank = (
            func.row_number()
            .over(
                partition_by=products.c.category_id,
                order_by=(products.c.updated_at.desc(), products.c.id.desc()),
            )
            .label("rank")
        )
        ranked = (
            _card_select()
            .add_columns(products.c.category_id, spus.c.name.label("spu_name"), rank)
            .join(spus, spus.c.id == products.c.spu_id)
            .subquery()
        )
        limit = max(products_per_category, nav_per_category)
        async with self._engine.connect() as conn:
            cats = [_category(r) for r in await conn.execute(select(categories).order_by(categories.c.id))]
            rows = await conn.execute(select(ranked).where(ranked.c.rank <= limit).order_by(ranked.c.rank))
        cards: dict[int, list[CardRow]] = defaultdict(list)
        navs: dict[int, list[str]] = defaultdict(list)
        for row in rows:
            if row.rank <= products_per_category:
                cards[row.category_id].append(card_row(row))
            if row.rank <= nav_per_category and row.spu_name not in navs[row.category_id]:
                navs[row.category_id].append(row.spu_name)
        return [HomeRow(c, navs[c.id], cards[c.id]) for c in cats]

    async def banners(self, limit: int) -> list[Banner]:
        query = (
            select(banners)
            .where(banners.c.active.is_(True))
            .order_by(banners.c.position, banners.c.id)
            .limit(limit)
        )
        async with self._engine.connect() as conn:
            return [_banner(r) for r in await conn.execute(query)]

    async def count_products(self, category_id: int | None) -> int:
        query = (
            select(func.count())
            .select_from(products)
            .where(products.c.on_shelf == true(), products.c.first_sku_id.is_not(None))
        )
        if category_id is not None:
            query = query.where(products.c.category_id == category_id)
        async with self._engine.connect() as conn:
            return int((await conn.execute(query)).scalar_one())

    async def list_products(
        self, category_id: int | None, sort: SortKey, offset: int, limit: int
    ) -> list[CardRow]:
        query = LISTINGS[sort, category_id is not None]
        params = {"offset": offset, "limit": limit, "category_id": category_id}
        async with self._engine.connect() as conn:
            return [card_row(r) for r in await conn.execute(query, params)]

    async def is_listed(self, product_id: int) -> bool:
        query = select(literal(1)).where(products.c.id == product_id, products.c.on_shelf == true())
        async with self._engine.connect() as conn:
            return (await conn.execute(query)).first() is not None

    async def detail(self, product_id: int) -> DetailRow | None:
        async with self._engine.connect() as conn:
            rows = (await conn.execute(DETAIL, {"product_id": product_id})).all()
        if not rows:
            return None
        row = rows[0]
        by_sku: dict[int, SkuRow] = {}
        for v in rows:
            if v.sku_id is None:
                continue
            if v.sku_id not in by_sku:
                sku = Sku(
                    v.sku_id,
                    product_id,
                    Money.of(v.sku_price),
                    v.sku_stock,
                    v.sku_sales,
                    v.sku_color,
                    v.sku_size,
                )
                by_sku[v.sku_id] = SkuRow(sku, [])
            if v.image_id:
                by_sku[v.sku_id].images.append(v.image_id)
        sku_list = list(by_sku.values())
        return DetailRow(
            product=_product(row, [s.sku for s in sku_list]),
            spu=Spu(row.spu_id, row.spu_name, row.spu_detail, row.category_id),
            category=Category(row.category_id, row.category_name, row.category_slug, row.category_image),
            skus=sku_list,
            reviews=ReviewSummary.of(int(row.review_count), int(row.score_sum), int(row.satisfied)),
        )

    async def live_products(self, ranges: list[tuple[int, int]]) -> dict[int, LiveDetail]:
        if not ranges:
            return {}
        statement = LIVE_BLOCKS.get(len(ranges))
        if statement is None:
            statement = LIVE_BLOCKS[len(ranges)] = _live_blocks(len(ranges))
        params: dict[str, int] = {}
        for n, (first, last) in enumerate(ranges):
            params[f"first_{n}"], params[f"last_{n}"] = first, last
        async with self._engine.connect() as conn:
            rows = (await conn.execute(statement, params)).all()
        found: dict[int, LiveDetail] = {}
        for r in rows:
            live = found.get(r.product_id)
            if live is None:
                summary = ReviewSummary.of(
                    int(r.review_count or 0), int(r.score_sum or 0), int(r.satisfied or 0)
                )
                live = found[r.product_id] = LiveDetail([], summary)
            live.skus.append(SkuState(r.id, Money.of(r.price), r.stock, r.sales))
        return found

    async def count_reviews(self, product_id: int) -> int:
        query = select(func.count()).select_from(reviews).where(reviews.c.product_id == product_id)
        async with self._engine.connect() as conn:
            return int((await conn.execute(query)).scalar_one())

    async def reviews(self, product_id: int, offset: int, limit: int) -> list[ReviewRow]:
        query = (
            select(reviews, users.c.username, skus.c.size, skus.c.color)
            .join(users, users.c.id == reviews.c.user_id)
            .join(skus, skus.c.id == reviews.c.sku_id)
            .where(reviews.c.product_id == product_id)
            .order_by(reviews.c.created_at.desc(), reviews.c.id.desc())
            .offset(offset)
            .limit(limit)
        )
        async with self._engine.connect() as conn:
            return [
                ReviewRow(
                    r.id, r.username, r.score, r.content, from_db(r.created_at), r.sku_id, r.size, r.color
                )
                for r in await conn.execute(query)
            ]

    async def cards(self, product_ids: list[int]) -> list[CardRow]:
        if not product_ids:
            return []
        async with self._engine.connect() as conn:
            rows = {
                r.id: card_row(r)
                for r in await conn.execute(_card_select().where(products.c.id.in_(product_ids)))
            }
        return [rows[i] for i in product_ids if i in rows]

    async def sku_views(self, sku_ids: list[int]) -> dict[int, SkuViewRow]:
        if not sku_ids:
            return {}
        async with self._engine.connect() as conn:
            return {
                r.id: SkuViewRow(_sku(r), r.product_name, bool(r.on_shelf), r.first_image or "")
                for r in await conn.execute(SKU_VIEWS, {"sku_ids": sorted(set(sku_ids))})
            }
