"""payments: an index on state (operator lists and counts by state; the reconcile's pending ones)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 10:45:00
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.create_index("ix_payments_state_created", ["state", "created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_index("ix_payments_state_created")
