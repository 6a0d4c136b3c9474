"""Several instances on one database: job leases, the shared clock row, live instances, unbounded partner text.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# Columns holding a value a partner sends, with no length the vendor documents. SQLite never enforced
# VARCHAR lengths, so only PostgreSQL changes (a batch rebuild of SQLite's journal would be slow for nothing).
UNBOUNDED = {
    "partner_sessions": ["partner_session_id", "onboarding_partner", "user_id", "user_id_type"],
    "submissions": ["partner_session_id", "sdk_session_id"],
    "callbacks": ["partner_session_id"],
    "journal": ["partner_session_id"],
    "scenario_bindings": ["partner_session_id"],
    "session_scripts": ["partner_session_id"],
    "fault_calls": ["partner_session_id"],
}


def upgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("lease_until", sa.Float(), nullable=True))
    op.create_table(
        "clock",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("offset_seconds", sa.Float(), nullable=False),
        sa.Column("frozen_at", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "instances",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("started_at", sa.Float(), nullable=False),
        sa.Column("heartbeat_at", sa.Float(), nullable=False),
        sa.Column("seeded", sa.Boolean(), nullable=False),
        sa.Column("base_url", sa.Text(), nullable=False),
        sa.Column("host", sa.Text(), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    if op.get_bind().dialect.name != "sqlite":
        for table, columns in UNBOUNDED.items():
            for column in columns:
                op.alter_column(table, column, type_=sa.Text(), existing_type=sa.String(length=256))


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        for table, columns in UNBOUNDED.items():
            for column in columns:
                op.alter_column(table, column, type_=sa.String(length=256), existing_type=sa.Text())
    op.drop_table("instances")
    op.drop_table("clock")
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_column("lease_until")
        batch_op.drop_column("owner")
