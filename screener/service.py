"""The one screening service every channel calls: read a record by its content type, validate it, screen it,
record it under its channel and sort out what went wrong. The API, the form, the CLI and the batch keep only what
is their own: where the body comes from (a request, form fields, a file, a line of NDJSON), how a result is shown,
and how each Refusal reads to their user (a problem response, the form again, an exit code).

The batch screens outcomes rather than full reports and records nothing one by one (see batch.py); it reads and
validates each record here and screens through outcomes()."""
from dataclasses import dataclass, field
from datetime import date
from enum import Enum, StrEnum
from functools import partial
from typing import TYPE_CHECKING, Protocol

from pydantic import ValidationError

from .config import Engine
from .model.errors import FieldError, InvalidRecord, ScreenerError
from .model.language import DEFAULT_LANGUAGE, Language
from .model.record import PatientRecord
from .model.report import Report
from .rules import load_rule_sets
from .screening import (
    Outcome,
    UnknownTrial,
    parse_data,
    parse_record,
    screen,
    screen_all,
    screen_all_outcomes,
    screen_outcome,
    screen_outcomes,
)

if TYPE_CHECKING:
    from .fhir import FhirImport
    from .model.approvals import ApprovalsResponse, ApprovalView, Standing
    from .model.children import OutcomeView, PatientView, VoidView


class Channel(StrEnum):
    """Where a screening came in: stored with it in the audit trail (the column holds the value)."""

    API = "api"
    FORM = "form"
    CLI = "cli"
    BATCH = "batch"
    CDS_HOOKS = "cds-hooks"  # an EHR's CDS Hooks call (web/cds_hooks.py); the column holds 10 characters


class Content(StrEnum):
    """What a submitted body is, by its media type."""

    NATIVE = "application/json"
    FHIR = "application/fhir+json"


def content_of(data) -> Content:
    """A JSON document already read, told apart by resourceType (a file has no media type): a native record has
    none; a FHIR resource must be a Bundle."""
    resource_type = data.get("resourceType") if isinstance(data, dict) else None
    if resource_type is None:
        return Content.NATIVE
    if resource_type != "Bundle":
        raise InvalidRecord([FieldError(("resourceType",), "a FHIR resource must be a Bundle holding the Patient")])
    return Content.FHIR


def read(
    body: bytes | str | dict, content: Content, as_of: date, *, check_as_of: bool = False
) -> tuple[PatientRecord, "FhirImport | None"]:
    """The record a body holds, validated, with the FHIR import report (None for a native record). check_as_of:
    the checks against the as-of date (born after it) join the field errors now rather than at screening."""
    if content is Content.FHIR:
        from .fhir import record_from_bundle  # here: a native record's channel (the CLI) does not load the reader

        return record_from_bundle(body, as_of)
    if isinstance(body, dict):  # only a FHIR Bundle arrives parsed (the CLI's); a native record is its text
        raise TypeError("a native record is read from its JSON text")
    return parse_record(body, as_of if check_as_of else None), None


def read_data(data: dict, as_of: date | None) -> PatientRecord:
    """A record the channel built itself (the form's fields), validated with the checks across fields."""
    return parse_data(data, as_of)


def reports(
    record: PatientRecord,
    as_of: date,
    engine: str | None,
    *,
    trial: str | None = None,
    trials: list[str] | None = None,
) -> list[Report]:
    """One trial's report, or every chosen trial's (default: all), candidates first."""
    if trial is not None:
        return [screen(record, trial, as_of, engine)]
    return screen_all(record, as_of, engine, trials)


def outcomes(
    record: PatientRecord, as_of: date, engine: str | None, trials: list[str] | None, *, checked: bool = False
) -> list[Outcome]:
    """reports() for population pre-screening: the same judgement, no sentence worded unless a report is read.
    checked: the record was read with check_as_of against this as-of date (read(..., check_as_of=True))."""
    if trials is None:
        return screen_all_outcomes(record, as_of, engine, checked)
    return screen_outcomes(record, trials, as_of, engine, checked)


