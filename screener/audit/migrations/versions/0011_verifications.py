"""Enrolment-day eligibility verifications and protocol deviations, appended, never edited (issue 26).

A verification row is an investigator's signature (21 CFR Part 11 §11.50): the printed name, the date and time and
the meaning, linked to the screening it signs (its id and content hash), the rule-set version and digest and the
approval in force; the challenge it answered is unique, so a replayed request cannot sign twice. A later
verification supersedes an earlier one by naming it; nothing is updated. A deviation row records that a child who
does not meet every criterion is enrolled anyway: the criterion ids, the reason, who recorded it. Both tables have
the append-only triggers of migration 0001 and are carried by a chain event holding each row's content hash.

Revision ID: 0011
Revises: 0010
"""
import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "verifications",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("screening_number", sa.String(16), nullable=False, index=True),
        sa.Column("trial_id", sa.String(40), nullable=False),
        sa.Column("screening_id", sa.String(32), sa.ForeignKey("screenings.id"), nullable=False),
        sa.Column("screening_content_hash", sa.String(64), nullable=False),
        sa.Column("rule_set_version", sa.String(20), nullable=False),
        sa.Column("rule_set_digest", sa.String(80), nullable=False),
        sa.Column("approval_id", sa.String(32), sa.ForeignKey("approvals.id"), nullable=False),
        sa.Column("verified_on", sa.String(10), nullable=False),
        sa.Column("valid_through", sa.String(10), nullable=False),
        sa.Column("registration_window_days", sa.Integer, nullable=False),
        sa.Column("reviewed", sa.Text, nullable=False),
        sa.Column("printed_name", sa.String(100), nullable=False),
        sa.Column("meaning", sa.Text, nullable=False),
        sa.Column("challenge", sa.String(64), nullable=False, unique=True),
        sa.Column("supersedes_id", sa.String(32), sa.ForeignKey("verifications.id"), nullable=True),
        sa.Column("recorded_at", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
    )
    op.create_table(
        "deviations",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("screening_number", sa.String(16), nullable=False, index=True),
        sa.Column("trial_id", sa.String(40), nullable=False),
        sa.Column("screening_id", sa.String(32), sa.ForeignKey("screenings.id"), nullable=False),
        sa.Column("criterion_ids", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("recorded_at", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
    )
    dialect = op.get_bind().dialect.name
    # the same triggers, by the same names, as migration 0001's (screener/audit/_schema.py checks them)
    for table in ("verifications", "deviations"):
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
