"""Shapes the JSON API returns beyond the report itself: trial listings, the field catalogue, problems."""
from typing import Literal

from ._base import StrictModel
from .approvals import ApprovalsResponse, ApprovalView, Standing  # noqa: F401 - API shapes too
from .children import (  # noqa: F401 - the screening log's request and answer shapes are API shapes too
    OutcomeRequest,
    OutcomeResponse,
    OutcomeView,
    PatientView,
    VoidRequest,
    VoidResponse,
)
from .fields import FieldType
from .report import CriterionInfo, Report
from .ruleset import Enrolment
from .verification import VerificationView  # noqa: F401 - a signed eligibility verification is an API shape too


class TrialSummary(StrictModel):
    trial_id: str
    title: str
    registry_ids: list[str]
    version: str
    digest: str
    # The rule file's status (issue 28): a draft is served only where drafts are allowed, its results DRAFT RULES.
    status: Literal["draft", "reviewed"]
    complete: bool
    criteria: int
    links: dict[str, str]


class CriterionView(CriterionInfo):
    attestation: str | None
    encoded: str


class Coverage(StrictModel):
    complete: bool
    statement: str
    unknown_from_source: list[str]


class TrialDetail(StrictModel):
    trial_id: str
    title: str
    registry_ids: list[str]
    version: str
    digest: str
    status: Literal["draft", "reviewed"]
    description: str
    source_record: str
    population: dict[str, int | list[str]]
    lookback: dict[str, int | str]
    enrolment: Enrolment  # the rule file's own block: waiver policy and registration window
    coverage: Coverage
    changelog: list[dict[str, str]]
    criteria: list[CriterionView]


class FieldView(StrictModel):
    name: str
    type: FieldType
    label: str  # what a report calls it
    description: str
    unit: str | None
    accepted_units: list[str]
    categories: list[str]
    loinc: list[str]


class ImportItem(StrictModel):
    resource: str
    used_as: str | None = None
    reason: str | None = None
    note: str | None = None


class FhirImportView(StrictModel):
    used: list[ImportItem]
    ignored: list[ImportItem]
    assumptions: list[str]


class ScreenResponse(StrictModel):
    screening_id: str
    report: Report
    fhir_import: FhirImportView | None = None
    screening_number: str | None = None  # the child's: given, or assigned when none was
    # Beside the report (whose content is pinned): is its rule set the version approved and in force at the site on
    # its as-of date? Anything but "approved" is a pre-screening and cannot verify eligibility.
    approval: Standing | None = None


class ScreenAllResponse(StrictModel):
    screening_id: str  # the request: every trial's screening made by this submit
    screening_ids: dict[str, str]  # trial id -> stored screening id
    reports: list[Report]
    fhir_import: FhirImportView | None = None
    screening_number: str | None = None  # the child's: given, or assigned when none was
    approvals: dict[str, Standing] = {}  # trial id -> its standing at the site (ScreenResponse.approval)


class ProblemItem(StrictModel):
    field: str
    message: str


class Problem(StrictModel):
    """RFC 9457 problem details; errors lists every offending field by its path, never its value."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[ProblemItem] = []  # the first 50 at most
    errors_total: int | None = None  # how many there were in all
    incident_id: str | None = None
