"""Enrolment-day eligibility verification (issue 26): the checklist an investigator reviews, the signature, the
protocol deviation, and each one's standing. Every channel (web pages, API, CLI) calls these; model/verification.py
holds the shapes.

The checklist is the child's counted screening for the trial, its record re-screened as of the verification day
with the rule set loaded now: values older than the rule set's lookbacks and attestations outside their window are
unknown that day, so nothing stale can be signed. It can be signed only when every criterion passes, the rule set
encodes every criterion of the protocol and is the version approved and in force at the site that day. No criterion
is waived (each rule set states its policy): a child who does not meet every criterion and is enrolled anyway is a
protocol deviation, recorded against the criterion ids.
"""
import hashlib
import hmac
import json
import secrets
import time
from datetime import date, timedelta

from .model.approvals import standing
from .model.children import PatientView
from .model.errors import FieldError, InvalidRecord
from .model.verdict import Status, Verdict
from .model.verification import (
    BLOCKER_WORDS,
    STATUS_WORDS,
    Blocker,
    Checklist,
    DeviationRequest,
    DeviationView,
    SignatureView,
    SignRequest,
    VerificationStatus,
    VerificationSummary,
    VerificationView,
    meaning,
    status_of,
)
from .service import (
    Conflict,
    NotFound,
    NotPermitted,
    _counted,
    _visible,
    recorded_approvals,
    reports,
    standings,
)
from .service import patient as service_patient

SIGNER_ROLE = "investigator"  # only investigators sign or record deviations; an admin is a system role
CHALLENGE_SECONDS = 30 * 60  # a checklist page left open longer is reviewed again before signing


