"""Enrolment-day eligibility verification in the browser (issue 26 points 2-4): the checklist an investigator reviews
criterion by criterion and signs with the password entered again, the protocol deviation when a child who does not
meet every criterion is enrolled anyway, and the signed checklist as a printable page.

Every action goes through screener.enrolment, as the API's and the CLI's do; this module adds the pages, CSRF, the
words and the sign-in lockout: the password typed into the signature form is a password guess like any other, so a
wrong one counts toward the same lockout as a failed sign-in, and a locked-out user cannot sign.
"""
import json
from datetime import timedelta

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as WerkzeugResponse

from .. import enrolment, service
from ..audit import Limits
from ..model.dates import today
from ..model.errors import InvalidRecord, ScreenerError
from ..model.verification import DeviationRequest, SignRequest
from ..screening import rule_set_for
from .auth import _hashing_slot, sees_everything, signed_in
from .errors import problem
from .storage import get_store

bp = Blueprint("verification", __name__)
# What the sign form sends besides the reviewed boxes; the password never comes back to the page.
_SIGN_FIELDS = ("printed_name", "fingerprint", "challenge")
# A signer may mistype a few times in a minute; beyond that the form is refused before any password is hashed (the
# lockout after repeated wrong passwords is the sign-in's own, Limits.failed).
SIGN_ATTEMPTS_PER_MINUTE = 5


def _sees() -> str | None:
    return None if sees_everything() else signed_in().actor


def _refused(exc: ScreenerError) -> Response:
    """A refusal that is not the form's to show: NotFound, unknown trial, a child with no screening for the trial."""
    refused = service.refusal(exc)
    if refused is None:
        raise exc
    if refused.reason in (service.Refusal.NOT_FOUND, service.Refusal.UNKNOWN_TRIAL):
        abort(404)
    if refused.reason is service.Refusal.INVALID:
        return problem(404, "Not Found", "; ".join(e.message for e in refused.errors), refused.errors)
    raise exc


def _valid_through_why(checklist) -> str | None:
    """Why a signature given today lasts until valid_through: the registration window, or the first day the same
    record would stop screening eligible (data ageing out of a lookback, a birthday, a washout)."""
    if checklist.valid_through is None:
        return None
    window = rule_set_for(checklist.trial_id).enrolment.registration_window_days
    if checklist.valid_through >= checklist.verification_date + timedelta(days=window):
        return f"the rule set's registration window: {window} days from the verification day"
    stops = checklist.valid_through + timedelta(days=1)
    return (f"earlier than the {window}-day registration window: from {stops.isoformat()} the same record would no "
            "longer screen eligible (a value older than its lookback, an age limit or a waiting period), or the "
            "rule-set version signed would no longer be the one approved and in force at the site")


def _at_a_page(principal) -> bool:
    """A signature or a deviation is given by a person signed in at a page, never with an integration's bearer
    token (which the web pages otherwise honour, and which could carry the page's CSRF token and fields)."""
    return principal.via == "session"


def _page(number: str, trial_id: str, errors: dict | None = None, values=None, status: int = 200) -> Response:
    principal = signed_in()
    store = get_store()
    try:
        checklist = enrolment.checklist(store, number, trial_id, sees=_sees(), on=today())
    except ScreenerError as exc:
        return _refused(exc)
    signer = _at_a_page(principal) and principal.role == enrolment.SIGNER_ROLE
    values = dict(values or {})
    if errors and "printed_name" in errors:
        values.pop("printed_name", None)  # a refused value is named, never shown back
    challenge = enrolment.issue_challenge(store, principal.username, checklist.fingerprint) if (
        signer and checklist.can_sign) else None
    page = render_template(
        "verification/checklist.html", checklist=checklist,
        why=_valid_through_why(checklist), signer=signer, challenge=challenge, errors=errors or {},
        values=values, not_passing=[c for c in checklist.report.criteria if c.status.value != "pass"])
    return Response(page, status=status)


@bp.get("/children/<number>/verify/<trial_id>")
def checklist(number: str, trial_id: str) -> Response:
    return _page(number, trial_id)


def _field_errors(exc: InvalidRecord) -> dict[str, str]:
    errors: dict[str, str] = {}
    for error in exc.errors:
        errors.setdefault(str(error.path[0]) if error.path else error.field, error.message)
    return errors


# Refusals that mean the checklist shown now is not the one reviewed (changed data, another day, a page too old).
_REVIEW_AGAIN = frozenset({"fingerprint", "challenge"})