class Recorder(Protocol):
    """The audit store, or the web app's group commit in front of it."""

    def record(  # -> audit Recorded
        self, record: PatientRecord, reports: list[Report], *, actor: str, channel: str, corrects: str | None = None,
        correction_reason: str | None = None, assign_number: bool = False, report_texts: list[str] | None = None,
    ): ...


@dataclass(frozen=True)
class Screened:
    """A screening recorded: the request's id, each report's screening id, the reports (and their JSON when the
    channel asked for it: serialised once, stored and answered). answered: the same reports worded in the reader's
    language when that is not English (what is stored is always English); None: the stored ones are the answer."""

    request_id: str
    ids: list[str]
    reports: list[Report]
    texts: list[str] | None = None
    screening_number: str | None = None
    answered: list[Report] | None = None

    def by_trial(self) -> dict[str, str]:
        return {r.trial_id: i for r, i in zip(self.reports, self.ids, strict=True)}


def screen_and_record(
    record: PatientRecord,
    as_of: date,
    *,
    channel: Channel,
    actor: str,
    recorder: Recorder,
    engine: str | None = None,
    trial: str | None = None,
    trials: list[str] | None = None,
    texts: bool = False,
    corrects: str | None = None,
    correction_reason: str | None = None,
    language: Language = DEFAULT_LANGUAGE,
) -> Screened:
    """Screen and record; nothing is answered unless it is recorded (a StoreError propagates). A record without a
    screening number gets the next free one. corrects: the id of the screening this one corrects (NotFound when
    there is none), with the reason. language: the reader's language of the answer's sentences (Screened.answered);
    the reports stored are English whatever it is."""
    answered = None
    if language == DEFAULT_LANGUAGE:
        done = reports(record, as_of, engine, trial=trial, trials=trials)
    else:  # one judgement, worded twice: English to store, the reader's language to answer
        judged = outcomes(record, as_of, engine, [trial] if trial is not None else trials)
        if trial is None:
            judged.sort(key=lambda o: o.rank)  # reports()' order: candidates first (candidates.rank)
        done, answered = [o.worded() for o in judged], [o.worded(language) for o in judged]
    serialised = [r.model_dump_json() for r in done] if texts else None
    try:
        stored = recorder.record(record, done, actor=actor, channel=channel.value, report_texts=serialised,
                                 corrects=corrects, correction_reason=correction_reason, assign_number=True)
    except KeyError:
        if corrects is None:
            raise
        raise NotFound(corrects) from None
    return Screened(stored.request_id, stored.ids, done, serialised, stored.screening_number, answered)


@dataclass(frozen=True)
class Worded:
    """A stored screening's report for a reader: in their language when it could be worded so (reworded), else the
    stored English report (reworded False: re-screening the stored record no longer gives the stored result, so the
    rule set or the derivation changed since, and the stored words are the only true ones)."""

    report: Report
    language: Language
    reworded: bool


def worded(row, language: Language) -> Worded:
    """A stored screening (an audit row) in the reader's language: the stored record re-screened on its as-of date
    against its trial with the engine it was screened with, worded in that language, and kept only if it was judged
    under the same rule set (its digest: another version may give the same statuses with other thresholds in its
    words) and its verdict, every criterion's status and eligible_from are the stored report's; else the stored
    report, flagged."""
    from .audit import record_of, report_of
    from .engine.compile import compiled

    stored = report_of(row)
    if language == DEFAULT_LANGUAGE:
        return Worded(stored, DEFAULT_LANGUAGE, True)
    rule_sets = load_rule_sets()
    if row.trial_id not in rule_sets or stored.engine not in set(Engine):  # the trial or evaluator is gone
        return Worded(stored, DEFAULT_LANGUAGE, False)
    if compiled(rule_sets[row.trial_id]).digest != stored.rule_set_digest:  # screened under another version
        return Worded(stored, DEFAULT_LANGUAGE, False)
    try:
        record = record_of(row)
    except ValidationError:  # a record stored under an older schema: only its stored words are true
        return Worded(stored, DEFAULT_LANGUAGE, False)
    # Judged as stored (its record, as-of date, trial and evaluator), as an amendment's impact does.
    report = screen_outcome(record, row.trial_id, date.fromisoformat(row.as_of), stored.engine,
                            checked=True).worded(language)
    if _same_result(stored, report):
        return Worded(report, language, True)
    return Worded(stored, DEFAULT_LANGUAGE, False)


