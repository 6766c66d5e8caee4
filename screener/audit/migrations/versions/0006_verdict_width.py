"""Room for the verdict "no_known_exclusion" (partial rule sets whose encoded criteria all pass).

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    # SQLite does not enforce VARCHAR lengths, and rebuilding the table would drop its append-only triggers:
    # only PostgreSQL needs the wider column (widening a varchar rewrites nothing there).
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("screenings", "verdict", type_=sa.String(24), existing_type=sa.String(12), existing_nullable=False)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("screenings", "verdict", type_=sa.String(12), existing_type=sa.String(24), existing_nullable=False)
