"""The screening report: one result per criterion with its reasons, and the overall verdict."""
import datetime as dt
from typing import Literal

from ._base import StrictModel

Status = Literal["pass", "fail", "unknown"]
Verdict = Literal["eligible", "ineligible", "incomplete"]


class Evidence(StrictModel):
    """One comparison inside a criterion: the value used, where it came from, and what it was held against."""

    fact: str
    label: str
    test: str
    value: str | None
    unit: str | None = None
    date: dt.date | None = None
    source: str | None = None
    holds: bool | None  # did the comparison hold; None: the value is missing
    missing: str | None = None


class CriterionInfo(StrictModel):
    """What a criterion is and where it comes from: shared by screening results and rule-set views."""

    id: str
    kind: Literal["inclusion", "exclusion"]
    title: str
    registry_number: str | None
    source_text: str
    citation: str
    basis: Literal["registry", "publication"]
    interpretation: str | None


class CriterionResult(CriterionInfo):
    attestation: bool
    status: Status
    reason: str
    evidence: list[Evidence]
    to_settle: list[str]
    eligible_from: dt.date | None = None


class Coverage(StrictModel):
    complete: bool
    statement: str
    criteria_from_data: int
    criteria_by_attestation: int
    unknown_from_source: list[str]


class Report(StrictModel):
    trial_id: str
    title: str
    rule_set_version: str
    rule_set_digest: str
    engine: str
    as_of: dt.date
    verdict: Verdict
    summary: str
    counts: dict[Status, int]
    criteria: list[CriterionResult]
    to_settle: list[str]
    eligible_from: dt.date | None = None
    coverage: Coverage
