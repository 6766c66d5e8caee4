"""The versioned JSON API for EHR integrations: trials, rule sets, field catalogue, screening."""
import json
import logging
import time
from datetime import date

from flask import Blueprint, Response, current_app, request, url_for

from ..audit import StoreError
from ..engine.compile import compiled, describe
from ..facts.catalogue import catalogue
from ..facts.plausibility import as_of_problem
from ..fhir import record_from_bundle
from ..model.api import (
    CriterionView,
    FhirImportView,
    FieldView,
    TrialDetail,
    TrialSummary,
)
from ..model.dates import parse_date, today
from ..model.errors import FieldError
from ..rules import load_rule_sets, load_tables
from ..screening import InvalidRecord, UnknownTrial, parse_record, screen, screen_all
from .auth import current
from .errors import problem
from .storage import get_committer

bp = Blueprint("api", __name__, url_prefix="/api/v1")
log = logging.getLogger("screener.api")
NATIVE, FHIR = "application/json", "application/fhir+json"


def _json(model, status: int = 200) -> Response:
    return Response(model.model_dump_json(), status=status, mimetype="application/json")


def _screened(screening_id: str, report_text: str, imported) -> str:
    """ScreenResponse's JSON around a report already serialised (the same text is stored): byte for byte what
    ScreenResponse(...).model_dump_json() writes (tests/test_web_api.py holds them equal)."""
    fhir = "null" if imported is None else imported.model_dump_json()
    return f'{{"screening_id":"{screening_id}","report":{report_text},"fhir_import":{fhir}}}'


def _screened_all(request_id: str, ids: dict[str, str], report_texts: list[str], imported) -> str:
    """ScreenAllResponse's JSON likewise (ids and trial ids are plain ASCII: hex and registry numbers)."""
    fhir = "null" if imported is None else imported.model_dump_json()
    return (f'{{"screening_id":"{request_id}","screening_ids":{json.dumps(ids, separators=(",", ":"))},'
            f'"reports":[{",".join(report_texts)}],"fhir_import":{fhir}}}')


def _json_list(models) -> Response:
    return Response("[" + ",".join(m.model_dump_json() for m in models) + "]", mimetype="application/json")


def trial_summaries() -> list[TrialSummary]:
    """Every trial with its rule-set version and digest (the API listing and the auditor page)."""
    summaries = []
    for rule_set in load_rule_sets().values():
        c = compiled(rule_set)
        summaries.append(TrialSummary(
            trial_id=rule_set.trial_id, title=rule_set.title, registry_ids=rule_set.registry_ids,
            version=rule_set.version, digest=c.digest, complete=rule_set.coverage.complete,
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
        description=rule_set.description.strip(),
        source_record=rule_set.source_record,
        population=rule_set.population.model_dump(),
        lookback=rule_set.lookback.model_dump(),
        coverage=rule_set.coverage.model_dump(),
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


@bp.get("/fields")
def fields():
    return _json_list(
        FieldView(
            name=f.name,
            type=f.type,
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
    if body.startswith(b"\xef\xbb\xbf"):  # RFC 8259 forbids it; Python's json.loads(bytes) would skip it
        raise InvalidRecord([FieldError(("(body)",), "starts with a byte-order mark: send JSON without one")])
    if mimetype == NATIVE:
        return parse_record(body), None, None
    record, imported = record_from_bundle(body, as_of)
    return record, FhirImportView.model_validate(imported.as_dict()), None


def _screening(run):
    started = time.perf_counter()
    try:
        as_of = _as_of()
        record, imported, refusal = _read_record(as_of)
        if refusal is not None:
            return refusal
        screening_id, body, verdicts = run(record, as_of, imported)
    except InvalidRecord as exc:
        log.info("screening refused: %d invalid fields", len(exc.errors))
        return problem(422, "Invalid Record", "the record cannot be screened; see errors", exc.errors)
    except UnknownTrial:
        return _unknown_trial()
    except StoreError as exc:
        log.error("screening not recorded: database error %s", exc.kind)
        return problem(
            503,
            "Database Unavailable",
            "the screening could not be recorded, so no result is given; nothing was written; try again later",
        )
    # Pseudonymous ids, trial and outcome only: never a value from the record.
    log.info("screening %s %s in %.1f ms", screening_id, verdicts, (time.perf_counter() - started) * 1000)
    return Response(body, mimetype="application/json")


def _record(record, reports, texts):
    # Answered only once the batch holding these screenings is committed (audit/_group_commit.py).
    return get_committer().record(record, reports, actor=current().actor, channel="api", report_texts=texts)


@bp.post("/trials/<trial_id>/screen")
def screen_one(trial_id: str):
    if trial_id not in load_rule_sets():  # before reading a body that may be megabytes of FHIR
        return _unknown_trial()

    def run(record, as_of, imported):
        report = screen(record, trial_id, as_of, current_app.config["SCREENER_ENGINE"])
        text = report.model_dump_json()  # once: stored and answered
        _, (screening_id,) = _record(record, [report], [text])
        return screening_id, _screened(screening_id, text, imported), f"{trial_id}={report.verdict}"

    return _screening(run)


@bp.post("/screen")
def screen_every_trial():
    def run(record, as_of, imported):
        reports = screen_all(record, as_of, current_app.config["SCREENER_ENGINE"])
        texts = [report.model_dump_json() for report in reports]
        request_id, ids = _record(record, reports, texts)
        verdicts = ",".join(f"{r.trial_id}={r.verdict}" for r in reports)
        by_trial = {r.trial_id: i for r, i in zip(reports, ids, strict=True)}
        return request_id, _screened_all(request_id, by_trial, texts, imported), verdicts

    return _screening(run)
