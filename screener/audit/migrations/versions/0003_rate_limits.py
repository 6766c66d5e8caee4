"""Shared rate-limit counters: sign-in throttling, per-username-and-client lockouts, per-token limits.

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "rate_limits",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("window_start", sa.Float, nullable=False),
        sa.Column("hits", sa.Integer, nullable=False),
        sa.Column("locked_until", sa.Float, nullable=False, server_default="0"),
    )
    op.create_index("ix_rate_limits_window_start", "rate_limits", ["window_start"])


def downgrade():
    op.drop_table("rate_limits")
