"""Rule-set reviews and reviewers' comments (issue 28): appended, never edited.

Each row names the trial, the rule-set version and the content digest reviewed (an edited file has another digest,
so it is unreviewed again), the kind (a review with its note, or a comment on one criterion), the words and who
recorded it. The table has the same append-only triggers as screenings; each row is carried by a
"ruleset.reviewed" or "ruleset.comment" event holding its content hash.

Revision ID: 0013
Revises: 0012
"""
import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "rule_set_reviews",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("trial_id", sa.String(40), nullable=False, index=True),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("rule_set_version", sa.String(20), nullable=False),
        sa.Column("rule_set_digest", sa.String(80), nullable=False),
        sa.Column("criterion_id", sa.String(48), nullable=True),
        sa.Column("text", sa.String(1000), nullable=False),
        sa.Column("recorded_at", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
    )
    dialect = op.get_bind().dialect.name
    # the same triggers, by the same names, as migration 0001's (screener/audit/_schema.py checks them)
    if dialect == "sqlite":
        for event in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER rule_set_reviews_no_{event.lower()} BEFORE {event} ON rule_set_reviews "
                       "BEGIN SELECT RAISE(ABORT, 'rule_set_reviews is append-only'); END")
    elif dialect == "postgresql":
        op.execute("CREATE TRIGGER rule_set_reviews_append_only BEFORE UPDATE OR DELETE ON rule_set_reviews "
                   "FOR EACH ROW EXECUTE FUNCTION screener_append_only()")
        op.execute("CREATE TRIGGER rule_set_reviews_no_truncate BEFORE TRUNCATE ON rule_set_reviews "
                   "FOR EACH STATEMENT EXECUTE FUNCTION screener_append_only()")


def downgrade():
    raise RuntimeError("the audit trail is append-only: there is no downgrade")
