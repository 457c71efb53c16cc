"""search: the index (documents and postings) and brand aliases

The tables start empty: `jiadian db upgrade` (and `serve` when it migrates) then indexes the products of
an existing shop, and `jiadian search reindex` rebuilds it all.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TERM = sa.String(length=32).with_variant(
    mysql.VARCHAR(length=32, charset="utf8mb4", collation="utf8mb4_bin"), "mysql", "mariadb"
)
TIMESTAMP = (
    sa.DateTime(timezone=True)
    .with_variant(mysql.DATETIME(fsp=6), "mariadb")
    .with_variant(mysql.DATETIME(fsp=6), "mysql")
)


def upgrade() -> None:
    op.create_table(
        "search_documents",
        sa.Column("product_id", ID, autoincrement=False, nullable=False),
        sa.Column("terms", sa.Text(), nullable=False),
        sa.Column("sales", sa.BigInteger(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("product_id", name=op.f("pk_search_documents")),
    )
    op.create_table(
        "search_terms",
        sa.Column("term", TERM, nullable=False),
        sa.Column("product_id", ID, autoincrement=False, nullable=False),
        sa.Column("weight", sa.SmallInteger(), nullable=False),
        sa.Column("sales", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("term", "product_id", name=op.f("pk_search_terms")),
        sqlite_with_rowid=False,
    )
    op.create_index(
        "ix_search_terms_rank", "search_terms", ["term", "weight", "sales", "product_id"], unique=False
    )
    op.create_table(
        "search_aliases",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("word", sa.String(length=30), nullable=False),
        sa.Column("other", sa.String(length=30), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_aliases")),
        sa.UniqueConstraint("word", "other", name="uq_search_aliases_word_other"),
    )


def downgrade() -> None:
    op.drop_table("search_aliases")
    op.drop_index("ix_search_terms_rank", table_name="search_terms")
    op.drop_table("search_terms")
    op.drop_table("search_documents")
