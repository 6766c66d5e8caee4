"""The versioned JSON API for EHR integrations: trials, rule sets, field catalogue, screening."""
import json
import logging
import time
from dataclasses import replace
from datetime import date

from flask import Blueprint, Response, current_app, request, url_for

from .. import enrolment, service
from ..engine.compile import compiled, describe
from ..facts.catalogue import catalogue
from ..model.api import (
    Coverage,
    CriterionView,
    FhirImportView,
    FieldView,
    OutcomeRequest,
    OutcomeResponse,
    Standing,
    TrialDetail,
    TrialSummary,
    VoidRequest,
    VoidResponse,
)
from ..model.children import screening_number_problem
from ..model.dates import parse_date, today
from ..model.errors import FieldError, InvalidRecord, ScreenerError
from ..rules import load_rule_sets, load_tables
from ..wording.plausibility import as_of_problem
from .auth import signed_in
from .errors import problem
from .reader_language import reasons_language
from .storage import get_approvals_seen, get_committer, get_store

bp = Blueprint("api", __name__, url_prefix="/api/v1")
log = logging.getLogger("screener.api")
NATIVE, FHIR = "application/json", "application/fhir+json"


def _json(model, status: int = 200) -> Response:
    return Response(model.model_dump_json(), status=status, mimetype="application/json")


def _number(number: str | None) -> str:
    return "null" if number is None else f'"{number}"'  # SCR- and digits: nothing to escape


def _screened(screening_id: str, report_text: str, imported, number: str | None = None,
              standing: Standing | None = None) -> str:
    """ScreenResponse's JSON around a report already serialised (the same text is stored): byte for byte what
    ScreenResponse(...).model_dump_json() writes (tests/test_web_api.py holds them equal)."""
    fhir = "null" if imported is None else imported.model_dump_json()
    approval = "null" if standing is None else standing.model_dump_json()
    return (f'{{"screening_id":"{screening_id}","report":{report_text},"fhir_import":{fhir},'
            f'"screening_number":{_number(number)},"approval":{approval}}}')


def _screened_all(request_id: str, ids: dict[str, str], report_texts: list[str], imported,
                  number: str | None = None, standings: dict[str, Standing] | None = None) -> str:
    """ScreenAllResponse's JSON likewise (ids and trial ids are plain ASCII: hex and registry numbers)."""
    fhir = "null" if imported is None else imported.model_dump_json()
    approvals = ",".join(f'"{trial}":{s.model_dump_json()}' for trial, s in (standings or {}).items())
    return (f'{{"screening_id":"{request_id}","screening_ids":{json.dumps(ids, separators=(",", ":"))},'
            f'"reports":[{",".join(report_texts)}],"fhir_import":{fhir},"screening_number":{_number(number)},'
            f'"approvals":{{{approvals}}}}}')


def _json_list(models) -> Response:
    return Response("[" + ",".join(m.model_dump_json() for m in models) + "]", mimetype="application/json")


def trial_summaries() -> list[TrialSummary]:
    """Every trial with its rule-set version and digest (the API listing and the auditor page)."""
    summaries = []
    for rule_set in load_rule_sets().values():
        c = compiled(rule_set)
        summaries.append(TrialSummary(
            trial_id=rule_set.trial_id, title=rule_set.title, registry_ids=rule_set.registry_ids,
            version=rule_set.version, digest=c.digest, status=rule_set.status, complete=rule_set.coverage.complete,
            criteria=len(rule_set.criteria),
            links={"rule_set": url_for("api.trial", trial_id=rule_set.trial_id),
                   "screen": url_for("api.screen_one", trial_id=rule_set.trial_id)},
        ))
    return summaries


def trial_detail(trial_id: str) -> TrialDetail | None:
    """One rule set with every criterion's words, citation, interpretation and encoded logic; None if unknown."""
    rule_set = load_rule_sets().get(trial_id)
    if rule_set is None:
        return None
    c = compiled(rule_set)
    return TrialDetail(
        trial_id=rule_set.trial_id,
        title=rule_set.title,
        registry_ids=rule_set.registry_ids,
        version=rule_set.version,
        digest=c.digest,
        status=rule_set.status,
        description=rule_set.description.strip(),
        source_record=rule_set.source_record,
        population=rule_set.population.model_dump(),
        lookback=rule_set.lookback.model_dump(),
        enrolment=rule_set.enrolment,
        coverage=Coverage.model_validate(rule_set.coverage.model_dump()),  # the API's own Coverage model
        changelog=[
            {"version": ch.version, "date": ch.date.isoformat(), "changes": ch.changes} for ch in rule_set.changelog
        ],
        criteria=[
            CriterionView(
                id=cc.id,
                kind=cc.criterion.kind,
                title=cc.criterion.title,
                registry_number=cc.criterion.registry_number,
                source_text=cc.criterion.source_text,
                citation=cc.criterion.citation.text(),
                basis=cc.criterion.basis,
                interpretation=(cc.criterion.interpretation or "").strip() or None,
                attestation=cc.criterion.attestation,
                encoded=describe(cc.tree),
            )
            for cc in c.criteria
        ],
    )


