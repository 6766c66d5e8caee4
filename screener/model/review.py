"""Review before use (issue 28): a rule set's standing (draft, reviewed, approved), the trail's reviews and
reviewers' comments, and the requests that record them. One schema for the web form and the CLI.

The standing of the rule set loaded now:
- draft: its file says status: draft. Refused for screening unless drafts are allowed explicitly; whatever the trail
  holds, a draft is never "reviewed" or "approved".
- reviewed: its file says status: reviewed. The trail's reviews of this content are listed with it (who, when, the
  note), or "no review recorded at this site" when there is none.
- approved: its file says reviewed and an approval of this very content (digest) is in force at the site today
  (model/approvals.py).

A review is of content: it records the digest the rule set has once its file says reviewed and its draft marks are
removed (reviewed_digest), so the review of a draft still counts after exactly that edit, and any other edit (a new
digest) leaves the rule set unreviewed again.
"""
from typing import Annotated, Literal

from pydantic import Field

from ._base import StrictModel
from .approvals import ApprovalView
from .ruleset import RuleSet
from .text import FreeText

# Reviewers' words are kept in the trail and shown to every role: no names or identifiers of patients (they are
# about the rule set's wording), one line, bounded.
REVIEW_NOTE_MAX = 500
COMMENT_MAX = 1000
ReviewNote = Annotated[FreeText, Field(min_length=1, max_length=REVIEW_NOTE_MAX, description=(
    "what was checked, in at most 500 characters on one line; no names or identifiers"))]
CommentText = Annotated[FreeText, Field(min_length=1, max_length=COMMENT_MAX, description=(
    "the reviewer's comment on the criterion, at most 1000 characters on one line; no names or identifiers"))]
CriterionId = Annotated[str, Field(pattern=r"^[A-Z0-9][A-Za-z0-9._-]{1,40}$")]
StandingStatus = Literal["draft", "reviewed", "approved"]


class ReviewRequest(StrictModel):
    """Record that the signed-in person reviewed the rule set as loaded now: every criterion against its source."""

    note: ReviewNote


class CommentRequest(StrictModel):
    """A reviewer's comment on one criterion of the rule set as loaded now."""

    criterion_id: CriterionId
    text: CommentText


class ReviewView(StrictModel):
    """One review or comment, as the trail recorded it."""

    review_id: str
    trial_id: str
    kind: Literal["reviewed", "comment"]
    rule_set_version: str
    rule_set_digest: str
    criterion_id: str | None
    text: str
    recorded_by: str
    recorded_at: str
    current: bool = Field(description="made on the content loaded now (its reviewed digest)")


class RuleSetStanding(StrictModel):
    """A rule set loaded now, its standing, and what the trail holds of its review and approval."""

    trial_id: str
    title: str
    version: str
    digest: str
    reviewed_digest: str = Field(description="what a review records: the digest once the file says reviewed and "
                                 "carries no draft mark (reviewed_digest); the digest itself for a reviewed file")
    file_status: Literal["draft", "reviewed"]
    status: StandingStatus
    text: str = Field(description="the standing as people read it")
    drafted: list[str] = Field(description="ids of the criteria still carrying a draft mark")
    reviews: list[ReviewView] = Field(description="reviews of the content loaded now, in the order recorded")
    comments: list[ReviewView] = Field(description="every comment on the trial's rule set, any content")
    approval: ApprovalView | None = Field(description="the approval in force today, if it is of this content")


def reviewed_digest(rule_set: RuleSet) -> str:
    """The digest the rule set has once its file says reviewed and no criterion carries a draft mark: what a review
    vouches for. For a reviewed rule set, its own digest."""
    if rule_set.status == "reviewed":
        return rule_set.digest()
    criteria = [c.model_copy(update={"draft": None}) for c in rule_set.criteria]
    return rule_set.model_copy(update={"status": "reviewed", "criteria": criteria}).digest()


def standing_text(status: StandingStatus, reviews: list[ReviewView], approval: ApprovalView | None,
                  drafted: list[str]) -> str:
    """The standing in words: what it is and what it rests on."""
    def by(r: ReviewView) -> str:
        return f"{r.recorded_by} at {r.recorded_at[:16].replace('T', ' ')}"

    if status == "draft":
        done = f"; reviewed at this site by {', '.join(by(r) for r in reviews)}" if reviews else ""
        marks = (f"; {len(drafted)} criteri{'on' if len(drafted) == 1 else 'a'} still marked draft"
                 if drafted else "")
        return f"status: draft in the file, refused for screening unless drafts are allowed{marks}{done}"
    if status == "approved" and approval is not None:
        return (f"approved at this site (ref {approval.reference}, from {approval.approved_from.isoformat()})"
                + (f"; reviewed by {', '.join(by(r) for r in reviews)}" if reviews else
                   "; no review recorded at this site"))
    if reviews:
        return f"reviewed by {', '.join(by(r) for r in reviews)}; not approved at this site"
    return "reviewed (the file says so); no review recorded at this site; not approved at this site"


def standing_status(rule_set: RuleSet, approval: ApprovalView | None) -> StandingStatus:
    if rule_set.status == "draft":
        return "draft"
    return "approved" if approval is not None and approval.rule_set_digest == rule_set.digest() else "reviewed"