def _same_result(stored: Report, report: Report) -> bool:
    return (
        report.verdict == stored.verdict
        and report.eligible_from == stored.eligible_from
        and [(c.id, c.status) for c in report.criteria] == [(c.id, c.status) for c in stored.criteria]
    )


class Refusal(Enum):
    """Why a screening gives no result: each channel words these its own way (status code, page, exit code)."""

    INVALID = "invalid record"  # the record (or the as-of date) cannot be screened: the fields are named
    UNKNOWN_TRIAL = "unknown trial"
    NOT_FOUND = "not found"  # no such screening or child, or not one this person may see
    CONFLICT = "conflict"  # contradicts what is stored (a second void, a checklist that cannot be signed)
    NOT_PERMITTED = "not permitted"  # the person's role may not do this (only an investigator signs)
    NOT_RECORDED = "not recorded"  # the store failed: no result is given, nothing was written


@dataclass(frozen=True)
class Refused:
    reason: Refusal
    errors: list[FieldError] = field(default_factory=list)
    kind: str | None = None  # a store error's kind (never a value from the record)
    detail: str | None = None  # a conflict's or refusal's own words (never a value from the record)


def refusal(exc: ScreenerError) -> Refused | None:
    """The refusal an error stands for; None for one that is not a refusal of the record (an engine disagreement,
    a bug), which goes on to the channel's own handler. Channels catch ScreenerError and re-raise on None."""
    from .audit import StoreError  # here: the batch's workers read and screen without loading the store

    if isinstance(exc, InvalidRecord):
        return Refused(Refusal.INVALID, list(exc.errors))
    if isinstance(exc, UnknownTrial):
        return Refused(Refusal.UNKNOWN_TRIAL)
    if isinstance(exc, NotFound):
        return Refused(Refusal.NOT_FOUND)
    if isinstance(exc, Conflict):
        return Refused(Refusal.CONFLICT, detail=str(exc))
    if isinstance(exc, NotPermitted):
        return Refused(Refusal.NOT_PERMITTED, detail=str(exc))
    if isinstance(exc, StoreError):
        return Refused(Refusal.NOT_RECORDED, kind=exc.kind)
    return None


# --- the screening log by child: voids, corrections, outcomes (model/children.py holds the shapes) ---


class NotFound(KeyError, ScreenerError):
    """No such screening or child (or not one this person may see)."""


class Conflict(ValueError, ScreenerError):
    """The request contradicts what is stored (a screening voided twice). Its message is said to the user as it is:
    it names the conflict, never a value from the record."""


class NotPermitted(PermissionError, ScreenerError):
    """The person's role may not do this (the channel's own role check should come first): only an investigator
    signs a verification or records a deviation (enrolment.py)."""


def _visible(row, actor: str | None) -> bool:
    return actor is None or row.actor == actor


def screening_for(store, screening_id: str, actor: str | None):
    """A stored screening this person may see (actor None: every one), else NotFound."""
    row = store.screening(screening_id) if len(screening_id) == 32 and screening_id.isalnum() else None
    if row is None or not _visible(row, actor):
        raise NotFound(screening_id)
    return row


