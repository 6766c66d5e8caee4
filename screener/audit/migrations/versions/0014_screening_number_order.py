"""An index in the order the next free screening number is read in: by length, then by number.

`next_numbers` (audit/_group_commit.py) reads the highest screening number under the chain's lock for every
screening sent without one. Ordered by length(screening_number) (so SCR-10000 follows SCR-9999), no index served it:
each call sorted every stored number, 20 ms at 100,000 screenings and 43 ms at 300,000, all of it inside the lock
every writer waits on (issue 29). With this expression index it is one step of an index scan on SQLite and
PostgreSQL alike. Nothing stored changes.

Revision ID: 0014
Revises: 0013
"""
import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

INDEX = "ix_screenings_number_order"


def upgrade():
    op.create_index(INDEX, "screenings", [sa.text("length(screening_number)"), "screening_number"])


def downgrade():
    op.drop_index(INDEX, table_name="screenings")
