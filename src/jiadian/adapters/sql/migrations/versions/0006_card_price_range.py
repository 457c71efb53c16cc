"""products: max_price beside price, so a card says 起 ("from") when its product's skus differ in price

The card columns are recomputed for every product as the catalogue keeps them (`_refresh_card`): the
card's sku is the cheapest (ties: the lowest id), `price` its price, `max_price` the dearest sku's, and
the image that sku's first (else the product's first).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

CARD_SKU_AND_PRICES = """
UPDATE products SET
  first_sku_id = (SELECT s.id FROM skus s WHERE s.product_id = products.id ORDER BY s.price, s.id LIMIT 1),
  price = COALESCE((SELECT MIN(s.price) FROM skus s WHERE s.product_id = products.id), 0),
  max_price = COALESCE((SELECT MAX(s.price) FROM skus s WHERE s.product_id = products.id), 0)
"""
CARD_IMAGE = """
UPDATE products SET image = COALESCE(
  (SELECT i.image FROM sku_images i WHERE i.sku_id = products.first_sku_id ORDER BY i.id LIMIT 1),
  (SELECT i.image FROM sku_images i JOIN skus s ON s.id = i.sku_id
    WHERE s.product_id = products.id ORDER BY s.id, i.id LIMIT 1),
  '')
"""


def upgrade() -> None:
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("max_price", sa.Numeric(precision=11, scale=2), server_default="0", nullable=False)
        )
    op.execute(CARD_SKU_AND_PRICES)
    op.execute(CARD_IMAGE)


def downgrade() -> None:
    # SQLite drops the column in place (3.35+): recreating `products` would fail its foreign keys.
    with op.batch_alter_table("products", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("max_price")