def check_correction(store, corrects: str, *, trial: str, screening_number: str | None, sees: str | None):
    """The screening a correction replaces: one this person may see (else NotFound), of the trial screened and the
    same child, still counted. A voided one is not corrected (it is out of the log already: screen the child
    again), nor one corrected already (its correction is what counts: correct that one), nor one of another child
    (the correction would take the screening from that child's log). InvalidRecord naming the field."""
    from .audit import ledger, rescreens_of

    row = screening_for(store, corrects, sees)
    if row.trial_id != trial:
        raise InvalidRecord([FieldError(("corrects",), "is a screening of another trial")])
    if screening_number is not None and row.screening_number not in (None, screening_number):
        raise InvalidRecord([FieldError(("screening_number",), "differs from the corrected screening's: a "
                                                               "correction is of the same child")])
    if copies := rescreens_of(store, row.id):
        # Its record was copied into an enrolment-day re-screen (as of the verification day, so counted above a
        # correction of this earlier one): correcting this one would leave the copy's data standing.
        raise InvalidRecord([FieldError(("corrects",), f"was re-screened for enrolment-day verification "
                                                       f"({copies[-1][:12]}): correct that re-screen instead")])
    found = ledger(store, [row])
    if row.id in found.voids:
        raise InvalidRecord([FieldError(("corrects",), "is voided: a voided screening is not corrected; screen "
                                                       "the child again")])
    if found.superseded(row.id):
        raise InvalidRecord([FieldError(("corrects",), "is corrected already: correct its correction instead")])
    return row


def void_screening(store, screening_id: str, request, *, actor: str, sees: str | None) -> "VoidView":
    """Void a screening the person may see (sees: their actor when they see only their own)."""
    from .audit import AlreadyVoided, void
    from .model.children import VoidView

    screening_for(store, screening_id, sees)
    try:
        row = void(store, screening_id, request.reason, request.note, actor)
    except AlreadyVoided:
        raise Conflict("the screening is voided already") from None
    return VoidView(reason=row.reason, note=row.note, actor=row.actor, recorded_at=row.recorded_at)


def _counted(store, screening_number: str):
    from .audit import child_screenings, ledger

    rows = child_screenings(store, screening_number)
    found = ledger(store, rows)
    return rows, found, found.counted()


def record_outcome(store, screening_number: str, request, *, actor: str, sees: str | None = None) -> "OutcomeView":
    """Record what became of a child for a trial, checked against the child's counted screening for it: a screen
    failure needs an ineligible one (its failing criteria are taken from it); eligible-not-enrolled and enrolled
    need an eligible one (or no known exclusion); consented and withdrawn any that is not ineligible."""
    from .audit import add_outcome, report_of
    from .model.verdict import Status, Verdict

    rows, _, counted = _counted(store, screening_number)
    if not any(_visible(row, sees) for row in rows):  # a screener records outcomes of the children they screened
        raise NotFound(screening_number)
    if not any(_visible(row, sees) and row.trial_id == request.trial_id for row in rows):  # for the trials they did
        raise InvalidRecord([FieldError(("trial_id",), "the child has no screening of yours for this trial")])
    row = counted.get((screening_number, request.trial_id))
    if row is None:
        raise InvalidRecord([FieldError(("trial_id",), "the child has no counted screening for this trial")])
    verdict = Verdict(row.verdict)
    wanted = {"screen_failed": lambda v: v is Verdict.INELIGIBLE, "eligible_not_enrolled": lambda v: v.passing,
              "enrolled": lambda v: v.passing, "consented": lambda v: v is not Verdict.INELIGIBLE,
              "withdrawn": lambda v: v is not Verdict.INELIGIBLE}[request.outcome]
    if not wanted(verdict):
        raise InvalidRecord([FieldError(("outcome",), f"does not fit the child's counted screening for this trial "
                                                      f"({verdict.words}): re-screen or correct it first")])
    failing = [c.id for c in report_of(row).criteria if c.status == Status.FAIL] \
        if request.outcome == "screen_failed" else []
    stored = add_outcome(
        store, screening_number=screening_number, trial_id=request.trial_id, outcome=request.outcome,
        on_date=request.date.isoformat() if request.date else None, reason=request.reason, note=request.note,
        study_number=request.study_number, criterion_ids=failing, screening_id=row.id, actor=actor)
    return outcome_view(stored)


