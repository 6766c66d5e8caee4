"""Auditor views: rule sets beside their sources, screening history, one screening, exports, the screening log."""
import json
from datetime import date

from flask import Blueprint, Response, abort, render_template, request

from .. import config, service
from ..audit import export as export_rows
from ..audit import ledger, log_chart, monthly_csv, report_of, screening_log, sponsor_csv, verification_standings
from ..audit import log_csv as log_to_csv
from ..model.dates import parse_date, today
from ..rules import load_rule_sets
from .api import trial_detail, trial_summaries
from .auth import sees_everything, signed_in
from .calendar_input import calendar_problem, date_inputs
from .consort import WIDTH as FLOW_WIDTH
from .consort import flow
from .storage import get_store
from .verdicts import verdicts

bp = Blueprint("audit", __name__, url_prefix="/audit")


def _filters() -> tuple[dict, str | None]:
    """Trial, verdict and date range from the query string; a malformed date is reported, not guessed."""
    values = {"trial": request.args.get("trial") or None, "verdict": request.args.get("verdict") or None,
              "from": request.args.get("from") or None, "to": request.args.get("to") or None}
    error = None
    for key in ("from", "to"):  # typed in the calendar the filter names (a Persian page's): ISO first
        problem = calendar_problem(request.args, values, key)
        if problem is not None:
            error, values[key] = f"'{key}': {problem[key]}", None
        elif raw := values[key]:
            try:
                values[key] = parse_date(raw).isoformat()
            except ValueError:
                error, values[key] = f"'{key}' must be a date (YYYY-MM-DD)", None
    if values["verdict"] not in (None, *verdicts()):
        error, values["verdict"] = "verdict must be one of " + ", ".join(verdicts()), None
    if values["trial"] and values["trial"] not in load_rule_sets():
        error, values["trial"] = "unknown trial", None
    return values, error


def _query_rows(values: dict, limit: int | None):
    as_date = lambda v: date.fromisoformat(v) if v else None  # noqa: E731
    # A screener sees their own screenings only: filtered by the query, before its row limit.
    return get_store().screenings(
        values["trial"], values["verdict"], as_date(values["from"]), as_date(values["to"]), limit=limit,
        actor=None if sees_everything() else signed_in().actor,
    )


@bp.get("/")
def index():
    return rule_sets()


@bp.get("/rule-sets")
def rule_sets():
    return render_template("audit/rule_sets.html", rule_sets=trial_summaries())


@bp.get("/rule-sets/<trial_id>")
def rule_set(trial_id: str):
    detail = trial_detail(trial_id)
    if detail is None:
        abort(404)
    return render_template("audit/rule_set.html", d=detail)


@bp.get("/screenings")
def screenings():
    values, error = _filters()
    rows = _query_rows(values, config.AUDIT_HISTORY_ROWS)
    found = ledger(get_store(), rows)  # which of them are voided or corrected
    return render_template(
        "audit/screenings.html",
        rows=rows,
        standings=dict(zip((row.id for row in rows), service.standings(get_store(), rows), strict=True)),
        voids=found.voids,
        corrected=found.corrected_by,
        f=values,
        error=error,
        trials=list(load_rule_sets()),
        verdicts=verdicts(),
        dates=date_inputs(request.args),
    )


@bp.get("/screenings/<screening_id>")
def screening(screening_id: str):
    row = get_store().screening(screening_id)
    if row is None or (not sees_everything() and row.actor != signed_in().actor):
        abort(404)
    record_json = json.dumps(json.loads(row.record_json), indent=2)
    found = ledger(get_store(), [row])
    report = report_of(row)
    (standing,) = service.standings(get_store(), [report])
    return render_template("audit/screening.html", row=row, report=report, record_json=record_json,
                           void=found.voids.get(row.id), corrected_by=found.corrected_by.get(row.id, []),
                           standing=standing)


@bp.get("/export/<what>.<fmt>")
def export(what: str, fmt: str):
    if what not in ("screenings", "events") or fmt not in ("csv", "json"):
        abort(404)
    _, chunks = export_rows(get_store(), what, fmt, signed_in().actor)
    mimetype = "text/csv" if fmt == "csv" else "application/json"
    return Response(chunks, mimetype=mimetype, headers={"Content-Disposition": f"attachment; filename={what}.{fmt}"})


@bp.get("/verify")
def verify():
    result = get_store().verify()
    return Response(render_template("audit/verify.html", result=result), status=200 if result.ok else 409)


def _log():
    values, error = _filters()
    trials = list(load_rule_sets())
    if not values["trial"]:
        values["trial"] = config.AUDIT_LOG_DEFAULT_TRIAL if config.AUDIT_LOG_DEFAULT_TRIAL in trials else trials[0]
    rows, found, standings = _log_rows(values)
    query = {k: v for k, v in {"trial": values["trial"], "from": values["from"], "to": values["to"]}.items() if v}
    return screening_log(rows, values["trial"], found, standings), values, error, trials, query


def _log_rows(values: dict):
    """Every screening of the period (the log counts each child's counted one), what bears on them (voids,
    corrections, outcomes) and each child's eligibility verification standing today."""
    rows = _query_rows(values, None)
    found = ledger(get_store(), rows)
    return rows, found, verification_standings(get_store(), found, today())


@bp.get("/log")
def log_page():
    log, values, error, trials, query = _log()
    return render_template(
        "audit/log.html",
        log=log,
        f=values,
        error=error,
        trials=trials,
        query=query,
        flow=flow(log),
        flow_width=FLOW_WIDTH,
        dates=date_inputs(request.args),
    )


@bp.get("/log.csv")
def log_csv():
    return Response(
        log_to_csv(_log()[0]),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=screening-log.csv"},
    )


@bp.get("/log-monthly.csv")
def log_monthly_csv():
    return Response(monthly_csv(_log()[0]), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=screening-log-monthly.csv"})


@bp.get("/sponsor.csv")
def sponsor_export():
    """One row per child per trial: the sponsor's screening log (the log page's trial and period)."""
    values, _ = _filters()
    if not values["trial"]:
        abort(400)
    rows, found, standings = _log_rows(values)
    get_store().note(signed_in().actor, "export", "sponsor-log", {"trial_id": values["trial"], "format": "csv"})
    return Response(sponsor_csv(rows, found, standings), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename=sponsor-log-{values['trial']}.csv"})


@bp.get("/log.png")
def log_png():
    return Response(log_chart(_log()[0]), mimetype="image/png")
