"""Access in the chain: an index to find a user's or a token's events, and a baseline event for every account.

From this revision every change that grants access (a user created, a role, status or password changed, a token
created or revoked) is an event carrying the resulting state, and the live users and api_tokens rows are checked
against them (screener/audit/_access.py). Accounts made by earlier releases have events without that state, so
each existing user and token gets one "baseline" event recording what its row holds now: the upgrade takes the
rows as they are (docs/operations.md says to verify the trail before upgrading). A new store has no rows and gets
no baseline. The events are chained under the audit key, which the store hands over (config attribute
"audit_key"); without it an existing account cannot be accounted for and the upgrade stops.

Revision ID: 0007
Revises: 0006
"""
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import context, op

from screener.audit._access import token_state, user_state
from screener.audit._chain import GENESIS, canonical, event_hash

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

ACTOR = "system:upgrade"


def upgrade():
    op.create_index("ix_audit_events_subject", "audit_events", ["subject"])
    bind = op.get_bind()
    users = bind.execute(sa.text(
        "SELECT username, password_hash, role, active, must_change_password FROM users ORDER BY id")).all()
    tokens = bind.execute(sa.text(
        "SELECT t.id, u.username, t.token_hash, t.expires_at, t.revoked_at FROM api_tokens t "
        "LEFT JOIN users u ON u.id = t.user_id ORDER BY t.created_at, t.id")).all()
    if not users and not tokens:
        return
    key = context.config.attributes.get("audit_key")
    if key is None:
        raise RuntimeError("migration 0007 chains baseline events: run it through `screener` (which holds the key)")
    events = [("user.baseline", u.username, user_state(u.password_hash, u.role, u.active, u.must_change_password))
              for u in users]
    events += [("token.baseline", t.id, token_state(t.username or "", t.token_hash, t.expires_at,
                                                    t.revoked_at is not None)) for t in tokens]
    if bind.dialect.name == "postgresql":
        bind.execute(sa.text("SELECT pg_advisory_xact_lock(727361)"))  # the chain's writer lock (_store.py)
    head = bind.execute(sa.text("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1")).first()
    seq, previous = (head.seq, head.hash) if head else (0, GENESIS)
    recorded_at = datetime.now(timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")
    for action, subject, details in events:
        seq += 1
        details_json = canonical({**details, "reason": "held when the trail began recording access (upgrade)"})
        digest = event_hash(key, previous, seq, recorded_at, ACTOR, action, subject, details_json)
        bind.execute(sa.text(
            "INSERT INTO audit_events (seq, recorded_at, actor, action, subject, details_json, prev_hash, hash) "
            "VALUES (:seq, :at, :actor, :action, :subject, :details, :prev, :hash)"),
            {"seq": seq, "at": recorded_at, "actor": ACTOR, "action": action, "subject": subject,
             "details": details_json, "prev": previous, "hash": digest})
        previous = digest


def downgrade():
    raise RuntimeError("the audit trail is append-only: there is no downgrade")