def outcome_view(row) -> "OutcomeView":
    import json

    from .model.children import OutcomeView

    return OutcomeView(
        outcome_id=row.id, trial_id=row.trial_id, outcome=row.outcome,
        date=date.fromisoformat(row.on_date) if row.on_date else None, reason=row.reason, note=row.note,
        study_number=row.study_number, criterion_ids=json.loads(row.criterion_ids), screening_id=row.screening_id,
        actor=row.actor, recorded_at=row.recorded_at)


def patient(store, screening_number: str, *, sees: str | None) -> "PatientView":
    """A child's screenings over time (every trial; those this person may see), the counted one per trial and
    the outcomes. NotFound when none is visible."""
    from .audit import child_outcomes
    from .model.children import PatientView, ScreeningEntry, TrialCourse, VoidView

    rows, found, counted = _counted(store, screening_number)
    visible = [row for row in rows if _visible(row, sees)]
    if not visible:
        raise NotFound(screening_number)
    standing = {row.id for row in found.latest_outcomes().values()}  # the latest resting on a screening that stands
    outcomes = [outcome_view(o).model_copy(update={"counts": o.id in standing})
                for o in child_outcomes(store, screening_number)]
    latest = {o.trial_id: o for o in outcomes if o.counts}
    trials = sorted({row.trial_id for row in visible})
    courses = []
    for trial in trials:
        row = counted.get((screening_number, trial))
        courses.append(TrialCourse(trial_id=trial, verdict=row.verdict if row else None,
                                   screening_id=row.id if row else None, outcome=latest.get(trial)))
    entries = []
    for row in visible:
        v = found.voids.get(row.id)
        entries.append(ScreeningEntry(
            screening_id=row.id, trial_id=row.trial_id, as_of=date.fromisoformat(row.as_of),
            recorded_at=row.recorded_at, actor=row.actor, channel=row.channel, verdict=row.verdict,
            counted=counted.get((screening_number, row.trial_id)) is row, corrects_id=row.corrects_id,
            correction_reason=found.correction_reasons.get(row.id), corrected_by=found.corrected_by.get(row.id, []),
            void=VoidView(reason=v.reason, note=v.note, actor=v.actor, recorded_at=v.recorded_at) if v else None))
    return PatientView(screening_number=screening_number, trials=courses, screenings=entries, outcomes=outcomes)


def read_request(model, body: bytes | str):
    """A request body (JSON) as one of model/children.py's requests; InvalidRecord naming each field, no value."""
    from pydantic import ValidationError

    from .model.errors import field_errors
    from .model.json_text import load_json
    from .model.validate import validate_data

    if not body:
        raise InvalidRecord([FieldError(("(body)",), "the body is empty")])
    try:
        return validate_data(model, load_json(body, "(body)"))
    except ValidationError as exc:
        raise InvalidRecord(field_errors(exc, "(body)")) from None


def with_screening_number(record: PatientRecord, number: str | None, where: str = "screening_number") -> PatientRecord:
    """The record with the screening number given beside it (a query parameter, a CLI option: a FHIR Bundle has no
    place for one). Refused, naming `where`, when it is malformed or the record carries a different one."""
    from .model.children import screening_number_problem

    if number is None:
        return record
    problem = screening_number_problem(number)
    if problem is not None:
        raise InvalidRecord([FieldError((where,), problem)])
    if record.screening_number not in (None, number):
        raise InvalidRecord([FieldError((where,), "differs from the record's own screening_number")])
    return record.model_copy(update={"screening_number": number})


