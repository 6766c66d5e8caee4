"""Review before use (issue 28): every rule set with its standing (draft, reviewed, approved), and one rule set's
criteria, each with the source's verbatim words beside the encoded logic in plain words, the interpretation note, any
draft mark, and the reviewers' comments; an investigator adds a comment or records the review. One code path with
`screener rules review|comment` (review.py: an append-only row and its chain event); the web adds the pages, CSRF
and the words.
"""
import json

from flask import Blueprint, Response, abort, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response as WerkzeugResponse

from .. import review, service
from ..engine.compile import compiled, describe
from ..model.errors import InvalidRecord
from ..model.review import CommentRequest, ReviewRequest
from ..screening import UnknownTrial
from .auth import signed_in
from .storage import get_store

bp = Blueprint("rules_review", __name__, url_prefix="/rules")
_DONE = "rules_review_done"


@bp.get("")
def index():
    return render_template("rules/index.html", standings=review.standings(get_store()))


def _page(trial_id: str, errors: dict | None = None, failed: str | None = None, status: int = 200) -> Response:
    try:
        loaded = review.rule_set(trial_id)
    except UnknownTrial:
        abort(404)
    standing = review.standing(get_store(), trial_id)
    encoded = {c.id: describe(c.tree) for c in compiled(loaded).criteria}
    comments: dict[str, list] = {}
    for comment in standing.comments:
        comments.setdefault(comment.criterion_id or "", []).append(comment)
    page = render_template("rules/rule_set.html", rule_set=loaded, standing=standing, encoded=encoded,
                           comments=comments, errors=errors or {}, failed=failed, done=session.pop(_DONE, None))
    return Response(page, status=status)


@bp.get("/<trial_id>")
def rule_set(trial_id: str):
    return _page(trial_id)


def _fields(names: tuple[str, ...]) -> str:
    return json.dumps({name: value.strip() for name in names if (value := request.form.get(name, "")).strip()})


def _refused(trial_id: str, exc: InvalidRecord, failed: str) -> Response:
    # Each field named with what is wrong; what was typed is not shown back (nothing is stored either).
    return _page(trial_id, {str(e.path[-1]) if e.path else "(form)": e.message for e in exc.errors}, failed,
                 status=422)


@bp.post("/<trial_id>/comment")
def comment(trial_id: str) -> Response | WerkzeugResponse:
    if trial_id not in review.trials():
        abort(404)
    wanted = request.form.get("criterion_id", "")
    try:
        entry = review.record_comment(get_store(), trial_id,
                                      service.read_request(CommentRequest, _fields(("criterion_id", "text"))),
                                      actor=signed_in().actor)
    except InvalidRecord as exc:
        return _refused(trial_id, exc, f"comment-{wanted}" if wanted in _criteria(trial_id) else "comment")
    session[_DONE] = f"Comment on {entry.criterion_id} recorded."
    return redirect(url_for("rules_review.rule_set", trial_id=trial_id, _anchor=f"c-{entry.criterion_id}"), code=303)


@bp.post("/<trial_id>/review")
def record_review(trial_id: str) -> Response | WerkzeugResponse:
    if trial_id not in review.trials():
        abort(404)
    try:
        entry = review.record_review(get_store(), trial_id, service.read_request(ReviewRequest, _fields(("note",))),
                                     actor=signed_in().actor)
    except InvalidRecord as exc:
        return _refused(trial_id, exc, "review")
    session[_DONE] = (f"Review of {trial_id} version {entry.rule_set_version} recorded, for its content as marked "
                      f"reviewed ({entry.rule_set_digest[:19]}…).")
    return redirect(url_for("rules_review.rule_set", trial_id=trial_id, _anchor="review"), code=303)


def _criteria(trial_id: str) -> set[str]:
    return {c.id for c in review.rule_set(trial_id).criteria}
