"""Enrolment-day eligibility verification (issue 26 points 2-5): the investigator's signed checklist, the protocol
deviation recorded when a site enrols a child who does not meet every criterion, and the standing of each in the
screening log. One schema for the web pages, the API and the CLI.

The signature follows 21 CFR Part 11: the password is entered again at the moment of signing (§11.200(a)(1)); the
record holds the signer's printed name, the date and time and the meaning of the signature (§11.50); it is linked to
the record it signs (§11.70: the screening's content hash, the rule-set digest and the approval, in the hash chain)
and is never edited, only superseded by a later verification.
"""
import datetime as dt
from typing import Annotated, Literal

from pydantic import Field, SecretStr

from ._base import StrictModel
from .approvals import ApprovalView, Standing
from .report import Report
from .text import FreeText

# A person's name as printed under a signature: letters of any script, spaces and . ' - (no digits, no "@"),
# 2 to 100 characters.
PRINTED_NAME_PATTERN = r"^[^\W\d_][^\W\d_ .'-]*([ .'-]+[^\W\d_]+)*\.?$"
PrintedName = Annotated[str, Field(min_length=2, max_length=100, pattern=PRINTED_NAME_PATTERN, description=(
    "the signer's full name as it is printed under the signature (21 CFR 11.50(a)(1))"))]
CriterionId = Annotated[str, Field(pattern=r"^[A-Z0-9][A-Za-z0-9._-]{1,40}$")]
Reason = Annotated[FreeText, Field(min_length=3, max_length=1000)]
Challenge = Annotated[str, Field(min_length=16, max_length=200, pattern=r"^[A-Za-z0-9._-]+$")]
Fingerprint = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]

# What stops a verification from being signed, each a code; wording/verification words them.
Blocker = Literal["not_eligible", "not_approved", "incomplete_rule_set", "draft_rules"]
BLOCKER_WORDS: dict[str, str] = {
    "not_eligible": "not every criterion passes on the day: it cannot be signed (no criterion is waived); if the "
                    "site enrols the child anyway, record a protocol deviation",
    "not_approved": "the rule set is not the version approved and in force at this site today: pre-screening only",
    "incomplete_rule_set": "the rule set does not encode every criterion of the protocol: it cannot verify "
                           "eligibility",
    "draft_rules": "DRAFT RULES: the rule set says status: draft, nobody has reviewed it: it cannot verify "
                   "eligibility",
}
# A child's verification standing for one trial in the log.
VerificationStatus = Literal["verified", "verified_expired", "screened_since", "voided", "superseded"]
STATUS_WORDS: dict[str, str] = {
    "verified": "verified",
    "verified_expired": "verified, expired",
    "screened_since": "verified, screened again since: verify again",
    "voided": "verified screening voided",
    "superseded": "superseded by a later verification",
}


def meaning(trial_id: str, version: str) -> str:
    """The meaning of the signature (§11.50(a)(3)), stored with it and printed above the signature block."""
    return (f"I confirm that this child meets every eligibility criterion of protocol {trial_id}, rule-set version "
            f"{version}, as reviewed one by one above, and that no criterion has been waived.")


class SignRequest(StrictModel):
    """The investigator's signature of an eligibility checklist, sent from the page that showed it.

    fingerprint: of the checklist reviewed (the re-screen, its rule set and the screening it rests on): a checklist
    that changed since (new data, another rule set, midnight) is not signed. challenge: issued with the page, for
    this person and this checklist, used once: a copied request cannot sign twice. reviewed: the id of every criterion,
    each confirmed one by one on the page."""

    password: SecretStr = Field(min_length=1, max_length=1024)
    printed_name: PrintedName
    fingerprint: Fingerprint
    challenge: Challenge
    reviewed: Annotated[list[CriterionId], Field(min_length=1, max_length=200)]
    meaning_confirmed: Literal[True] = Field(description="the signer has read the meaning of the signature")


class DeviationRequest(StrictModel):
    """A protocol deviation: the site enrols (or has enrolled) a child who does not meet every criterion. The
    criteria are those not passing on the day's re-screen; the reason is the investigator's."""

    reason: Reason
    fingerprint: Fingerprint


class Checklist(StrictModel):
    """The day's re-screen of a child for a trial, ready to review and sign (or showing why it cannot be)."""

    screening_number: str
    trial_id: str
    title: str
    verification_date: dt.date
    based_on: str = Field(description="the child's counted screening whose record is re-screened")
    report: Report = Field(description="the re-screen as of the verification date: every criterion to review")
    standing: Standing
    blockers: list[Blocker]
    blocker_text: list[str]
    can_sign: bool
    valid_through: dt.date | None = Field(description=(
        "the last day a signature given today stays valid: the registration window, ended earlier by the first day "
        "the same record would no longer screen eligible, or the version signed would no longer be the one approved "
        "and in force at the site (an approval recorded already)"))
    waivers: Literal["none"]
    waiver_policy: str = Field(description="the rule set's waiver policy in words, with its source")
    meaning: str
    fingerprint: str


class SignatureView(StrictModel):
    username: str
    printed_name: str
    signed_at: str
    meaning: str


class VerificationView(StrictModel):
    """A signed eligibility verification (GET /api/v1/verifications/{id})."""

    verification_id: str
    screening_number: str
    trial_id: str
    screening_id: str
    screening_content_hash: str
    rule_set_version: str
    rule_set_digest: str
    approval: ApprovalView
    verified_on: dt.date
    valid_through: dt.date
    registration_window_days: int
    waivers: Literal["none"]
    reviewed: list[str]
    signature: SignatureView
    supersedes: str | None
    status: VerificationStatus
    status_text: str
    report: Report = Field(description="the re-screen signed: every criterion with its status and evidence")


class VerificationSummary(StrictModel):
    """A child's latest verification for a trial, as the screening log shows it."""

    verification_id: str
    status: VerificationStatus
    status_text: str
    verified_on: dt.date
    valid_through: dt.date
    signed_by: str = Field(description="the signer's printed name")


class DeviationView(StrictModel):
    deviation_id: str
    screening_number: str
    trial_id: str
    screening_id: str
    criterion_ids: list[str]
    reason: str
    recorded_by: str
    recorded_at: str


def status_of(*, superseded: bool, voided: bool, still_counted: bool, valid_through: dt.date,
              on: dt.date) -> VerificationStatus:
    """A signed verification's standing on a day. It stands only while its screening is the child's counted one
    for the trial (a later screening, a correction or a void means the data changed: verify again) and the day is
    within its validity."""
    if superseded:
        return "superseded"
    if voided:
        return "voided"
    if not still_counted:
        return "screened_since"
    return "verified" if on <= valid_through else "verified_expired"