def _unknown_trial():
    return problem(404, "Unknown Trial", f"no trial with that id; see {url_for('api.trials')}")


@bp.get("/trials")
def trials():
    return _json_list(trial_summaries())


@bp.get("/trials/<trial_id>")
def trial(trial_id: str):
    detail = trial_detail(trial_id)
    return _unknown_trial() if detail is None else _json(detail)


@bp.get("/trials/<trial_id>/approvals")
def trial_approvals(trial_id: str):
    """The trial's amendment history at the site: each version approved (or withdrawn), from when, the ethics
    reference, who recorded it; and the version in force today."""
    if trial_id not in load_rule_sets():
        return _unknown_trial()
    return _json(service.approvals_of(get_store(), trial_id))


@bp.get("/fields")
def fields():
    return _json_list(
        FieldView(
            name=f.name,
            type=f.type,
            label=f.label,
            description=f.description,
            unit=f.unit,
            accepted_units=list(f.accepted_units),
            categories=list(f.categories),
            loinc=list(f.loinc),
        )
        for f in catalogue().values()
    )


def _as_of() -> date:
    given = request.args.getlist("as_of")
    if len(given) > 1:  # which one would be meant? Not ours to guess.
        raise InvalidRecord([FieldError(("as_of",), "given more than once")])
    if not given:
        return today()
    try:
        as_of = parse_date(given[0])
    except ValueError as exc:
        raise InvalidRecord([FieldError(("as_of",), str(exc))]) from None
    problem = as_of_problem(load_tables().impossible, as_of)  # too far ahead: refused before the body is read
    if problem is not None:
        raise InvalidRecord([problem])
    return as_of


def _read_record(as_of: date):
    """The submitted record, from a native record or a FHIR R4 Bundle, with the FHIR import report."""
    mimetype = request.mimetype
    charset = request.mimetype_params.get("charset", "utf-8").lower()
    if mimetype not in (NATIVE, FHIR) or charset not in ("utf-8", "utf8"):
        return (
            None,
            None,
            problem(
                415, "Unsupported Media Type", f"send {NATIVE} (a patient record) or {FHIR} (a FHIR R4 Bundle), UTF-8"
            ),
        )
    body = request.get_data(cache=False)
    if not body:
        raise InvalidRecord([FieldError(("(body)",), "the body is empty")])
    record, imported = service.read(body, service.Content(mimetype), as_of)
    return record, None if imported is None else FhirImportView.model_validate(imported.as_dict()), None


def _screening(answer, trial: str | None = None, *, read=_read_record, channel=service.Channel.API):
    """Read, screen and record through the service; answer(screened, imported) -> (response body, verdicts).
    read(as_of) -> (record, FHIR import view or None, a refusal response or None): a new body kind is a reader."""
    started = time.perf_counter()
    language = reasons_language()
    try:
        as_of = _as_of()
        record, imported, refusal = read(as_of)
        if refusal is not None:
            return refusal
        record = service.with_screening_number(record, _screening_number_query())
        # Answered only once the batch holding these screenings is committed (audit/_group_commit.py).
        screened = service.screen_and_record(
            record, as_of, channel=channel, actor=signed_in().actor, recorder=get_committer(),
            engine=current_app.config["SCREENER_ENGINE"], trial=trial, texts=True, language=language,
        )
    except ScreenerError as exc:
        refused = service.refusal(exc)
        if refused is None:
            raise
        return _REFUSALS[refused.reason](refused)
    if screened.answered is not None:  # the reader's language answered; the English reports were stored
        screened = replace(screened, texts=[r.model_dump_json() for r in screened.answered])
    body, verdicts = answer(screened, imported)
    # Pseudonymous ids, trial and outcome only: never a value from the record.
    log.info("screening %s %s in %.1f ms", screened.request_id if trial is None else screened.ids[0], verdicts,
             (time.perf_counter() - started) * 1000)
    return Response(body, mimetype="application/json", headers={"Content-Language": language})


def _invalid(refused):
    log.info("screening refused: %d invalid fields", len(refused.errors))
    return problem(422, "Invalid Record", "the record cannot be screened; see errors", refused.errors)


def _not_recorded(refused):
    log.error("screening not recorded: database error %s", refused.kind)
    return problem(
        503,
        "Database Unavailable",
        "the screening could not be recorded, so no result is given; nothing was written; try again later",
    )


