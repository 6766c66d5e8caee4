"""The CDS Hooks endpoints (docs/cds-hooks.md): discovery, the hook calls and feedback. No session or API token of
this app: each call carries the EHR's signed JWT (cds_hooks/trust.py), refused with a bare 401. The access token an
EHR lends for its FHIR server is used for this request only and never logged or stored; logs carry the service,
the request id and counts, never a value from the record."""
import json
import logging
import time
from pathlib import Path

from flask import Blueprint, Response, current_app, g, request, url_for

from .. import cds_hooks, config, service
from ..model.cds_hooks import CdsResponse, EhrRegistry, Feedback, HookRequest
from ..model.dates import today
from ..model.errors import ScreenerError
from ..model.validate import validate_data
from .errors import problem
from .storage import get_committer, get_store

bp = Blueprint("cds_hooks", __name__, url_prefix="/cds-services")
log = logging.getLogger(__name__)
JSON = "application/json"


def load_ehrs(app) -> None:
    """The trusted EHRs, read once at start: CDS_EHRS, the registry itself (tests, instance config) or the path of
    its JSON file (SCREENER_CDS_EHRS arrives here as that). A file that does not validate stops the start rather
    than trusting less or more than written."""
    data = app.config.get("CDS_EHRS", config.SCREENER_CDS_EHRS or None)
    if isinstance(data, str):
        data = json.loads(Path(data).read_text())
    registry = validate_data(EhrRegistry, data or {"ehrs": []})
    app.extensions["cds_ehrs"] = {e.iss: cds_hooks.Ehr(e) for e in registry.ehrs}


def init_app(app) -> None:
    load_ehrs(app)
    origins = app.config.get("CDS_CORS_ORIGINS", config.SCREENER_CDS_CORS_ORIGINS)
    if isinstance(origins, str):  # SCREENER_CDS_CORS_ORIGINS as Flask's prefixed environment read it
        origins = [o.strip() for o in origins.split(",") if o.strip()]
    if origins:
        from flask_cors import CORS

        # Browser-based clients (the public sandbox) only; the EHR's server-side calls need none.
        CORS(app, resources={r"/cds-services*": {"origins": list(origins)}}, allow_headers=["Authorization",
             "Content-Type"], methods=["GET", "POST", "OPTIONS"], supports_credentials=False, max_age=600)


def _audience() -> str:
    """The exact URL called, as the EHR called it: the configured external base, else the request's (behind
    ProxyFix, the scheme the proxy was called on)."""
    base = current_app.config.get("CDS_BASE_URL") or config.SCREENER_CDS_BASE_URL
    if base:
        return base.rstrip("/") + request.path
    return request.base_url


@bp.before_request
def _trust():
    if request.method == "OPTIONS":
        return None  # a CORS preflight carries no credentials (answered by flask-cors)
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return Response(status=401)
    try:
        g.cds_iss, _ = cds_hooks.verify(header[7:].strip(), _audience(), current_app.extensions["cds_ehrs"],
                                        _seen_tokens().first_use)
    except cds_hooks.Untrusted as exc:
        log.info("cds: token refused (%s)", exc)  # the check that failed, never the token
        return Response(status=401)
    except ScreenerError:  # the jti store is unreachable: a replay cannot be ruled out
        log.error("cds: token id store unavailable")
        return Response(status=401)
    return None


def _seen_tokens():
    from ..audit import SeenTokens

    seen = current_app.extensions.get("cds_seen_tokens")
    if seen is None:
        seen = current_app.extensions.setdefault("cds_seen_tokens", SeenTokens(get_store()))
    return seen


class _PatientNumbers:
    """The EHR's patients linked to their screening numbers (audit.EhrPatients), and the trials each child is
    enrolled in by the screening log's latest outcome (an order-sign card for those is critical)."""

    def __init__(self, store, issuer: str):
        from ..audit import EhrPatients

        self._store, self._links = store, EhrPatients(store, issuer)

    def number(self, patient_id: str) -> str | None:
        return self._links.number(patient_id)

    def remember(self, patient_id: str, screening_number: str) -> None:
        self._links.remember(patient_id, screening_number)

    def enrolled(self, screening_number: str) -> frozenset[str]:
        try:
            child = service.patient(self._store, screening_number, sees=None)
        except service.NotFound:
            return frozenset()
        return frozenset(c.trial_id for c in child.trials if c.outcome is not None and c.outcome.outcome == "enrolled")


def _patient_numbers():
    return _PatientNumbers(get_store(), g.cds_iss)


def _actor() -> str:
    return f"cds-hooks {g.cds_iss}"[:100]


def _json(model, status: int = 200) -> Response:
    return Response(model.model_dump_json(exclude_none=True), status=status, mimetype=JSON)


@bp.get("")
def discovery():
    return _json(cds_hooks.discovery())


