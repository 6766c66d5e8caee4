"""The screening log by child: children searchable by screening number, one child's screenings over time per
trial with their outcomes, voiding a screening and recording an outcome (issue 25 points 1-4).

Every action goes through the service (service.void_screening, service.record_outcome), as the API's do."""
import re

from flask import Blueprint, abort, redirect, render_template, request, url_for
from pydantic import ValidationError

from .. import enrolment, service
from ..audit import children_summary
from ..model.children import NOT_ENROLLED_REASONS, OUTCOMES, VOID_REASONS, OutcomeRequest, VoidRequest
from ..model.dates import today
from ..model.errors import ScreenerError, field_errors
from ..rules import load_rule_sets
from .auth import sees_everything, signed_in
from .calendar_input import calendar_problem, date_inputs
from .i18n import N_
from .storage import get_store

bp = Blueprint("children", __name__)
_SEARCH = re.compile(r"[A-Za-z0-9-]{0,9}")


def _sees() -> str | None:
    return None if sees_everything() else signed_in().actor


@bp.get("/children")
def index():
    """Children by screening number (newest first), each with the counted verdict and outcome per trial."""
    search = (request.args.get("number") or "").strip().upper()
    error = None
    if not _SEARCH.fullmatch(search):
        error, search = "Search by screening number: SCR- and digits, or part of it.", ""
    children = children_summary(get_store(), actor=_sees(), search=search or None)
    return render_template("children/index.html", children=children, search=search, error=error,
                           outcomes=OUTCOMES)


def _child_page(number: str, errors: dict | None = None, values=None, status: int = 200):
    try:
        # With each trial's verification standing today and the protocol deviations recorded (issue 26).
        child = enrolment.patient(get_store(), number, sees=_sees(), on=today())
    except service.NotFound:
        abort(404)
    by_trial: dict[str, list] = {}
    for entry in child.screenings:
        by_trial.setdefault(entry.trial_id, []).append(entry)
    return render_template(
        "children/child.html", child=child, by_trial=by_trial, outcomes=OUTCOMES,
        not_enrolled=NOT_ENROLLED_REASONS, errors=errors or {},
        values=values or {}, trials=load_rule_sets(), dates=date_inputs(values or {}),
    ), status


@bp.get("/children/<number>")
def child(number: str):
    return _child_page(number)


def _form_errors(exc: ValidationError) -> dict[str, str]:
    errors: dict[str, str] = {}
    for error in field_errors(exc, "(form)"):
        errors.setdefault(error.field, error.message)
    return errors


@bp.post("/children/<number>/outcomes")
def outcome_submit(number: str):
    form = request.form
    data = {key: value.strip() for key in ("trial_id", "outcome", "date", "reason", "note", "study_number")
            if (value := form.get(key, "")).strip()}
    problem = calendar_problem(form, data, "date")  # a Persian page's date, typed in its calendar, now ISO
    if problem is not None:
        return _child_page(number, problem, form, 422)
    try:
        outcome = OutcomeRequest.model_validate(data)
    except ValidationError as exc:
        return _child_page(number, _form_errors(exc), form, 422)
    if outcome.trial_id not in load_rule_sets():
        return _child_page(number, {"trial_id": N_("Choose a trial.")}, form, 422)
    try:
        service.record_outcome(get_store(), number, outcome, actor=signed_in().actor, sees=_sees())
    except ScreenerError as exc:
        refused = service.refusal(exc)
        if refused is None:
            raise
        if refused.reason is service.Refusal.NOT_FOUND:
            abort(404)
        if refused.reason is service.Refusal.INVALID:
            return _child_page(number, {e.field: e.message for e in refused.errors}, form, 422)
        return _child_page(number, {"(form)": N_("The outcome could not be recorded. Nothing was saved; try again.")},
                           form, 503)
    return redirect(url_for("children.child", number=number), code=303)


@bp.get("/screenings/<screening_id>/void")
def void_form(screening_id: str):
    try:
        row = service.screening_for(get_store(), screening_id, _sees())
    except service.NotFound:
        abort(404)
    return render_template("children/void.html", row=row, reasons=VOID_REASONS, errors={}, values={})


@bp.post("/screenings/<screening_id>/void")
def void_submit(screening_id: str):
    try:
        row = service.screening_for(get_store(), screening_id, _sees())
    except service.NotFound:
        abort(404)
    data = {key: value.strip() for key in ("reason", "note") if (value := request.form.get(key, "")).strip()}
    try:
        wanted = VoidRequest.model_validate(data)
    except ValidationError as exc:
        return render_template("children/void.html", row=row, reasons=VOID_REASONS, errors=_form_errors(exc),
                               values=request.form), 422
    try:
        service.void_screening(get_store(), screening_id, wanted, actor=signed_in().actor, sees=_sees())
    except service.Conflict:
        return render_template("children/void.html", row=row, reasons=VOID_REASONS, values=request.form,
                               errors={"(form)": "This screening is voided already."}), 409
    if row.screening_number:
        return redirect(url_for("children.child", number=row.screening_number), code=303)
    return redirect(url_for("audit.screening", screening_id=screening_id), code=303)
