"""Rule-set versions in force at the site: approvals (and withdrawals) appended, never edited (issue 26 point 1).

Each row names the trial, the rule-set version and its content digest (an edited file has another digest, so it is
not the approved version), the date it is in force from, the ethics committee's reference and who recorded it. A
withdrawal is a row of its own (kind "withdrawn"), never an edit of the approval. The table has the same
append-only triggers as screenings; each row is carried by an "approval.recorded" event holding its content hash.

Revision ID: 0010
Revises: 0009
"""
import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "approvals",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("trial_id", sa.String(40), nullable=False, index=True),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("rule_set_version", sa.String(20), nullable=False),
        sa.Column("rule_set_digest", sa.String(80), nullable=False),
        sa.Column("approved_from", sa.String(10), nullable=False),
        sa.Column("reference", sa.String(64), nullable=False),
        sa.Column("recorded_at", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
    )
    dialect = op.get_bind().dialect.name
    # the same triggers, by the same names, as migration 0001's (screener/audit/_schema.py checks them)
    if dialect == "sqlite":
        for event in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER approvals_no_{event.lower()} BEFORE {event} ON approvals "
                       "BEGIN SELECT RAISE(ABORT, 'approvals is append-only'); END")
    elif dialect == "postgresql":
        op.execute("CREATE TRIGGER approvals_append_only BEFORE UPDATE OR DELETE ON approvals "
                   "FOR EACH ROW EXECUTE FUNCTION screener_append_only()")
        op.execute("CREATE TRIGGER approvals_no_truncate BEFORE TRUNCATE ON approvals "
                   "FOR EACH STATEMENT EXECUTE FUNCTION screener_append_only()")


def downgrade():
    raise RuntimeError("the audit trail is append-only: there is no downgrade")
