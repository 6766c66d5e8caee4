"""Every error leaves as RFC 9457 application/problem+json: no stack trace, no submitted value."""
import logging
import uuid

from flask import Flask, Response
from werkzeug.exceptions import HTTPException

from ..model.api import Problem

log = logging.getLogger("screener.web")
PROBLEM_JSON = "application/problem+json"


# A record with 100,000 unknown keys, or one key of a megabyte, must not come back as a 6 MB error body.
MAX_ERRORS_LISTED = 50
MAX_FIELD_CHARS = 120


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def problem(status: int, title: str, detail: str, errors: list[dict] | None = None, incident_id: str | None = None) -> Response:
    errors = errors or []
    listed = [{"field": _clip(e["field"], MAX_FIELD_CHARS), "message": _clip(e["message"], 500)}
              for e in errors[:MAX_ERRORS_LISTED]]
    if len(errors) > MAX_ERRORS_LISTED:
        detail += f" ({len(errors):,} problems; the first {MAX_ERRORS_LISTED} are listed)"
    body = Problem(type=f"https://screener.invalid/problems/{title.lower().replace(' ', '-')}", title=title,
                   status=status, detail=detail, errors=listed, errors_total=len(errors) if errors else None,
                   incident_id=incident_id)
    return Response(body.model_dump_json(exclude_none=True), status=status, mimetype=PROBLEM_JSON)


def init_app(app: Flask) -> None:
    from flask_wtf.csrf import CSRFError

    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        return problem(400, "CSRF Check Failed", "the form was not submitted from this service's own page, or it expired; reload the form")

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        detail = {
            413: f"the body is larger than the {app.config['MAX_CONTENT_LENGTH']:,}-byte limit",
            404: "no such resource",
            405: "method not allowed on this resource",
        }.get(exc.code, exc.description or exc.name)
        return problem(exc.code or 500, exc.name, detail)

    from ..engine import EngineDisagreement

    @app.errorhandler(EngineDisagreement)
    def engines_disagree(exc: EngineDisagreement):
        # Logged by the engine with the incident id (criterion ids only); nothing is reported or stored.
        return problem(500, "Screening Refused", "the two rule evaluators disagreed on this record, so no result is "
                       "given and nothing was recorded; quote the incident id", incident_id=exc.incident_id)

    from sqlalchemy.exc import SQLAlchemyError

    @app.errorhandler(SQLAlchemyError)
    def database_unavailable(exc: SQLAlchemyError):
        # Every write is one transaction: failing here means nothing was written.
        log.error("database error %s", type(exc).__name__)
        return problem(503, "Database Unavailable", "the service cannot reach its database; nothing was written; "
                       "try again later")

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        incident = uuid.uuid4().hex[:12]
        # The exception type and incident id only: the message could quote submitted data.
        log.error("incident %s: unhandled %s", incident, type(exc).__name__, exc_info=app.debug)
        return problem(500, "Internal Server Error", "the screening could not be completed; quote the incident id",
                       incident_id=incident)
