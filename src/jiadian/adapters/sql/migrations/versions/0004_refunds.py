"""refunds: the ledger of refunds; orders.refunded_at; an index on users.email (password resets)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _timestamp(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(
        name,
        sa.DateTime(timezone=True)
        .with_variant(mysql.DATETIME(fsp=6), "mariadb")
        .with_variant(mysql.DATETIME(fsp=6), "mysql"),
        nullable=nullable,
    )


def _id(name: str, *, nullable: bool = False, primary: bool = False) -> sa.Column[object]:
    return sa.Column(
        name,
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
        autoincrement=primary,
        nullable=nullable,
    )


def upgrade() -> None:
    op.create_table(
        "refunds",
        _id("id", primary=True),
        sa.Column("subject", sa.String(length=48), nullable=False),
        sa.Column("order_id", sa.String(length=32), nullable=False),
        _id("user_id"),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("amount", sa.Numeric(precision=11, scale=2), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("out_request_no", sa.String(length=64), nullable=False),
        sa.Column("trade_no", sa.String(length=64), server_default="", nullable=False),
        _id("payment_id", nullable=True),
        sa.Column("reason", sa.String(length=255), server_default="", nullable=False),
        sa.Column("answer", sa.String(length=255), server_default="", nullable=False),
        sa.Column("operator", sa.String(length=64), server_default="", nullable=False),
        sa.Column("gateway_answer", sa.Text(), nullable=False),
        _timestamp("created_at"),
        _timestamp("decided_at", nullable=True),
        _timestamp("refunded_at", nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_refunds_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refunds")),
        sa.UniqueConstraint("subject", name=op.f("uq_refunds_subject")),
        sa.UniqueConstraint("out_request_no", name=op.f("uq_refunds_out_request_no")),
    )
    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_refunds_order_id"), ["order_id"], unique=False)
        batch_op.create_index("ix_refunds_state_created", ["state", "created_at"], unique=False)
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(_timestamp("refunded_at", nullable=True))
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index("ix_users_email", ["email"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index("ix_users_email")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_column("refunded_at")
    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.drop_index("ix_refunds_state_created")
        batch_op.drop_index(batch_op.f("ix_refunds_order_id"))
    op.drop_table("refunds")
