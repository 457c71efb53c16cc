"""the operator console: the audit log, an order of a sku's images, and the indexes of the operator's lists

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIMESTAMP = (
    sa.DateTime(timezone=True)
    .with_variant(mysql.DATETIME(fsp=6), "mariadb")
    .with_variant(mysql.DATETIME(fsp=6), "mysql")
)

# table -> (name, columns) of the indexes the operator's lists and figures read. None on skus.stock: a
# checkout's conditional stock update goes wrong under concurrency with one (see tables.py).
INDEXES: dict[str, list[tuple[str, list[str]]]] = {
    "products": [
        ("ix_products_shelf_id", ["on_shelf", "id"]),
        ("ix_products_cat_id", ["category_id", "id"]),
        ("ix_products_cat_shelf_id", ["category_id", "on_shelf", "id"]),
    ],
    "orders": [("ix_orders_created", ["created_at", "id"]), ("ix_orders_paid", ["paid_at", "total"])],
    "payments": [("ix_payments_created", ["created_at", "id"])],
    "payment_notifications": [("ix_payment_notifications_received", ["received_at", "id"])],
}


def upgrade() -> None:
    # A sku's images get an order (0 for those there: their order stays the upload order, by id).
    with op.batch_alter_table("sku_images", schema=None) as batch_op:
        batch_op.add_column(sa.Column("position", sa.Integer(), server_default="0", nullable=False))
        batch_op.create_index("ix_sku_images_sku_position", ["sku_id", "position", "id"], unique=False)
    with op.batch_alter_table("sku_images", schema=None) as batch_op:  # after: the foreign key needs one
        batch_op.drop_index("ix_sku_images_sku_id")

    for table, indexes in INDEXES.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, columns in indexes:
                batch_op.create_index(name, columns, unique=False)

    op.create_table(
        "audit_log",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("actor_id", ID, nullable=True),
        sa.Column("via", sa.String(length=8), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("target", sa.String(length=80), nullable=False),
        sa.Column("before_values", sa.Text(), nullable=False),
        sa.Column("after_values", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index("ix_audit_log_at", ["at", "id"], unique=False)
        batch_op.create_index("ix_audit_log_actor", ["actor", "at", "id"], unique=False)
        batch_op.create_index("ix_audit_log_action", ["action", "at", "id"], unique=False)
        batch_op.create_index("ix_audit_log_target", ["target", "at", "id"], unique=False)


def downgrade() -> None:
    op.drop_table("audit_log")
    for table, indexes in INDEXES.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, _columns in indexes:
                batch_op.drop_index(name)
    with op.batch_alter_table("sku_images", schema=None) as batch_op:
        batch_op.create_index("ix_sku_images_sku_id", ["sku_id"], unique=False)
    with op.batch_alter_table("sku_images", schema=None) as batch_op:
        batch_op.drop_index("ix_sku_images_sku_position")
        batch_op.drop_column("position")
