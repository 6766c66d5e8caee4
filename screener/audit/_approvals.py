"""Rule-set approvals at the site appended with their chain events (issue 26 point 1; the rows: _models.Approval).

Which version is in force on a date is decided from these rows by screener/model/approvals.py (pure, tested
there); this module only stores and reads them in the order the chain recorded them.
"""
import uuid
from functools import lru_cache

from sqlalchemy import Row, bindparam, select

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


@lru_cache(maxsize=2)
def _approvals_query(by_trial: bool):
    """Built once: constructing the statement cost more than running it."""
    query = select(Approval.__table__).join(AuditEvent, AuditEvent.subject == Approval.id).where(
        AuditEvent.action == "approval.recorded")
    if by_trial:
        query = query.where(Approval.trial_id == bindparam("trial_id"))
    return query.order_by(AuditEvent.seq)


@store_boundary
def approvals(store, trial_id: str | None = None) -> list[Row]:
    """The approvals the chain recorded (of one trial, or all), in the order it recorded them: rows with the
    Approval columns as attributes. Read on every recorded API screening (its approval standing), so as plain
    rows on a connection from a statement built once: an ORM session building the statement and Approval objects
    was ~425 us of CPU a call (benchmarks.api --profile and a one-run comparison, load ~4-6)."""
    with store.engine.connect() as connection:
        if trial_id is None:
            return list(connection.execute(_approvals_query(False)))
        return list(connection.execute(_approvals_query(True), {"trial_id": trial_id}))
