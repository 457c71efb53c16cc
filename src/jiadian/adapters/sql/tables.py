"""The relational schema (SQLAlchemy Core). Created by the Alembic migrations, never by create_all."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects import mysql

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

Id = BigInteger().with_variant(Integer(), "sqlite")
MoneyColumn = Numeric(11, 2)
# Microseconds on MySQL/MariaDB too, so "newest first" is an order and not a coin toss.
Timestamp = DateTime(timezone=True).with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def _ts(name: str, *, nullable: bool = False) -> Column[object]:
    return Column(name, Timestamp, nullable=nullable)


# --- catalogue -------------------------------------------------------------------------------

categories = Table(
    "categories",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(20), nullable=False),
    Column("slug", String(32), nullable=False, unique=True),
    Column("image", String(255), nullable=False, server_default=""),
    _ts("created_at"),
    _ts("updated_at"),
)

spus = Table(
    "spus",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False),
    Column("detail", Text, nullable=False),
    Column("category_id", Id, ForeignKey("categories.id"), nullable=False),
    _ts("created_at"),
    _ts("updated_at"),
)

# A product carries a denormalised card so that lists sort and page on indexes, whatever the size of
# the catalogue: `first_sku_id` is the sku the card shows — the cheapest (ties: the oldest) — with its
# price and first image; `sales` is summed over the skus.
products = Table(
    "products",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False),
    Column("spu_id", Id, ForeignKey("spus.id"), nullable=False),
    Column("category_id", Id, ForeignKey("categories.id"), nullable=False),
    Column("on_shelf", Boolean, nullable=False, server_default="1"),
    Column("first_sku_id", Id, nullable=True),
    Column("image", String(255), nullable=False, server_default=""),
    Column("price", MoneyColumn, nullable=False, server_default="0"),
    Column("sales", BigInteger, nullable=False, server_default="0"),
    _ts("created_at"),
    _ts("updated_at"),
    # The list orders. They end with first_sku_id so that a page's ids are found in the index alone (a
    # product without skus is not listed): a deep page walks index entries, not rows (see LISTINGS).
    Index("ix_products_shelf_price", "on_shelf", "price", "id", "first_sku_id"),
    Index("ix_products_shelf_sales", "on_shelf", "sales", "id", "first_sku_id"),
    Index("ix_products_shelf_created", "on_shelf", "created_at", "id", "first_sku_id"),
    Index("ix_products_cat_price", "category_id", "on_shelf", "price", "id", "first_sku_id"),
    Index("ix_products_cat_sales", "category_id", "on_shelf", "sales", "id", "first_sku_id"),
    Index("ix_products_cat_created", "category_id", "on_shelf", "created_at", "id", "first_sku_id"),
    Index("ix_products_cat_updated", "category_id", "on_shelf", "updated_at", "id"),
)

skus = Table(
    "skus",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("product_id", Id, ForeignKey("products.id"), nullable=False, index=True),
    Column("price", MoneyColumn, nullable=False),
    Column("stock", Integer, nullable=False),
    Column("sales", BigInteger, nullable=False, server_default="0"),
    Column("color", String(50), nullable=False, server_default=""),
    Column("size", String(50), nullable=False, server_default=""),
    Column("version", Integer, nullable=False, server_default="0"),
    _ts("created_at"),
    _ts("updated_at"),
    CheckConstraint("stock >= 0", name="stock_not_negative"),
    CheckConstraint("sales >= 0", name="sales_not_negative"),
    CheckConstraint("price >= 0", name="price_not_negative"),
)

sku_images = Table(
    "sku_images",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("sku_id", Id, ForeignKey("skus.id"), nullable=False, index=True),
    Column("image", String(255), nullable=False),
    _ts("created_at"),
)

banners = Table(
    "banners",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(50), nullable=False),
    Column("image", String(255), nullable=False),
    Column("active", Boolean, nullable=False, server_default="1"),
    Column("position", Integer, nullable=False, server_default="0"),
    _ts("created_at"),
)

# --- search ----------------------------------------------------------------------------------

# A term as the analyzer gives it (folded already): compared byte for byte, so MariaDB's case- and
# accent-insensitive collations cannot make two terms one.
Term = String(32).with_variant(
    mysql.VARCHAR(32, charset="utf8mb4", collation="utf8mb4_bin"), "mysql", "mariadb"
)

# What the index holds of each product (listed or not; a product without a row was never indexed): its
# terms, to replace them, and the sales its postings rank by.
search_documents = Table(
    "search_documents",
    metadata,
    Column("product_id", Id, primary_key=True, autoincrement=False),
    Column("terms", Text, nullable=False),  # space-separated; empty when the product is not listed
    Column("sales", BigInteger, nullable=False, server_default="0"),
)

# The postings: one row per term a listed product holds, with the weight of the best field holding it and
# the product's sales when indexed. The primary key finds a term's products in id order (a query of
# several terms joins on it); the rank index walks one term's products best first, so a page of a
# one-word query reads that page's entries and no more, however many products match.
search_terms = Table(
    "search_terms",
    metadata,
    Column("term", Term, primary_key=True),
    Column("product_id", Id, primary_key=True, autoincrement=False),
    Column("weight", SmallInteger, nullable=False),
    Column("sales", BigInteger, nullable=False),
    Index("ix_search_terms_rank", "term", "weight", "sales", "product_id"),
    sqlite_with_rowid=False,
)

# Brand aliases (two words that mean the same), folded, the smaller first.
search_aliases = Table(
    "search_aliases",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("word", String(30), nullable=False),
    Column("other", String(30), nullable=False),
    _ts("created_at"),
    UniqueConstraint("word", "other", name="uq_search_aliases_word_other"),
)

# --- accounts --------------------------------------------------------------------------------

users = Table(
    "users",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("username", String(30), nullable=False, unique=True),
    Column("email", String(254), nullable=False),
    Column("phone", String(11), nullable=False, server_default=""),
    Column("introduce", String(255), nullable=False, server_default=""),
    Column("avatar", String(255), nullable=False, server_default=""),
    Column("password_hash", String(255), nullable=False),
    Column("is_admin", Boolean, nullable=False, server_default="0"),
    _ts("created_at"),
    # A password reset finds the accounts of an address (addresses are not unique).
    Index("ix_users_email", "email"),
)

wallets = Table(
    "wallets",
    metadata,
    Column("user_id", Id, ForeignKey("users.id"), primary_key=True, autoincrement=False),
    Column("balance", MoneyColumn, nullable=False, server_default="0"),
    Column("total_recharged", MoneyColumn, nullable=False, server_default="0"),
    Column("total_consumed", MoneyColumn, nullable=False, server_default="0"),
    CheckConstraint("balance >= 0", name="balance_not_negative"),
    CheckConstraint("balance <= 999999999.99", name="balance_cap"),
)

# Every change of a wallet; the balance is always the sum of the signed amounts.
wallet_ledger = Table(
    "wallet_ledger",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("user_id", Id, ForeignKey("users.id"), nullable=False, index=True),
    Column("kind", String(16), nullable=False),  # recharge | payment | refund
    Column("amount", MoneyColumn, nullable=False),  # signed: + recharge/refund, - payment
    Column("balance_after", MoneyColumn, nullable=False),
    Column("order_id", String(32), nullable=True),
    Column("note", String(255), nullable=False, server_default=""),
    _ts("created_at"),
    # A wallet pays (or is refunded) an order at most once.
    UniqueConstraint("kind", "order_id", name="uq_wallet_ledger_kind_order"),
)

addresses = Table(
    "addresses",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("user_id", Id, ForeignKey("users.id"), nullable=False, index=True),
    Column("recipient", String(12), nullable=False),
    Column("phone", String(11), nullable=False),
    Column("province", String(15), nullable=False),
    Column("city", String(10), nullable=False),
    Column("county", String(10), nullable=False),
    Column("detail", String(40), nullable=False),
    Column("is_default", Boolean, nullable=False, server_default="0"),
    _ts("created_at"),
)

# --- orders ----------------------------------------------------------------------------------

orders = Table(
    "orders",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("trade_no", String(64), nullable=False, unique=True),
    Column("user_id", Id, ForeignKey("users.id"), nullable=False),
    Column("status", String(16), nullable=False),  # 1..5, cancelled, refund_requested or refunded
    Column("pay_method", String(16), nullable=False, server_default=""),
    Column("total_count", Integer, nullable=False),
    Column("amount", MoneyColumn, nullable=False),
    Column("freight", MoneyColumn, nullable=False),
    Column("total", MoneyColumn, nullable=False),
    Column("address_id", Id, nullable=True),
    Column("recipient", String(12), nullable=False),
    Column("phone", String(11), nullable=False),
    Column("province", String(15), nullable=False),
    Column("city", String(10), nullable=False),
    Column("county", String(10), nullable=False),
    Column("detail", String(40), nullable=False),
    Column("mark", String(255), nullable=False, server_default=""),
    Column("idempotency_key", String(64), nullable=True),
    Column("version", Integer, nullable=False, server_default="0"),
    _ts("created_at"),
    _ts("paid_at", nullable=True),
    _ts("shipped_at", nullable=True),
    _ts("received_at", nullable=True),
    _ts("completed_at", nullable=True),
    _ts("cancelled_at", nullable=True),
    Column("cancel_reason", String(32), nullable=False, server_default=""),
    _ts("refunded_at", nullable=True),
    UniqueConstraint("user_id", "idempotency_key", name="uq_orders_user_idempotency"),
    Index("ix_orders_user_created", "user_id", "created_at"),
    Index("ix_orders_user_status_created", "user_id", "status", "created_at"),
    Index("ix_orders_status_created", "status", "created_at"),
    Index("ix_orders_status_paid", "status", "paid_at"),
)

order_lines = Table(
    "order_lines",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("order_id", String(32), ForeignKey("orders.id"), nullable=False, index=True),
    Column("sku_id", Id, nullable=False),
    Column("product_id", Id, nullable=False),
    Column("name", String(100), nullable=False),
    Column("size", String(50), nullable=False),
    Column("color", String(50), nullable=False),
    Column("image", String(255), nullable=False, server_default=""),
    Column("count", Integer, nullable=False),
    Column("unit_price", MoneyColumn, nullable=False),
    Column("line_total", MoneyColumn, nullable=False),
    Column("reviewed", Boolean, nullable=False, server_default="0"),
    CheckConstraint("count > 0", name="count_positive"),
)

reviews = Table(
    "reviews",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("order_line_id", Id, ForeignKey("order_lines.id"), nullable=False, unique=True),
    Column("user_id", Id, ForeignKey("users.id"), nullable=False),
    Column("product_id", Id, nullable=False),
    Column("sku_id", Id, nullable=False),
    Column("score", SmallInteger, nullable=False),
    Column("content", String(500), nullable=False),
    _ts("created_at"),
    Index("ix_reviews_product_created", "product_id", "created_at"),
)

# --- payments --------------------------------------------------------------------------------

# Money received from a gateway. At most one `applied` payment per order (enforced by the order's
# status transition); a payment for an order that can no longer be paid is kept as `needs_refund`.
payments = Table(
    "payments",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("order_id", String(32), nullable=False, index=True),
    Column("method", String(16), nullable=False),
    Column("trade_no", String(64), nullable=False),
    Column("gateway_trade_no", String(64), nullable=False, server_default=""),
    Column("amount", MoneyColumn, nullable=False),
    Column(
        "state", String(16), nullable=False
    ),  # pending | applied | needs_refund | refunding | refunded | closed
    _ts("created_at"),
    UniqueConstraint("method", "trade_no", name="uq_payments_method_trade"),
    # The operator's lists and counts by state, and the reconcile's pending payments, oldest first.
    Index("ix_payments_state_created", "state", "created_at"),
)

# Every notification a gateway sent, verified or not, for audit.
payment_notifications = Table(
    "payment_notifications",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("gateway", String(16), nullable=False),
    Column("trade_no", String(64), nullable=False, server_default="", index=True),
    Column("fields", Text, nullable=False),  # JSON of the raw fields
    Column("verdict", String(32), nullable=False),
    _ts("received_at"),
)

# --- refunds ---------------------------------------------------------------------------------

# The ledger of refunds: one per subject (an order, or a needs_refund payment), so nothing is refunded
# twice; the out-request number makes asking the gateway again harmless.
refunds = Table(
    "refunds",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("subject", String(48), nullable=False, unique=True),  # order:<id> | payment:<id>
    Column("order_id", String(32), nullable=False, index=True),
    Column("user_id", Id, ForeignKey("users.id"), nullable=False),
    Column("method", String(16), nullable=False),  # wallet | alipay
    Column("amount", MoneyColumn, nullable=False),
    Column("origin", String(16), nullable=False),  # buyer | operator | payment
    Column("state", String(16), nullable=False),  # requested | refused | pending | refunded | failed
    Column("out_request_no", String(64), nullable=False, unique=True),
    Column("trade_no", String(64), nullable=False, server_default=""),
    Column("payment_id", Id, nullable=True),
    Column("reason", String(255), nullable=False, server_default=""),
    Column("answer", String(255), nullable=False, server_default=""),
    Column("operator", String(64), nullable=False, server_default=""),
    Column("gateway_answer", Text, nullable=False),  # JSON of the gateway's last verified answer
    _ts("created_at"),
    _ts("decided_at", nullable=True),
    _ts("refunded_at", nullable=True),
    # The operator's lists by state, and the worker's pending refunds, oldest first.
    Index("ix_refunds_state_created", "state", "created_at"),
)
