"""Rule-set approvals at the site appended with their chain events (issue 26 point 1; the rows: _models.Approval).

Which version is in force on a date is decided from these rows by screener/model/approvals.py (pure, tested
there); this module only stores and reads them in the order the chain recorded them.
"""
import uuid

from sqlalchemy import select

from ._chain import row_content_hash
from ._errors import store_boundary
from ._models import Approval, AuditEvent
from ._store import _now


@store_boundary
def add_approval(store, *, trial_id: str, kind: str, version: str, digest: str, approved_from: str, reference: str,
                 actor: str) -> Approval:
    """Append an approval (or a withdrawal) and its "approval.recorded" event in one transaction."""
    with store.sessions.begin() as session:
        store.lock_chain(session)
        row = Approval(id=uuid.uuid4().hex, trial_id=trial_id, kind=kind, rule_set_version=version,
                       rule_set_digest=digest, approved_from=approved_from, reference=reference, recorded_at=_now(),
                       actor=actor)
        row.content_hash = row_content_hash("approval.recorded", row)
        session.add(row)
        session.flush()
        store._append(session, actor, "approval.recorded", row.id, {
            "trial_id": trial_id, "kind": kind, "rule_set_version": version, "rule_set_digest": digest,
            "approved_from": approved_from, "reference": reference, "content_hash": row.content_hash,
        }, row.recorded_at)
        return row


@store_boundary
def approvals(store, trial_id: str | None = None) -> list[Approval]:
    """The approvals the chain recorded (of one trial, or all), in the order it recorded them."""
    query = select(Approval).join(AuditEvent, AuditEvent.subject == Approval.id).where(
        AuditEvent.action == "approval.recorded")
    if trial_id is not None:
        query = query.where(Approval.trial_id == trial_id)
    with store.sessions() as session:
        return list(session.scalars(query.order_by(AuditEvent.seq)))
