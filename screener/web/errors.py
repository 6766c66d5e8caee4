"""Every error leaves without a stack trace or a submitted value: RFC 9457 application/problem+json for the API and
API clients, an HTML page for a person in a browser (same status, same words)."""
import logging
import uuid

from flask import Flask, Response, g, render_template, request, session
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

from ..model.api import Problem, ProblemItem
from ..model.errors import FieldError
from .i18n import N_

log = logging.getLogger("screener.web")
PROBLEM_JSON = "application/problem+json"
# What a person reads, by status: a heading and what to do next; the problem's own detail follows.
_PAGES = {
    400: (_l("The request could not be used"), _l("Go back, reload the page and try again.")),
    403: (_l("This page is not open to your role"),
          _l("The links above are the pages your role opens; ask an administrator if you need more.")),
    404: (_l("Page not found"), _l("There is no such page, or no screening with that id that you may see. Check the "
                                   "address or use the links above.")),
    405: (_l("This page cannot be used that way"), _l("Use the links above.")),
    413: (_l("The upload is too large"), _l("Send a smaller file.")),
    422: (_l("Part of the request could not be used"), _l("Go back, correct what is named above and try again.")),
    429: (_l("Too many requests"), _l("Wait a minute and try again.")),
    500: (_l("Something went wrong"), _l("Whoever runs this service finds the cause in its log under this incident "
                                         "id.")),
    503: (_l("The service cannot reach its database"), _l("Nothing was saved; try again in a few minutes.")),
}


# The titles and details a person may read on an error page (werkzeug's names of the statuses among them).
_PAGE_WORDS = (N_("Bad Request"), N_("Unauthorized"), N_("Forbidden"), N_("Not Found"), N_("Method Not Allowed"),
               N_("Request Entity Too Large"), N_("Unprocessable Entity"), N_("Too Many Requests"),
               N_("Internal Server Error"), N_("Service Unavailable"), N_("no such resource"),
               N_("method not allowed on this resource"))


_PROBES = ("/healthz", "/readyz")  # asked by machines (orchestrators, load balancers), whatever they accept


def wants_html() -> bool:
    """A person's browser, not the API: /api/..., /fhir/..., the probes and bearer-token calls always get
    problem+json."""
    if request.path.startswith(("/api/", "/fhir/")) or request.path in _PROBES or request.authorization is not None:
        return False
    best = request.accept_mimetypes.best_match(["text/html", "application/json", PROBLEM_JSON], default="text/html")
    return best == "text/html"


# A record with 100,000 unknown keys, or one key of a megabyte, must not come back as a 6 MB error body.
MAX_ERRORS_LISTED = 50
MAX_FIELD_CHARS = 120


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def problem(status: int, title: str, detail: str, errors: list[FieldError] | None = None,
            incident_id: str | None = None) -> Response:
    """The one place FieldErrors become RFC 9457 items ({"field", "message"}), clipped and counted."""
    errors = errors or []
    listed = [ProblemItem(field=_clip(e.field, MAX_FIELD_CHARS), message=_clip(e.message, 500))
              for e in errors[:MAX_ERRORS_LISTED]]
    if len(errors) > MAX_ERRORS_LISTED:
        detail += f" ({len(errors):,} problems; the first {MAX_ERRORS_LISTED} are listed)"
    body = Problem(type=f"https://screener.invalid/problems/{title.lower().replace(' ', '-')}", title=title,
                   status=status, detail=detail, errors=listed, errors_total=len(errors) if errors else None,
                   incident_id=incident_id)
    if wants_html():
        page = _html(body)
        if page is not None:
            return Response(page, status=status, mimetype="text/html")
    return Response(body.model_dump_json(exclude_none=True), status=status, mimetype=PROBLEM_JSON)


def _html(body: Problem) -> str | None:
    try:
        _principal_for_navigation()
        heading, next_step = _PAGES.get(body.status, (body.title, ""))
        return render_template("error.html", problem=body, heading=heading, next_step=next_step)
    except Exception as exc:  # an error page must not fail in turn: the JSON body still says it all
        log.error("error page could not be rendered: %s", type(exc).__name__)
        return None


def _principal_for_navigation() -> None:
    """An unknown address never reaches sign-in checks; find who is signed in so the page shows their links."""
    if g.get("principal") is None and session.get("user") and not request.path.startswith("/api/"):
        from .auth import accounts

        try:
            principal = accounts().user(session["user"])
        except Exception:  # the database may be what failed
            principal = None
        # As auth.authenticate: a session signed out on the server (older generation) no longer counts.
        if principal is not None and session.get("generation") == principal.session_generation:
            g.principal = principal


def may_open(endpoint: str) -> bool:
    """Whether the signed-in person's role may open an endpoint: the route policy decides what navigation shows."""
    from .auth import PUBLIC, ROUTE_ROLES

    roles = ROUTE_ROLES.get(endpoint)
    if roles is None:
        return False
    if roles is PUBLIC:
        return True
    principal = g.get("principal")
    return principal is not None and principal.role in roles


def init_app(app: Flask) -> None:
    from flask_wtf.csrf import CSRFError

    app.add_template_global(may_open)

    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        return problem(
            400,
            N_("CSRF Check Failed"),
            N_("the form was not submitted from this service's own page, or it expired; reload the form"),
        )

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        words: dict[int | None, str] = {
            413: f"the body is larger than the {app.config['MAX_CONTENT_LENGTH']:,}-byte limit",
            404: N_("no such resource"),
            405: N_("method not allowed on this resource"),
        }
        detail = words.get(exc.code, exc.description or exc.name)
        return problem(exc.code or 500, exc.name, detail)

    from ..engine import EngineDisagreement

    @app.errorhandler(EngineDisagreement)
    def engines_disagree(exc: EngineDisagreement):
        # Logged by the engine with the incident id (criterion ids only); nothing is reported or stored.
        return problem(
            500,
            N_("Screening Refused"),
            N_("the two rule evaluators disagreed on this record, so no result is given and nothing was recorded; "
               "quote the incident id"),
            incident_id=exc.incident_id,
        )

    from ..audit import StoreError

    @app.errorhandler(StoreError)
    def database_unavailable(exc: StoreError):
        # Every write is one transaction: failing here means nothing was written.
        log.error("database error %s", exc.kind)
        return problem(
            503, N_("Database Unavailable"),
            N_("the service cannot reach its database; nothing was written; try again later"),
        )

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        incident = uuid.uuid4().hex[:12]
        # The exception type and incident id only: the message could quote submitted data.
        log.error("incident %s: unhandled %s", incident, type(exc).__name__, exc_info=app.debug)
        return problem(
            500,
            "Internal Server Error",
            N_("the screening could not be completed; quote the incident id"),
            incident_id=incident,
        )
