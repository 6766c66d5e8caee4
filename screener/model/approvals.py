"""Rule-set versions in force at the site (issue 26 point 1): the approval request, the amendment history and
which version a screening's as-of date falls under. One schema for the API, the web form and the CLI.

The version in force on a date is the latest entry (by approved-from date, then by the order the trail recorded
it) whose approved-from date is on or before that date: an approval puts its version and content digest in force; a
withdrawal puts none in force. A later approval of a newer version from a later date therefore supersedes the
earlier one from that date on, and the earlier one still governs screenings as of the days before. An approval is
of a version's content (its digest): a rule set whose file was edited under the same version number is not the
approved one.

Who records: an admin (point 2 of the issue brings an investigator role, which will record them too).
"""
import datetime as dt
from typing import Annotated, Literal

from pydantic import Field

from ._base import StrictModel
from .dates import IsoDate

# An ethics committee's decision reference ("REC 24/LO/0123", "IRB-2024-0456"): short, printable ASCII, no "@"
# (no e-mail address), nothing a person is named by is needed. It is stored in the trail and shown to every role.
REFERENCE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9 ./:()#_-]{0,63}$"
Reference = Annotated[str, Field(pattern=REFERENCE_PATTERN, description=(
    "the ethics committee's approval reference: 1 to 64 letters, digits, spaces and . / : ( ) # _ -"),
    examples=["REC 24/LO/0123"])]
VersionText = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,19}$",
                                   description="the rule set's version, as its file states it")]
ApprovalKind = Literal["approved", "withdrawn"]
StandingStatus = Literal["approved", "not_approved", "other_version"]


class ApprovalRequest(StrictModel):
    """Record that the ethics committee approved the trial's rule set, as loaded now (its version and content
    digest), for use at the site from a date; or, kind "withdrawn", that no version is in force from that date."""

    version: VersionText
    approved_from: IsoDate
    reference: Reference
    kind: ApprovalKind = "approved"


class ApprovalView(StrictModel):
    """One entry of a trial's amendment history at the site, as the trail recorded it."""

    approval_id: str = Field(description="the entry's id: a signed eligibility verification names the one in force")
    trial_id: str
    kind: ApprovalKind
    rule_set_version: str
    rule_set_digest: str
    approved_from: dt.date
    reference: str
    recorded_by: str
    recorded_at: str


class Standing(StrictModel):
    """Whether the rule set a screening used is the version approved and in force at the site on its as-of date.
    Anything but "approved" is a pre-screening: it cannot verify eligibility."""

    status: StandingStatus
    text: str = Field(description="the standing as people read it; anything but approved reads as a pre-screening")
    in_force: ApprovalView | None = None


class ApprovalsResponse(StrictModel):
    """A trial's amendment history at the site and the version in force today."""

    trial_id: str
    current_version: str
    current_digest: str
    in_force_today: ApprovalView | None
    history: list[ApprovalView]


def in_force(history: list[ApprovalView], as_of: dt.date) -> ApprovalView | None:
    """The approval in force on as_of (history in the order the trail recorded it), None when none is."""
    started = [(entry.approved_from, n, entry) for n, entry in enumerate(history) if entry.approved_from <= as_of]
    if not started:
        return None
    latest = max(started, key=lambda item: item[:2])[2]
    return latest if latest.kind == "approved" else None


def standing(history: list[ApprovalView], version: str, digest: str, as_of: dt.date) -> Standing:
    """The standing of a screening under rule set version/digest as of a date."""
    current = in_force(history, as_of)
    if current is None:
        return Standing(status="not_approved", text="not approved at this site")
    if current.rule_set_version != version:
        return Standing(status="other_version", in_force=current,
                        text=f"a different version is in force: v{current.rule_set_version} "
                             f"(ref {current.reference}, from {current.approved_from.isoformat()})")
    if current.rule_set_digest != digest:
        return Standing(status="not_approved", in_force=current,
                        text=f"the rule set's content differs from the approved v{version} (ref {current.reference})")
    return Standing(status="approved", in_force=current,
                    text=f"approved (ref {current.reference}, from {current.approved_from.isoformat()})")
