"""The screening log by child: a screening number on each screening, voids and outcomes, append-only.

Screenings stored before this revision keep no number (the rows are append-only and their content hashes cover
what they hold); the log counts each of their submits as one child, under a derived legacy key "UNNUMBERED-<first
8 characters of the request id>" (screener/audit/_children.py), so an upgraded store's counts do not jump and its
chain verifies unchanged. Voids and outcomes are rows with the same triggers as screenings, each carried by an
event of the chain ("screening.voided", "outcome.recorded") holding the row's content hash.

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

NEW_APPEND_ONLY = ("voids", "outcomes")


def upgrade():
    # A plain ADD COLUMN (SQLite has it): a batch rebuild would drop the append-only triggers with the old table.
    op.add_column("screenings", sa.Column("screening_number", sa.String(16), nullable=True))
    op.create_index("ix_screenings_screening_number", "screenings", ["screening_number"])
    op.create_table(
        "voids",
        sa.Column("screening_id", sa.String(32), sa.ForeignKey("screenings.id"), primary_key=True),
        sa.Column("recorded_at", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("reason", sa.String(24), nullable=False),
        sa.Column("note", sa.Text, nullable=True),
        sa.Column("content_hash", sa.String(64), nullable=False),
    )
    op.create_table(
        "outcomes",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("screening_number", sa.String(16), nullable=False, index=True),
        sa.Column("trial_id", sa.String(40), nullable=False),
        sa.Column("outcome", sa.String(24), nullable=False),
        sa.Column("on_date", sa.String(10), nullable=True),
        sa.Column("reason", sa.String(24), nullable=True),
        sa.Column("note", sa.Text, nullable=True),
        sa.Column("study_number", sa.String(32), nullable=True),
        sa.Column("criterion_ids", sa.Text, nullable=False),
        sa.Column("screening_id", sa.String(32), sa.ForeignKey("screenings.id"), nullable=False),
        sa.Column("recorded_at", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
    )
    dialect = op.get_bind().dialect.name
    for table in NEW_APPEND_ONLY:  # the same triggers, by the same names, as migration 0001's
        if dialect == "sqlite":
            for event in ("UPDATE", "DELETE"):
                op.execute(f"CREATE TRIGGER {table}_no_{event.lower()} BEFORE {event} ON {table} "
                           f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END")
        elif dialect == "postgresql":
            op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                       "FOR EACH ROW EXECUTE FUNCTION screener_append_only()")
            op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                       "FOR EACH STATEMENT EXECUTE FUNCTION screener_append_only()")


def downgrade():
    raise RuntimeError("the audit trail is append-only: there is no downgrade")