def _kept(form, errors=()) -> dict:
    """What the page shows again after a refusal: the printed name and the boxes ticked, never the password. When
    the checklist must be reviewed again, no box is ticked: the ticks were given to the checklist shown before."""
    kept = {"printed_name": form.get("printed_name", "")[:100]}
    if not _REVIEW_AGAIN & set(errors):
        kept |= {"reviewed": set(form.getlist("reviewed")[:200]),
                 "meaning_confirmed": bool(form.get("meaning_confirmed"))}
    return kept


@bp.post("/children/<number>/verify/<trial_id>/sign")
def sign(number: str, trial_id: str) -> Response | WerkzeugResponse:
    principal = signed_in()
    if not _at_a_page(principal):
        abort(403)
    form, config, client = request.form, current_app.config, request.remote_addr or "unknown"
    limits = Limits(get_store())
    locked = limits.locked_for(principal.username, client)
    if locked:
        return _locked(number, trial_id, f"Too many wrong passwords: wait {int(locked // 60) + 1} minutes.", locked)
    wait = limits.take(f"sign:{principal.username}", SIGN_ATTEMPTS_PER_MINUTE, 60)
    if wait:
        return _locked(number, trial_id, "Too many signing attempts: wait a minute and try again.", wait)
    data: dict = {name: value.strip() for name in _SIGN_FIELDS if (value := form.get(name, "")).strip()}
    data["reviewed"] = form.getlist("reviewed")
    if form.get("password"):
        data["password"] = form["password"]
    if form.get("meaning_confirmed"):
        data["meaning_confirmed"] = True
    try:
        wanted = service.read_request(SignRequest, json.dumps(data))
    except InvalidRecord as exc:
        errors = _field_errors(exc)
        return _page(number, trial_id, errors, _kept(form, errors), 422)
    with _hashing_slot() as slot:
        if not slot:
            return _locked(number, trial_id, "Too many passwords being checked at this moment: try again in a "
                                             "second.", 1)
        try:
            signed = enrolment.sign(get_store(), number, trial_id, wanted, username=principal.username,
                                    role=principal.role, on=today(), actor=principal.actor)
        except enrolment.NotPermitted:
            abort(403)
        except service.Conflict as exc:
            return _page(number, trial_id, {"(form)": f"Not signed: {exc}"}, _kept(form), 409)
        except InvalidRecord as exc:
            errors = _field_errors(exc)
            if "password" in errors:
                limits.failed(principal.username, client, config["LOGIN_FAILURES_ALLOWED"],
                              config["LOGIN_LOCKOUT_SECONDS"], config["LOGIN_LOCKOUT_MAX_SECONDS"])
                get_store().note(principal.actor, "signature.password_failed", principal.username, {})
            return _page(number, trial_id, errors, _kept(form, errors), 422)
        except ScreenerError as exc:
            return _refused(exc)
    limits.succeeded(principal.username, client)
    return redirect(url_for("verification.signed", verification_id=signed.verification_id), code=303)


def _locked(number: str, trial_id: str, message: str, retry_after: float) -> Response:
    response = _page(number, trial_id, {"password": message}, status=429)
    response.headers["Retry-After"] = str(max(1, int(retry_after + 0.999)))
    return response


@bp.post("/children/<number>/verify/<trial_id>/deviation")
def deviation(number: str, trial_id: str) -> Response | WerkzeugResponse:
    principal = signed_in()
    if not _at_a_page(principal):
        abort(403)
    data = {name: value.strip() for name in ("reason", "fingerprint") if (value := request.form.get(name, "")).strip()}
    try:
        wanted = service.read_request(DeviationRequest, json.dumps(data))
        enrolment.record_deviation(get_store(), number, trial_id, wanted, username=principal.username,
                                   role=principal.role, on=today(), actor=principal.actor)
    except enrolment.NotPermitted:
        abort(403)
    except service.Conflict as exc:
        return _page(number, trial_id, {"(deviation)": str(exc)}, status=409)
    except InvalidRecord as exc:
        found = _field_errors(exc)
        # A refused reason is named, never shown back.
        kept = {} if "reason" in found else {"reason": request.form.get("reason", "")[:1000]}
        return _page(number, trial_id, {f"deviation {name}": message for name, message in found.items()}, kept, 422)
    except ScreenerError as exc:
        return _refused(exc)
    return redirect(url_for("children.child", number=number, _anchor=f"deviations-{trial_id}"), code=303)


@bp.get("/verifications/<verification_id>")
def signed(verification_id: str) -> str:
    try:
        found = enrolment.view(get_store(), verification_id, sees=_sees(), on=today())
    except service.NotFound:
        abort(404)
    return render_template("verification/signed.html", v=found)