def _fingerprint(report, based_on: str, approval_id: str | None) -> str:
    """Of what the signature binds: the re-screen, the screening it rests on and the approval in force shown."""
    text = json.dumps([based_on, approval_id, report.model_dump(mode="json")], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _counted_row(store, screening_number: str, trial_id: str, sees: str | None):
    rows, found, counted = _counted(store, screening_number)
    if not any(_visible(row, sees) for row in rows):
        raise NotFound(screening_number)
    row = counted.get((screening_number, trial_id))
    if row is None:
        raise InvalidRecord([FieldError(("trial_id",), "the child has no counted screening for this trial: screen "
                                                       "the child for it first")])
    return row, found


def _valid_through(record, trial_id: str, verified_on: date, window_days: int, history: list) -> date:
    """The last day of the registration window (verified_on + window_days) on which the same record still screens
    eligible under the version approved and in force at the site, every day from the verification day on: data
    ages out of its lookback, a child has a birthday, a washout runs, an approval recorded already is withdrawn or
    an amendment comes into force. Strict: the first day either fails ends the validity the day before."""
    last = verified_on
    for offset in range(1, window_days + 1):
        day = verified_on + timedelta(days=offset)
        report = reports(record, day, None, trial=trial_id)[0]
        if report.verdict is not Verdict.ELIGIBLE or standing(
                history, report.rule_set_version, report.rule_set_digest, day).status != "approved":
            break
        last = day
    return last


def checklist(store, screening_number: str, trial_id: str, *, sees: str | None, on: date) -> Checklist:
    """The child's checklist for the trial on the day `on` (the verification day: today, for signing)."""
    from .audit import record_of
    from .screening import rule_set_for

    rule_set = rule_set_for(trial_id)
    row, _found = _counted_row(store, screening_number, trial_id, sees)
    record = record_of(row).model_copy(update={"screening_number": screening_number})
    report = reports(record, on, None, trial=trial_id)[0]
    standing = standings(store, [report])[0]
    blockers: list[Blocker] = []
    if report.verdict is not Verdict.ELIGIBLE:
        blockers.append("not_eligible")
    if not rule_set.coverage.complete:
        blockers.append("incomplete_rule_set")
    if rule_set.status == "draft":
        blockers.append("draft_rules")
    if standing.status != "approved":
        blockers.append("not_approved")
    window = rule_set.enrolment.registration_window_days
    return Checklist(
        screening_number=screening_number, trial_id=trial_id, title=rule_set.title, verification_date=on,
        based_on=row.id, report=report, standing=standing, blockers=blockers,
        blocker_text=[BLOCKER_WORDS[b] for b in blockers], can_sign=not blockers,
        valid_through=_valid_through(record, trial_id, on, window, recorded_approvals(store, trial_id))
        if not blockers else None,
        waivers=rule_set.enrolment.waivers, waiver_policy=rule_set.enrolment.waiver_policy,
        meaning=meaning(trial_id, rule_set.version),
        fingerprint=_fingerprint(report, row.id, standing.in_force.approval_id if standing.in_force else None))


def _challenge_mac(key: bytes, username: str, fingerprint: str, nonce: str, issued: int) -> str:
    message = "\0".join(["signing challenge", username, fingerprint, nonce, str(issued)]).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def issue_challenge(store, username: str, fingerprint: str) -> str:
    """A one-time challenge for this person to sign this checklist: signed with the store's key, so it cannot be
    made elsewhere, and stored with the signature, so it cannot be used twice."""
    nonce, issued = secrets.token_hex(16), int(time.time())
    return f"{nonce}.{issued}.{_challenge_mac(store.key, username, fingerprint, nonce, issued)}"


def _check_challenge(store, username: str, fingerprint: str, challenge: str) -> str:
    """The challenge's nonce when it was issued to this person for this checklist within CHALLENGE_SECONDS."""
    parts = challenge.split(".")
    if len(parts) == 3 and parts[1].isdigit():
        nonce, issued, mac = parts[0], int(parts[1]), parts[2]
        fresh = 0 <= time.time() - issued <= CHALLENGE_SECONDS
        if fresh and hmac.compare_digest(mac, _challenge_mac(store.key, username, fingerprint, nonce, issued)):
            return nonce
    raise InvalidRecord([FieldError(("challenge",), "is not one this page issued to you for this checklist, or it "
                                                    "is older than 30 minutes: open the checklist again")])


def sign(store, screening_number: str, trial_id: str, request: SignRequest, *, username: str, role: str,
         on: date, actor: str | None = None) -> VerificationView:
    """Sign the child's checklist for the trial: the password entered again (checked here against the account),
    the checklist unchanged since it was shown (fingerprint), a challenge issued to this person and never used,
    every criterion confirmed, and the checklist signable. The day's re-screen and the signature are recorded
    together; a standing earlier verification is superseded. actor: as the trail names the signer (default: the
    signed-in user's, "user:<username>": a signature is given at a page, never with a bearer token)."""
    from .audit import Accounts, ChallengeUsed, ChecklistChanged, add_verification, record_of

    if role != SIGNER_ROLE:
        raise NotPermitted("only an investigator signs an eligibility verification")
    signer = Accounts(store).authenticate(username, request.password.get_secret_value())
    if signer is None:
        raise InvalidRecord([FieldError(("password",), "is not your password: the signature needs it entered "
                                                       "again")])
    if signer.role != SIGNER_ROLE:  # the account signing, as stored now: not only the role the caller passed
        raise NotPermitted("only an investigator signs an eligibility verification")
    found = checklist(store, screening_number, trial_id, sees=None, on=on)
    if request.fingerprint != found.fingerprint:
        raise _changed()
    nonce = _check_challenge(store, username, found.fingerprint, request.challenge)
    wanted = [c.id for c in found.report.criteria]
    if sorted(request.reviewed) != sorted(wanted) or len(set(request.reviewed)) != len(wanted):
        raise InvalidRecord([FieldError(("reviewed",), "every criterion must be confirmed one by one, each once")])
    if not found.can_sign:
        raise Conflict("; ".join(found.blocker_text))
    assert found.valid_through is not None and found.standing.in_force is not None  # can_sign: approved, eligible
    # The record the checklist judged (its counted screening then): add_verification checks, under the chain's
    # lock, that it is still the counted one.
    record = record_of(store.screening(found.based_on)).model_copy(update={"screening_number": screening_number})
    approval_id = found.standing.in_force.approval_id
    try:
        stored = add_verification(store, record=record, report=found.report, actor=actor or f"user:{username}",
                                  based_on=found.based_on, fields={
            "screening_number": screening_number, "trial_id": trial_id,
            "rule_set_version": found.report.rule_set_version, "rule_set_digest": found.report.rule_set_digest,
            "approval_id": approval_id, "verified_on": on.isoformat(),
            "valid_through": found.valid_through.isoformat(),
            "registration_window_days": _window(trial_id), "reviewed": json.dumps(wanted),
            "printed_name": request.printed_name, "meaning": found.meaning, "challenge": nonce})
    except ChallengeUsed:
        raise Conflict("this signature was submitted already: open the checklist again to sign anew") from None
    except ChecklistChanged:
        raise _changed() from None
    return view(store, stored.id, sees=None, on=on)


def _changed() -> InvalidRecord:
    return InvalidRecord([FieldError(("fingerprint",), "the checklist changed since it was shown (new data, "
                                                       "another rule set or another day): review it again")])


def _window(trial_id: str) -> int:
    from .screening import rule_set_for

    return rule_set_for(trial_id).enrolment.registration_window_days


def record_deviation(store, screening_number: str, trial_id: str, request: DeviationRequest, *, username: str,
                     role: str, on: date, actor: str | None = None) -> DeviationView:
    """Record that the child, not meeting every criterion on the day's re-screen, is enrolled anyway: against the
    criteria not passing (failing or unsettled), with the investigator's reason."""
    from .audit import Accounts, ChecklistChanged, add_deviation, record_of

    account = Accounts(store).user(username)  # the account as stored now, not only the role the caller passed
    if role != SIGNER_ROLE or account is None or account.role != SIGNER_ROLE:
        raise NotPermitted("only an investigator records a protocol deviation")
    found = checklist(store, screening_number, trial_id, sees=None, on=on)
    if request.fingerprint != found.fingerprint:
        raise _changed()
    failing = [c.id for c in found.report.criteria if c.status is not Status.PASS]
    if not failing:
        raise Conflict("every criterion passes today: verify and sign eligibility instead of a deviation")
    record = record_of(store.screening(found.based_on)).model_copy(update={"screening_number": screening_number})
    try:
        stored = add_deviation(store, record=record, report=found.report, actor=actor or f"user:{username}",
                               based_on=found.based_on, screening_number=screening_number, trial_id=trial_id,
                               criterion_ids=failing, reason=request.reason)
    except ChecklistChanged:
        raise _changed() from None
    return deviation_view(stored)


def deviation_view(row) -> DeviationView:
    return DeviationView(deviation_id=row.id, screening_number=row.screening_number, trial_id=row.trial_id,
                         screening_id=row.screening_id, criterion_ids=json.loads(row.criterion_ids),
                         reason=row.reason, recorded_by=row.actor, recorded_at=row.recorded_at)


def _status(store, row, on: date, found=None) -> VerificationStatus:
    """A stored verification's standing on a day (see model.verification.status_of)."""
    from .audit import verifications

    later = [v for v in verifications(store, row.screening_number, row.trial_id) if v.supersedes_id == row.id]
    if found is None:
        _rows, found, _counted_now = _counted(store, row.screening_number)
    counted = found.counted().get((row.screening_number, row.trial_id))
    return status_of(superseded=bool(later), voided=row.screening_id in found.voids,
                     still_counted=counted is not None and counted.id == row.screening_id,
                     valid_through=date.fromisoformat(row.valid_through), on=on)


def view(store, verification_id: str, *, sees: str | None, on: date) -> VerificationView:
    """A signed verification this person may see (sees: their actor when they see only the children they
    screened), with its standing on the day `on`. NotFound otherwise."""
    from .audit import child_screenings, report_of, verification

    row = verification(store, verification_id) if len(verification_id) == 32 and verification_id.isalnum() else None
    if row is None or (sees is not None and not any(
            _visible(s, sees) for s in child_screenings(store, row.screening_number))):
        raise NotFound(verification_id)
    screening = store.screening(row.screening_id)
    approval = next(a for a in recorded_approvals(store, row.trial_id) if a.approval_id == row.approval_id)
    status = _status(store, row, on)
    return VerificationView(
        verification_id=row.id, screening_number=row.screening_number, trial_id=row.trial_id,
        screening_id=row.screening_id, screening_content_hash=row.screening_content_hash,
        rule_set_version=row.rule_set_version, rule_set_digest=row.rule_set_digest, approval=approval,
        verified_on=date.fromisoformat(row.verified_on), valid_through=date.fromisoformat(row.valid_through),
        registration_window_days=row.registration_window_days, waivers="none", reviewed=json.loads(row.reviewed),
        signature=SignatureView(username=row.actor.removeprefix("user:"), printed_name=row.printed_name,
                                signed_at=row.recorded_at,
                                meaning=row.meaning),
        supersedes=row.supersedes_id, status=status, status_text=STATUS_WORDS[status], report=report_of(screening))


def summaries(store, screening_number: str, on: date) -> dict[str, VerificationSummary]:
    """Per trial, the child's latest verification (not superseded) with its standing on the day `on`."""
    from .audit import verifications

    _rows, found, _counted_now = _counted(store, screening_number)
    rows = verifications(store, screening_number)
    superseded = {r.supersedes_id for r in rows}
    result = {}
    for row in rows:
        if row.id not in superseded:
            status = _status(store, row, on, found)
            result[row.trial_id] = VerificationSummary(
                verification_id=row.id, status=status, status_text=STATUS_WORDS[status],
                verified_on=date.fromisoformat(row.verified_on), valid_through=date.fromisoformat(row.valid_through),
                signed_by=row.printed_name)
    return result


def patient(store, screening_number: str, *, sees: str | None, on: date) -> PatientView:
    """service.patient() with, per trial, the child's verification standing and protocol deviations."""
    from .audit import deviations

    found = service_patient(store, screening_number, sees=sees)
    verified = summaries(store, screening_number, on)
    deviated: dict[str, list[DeviationView]] = {}
    for row in deviations(store, screening_number):
        deviated.setdefault(row.trial_id, []).append(deviation_view(row))
    trials = [course.model_copy(update={"verification": verified.get(course.trial_id),
                                        "deviations": deviated.get(course.trial_id, [])})
              for course in found.trials]
    return found.model_copy(update={"trials": trials})
