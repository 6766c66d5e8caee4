"""Signed eligibility verifications and protocol deviations (issue 26; the rows: _models.SignedVerification and
_models.Deviation), each stored with the day's re-screen it rests on, in one transaction with their chain events.

What may be signed, and what a signature means, is decided by screener/enrolment.py; this module stores and reads.
"""
import json
import uuid
from dataclasses import dataclass, field
from datetime import date
from types import SimpleNamespace

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..model.errors import ScreenerError
from ..model.verification import STATUS_WORDS, VerificationStatus, status_of
from ._chain import row_content_hash
from ._children import _LIGHT, Ledger, _chunks, _when, _with_seq, child_key, ledger
from ._errors import store_boundary
from ._group_commit import append, prepare
from ._models import AuditEvent, Deviation, Screening, SignedVerification
from ._store import _now

CHANNEL = "verify"  # the re-screen an investigator signs (or records a deviation against) is recorded as this


class ChallengeUsed(ScreenerError):
    """The signing challenge was used already: a replayed (or double-submitted) signature."""


class ChecklistChanged(ScreenerError):
    """The screening the checklist was read from is no longer the child's counted one for the trial (a screening,
    correction or void recorded since it was read): what was judged is not what the re-screen would rest on."""


def _with_rescreen(store, record, report, actor: str, based_on: str, write):
    """Record the day's re-screen (a screening of the child, channel "verify") and, in the same transaction, the
    row write(session, screening_id, screening_content_hash) adds with its event. Returns that row.

    based_on: the counted screening the report re-screened. Checked again under the chain's lock, which every
    screening, correction and void also takes: one recorded between the checklist's reading and this write would
    otherwise count below the re-screen (recorded later, the same as-of day), hidden by a signature of older data.
    ChecklistChanged when it is no longer the counted one."""
    submission = prepare(record, [report], actor=actor, channel=CHANNEL, assign_number=False)
    with store.engine.begin() as connection:
        store.lock_chain(connection)
        with Session(bind=connection) as session:
            if not _still_counted(store, session, record.screening_number, report.trial_id, based_on):
                raise ChecklistChanged("the child's counted screening changed since the checklist was read")
        append(connection, store.key, [submission], _now)
        screening = submission.rows[0]
        with Session(bind=connection, expire_on_commit=False) as session:
            row = write(session, screening["id"], screening["content_hash"])
            session.flush()
            session.expunge(row)
        return row


@store_boundary
def add_verification(store, *, record, report, actor: str, based_on: str, fields: dict) -> SignedVerification:
    """Store a signed verification with its re-screen. The latest standing verification of the child for the trial
    is superseded (named by supersedes_id). ChallengeUsed when the challenge answered was used before."""

    def write(session, screening_id: str, screening_hash: str) -> SignedVerification:
        if session.scalar(select(SignedVerification.id).where(
                SignedVerification.challenge == fields["challenge"])) is not None:
            raise ChallengeUsed("the signing challenge was used already")
        earlier = _latest(session, fields["screening_number"], fields["trial_id"])
        row = SignedVerification(id=uuid.uuid4().hex, screening_id=screening_id,
                                 screening_content_hash=screening_hash, supersedes_id=earlier,
                                 recorded_at=_now(), actor=actor, **fields)
        row.content_hash = row_content_hash("verification.signed", row)
        session.add(row)
        session.flush()
        store._append(session, actor, "verification.signed", row.id, {
            "screening_number": row.screening_number, "trial_id": row.trial_id, "screening_id": screening_id,
            "screening_content_hash": screening_hash, "rule_set_digest": row.rule_set_digest,
            "approval_id": row.approval_id, "verified_on": row.verified_on, "valid_through": row.valid_through,
            "supersedes": earlier, "based_on": based_on, "content_hash": row.content_hash,
        }, row.recorded_at)
        return row

    try:
        return _with_rescreen(store, record, report, actor, based_on, write)
    except IntegrityError:  # two requests with one challenge at the same moment: the unique column refuses one
        raise ChallengeUsed("the signing challenge was used already") from None


def _still_counted(store, session, screening_number: str | None, trial_id: str, screening_id: str) -> bool:
    rows = [_with_seq(row, seq) for row, seq in session.execute(
        select(Screening, AuditEvent.seq).join(AuditEvent, AuditEvent.subject == Screening.id).where(
            Screening.screening_number == screening_number, Screening.trial_id == trial_id,
            AuditEvent.action == "screening.recorded"))]
    counted = ledger(store, rows, session).counted()
    return any(row.id == screening_id for row in counted.values())