_REFUSALS = {
    service.Refusal.INVALID: _invalid,
    service.Refusal.UNKNOWN_TRIAL: lambda _refused: _unknown_trial(),
    service.Refusal.NOT_RECORDED: _not_recorded,
    service.Refusal.NOT_FOUND: lambda _refused: problem(404, "Not Found", "no such screening or child you may see"),
    # The conflict's own words: a second void, a checklist that cannot be signed, a replayed signature.
    service.Refusal.CONFLICT: lambda refused: problem(409, "Conflict", refused.detail or "conflicts with what is "
                                                                                         "stored"),
    service.Refusal.NOT_PERMITTED: lambda refused: problem(403, "Forbidden", refused.detail or "your role may not "
                                                                                               "do this"),
}


def _screening_number_query() -> str | None:
    """?screening_number=: the child's number for a FHIR Bundle (which has no place for it), or a native record."""
    given = request.args.getlist("screening_number")
    if len(given) > 1:
        raise InvalidRecord([FieldError(("screening_number",), "given more than once")])
    return given[0] if given else None


def _sees() -> str | None:
    """Whose screenings this principal sees: None for everyone's (auth.SEES_EVERYTHING), else their own."""
    from .auth import sees_everything

    return None if sees_everything() else signed_in().actor


def _log_action(action):
    """Run a screening-log action; a refusal as its problem response."""
    try:
        return action()
    except ScreenerError as exc:
        refused = service.refusal(exc)
        if refused is None:
            raise
        return _REFUSALS[refused.reason](refused)


def _json_body() -> bytes | Response:
    if request.mimetype != NATIVE:
        return problem(415, "Unsupported Media Type", f"send {NATIVE}, UTF-8")
    return request.get_data(cache=False)


def _child_number(number: str) -> str:
    """The screening number in the path; a malformed one is refused naming it (422), never looked up or echoed."""
    problem_ = screening_number_problem(number)
    if problem_ is not None:
        raise InvalidRecord([FieldError(("screening_number",), problem_)])
    return number


@bp.get("/patients/<screening_number>")
def patient(screening_number: str):
    """A child's screenings over time, the counted one per trial with its eligibility verification and protocol
    deviations, and the outcomes."""
    return _log_action(lambda: _json(enrolment.patient(get_store(), _child_number(screening_number), sees=_sees(),
                                                       on=today())))


@bp.get("/verifications/<verification_id>")
def verification(verification_id: str):
    """A signed eligibility verification (issue 26 point 4) with its standing today; a screener sees those of the
    children they screened. 404 for none (a malformed id is never looked up, never echoed)."""
    def act():
        try:
            return _json(enrolment.view(get_store(), verification_id, sees=_sees(), on=today()))
        except service.NotFound:
            return problem(404, "Not Found", "no such verification you may see")

    return _log_action(act)


@bp.post("/screenings/<screening_id>/void")
def void_screening(screening_id: str):
    body = _json_body()
    if isinstance(body, Response):
        return body

    def act():
        voided = service.void_screening(get_store(), screening_id, service.read_request(VoidRequest, body),
                                        actor=signed_in().actor, sees=_sees())
        log.info("screening %s voided", screening_id)
        return _json(VoidResponse(screening_id=screening_id, void=voided))

    return _log_action(act)


@bp.post("/patients/<screening_number>/outcomes")
def record_outcome(screening_number: str):
    body = _json_body()
    if isinstance(body, Response):
        return body

    def act():
        _child_number(screening_number)
        request_ = service.read_request(OutcomeRequest, body)
        if request_.trial_id not in load_rule_sets():
            raise InvalidRecord([FieldError(("trial_id",), "no trial with that id")])
        outcome = service.record_outcome(get_store(), screening_number, request_, actor=signed_in().actor,
                                         sees=_sees())
        log.info("outcome %s recorded", outcome.outcome_id)
        return _json(OutcomeResponse(screening_number=screening_number, outcome=outcome), 201)

    return _log_action(act)


@bp.post("/trials/<trial_id>/screen")
def screen_one(trial_id: str):
    if trial_id not in load_rule_sets():  # before reading a body that may be megabytes of FHIR
        return _unknown_trial()

    def answer(screened, imported):
        (screening_id,), (text,), (report,) = screened.ids, screened.texts, screened.reports
        (standing,) = service.standings(get_store(), screened.reports, get_approvals_seen())
        return (_screened(screening_id, text, imported, screened.screening_number, standing),
                f"{trial_id}={report.verdict}")

    return _screening(answer, trial_id)


@bp.post("/screen")
def screen_every_trial():
    def answer(screened, imported):
        verdicts = ",".join(f"{r.trial_id}={r.verdict}" for r in screened.reports)
        standings = dict(zip((r.trial_id for r in screened.reports),
                             service.standings(get_store(), screened.reports, get_approvals_seen()), strict=True))
        return (_screened_all(screened.request_id, screened.by_trial(), screened.texts, imported,
                              screened.screening_number, standings), verdicts)

    return _screening(answer)