# --- rule-set versions in force at the site (model/approvals.py holds the shapes and the rule) ---


def approval_history(store, trial_id: str) -> "list[ApprovalView]":
    """A trial's approvals and withdrawals in the order the trail recorded them (UnknownTrial for no such trial;
    a draft's history reads too: reading it screens nothing)."""
    from .rules import load_rule_sets

    if trial_id not in load_rule_sets(allow_draft=True):
        raise UnknownTrial(trial_id)
    return recorded_approvals(store, trial_id)


def recorded_approvals(store, trial_id: str, read=None) -> "list[ApprovalView]":
    """approval_history(), also of a trial no longer loaded: its stored screenings' approvals still count (so the
    rule sets are not loaded to ask). read(trial_id): the rows as the caller keeps them (audit.ApprovalsSeen);
    default a read of the trail."""
    if read is None:
        from .audit import approvals

        read = partial(approvals, store)
    return [_view(row) for row in read(trial_id)]


def _view(row) -> "ApprovalView":
    from .model.approvals import ApprovalView

    return ApprovalView(approval_id=row.id, trial_id=row.trial_id, kind=row.kind, rule_set_version=row.rule_set_version,
                        rule_set_digest=row.rule_set_digest, approved_from=date.fromisoformat(row.approved_from),
                        reference=row.reference, recorded_by=row.actor, recorded_at=row.recorded_at)


def approvals_of(store, trial_id: str) -> "ApprovalsResponse":
    """The amendment history with the rule set loaded now and the version in force today."""
    from .model.approvals import ApprovalsResponse, in_force
    from .model.dates import today
    from .screening import rule_set_for

    rule_set = rule_set_for(trial_id)
    history = approval_history(store, trial_id)
    return ApprovalsResponse(trial_id=trial_id, current_version=rule_set.version, current_digest=rule_set.digest(),
                             in_force_today=in_force(history, today()), history=history)


def record_approval(store, trial_id: str, request, *, actor: str) -> "ApprovalView":
    """Record the ethics approval (or withdrawal) of the trial's rule set as loaded now. The version named must be
    the loaded one's, so the digest stored is of the content the committee saw (InvalidRecord naming the field)."""
    from .audit import add_approval
    from .screening import rule_set_for

    rule_set = rule_set_for(trial_id)
    if request.version != rule_set.version:
        raise InvalidRecord([FieldError(("version",), "is not the version of the rule set loaded at this site")])
    if rule_set.status == "draft" and request.kind == "approved":
        raise InvalidRecord([FieldError(("version",), "is a draft (status: draft): a draft rule set is reviewed "
                                                      "and marked reviewed before it can be approved")])
    return _view(add_approval(store, trial_id=trial_id, kind=request.kind, version=rule_set.version,
                              digest=rule_set.digest(), approved_from=request.approved_from.isoformat(),
                              reference=request.reference, actor=actor))


def standings(store, reports: list, approvals=None) -> "list[Standing]":
    """For each report (or stored screening row: the same four fields): whether its rule set is the approved version
    in force at the site on its as-of date. Read now from the trail (not stored in the report, whose content is
    pinned): an approval recorded later with an earlier approved-from date changes the answer for screenings as of
    the days it covers. approvals(trial_id): the trail's approval rows as the caller keeps them (the web app's
    audit.ApprovalsSeen, current as of the screening's commit); default read here."""
    from .model.approvals import standing

    histories: dict[str, list] = {}
    found = []
    for report in reports:
        if report.trial_id not in histories:
            histories[report.trial_id] = recorded_approvals(store, report.trial_id, approvals)
        as_of = report.as_of if isinstance(report.as_of, date) else date.fromisoformat(report.as_of)
        found.append(standing(histories[report.trial_id], report.rule_set_version, report.rule_set_digest, as_of))
    return found
