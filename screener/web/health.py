"""Liveness and readiness probes."""
import logging

from flask import Blueprint, jsonify

from ..screening import warm_up
from .errors import problem

log = logging.getLogger("screener.web")

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    """Ready when every rule set loads and compiles, and the engine holds it."""
    from flask import current_app

    from .. import engine

    trials = warm_up(current_app.config["SCREENER_ENGINE"])
    # Screenings are answered only once stored: not ready while the database cannot take a write.
    why = _database_cannot_write()
    if why is not None:
        log.warning("not ready: the database cannot be written (%s)", why)
        return problem(503, "Not Ready", f"the database cannot be written: {why}; screenings would be refused")
    # Disagreements between the evaluators in this worker process since it started: each refused a screening.
    return jsonify(status="ready", trials=trials, engine=current_app.config["SCREENER_ENGINE"],
                   engine_disagreements=engine.disagreements, database="writable")


def _database_cannot_write() -> str | None:
    from flask import current_app

    from ..audit import StoreError, cannot_write
    from .storage import get_store

    try:
        store = get_store()  # opened (and migrated) on first use: that can fail as well
    except StoreError as exc:
        return f"it cannot be opened ({exc.kind})"
    return cannot_write(store, current_app.config["READY_TIMEOUT_SECONDS"], current_app.config["READY_REUSE_SECONDS"])
