"""Rule-set approvals at the site appended with their chain events (issue 26 point 1; the rows: _models.Approval).

Which version is in force on a date is decided from these rows by screener/model/approvals.py (pure, tested
there); this module only stores and reads them in the order the chain recorded them.
"""
import threading
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
    was ~425 us of CPU a call (benchmarks.api --profile and a one-run comparison, load ~4-6). On the reader's
    connections: a read takes no write lock (on SQLite the writer's engine begins IMMEDIATE)."""
    with store.reader.connect() as connection:
        if trial_id is None:
            return list(connection.execute(_approvals_query(False)))
        return list(connection.execute(_approvals_query(True), {"trial_id": trial_id}))


class ApprovalsSeen:
    """A process's approvals of each trial as last read, kept while its group commit (committer) has found no event
    but its own appended to the chain since: the web app's recorded screenings read their approval standing here
    after their batch is committed, with no read of the trail per request.

    Why that is the trail as of the screening's commit at least: every approval appends an event. One committed
    after an entry was read is another writer's event, so the first of this writer's batches after it (the
    screening's own at the latest, which takes the chain's lock after it) finds a head it did not leave and raises
    committer.generation before any future of that batch is resolved; the entry, read under an earlier generation,
    is read again."""

    def __init__(self, store, committer):
        self.store, self.committer = store, committer
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[int, list[Row]]] = {}

    def __call__(self, trial_id: str) -> list[Row]:
        generation = self.committer.generation  # before the read: a batch that raises it meanwhile discards the read
        with self._lock:
            entry = self._entries.get(trial_id)
        if entry is not None and entry[0] == generation:
            return entry[1]
        rows = approvals(self.store, trial_id)
        with self._lock:
            self._entries[trial_id] = (generation, rows)
        return rows
