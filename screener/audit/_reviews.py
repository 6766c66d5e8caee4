"""Rule-set reviews and reviewers' comments appended with their chain events (issue 28; the rows: _models.
RuleSetReview).

What a review means for a rule set's standing (draft, reviewed, approved) is decided at the service layer
(screener/review.py); this module only stores and reads the rows in the order the chain recorded them.
"""
import uuid

from ._chain import row_content_hash
from ._errors import store_boundary
from ._models import RuleSetReview
from ._store import _now
from ._verifications import _chained

ACTIONS = {"reviewed": "ruleset.reviewed", "comment": "ruleset.comment"}


@store_boundary
def add_rule_set_review(store, *, trial_id: str, kind: str, version: str, digest: str, criterion_id: str | None,
                        text: str, actor: str) -> RuleSetReview:
    """Append a review (kind "reviewed", text its note) or a comment on one criterion (kind "comment") and its
    chain event in one transaction."""
    action = ACTIONS[kind]
    with store.sessions.begin() as session:
        store.lock_chain(session)
        row = RuleSetReview(id=uuid.uuid4().hex, trial_id=trial_id, kind=kind, rule_set_version=version,
                            rule_set_digest=digest, criterion_id=criterion_id, text=text, recorded_at=_now(),
                            actor=actor)
        row.content_hash = row_content_hash(action, row)
        session.add(row)
        session.flush()
        store._append(session, actor, action, row.id, {
            "trial_id": trial_id, "rule_set_version": version, "rule_set_digest": digest,
            "criterion_id": criterion_id, "text": text, "content_hash": row.content_hash,
        }, row.recorded_at)
        return row


@store_boundary
def rule_set_reviews(store, trial_id: str | None = None) -> list[RuleSetReview]:
    """The reviews and comments the chain recorded (of one trial, or all), in the order it recorded them."""
    return _chained(store, RuleSetReview, tuple(ACTIONS.values()), None, trial_id)
