"""The screening log by child: voids and outcomes appended with their chain events, and which screening counts.

A child is a screening number. For each child and trial one screening counts: the latest (by as-of date, then by
recording time) that is neither voided nor corrected by a screening that stands (not voided, or corrected in turn by
one that stands). Screenings stored before migration 0008 have no number: each of their submits counts as one child,
under the derived key "UNNUMBERED-" and the first 8 characters of its request id (legacy_key), which is never a
valid screening number, so it cannot collide with one and cannot be given outcomes.
"""
import json
import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..model.dates import today
from ..model.errors import ScreenerError
from ._chain import canonical, row_content_hash
from ._errors import store_boundary
from ._models import AuditEvent, Outcome, Screening, Void
from ._store import _now

LEGACY_PREFIX = "UNNUMBERED-"


def legacy_key(row) -> str:
    return LEGACY_PREFIX + row.request_id[:8]


def child_key(row) -> str:
    return row.screening_number or legacy_key(row)


def _when(row) -> tuple:
    # The as-of date, then the recording time, then (when read with it) the chain's order: two screenings recorded
    # in the same microsecond still have an order.
    return row.as_of, row.recorded_at, getattr(row, "chain_seq", 0)


class AlreadyVoided(ValueError, ScreenerError):
    """The screening has a void already: a void is final."""


@dataclass
class Ledger:
    """Screenings with what happened to them: voids by screening id, corrections (corrected id -> correcting ids)
    and the corrections' reasons, outcomes in recording order."""

    screenings: list = field(default_factory=list)
    voids: dict = field(default_factory=dict)
    corrected_by: dict = field(default_factory=dict)
    correction_reasons: dict = field(default_factory=dict)
    outcomes: list = field(default_factory=list)

    def superseded(self, screening_id: str) -> bool:
        """Corrected by a screening that stands, or whose own correction stands: a correction voided after it was
        itself corrected still passes the correction on (voiding the middle of a chain does not bring back its
        start)."""
        return any(c not in self.voids or self.superseded(c) for c in self.corrected_by.get(screening_id, ()))

    def counts(self, row) -> bool:
        return row.id not in self.voids and not self.superseded(row.id)

    def counted(self) -> dict[tuple[str, str], Any]:
        """(child, trial) -> the screening that counts (a stored row)."""
        best: dict[tuple[str, str], Any] = {}
        for row in self.screenings:
            if not self.counts(row):
                continue
            key = (child_key(row), row.trial_id)
            if key not in best or _when(row) > _when(best[key]):
                best[key] = row
        return best

    def latest_outcomes(self) -> dict[tuple[str, str], Any]:
        """(child, trial) -> the latest outcome recorded (an Outcome row) that rests on a screening that stands.
        An outcome whose screening was voided or corrected afterwards stays in the trail but no longer counts: a
        screen failure's criteria came from it, an enrolment was judged on it (voided as the wrong patient, the
        child would show enrolled on another child's eligibility). It is recorded again on the screening that now
        counts (an earlier outcome on a screening that stands holds meanwhile). A later re-screen does not unsettle an
        outcome (consent, enrolment happened), except a screen failure: that is the verdict of the screening it
        rests on, so once a re-screen counts instead, the failure no longer describes the child."""
        counted = {row.id for row in self.counted().values()}
        latest: dict[tuple[str, str], Any] = {}
        for row in sorted(self.outcomes, key=lambda o: o.chain_seq):
            key = (row.screening_number, row.trial_id)
            if row.screening_id in self.voids or self.superseded(row.screening_id):
                continue
            if row.outcome == "screen_failed" and row.screening_id not in counted:
                continue  # the screen failure was that screening's verdict; a re-screen since has its own
            latest[key] = row
        return latest