def _latest(session, screening_number: str, trial_id: str) -> str | None:
    """The child's latest verification for the trial that no later one supersedes."""
    rows = list(session.scalars(select(SignedVerification).where(
        SignedVerification.screening_number == screening_number, SignedVerification.trial_id == trial_id)))
    superseded = {row.supersedes_id for row in rows}
    standing = [row for row in rows if row.id not in superseded]
    return max(standing, key=lambda row: row.recorded_at).id if standing else None


@store_boundary
def add_deviation(store, *, record, report, actor: str, based_on: str, screening_number: str, trial_id: str,
                  criterion_ids: list[str], reason: str) -> Deviation:
    """Store a protocol deviation with the re-screen whose failing or unsettled criteria it names."""

    def write(session, screening_id: str, _screening_hash: str) -> Deviation:
        row = Deviation(id=uuid.uuid4().hex, screening_number=screening_number, trial_id=trial_id,
                        screening_id=screening_id, criterion_ids=json.dumps(criterion_ids), reason=reason,
                        recorded_at=_now(), actor=actor)
        row.content_hash = row_content_hash("deviation.recorded", row)
        session.add(row)
        session.flush()
        store._append(session, actor, "deviation.recorded", row.id, {
            "screening_number": screening_number, "trial_id": trial_id, "screening_id": screening_id,
            "criterion_ids": criterion_ids, "based_on": based_on, "content_hash": row.content_hash,
        }, row.recorded_at)
        return row

    return _with_rescreen(store, record, report, actor, based_on, write)


def _chained(store, model, action: str | tuple[str, ...], screening_number: str | None, trial_id: str | None) -> list:
    """The rows of model the chain recorded with action (or any of several; of a child, of a trial, or all), in the
    chain's order: a row inserted outside the service has no event and is not read."""
    actions = (action,) if isinstance(action, str) else action
    query = select(model).join(AuditEvent, AuditEvent.subject == model.id).where(AuditEvent.action.in_(actions))
    if screening_number is not None:
        query = query.where(model.screening_number == screening_number)
    if trial_id is not None:
        query = query.where(model.trial_id == trial_id)
    with store.sessions() as session:
        return list(session.scalars(query.order_by(AuditEvent.seq)))


@store_boundary
def verifications(store, screening_number: str | None = None, trial_id: str | None = None
                  ) -> list[SignedVerification]:
    """Signed verifications the chain recorded (of a child, of a trial, or all), oldest first."""
    return _chained(store, SignedVerification, "verification.signed", screening_number, trial_id)


@store_boundary
def verification(store, verification_id: str) -> SignedVerification | None:
    """The signed verification the chain recorded with this id: a row inserted outside the service (no chain event)
    is no signature, whatever it holds, as verifications() and the log read it."""
    with store.sessions() as session:
        return session.scalar(select(SignedVerification).join(
            AuditEvent, AuditEvent.subject == SignedVerification.id).where(
            SignedVerification.id == verification_id, AuditEvent.action == "verification.signed"))


@store_boundary
def deviations(store, screening_number: str | None = None, trial_id: str | None = None) -> list[Deviation]:
    """Protocol deviations the chain recorded (of a child, of a trial, or all), oldest first."""
    return _chained(store, Deviation, "deviation.recorded", screening_number, trial_id)


# --- each child's standing in the screening log and the sponsor export (audit sits below enrolment.py: the standing
# is worked out here from the rows, by the same rule, model.verification.status_of) ---

UNVERIFIED_ENROLMENT = "enrolled without a signed eligibility verification"


@dataclass
class VerificationStanding:
    """A child's eligibility verification for a trial as the log shows it: the latest signed one (not superseded)
    with its standing on the day, every protocol deviation recorded (oldest first), and whether the outcome that
    counts is an enrolment no verification or deviation accounts for."""

    latest: SignedVerification | None = None
    status: VerificationStatus | None = None
    deviations: list[Deviation] = field(default_factory=list)
    unverified_enrolment: bool = False

    def words(self, outcome: str | None) -> str:
        """The standing as the log writes it beside the child, with the outcome that counts (an OUTCOMES key):
        "verified (valid through 2026-11-26); enrolled", "verified, expired", "enrolled; protocol deviation", ...;
        "" when there is nothing to say."""
        parts = []
        if self.latest is not None and self.status is not None:
            parts.append(f"verified (valid through {self.latest.valid_through})" if self.status == "verified"
                         else STATUS_WORDS[self.status])
        if outcome == "enrolled":
            parts.append("enrolled")
        if self.deviations:
            parts.append("protocol deviation")
        if self.unverified_enrolment:
            parts.append(f"FLAG: {UNVERIFIED_ENROLMENT}")
        return "; ".join(parts)