def _fetch(hook: HookRequest):
    """A fetcher for the keys not sent: only with a token, and only from a FHIR server registered for this EHR (a
    URL in the request is not trusted to take the token, or this server's requests, anywhere else)."""
    if hook.fhirServer is None or hook.fhirAuthorization is None:
        return None
    registered = current_app.extensions["cds_ehrs"][g.cds_iss].registration.fhir_servers
    if hook.fhirServer.rstrip("/") not in {s.rstrip("/") for s in registered}:
        return None
    return cds_hooks.FhirFetch(hook.fhirServer, hook.fhirAuthorization.access_token.get_secret_value())


@bp.post("/<service_id>")
def call(service_id: str):
    started = time.perf_counter()
    hook_name = cds_hooks.service_hook(service_id)
    if hook_name is None:
        return problem(404, "Not Found", "no such CDS service; see GET /cds-services")
    if request.mimetype != JSON:
        return problem(415, "Unsupported Media Type", f"send {JSON}, UTF-8")
    fetch = None
    try:
        hook = service.read_request(HookRequest, request.get_data(cache=False))
        if hook.hook != hook_name:
            return problem(422, "Invalid Request", f"this service answers the {hook_name} hook", [])
        fetch = _fetch(hook)
        answered = cds_hooks.answer(
            hook, fetch, as_of=today(), actor=_actor(), recorder=get_committer(),
            engine=current_app.config["SCREENER_ENGINE"],
            form_url=lambda request_id: url_for("form.rescreen", request_id=request_id, _external=True),
            numbers=_patient_numbers(),
        )
    except cds_hooks.NeedsData as exc:
        log.info("cds %s: 412, prefetch %s neither sent nor fetchable", service_id, exc)
        return problem(412, "Precondition Failed", f"prefetch {exc} was not sent and cannot be fetched: send it, or "
                       "fhirServer (registered for this EHR) with fhirAuthorization")
    except ScreenerError as exc:
        refused = service.refusal(exc)
        if refused is None:
            raise
        if refused.reason is service.Refusal.INVALID:
            log.info("cds %s: refused, %d invalid fields", service_id, len(refused.errors))
            return problem(422, "Invalid Request", "the request or the patient's data cannot be screened; see errors",
                           refused.errors)
        log.error("cds %s: not recorded: database error %s", service_id, refused.kind)
        return problem(503, "Database Unavailable", "the screening could not be recorded, so no cards are given")
    finally:
        if fetch is not None:
            fetch.close()
    if answered.screened is not None:
        # The hook instance beside the screening it made (the record holds the patient's data, this the call's).
        try:
            get_store().note(_actor(), "cds.call", answered.screened.request_id, {
                "service": service_id, "hook": hook.hook, "hookInstance": hook.hookInstance,
                "left_unknown": answered.incomplete, "cards": len(answered.cards)})
        except ScreenerError:  # the screening itself is recorded: its cards stand
            log.error("cds %s %s: the call's event was not recorded", service_id, answered.screened.request_id)
    log.info("cds %s %s: %d cards, %d categories left unknown, %.1f ms", service_id,
             answered.screened.request_id if answered.screened else "-", len(answered.cards),
             len(answered.incomplete), (time.perf_counter() - started) * 1000)
    return _json(CdsResponse(cards=answered.cards))


@bp.post("/<service_id>/feedback")
def feedback(service_id: str):
    if cds_hooks.service_hook(service_id) is None:
        return problem(404, "Not Found", "no such CDS service; see GET /cds-services")
    if request.mimetype != JSON:
        return problem(415, "Unsupported Media Type", f"send {JSON}, UTF-8")
    try:
        sent = service.read_request(Feedback, request.get_data(cache=False))
    except ScreenerError as exc:
        refused = service.refusal(exc)
        if refused is None:
            raise
        return problem(422, "Invalid Request", "the feedback cannot be read; see errors", refused.errors)
    try:
        _record_feedback(service_id, sent)
    except ScreenerError:
        log.error("cds %s: feedback not recorded: database error", service_id)
        return problem(503, "Database Unavailable", "the feedback could not be recorded; send it again later")
    log.info("cds %s: feedback on %d cards", service_id, len(sent.feedback))
    return Response("{}", mimetype=JSON)


def _record_feedback(service_id: str, sent: Feedback) -> None:
    store = get_store()
    for item in sent.feedback:
        reason = item.overrideReason.reason if item.overrideReason else None
        # The reason's code, never the clinician's comment: free text may name the patient.
        store.note(_actor(), "cds.feedback", item.card, {
            "service": service_id, "outcome": item.outcome, "at": item.outcomeTimestamp,
            "reason": None if reason is None else {"system": reason.system, "code": reason.code},
            "comment_given": bool(item.overrideReason and item.overrideReason.userComment),
            "suggestions": [s.id for s in item.acceptedSuggestions],
        })
