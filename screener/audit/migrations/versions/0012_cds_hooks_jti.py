"""CDS Hooks token ids seen (jti), kept until each token expires so that a replayed token is refused by every worker.

Not part of the trail: a row holds only a hash of the issuer and the token id, and is deleted once the token has
expired.

Revision ID: 0012
Revises: 0011
"""
import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "cds_seen_tokens",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("expires_at", sa.Float, nullable=False),
    )
    op.create_index("ix_cds_seen_tokens_expires_at", "cds_seen_tokens", ["expires_at"])


def downgrade():
    op.drop_table("cds_seen_tokens")
