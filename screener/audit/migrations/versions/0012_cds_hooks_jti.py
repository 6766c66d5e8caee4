"""CDS Hooks token ids seen (jti), kept until each token expires so that a replayed token is refused by every worker.

Not part of the trail: a row holds only a hash of the issuer and the token id, and is deleted once the token has
expired.

And the EHR's patients linked to their screening numbers (ehr_patients): a keyed hash of the issuer and the EHR's
patient id, so the same child opened again in the chart is screened again under the same screening number instead of
becoming a new child in the screening log; the EHR's id itself is never stored.

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
    op.create_table(
        "ehr_patients",
        sa.Column("link", sa.String(64), primary_key=True),
        sa.Column("screening_number", sa.String(16), nullable=False),
        sa.Column("linked_at", sa.String(32), nullable=False),
    )


def downgrade():
    op.drop_table("ehr_patients")
    op.drop_table("cds_seen_tokens")