@store_boundary
def ledger(store, screenings: list, session=None) -> Ledger:
    """The voids, corrections and outcomes that bear on these screenings (read in one snapshot when given)."""
    own = session is None
    session = session or store.snapshot()
    try:
        ids = [row.id for row in screenings]
        found = Ledger(list(screenings))
        for chunk in _chunks(ids):
            _voids_and_corrections(session, found, chunk)
            for event in session.scalars(select(AuditEvent).where(
                    AuditEvent.subject.in_(chunk), AuditEvent.action == "screening.recorded")):
                reason = json.loads(event.details_json).get("correction_reason")
                if reason is not None:
                    found.correction_reasons[event.subject] = reason
        numbers = sorted({row.screening_number for row in screenings if row.screening_number})
        for chunk in _chunks(numbers):
            found.outcomes += [_with_seq(row, seq) for row, seq in session.execute(
                select(Outcome, AuditEvent.seq).join(AuditEvent, AuditEvent.subject == Outcome.id)
                .where(Outcome.screening_number.in_(chunk), AuditEvent.action == "outcome.recorded"))]
        # The screenings the outcomes rest on, when outside the given ones (an earlier period): their voids and
        # corrections too, so an outcome on a voided screening never counts.
        extra = sorted({o.screening_id for o in found.outcomes} - set(ids))
        for chunk in _chunks(extra):
            _voids_and_corrections(session, found, chunk)
        # A correction outside the given screenings (another period, another person's) supersedes only while it
        # stands: its void and its own corrections are read too, or voiding a correction would leave the original
        # uncounted.
        read = set(ids) | set(extra)
        while correctors := sorted({c for cs in found.corrected_by.values() for c in cs} - read):
            read.update(correctors)  # and their corrections in turn: a chain of corrections is followed to its end
            for chunk in _chunks(correctors):
                _voids_and_corrections(session, found, chunk)
        # A correction outside the given screenings (another person's, another period) still supersedes: only ids
        # found, never their rows, so a screener's view of their own screenings stays theirs.
        return found
    finally:
        if own:
            session.close()


def _voids_and_corrections(session, found: Ledger, ids: list[str]) -> None:
    found.voids.update({v.screening_id: v for v in session.scalars(select(Void).where(Void.screening_id.in_(ids)))})
    for row in session.execute(select(Screening.id, Screening.corrects_id).where(Screening.corrects_id.in_(ids))):
        found.corrected_by.setdefault(row.corrects_id, []).append(row.id)


def _chunks(values: list, size: int = 500):
    for start in range(0, len(values), size):
        yield values[start:start + size]


@store_boundary
def child_screenings(store, screening_number: str, actor: str | None = None) -> list:
    """Every screening of a child, newest first (with actor: only that person's)."""
    query = select(Screening, AuditEvent.seq).join(AuditEvent, AuditEvent.subject == Screening.id).where(
        Screening.screening_number == screening_number, AuditEvent.action == "screening.recorded")
    if actor is not None:
        query = query.where(Screening.actor == actor)
    with store.sessions() as session:
        return [_with_seq(row, seq) for row, seq in session.execute(query.order_by(AuditEvent.seq.desc()))]


def _with_seq(row, seq: int):
    row.chain_seq = seq  # not a column: the order the chain recorded it in
    return row


@store_boundary
def child_outcomes(store, screening_number: str) -> list:
    """A child's outcomes in the order the chain recorded them (the last one per trial holds)."""
    with store.sessions() as session:
        return list(session.scalars(
            select(Outcome).join(AuditEvent, AuditEvent.subject == Outcome.id)
            .where(Outcome.screening_number == screening_number, AuditEvent.action == "outcome.recorded")
            .order_by(AuditEvent.seq)))


@store_boundary
def void(store, screening_id: str, reason: str, note: str | None, actor: str) -> Void:
    """Void a screening: a row and its "screening.voided" event in one transaction. KeyError for an unknown
    screening, AlreadyVoided for a second void.

    The enrolment-day re-screens resting on it (a signed verification's or a deviation's: a copy of its record as of
    the verification day) are voided with it, in the same transaction: a screening voided as the wrong patient must
    not stay counted, eligible and verified, through its copy."""
    with store.sessions.begin() as session:
        store.lock_chain(session)
        if session.get(Screening, screening_id) is None:
            raise KeyError(screening_id)
        if session.get(Void, screening_id) is not None:
            raise AlreadyVoided(screening_id)
        first = _void_row(store, session, screening_id, reason, note, actor)
        pending = _rescreens_of(session, screening_id)
        while pending:
            copy = pending.pop()
            if session.get(Void, copy) is None:
                _void_row(store, session, copy, reason, f"voided with {screening_id[:12]}, the screening it "
                                                        "re-screened for enrolment-day verification", actor)
                pending += _rescreens_of(session, copy)
        return first


