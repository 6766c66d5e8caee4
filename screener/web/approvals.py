"""Rule-set versions in force at the site (issue 26 point 1): every trial's amendment history, and for an admin the
form that records an ethics approval (or a withdrawal). One code path with `screener rules approve`
(service.record_approval: an append-only row and its chain event); the web adds the page, CSRF and the words.
"""
import json

from flask import Blueprint, Response, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response as WerkzeugResponse

from .. import service
from ..model.approvals import ApprovalRequest
from ..model.errors import InvalidRecord
from ..rules import load_rule_sets
from .auth import signed_in
from .calendar_input import calendar_problem, date_inputs
from .i18n import N_
from .storage import get_store

bp = Blueprint("approvals", __name__, url_prefix="/approvals")
_DONE = "approval_done"
_FIELDS = ("version", "approved_from", "reference", "kind")


def _page(errors: dict | None = None, failed_trial: str | None = None, status: int = 200) -> Response:
    trials = [service.approvals_of(get_store(), trial_id) for trial_id in load_rule_sets()]
    page = render_template("approvals.html", trials=trials, titles={t: r.title for t, r in load_rule_sets().items()},
                           errors=errors or {}, failed_trial=failed_trial, done=session.pop(_DONE, None),
                           dates=date_inputs({}))
    return Response(page, status=status)


@bp.get("")
def index():
    return _page()


@bp.post("")
def record() -> Response | WerkzeugResponse:
    trial_id = request.form.get("trial_id", "")
    if trial_id not in load_rule_sets():
        return _page({"trial_id": N_("Choose a trial from the list.")}, status=422)
    data = {name: value.strip() for name in _FIELDS if (value := request.form.get(name, "")).strip()}
    problem = calendar_problem(request.form, data, "approved_from")  # a Persian page's date, now ISO
    if problem is not None:
        return _page(problem, trial_id, status=422)
    try:
        entry = service.record_approval(get_store(), trial_id, service.read_request(ApprovalRequest, json.dumps(data)),
                                        actor=signed_in().actor)
    except InvalidRecord as exc:
        # Each field named with what is wrong; what was typed is not shown back (nothing is stored either).
        return _page({str(e.path[-1]): e.message for e in exc.errors}, trial_id, status=422)
    session[_DONE] = (f"Recorded: {entry.trial_id} version {entry.rule_set_version} {entry.kind} from "
                      f"{entry.approved_from.isoformat()} (reference {entry.reference}).")
    return redirect(url_for("approvals.index"), code=303)
