"""Review before use (issue 28), at the service layer: the standing of each rule set loaded now (model/review.py
says what each standing means), and recording a review or a reviewer's comment in the trail.

Authoring reads drafts too: these load rule sets with drafts allowed, whatever the process's screening setting.
"""
from typing import TYPE_CHECKING

from .model.errors import FieldError, InvalidRecord
from .model.review import (
    ReviewView,
    RuleSetStanding,
    reviewed_digest,
    standing_status,
    standing_text,
)
from .rules import load_rule_sets
from .screening import UnknownTrial

if TYPE_CHECKING:
    from .model.review import CommentRequest, ReviewRequest
    from .model.ruleset import RuleSet


def rule_set(trial_id: str) -> "RuleSet":
    """The rule set loaded now, draft or not (UnknownTrial for no such trial)."""
    found = load_rule_sets(allow_draft=True).get(trial_id)
    if found is None:
        raise UnknownTrial(trial_id)
    return found


def trials() -> list[str]:
    return list(load_rule_sets(allow_draft=True))


def _view(row, current_digest: str) -> ReviewView:
    return ReviewView(review_id=row.id, trial_id=row.trial_id, kind=row.kind, rule_set_version=row.rule_set_version,
                      rule_set_digest=row.rule_set_digest, criterion_id=row.criterion_id, text=row.text,
                      recorded_by=row.actor, recorded_at=row.recorded_at,
                      current=row.rule_set_digest == current_digest)


def standing(store, trial_id: str) -> RuleSetStanding:
    """The rule set loaded now: draft, reviewed or approved, with the trail's reviews of this content, every
    comment on the trial, and the approval in force today if it is of this content."""
    from .audit import rule_set_reviews
    from .model.approvals import in_force
    from .model.dates import today
    from .service import recorded_approvals

    loaded = rule_set(trial_id)
    reviewed = reviewed_digest(loaded)
    rows = [_view(row, reviewed) for row in rule_set_reviews(store, trial_id)]
    reviews = [r for r in rows if r.kind == "reviewed" and r.current]
    in_force_today = in_force(recorded_approvals(store, trial_id), today())
    approval = in_force_today if in_force_today and in_force_today.rule_set_digest == loaded.digest() else None
    status = standing_status(loaded, approval)
    drafted = [c.id for c in loaded.criteria if c.draft is not None]
    return RuleSetStanding(
        trial_id=trial_id, title=loaded.title, version=loaded.version, digest=loaded.digest(), reviewed_digest=reviewed,
        file_status=loaded.status, status=status, text=standing_text(status, reviews, approval, drafted),
        drafted=drafted, reviews=reviews, comments=[r for r in rows if r.kind == "comment"], approval=approval)


def standings(store) -> list[RuleSetStanding]:
    return [standing(store, trial_id) for trial_id in trials()]


def record_review(store, trial_id: str, request: "ReviewRequest", *, actor: str) -> ReviewView:
    """Record that `actor` reviewed the rule set loaded now (its reviewed digest: model/review.py)."""
    from .audit import add_rule_set_review

    loaded = rule_set(trial_id)
    digest = reviewed_digest(loaded)
    row = add_rule_set_review(store, trial_id=trial_id, kind="reviewed", version=loaded.version, digest=digest,
                              criterion_id=None, text=request.note, actor=actor)
    return _view(row, digest)


def record_comment(store, trial_id: str, request: "CommentRequest", *, actor: str) -> ReviewView:
    """Record a reviewer's comment on one criterion of the rule set loaded now (InvalidRecord naming criterion_id
    when the rule set has no such criterion)."""
    from .audit import add_rule_set_review

    loaded = rule_set(trial_id)
    if request.criterion_id not in {c.id for c in loaded.criteria}:
        raise InvalidRecord([FieldError(("criterion_id",), "is not a criterion of this rule set")])
    digest = reviewed_digest(loaded)
    row = add_rule_set_review(store, trial_id=trial_id, kind="comment", version=loaded.version, digest=digest,
                              criterion_id=request.criterion_id, text=request.text, actor=actor)
    return _view(row, digest)