def _void_row(store, session, screening_id: str, reason: str, note: str | None, actor: str) -> Void:
    row = Void(screening_id=screening_id, recorded_at=_now(), actor=actor, reason=reason, note=note)
    row.content_hash = row_content_hash("screening.voided", row)
    session.add(row)
    try:
        session.flush()
    except IntegrityError:  # voided by another process between the look and the insert
        raise AlreadyVoided(screening_id) from None
    store._append(session, actor, "screening.voided", screening_id,
                  {"reason": reason, "content_hash": row.content_hash}, row.recorded_at)
    return row


@store_boundary
def rescreens_of(store, screening_id: str) -> list[str]:
    """The ids of the enrolment-day re-screens resting on a screening (see _rescreens_of)."""
    with store.sessions() as session:
        return _rescreens_of(session, screening_id)


def _rescreens_of(session, screening_id: str) -> list[str]:
    """The enrolment-day re-screens resting on a screening: named as based_on by the chain events of signatures and
    deviations (_verifications.py)."""
    found = []
    for details in session.scalars(select(AuditEvent.details_json).where(
            AuditEvent.action.in_(("verification.signed", "deviation.recorded")),
            AuditEvent.details_json.contains(screening_id))):
        facts = json.loads(details)
        if facts.get("based_on") == screening_id:
            found.append(facts["screening_id"])
    return found


@store_boundary
def add_outcome(store, *, screening_number: str, trial_id: str, outcome: str, on_date: str | None,
                reason: str | None, note: str | None, study_number: str | None, criterion_ids: list[str],
                screening_id: str, actor: str) -> Outcome:
    """Append an outcome and its "outcome.recorded" event in one transaction."""
    with store.sessions.begin() as session:
        store.lock_chain(session)
        row = Outcome(id=uuid.uuid4().hex, screening_number=screening_number, trial_id=trial_id, outcome=outcome,
                      on_date=on_date, reason=reason, note=note, study_number=study_number,
                      criterion_ids=canonical(criterion_ids), screening_id=screening_id, recorded_at=_now(),
                      actor=actor)
        row.content_hash = row_content_hash("outcome.recorded", row)
        session.add(row)
        session.flush()
        store._append(session, actor, "outcome.recorded", row.id, {
            "screening_number": screening_number, "trial_id": trial_id, "outcome": outcome,
            "screening_id": screening_id, "content_hash": row.content_hash,
        }, row.recorded_at)
        return row


_LIGHT = (Screening.id, Screening.request_id, Screening.recorded_at, Screening.actor, Screening.trial_id,
          Screening.as_of, Screening.verdict, Screening.corrects_id, Screening.screening_number)


@dataclass
class ChildSummary:
    screening_number: str
    last_recorded: str
    screenings: int
    trials: dict = field(default_factory=dict)  # trial id -> (counted verdict or None, latest outcome or None)
    # trial id -> _verifications.VerificationStanding: the eligibility verification today, deviations, the flag
    verifications: dict = field(default_factory=dict)


@store_boundary
def children_summary(store, actor: str | None = None, search: str | None = None, limit: int = 200,
                     on: date | None = None) -> list:
    """Numbered children, most recently screened first (with actor: those that person screened, and only their
    screenings); search: a prefix of the screening number. Each with, per trial, the eligibility verification's
    standing on the day `on` (default today)."""
    query = select(*_LIGHT).where(Screening.screening_number.is_not(None))
    if actor is not None:
        query = query.where(Screening.actor == actor)
    if search:
        query = query.where(Screening.screening_number.like(search.replace("%", "").replace("_", "") + "%"))
    with store.snapshot() as session:
        rows = list(session.execute(query))
        found = ledger(store, rows, session)
    counted, outcomes = found.counted(), found.latest_outcomes()
    children: dict[str, ChildSummary] = {}
    for row in rows:
        child = children.setdefault(row.screening_number, ChildSummary(row.screening_number, row.recorded_at, 0))
        child.screenings += 1
        child.last_recorded = max(child.last_recorded, row.recorded_at)
        key = (row.screening_number, row.trial_id)
        verdict = counted[key].verdict if key in counted else None
        child.trials[row.trial_id] = (verdict, outcomes.get(key))
    ordered = sorted(children.values(), key=lambda c: c.last_recorded, reverse=True)[:limit]
    from ._verifications import verification_standings  # it reads this module's ledger

    shown = {child.screening_number for child in ordered}
    kept = Ledger([row for row in found.screenings if row.screening_number in shown], found.voids, found.corrected_by,
                  found.correction_reasons, found.outcomes)
    for (number, trial), standing in verification_standings(store, kept, on or today()).items():
        children[number].verifications[trial] = standing
    return ordered