def _covers(signed: SignedVerification, day: date, full: Ledger, screenings: list) -> bool:
    """Whether a verification stood on `day`: signed on or before it, valid through it, its re-screen neither voided
    nor corrected, and no screening of the child for the trial as of a day up to `day` counting after it (new data,
    another verification's or a deviation's re-screen: the signature no longer covers the record)."""
    if not (date.fromisoformat(signed.verified_on) <= day <= date.fromisoformat(signed.valid_through)):
        return False
    if signed.screening_id in full.voids or full.superseded(signed.screening_id):
        return False
    own = next((row for row in screenings if row.id == signed.screening_id), None)
    if own is None:  # its re-screen not in the chain: nothing stands on it
        return False
    return not any(row.id != own.id and full.counts(row) and row.as_of <= day.isoformat() and _when(row) > _when(own)
                   for row in screenings)


@store_boundary
def verification_standings(store, found: Ledger, on: date) -> dict[tuple[str, str], VerificationStanding]:
    """(child, trial) -> the verification standing on the day `on`, for each child and trial counted in `found`
    (the log's screenings of a period, with their voids, corrections and outcomes). A verification's standing is
    read against all of the child's screenings (a re-screen after the period still means "verify again"); the
    outcome flagged is the one the log counts. Strict: an enrolment is accounted for only by a verification that
    stood on the enrolment date, or by a protocol deviation whose re-screen is not voided."""
    counted = found.counted()
    numbers = sorted({row.screening_number for row in found.screenings if row.screening_number})
    signed: list[SignedVerification] = []
    deviated: list[Deviation] = []
    everything: list = []
    with store.snapshot() as session:
        for chunk in _chunks(numbers):
            signed += session.scalars(
                select(SignedVerification).join(AuditEvent, AuditEvent.subject == SignedVerification.id)
                .where(SignedVerification.screening_number.in_(chunk), AuditEvent.action == "verification.signed")
                .order_by(AuditEvent.seq))
            deviated += session.scalars(
                select(Deviation).join(AuditEvent, AuditEvent.subject == Deviation.id)
                .where(Deviation.screening_number.in_(chunk), AuditEvent.action == "deviation.recorded")
                .order_by(AuditEvent.seq))
            # With the chain's order: a re-screen recorded in the same microsecond as the screening before it
            # still counts after it (_children._when).
            everything += [SimpleNamespace(**row._mapping) for row in session.execute(
                select(*_LIGHT, AuditEvent.seq.label("chain_seq")).join(AuditEvent, AuditEvent.subject == Screening.id)
                .where(Screening.screening_number.in_(chunk), AuditEvent.action == "screening.recorded"))]
        full = ledger(store, everything, session)
    now_counted = full.counted()
    by_key: dict[tuple[str, str], list] = {}
    for row in everything:
        by_key.setdefault((child_key(row), row.trial_id), []).append(row)
    outcomes = found.latest_outcomes()
    standings = {key: VerificationStanding() for key in counted}
    for row in deviated:
        if (row.screening_number, row.trial_id) in standings:
            standings[(row.screening_number, row.trial_id)].deviations.append(row)
    superseded = {row.supersedes_id for row in signed}
    for row in signed:
        key = (row.screening_number, row.trial_id)
        if key in standings and row.id not in superseded:
            now = now_counted.get(key)
            standings[key].latest = row
            standings[key].status = status_of(
                superseded=False, voided=row.screening_id in full.voids,
                still_counted=now is not None and now.id == row.screening_id,
                valid_through=date.fromisoformat(row.valid_through), on=on)
    for key, standing in standings.items():
        outcome = outcomes.get(key)
        if outcome is None or outcome.outcome != "enrolled":
            continue
        excused = any(d.screening_id not in full.voids for d in standing.deviations)
        verified = outcome.on_date is not None and any(  # an enrolment has its date (OutcomeRequest requires it)
            _covers(v, date.fromisoformat(outcome.on_date), full, by_key.get(key, [])) for v in signed
            if (v.screening_number, v.trial_id) == key)
        standing.unverified_enrolment = not (excused or verified)
    return standings
