"""Signed eligibility verifications and protocol deviations (issue 26; the rows: _models.SignedVerification and
_models.Deviation), each stored with the day's re-screen it rests on, in one transaction with their chain events.

What may be signed, and what a signature means, is decided by screener/enrolment.py; this module stores and reads.
"""
import json
import uuid

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..model.errors import ScreenerError
from ._chain import row_content_hash
from ._errors import store_boundary
from ._group_commit import append, prepare
from ._models import AuditEvent, Deviation, SignedVerification
from ._store import _now

CHANNEL = "verify"  # the re-screen an investigator signs (or records a deviation against) is recorded as this


class ChallengeUsed(ScreenerError):
    """The signing challenge was used already: a replayed (or double-submitted) signature."""


def _with_rescreen(store, record, report, actor: str, write):
    """Record the day's re-screen (a screening of the child, channel "verify") and, in the same transaction, the
    row write(session, screening_id, screening_content_hash) adds with its event. Returns that row."""
    submission = prepare(record, [report], actor=actor, channel=CHANNEL, assign_number=False)
    with store.engine.begin() as connection:
        store.lock_chain(connection)
        append(connection, store.key, [submission], _now)
        screening = submission.rows[0]
        with Session(bind=connection, expire_on_commit=False) as session:
            row = write(session, screening["id"], screening["content_hash"])
            session.flush()
            session.expunge(row)
        return row


@store_boundary
def add_verification(store, *, record, report, actor: str, fields: dict) -> SignedVerification:
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
            "supersedes": earlier, "content_hash": row.content_hash,
        }, row.recorded_at)
        return row

    try:
        return _with_rescreen(store, record, report, actor, write)
    except IntegrityError:  # two requests with one challenge at the same moment: the unique column refuses one
        raise ChallengeUsed("the signing challenge was used already") from None


def _latest(session, screening_number: str, trial_id: str) -> str | None:
    """The child's latest verification for the trial that no later one supersedes."""
    rows = list(session.scalars(select(SignedVerification).where(
        SignedVerification.screening_number == screening_number, SignedVerification.trial_id == trial_id)))
    superseded = {row.supersedes_id for row in rows}
    standing = [row for row in rows if row.id not in superseded]
    return max(standing, key=lambda row: row.recorded_at).id if standing else None


@store_boundary
def add_deviation(store, *, record, report, actor: str, screening_number: str, trial_id: str,
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
            "criterion_ids": criterion_ids, "content_hash": row.content_hash,
        }, row.recorded_at)
        return row

    return _with_rescreen(store, record, report, actor, write)


@store_boundary
def verifications(store, screening_number: str | None = None, trial_id: str | None = None
                  ) -> list[SignedVerification]:
    """Signed verifications the chain recorded (of a child, of a trial, or all), oldest first."""
    query = select(SignedVerification).join(AuditEvent, AuditEvent.subject == SignedVerification.id).where(
        AuditEvent.action == "verification.signed")
    if screening_number is not None:
        query = query.where(SignedVerification.screening_number == screening_number)
    if trial_id is not None:
        query = query.where(SignedVerification.trial_id == trial_id)
    with store.sessions() as session:
        return list(session.scalars(query.order_by(AuditEvent.seq)))


@store_boundary
def verification(store, verification_id: str) -> SignedVerification | None:
    with store.sessions() as session:
        return session.get(SignedVerification, verification_id)


@store_boundary
def deviations(store, screening_number: str | None = None, trial_id: str | None = None) -> list[Deviation]:
    """Protocol deviations the chain recorded (of a child, of a trial, or all), oldest first."""
    query = select(Deviation).join(AuditEvent, AuditEvent.subject == Deviation.id).where(
        AuditEvent.action == "deviation.recorded")
    if screening_number is not None:
        query = query.where(Deviation.screening_number == screening_number)
    if trial_id is not None:
        query = query.where(Deviation.trial_id == trial_id)
    with store.sessions() as session:
        return list(session.scalars(query.order_by(AuditEvent.seq)))
