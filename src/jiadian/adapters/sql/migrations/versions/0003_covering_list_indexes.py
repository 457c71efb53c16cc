"""products: the list indexes end with first_sku_id, so a page's ids come from the index alone

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 11:10:00
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# name -> the columns before first_sku_id
LISTING_INDEXES = {
    "ix_products_shelf_price": ["on_shelf", "price", "id"],
    "ix_products_shelf_sales": ["on_shelf", "sales", "id"],
    "ix_products_shelf_created": ["on_shelf", "created_at", "id"],
    "ix_products_cat_price": ["category_id", "on_shelf", "price", "id"],
    "ix_products_cat_sales": ["category_id", "on_shelf", "sales", "id"],
    "ix_products_cat_created": ["category_id", "on_shelf", "created_at", "id"],
}


def _rebuild(with_first_sku: bool) -> None:
    with op.batch_alter_table("products", schema=None) as batch_op:
        for name, columns in LISTING_INDEXES.items():
            batch_op.drop_index(name)
            batch_op.create_index(
                name, [*columns, "first_sku_id"] if with_first_sku else columns, unique=False
            )


def upgrade() -> None:
    _rebuild(with_first_sku=True)


def downgrade() -> None:
    _rebuild(with_first_sku=False)
