"""Liveness and readiness probes."""
from flask import Blueprint, jsonify

from ..screening import warm_up

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
    # Disagreements between the evaluators in this worker process since it started: each refused a screening.
    return jsonify(status="ready", trials=trials, engine=current_app.config["SCREENER_ENGINE"],
                   engine_disagreements=engine.disagreements)
