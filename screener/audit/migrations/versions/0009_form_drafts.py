"""Form drafts: what a coordinator typed into the screening form when their session ended before it was sent.

Kept encrypted (AES-GCM under a key derived from the audit key; screener/audit/_drafts.py), bound to the user
who typed it, deleted when screened, discarded or expired. Not part of the audit trail: a draft is not a
screening, and it is deleted, so the table has no append-only triggers.

Revision ID: 0009
Revises: 0008
"""
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "form_drafts",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("trial", sa.String(40), nullable=False),
        sa.Column("kept_at", sa.String(32), nullable=False),
        sa.Column("expires_at", sa.String(32), nullable=False),
        sa.Column("sealed", sa.LargeBinary, nullable=False),
    )
    op.create_index("ix_form_drafts_username", "form_drafts", ["username"])
    op.create_index("ix_form_drafts_expires_at", "form_drafts", ["expires_at"])


def downgrade():
    op.drop_table("form_drafts")
