"""Coalesced status polls: a journal row can stand for several identical consecutive requests.

`repeats` is how many requests the row stands for (1 for every row written before), `last_at` the time of
the last of them (null when `repeats` is 1: the last is the first, `at`).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN on both databases: SQLite adds a column with a constant default without a rebuild.
    op.add_column("journal", sa.Column("repeats", sa.Integer(), nullable=False, server_default="1"))
    op.add_column("journal", sa.Column("last_at", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("journal", schema=None) as batch_op:
        batch_op.drop_column("last_at")
        batch_op.drop_column("repeats")
