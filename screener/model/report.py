"""The screening report: one result per criterion with its reasons, and the overall verdict."""
import datetime as dt
from typing import Literal

from pydantic import model_validator

from ._base import StrictModel
from .verdict import Status, Verdict

# Why a fact is unknown, for programs (the words are in `missing`): absent, an attestation not yet assessed,
# recorded without the date that says how old it is, dated after the as-of date, older than the rule set's
# lookback, possibly transfusion-supported, no limit to hold a lab against, a medication entry not recognised,
# its route unclassifiable, or its dose not convertible; or a drafted criterion not encoded yet (no data settles it).
UnknownReason = Literal["not_recorded", "not_assessed", "undated", "after_as_of", "too_old", "transfusion_supported",
                        "no_limit", "unrecognised", "unclassifiable", "dose_unknown", "not_encoded"]


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
    unknown: UnknownReason | None = None  # set exactly when the value is unknown


# What a to-do asks for, for grouping a worklist without reading its words: repeat a test on or after a day (a count
# inside a transfusion window), repeat by a day what a criterion is judged on (it will be too old when every fail
# clears), ask the investigator, record a test or scan, record a history, record a value from the chart.
TodoKind = Literal["repeat_after", "repeat_by", "ask_investigator", "record_test", "record_history", "record_chart",
                   "review_draft"]


class Step(StrictModel):
    """One to-do of a criterion, as data: its kind, the day it hangs on, its words; and when any one of several
    routes settles the criterion ("MRI/CT and MIBG, or FDG-PET"), each route's own instructions."""

    kind: TodoKind
    text: str
    date: dt.date | None = None  # repeat_after: on or after this day; repeat_by: by this day
    routes: list[list[str]] = []  # any one route settles it; empty: this one instruction does


class Todo(Step):
    """A to-do of the whole report, with the criteria it settles (ids), each to-do once."""

    criteria: list[str]


class CriterionInfo(StrictModel):
    """What a criterion is and where it comes from: shared by screening results and rule-set views."""

    id: str
    kind: Literal["inclusion", "exclusion", "unclassified"]  # unclassified: a draft's text before any header
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
    to_do: list[Step] = []  # to_settle as data (reports stored before it have none: read to_settle)


class Coverage(StrictModel):
    complete: bool
    statement: str
    criteria_from_data: int
    criteria_by_attestation: int
    unknown_from_source: list[str]


class Recruitment(StrictModel):
    status: str
    as_of: dt.date
    source: str


class InputWarning(StrictModel):
    """A value screened as given that is possible but usually a slip (criteria/tables/values_to_confirm.yaml)."""

    field: str  # the record path, as errors name fields: observations[0].value
    message: str  # names the field's kind and the likely slip, never the value


class Report(StrictModel):
    trial_id: str
    title: str
    recruitment: Recruitment | None = None
    rule_set_version: str
    rule_set_digest: str
    # draft: screened under a rule set nobody has reviewed (allowed only explicitly): the verdict is never eligible
    # (every criterion passing reads no_known_exclusion) and verdict_text opens with DRAFT RULES. Reports stored
    # before the field were all screened under reviewed rule sets.
    rule_set_status: Literal["draft", "reviewed"] = "reviewed"
    engine: str
    as_of: dt.date
    verdict: Verdict
    # what people read: never the bare word ELIGIBLE for a partial rule set; "DRAFT RULES — …" under a draft one
    verdict_text: str | None = None
    summary: str
    counts: dict[Status, int]
    criteria: list[CriterionResult]
    to_settle: list[str]
    eligible_from: dt.date | None = None
    no_fail_from: dt.date | None = None  # every fail clears by waiting from this day, but something else is open
    to_repeat: list[str] = []  # data that will be too old by the day every fail clears
    coverage: Coverage
    warnings: list[InputWarning] = []  # values to check: screened as given, never refused
    to_do: list[Todo] = []  # to_settle and to_repeat as data, by kind and day (empty in reports stored before it)

    @model_validator(mode="after")
    def _reports_stored_before_verdict_text(self):
        # Reports recorded before verdict_text existed still load in the audit views, unchanged otherwise.
        if self.verdict_text is None:  # (no draft report predates verdict_text)
            object.__setattr__(self, "verdict_text", self.verdict.line(len(self.criteria)))  # frozen model
        return self
