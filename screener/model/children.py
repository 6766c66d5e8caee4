"""The site's screening log by child: the screening number, voids, corrections and outcomes (request and answer
shapes of the API, the form and the CLI; one schema for all three).

The screening number is pseudonymous: "SCR-" and 4 digits (SCR-0042), or 5 from SCR-10000 on (a 5-digit number
never starts with 0, so SCR-00042 cannot stand beside SCR-0042 for the same count, and ordering by length then
text is numeric order, which the next free number relies on). Nothing else is accepted, so a name,
an MRN (site MRNs are 6 to 10 digits, often with letters), a date of birth or an NHS/SSN-like number cannot be
typed into it: letters other than the fixed prefix, separators, spaces and 6 or more digits are all refused.
"""
import datetime as dt
import re
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from ._base import StrictModel
from .dates import IsoDate, in_range, today
from .fields import value_words
from .text import FreeText
from .verification import DeviationView, VerificationSummary

SCREENING_NUMBER_PATTERN = r"^SCR-([0-9]{4}|[1-9][0-9]{4})$"
SCREENING_NUMBER = re.compile(SCREENING_NUMBER_PATTERN)
ScreeningNumber = Annotated[str, Field(pattern=SCREENING_NUMBER_PATTERN, description=(
    "the child's pseudonymous site screening number: SCR- and 4 digits, or 5 from SCR-10000 (never a name or MRN)"),
    examples=["SCR-0042"])]
Note = Annotated[FreeText, Field(min_length=1, max_length=500)]

VoidReason = Literal["entered_in_error", "wrong_patient", "test"]
VOID_REASONS: dict[str, str] = {
    "entered_in_error": "entered in error",
    "wrong_patient": "wrong patient",
    "test": "test screening",
}


def void_words(reason: str) -> str:
    """A void's reason as people read it (a reason stored by another version: its code in words)."""
    return value_words(reason, VOID_REASONS)


OutcomeKind = Literal["screen_failed", "eligible_not_enrolled", "consented", "enrolled", "withdrawn"]
OUTCOMES: dict[str, str] = {
    "screen_failed": "screen failed",
    "eligible_not_enrolled": "eligible, not enrolled",
    "consented": "consented",
    "enrolled": "enrolled",
    "withdrawn": "withdrawn before enrolment",
}
NotEnrolledReason = Literal["declined", "physician_decision", "other"]
NOT_ENROLLED_REASONS: dict[str, str] = {
    "declined": "family declined",
    "physician_decision": "physician decision",
    "other": "other",
}
StudyNumber = Annotated[str, Field(pattern=r"^[A-Za-z0-9-]{1,32}$", description="the trial's study (subject) number")]


def screening_number_problem(value: str) -> str | None:
    """Why a typed screening number is refused (never quoting it), or None."""
    if SCREENING_NUMBER.fullmatch(value):
        return None
    return ("must be SCR- and 4 digits, like SCR-0123, or 5 from SCR-10000 on (never a name or medical record "
            "number)")


class VoidRequest(StrictModel):
    """Void a screening: it stays in the trail and in the chain, and is never counted again."""

    reason: VoidReason
    note: Note | None = None


class CorrectionNote(StrictModel):
    """Why a screening is corrected: the correction replaces it in the log; the earlier one stays in the trail."""

    reason: Note


class OutcomeRequest(StrictModel):
    """What became of a child for one trial. screen_failed takes its criteria from the child's counted screening;
    eligible_not_enrolled needs a reason (and words for "other"); consented a date; enrolled a date and the
    study number; withdrawn (before enrolment) a date."""

    trial_id: Annotated[str, Field(min_length=1, max_length=40)]
    outcome: OutcomeKind
    date: IsoDate | None = None
    reason: NotEnrolledReason | None = None
    note: Note | None = None
    study_number: StudyNumber | None = None

    @field_validator("date")
    @classmethod
    def _not_ahead(cls, value: dt.date | None) -> dt.date | None:
        if value is None:
            return None
        in_range(value)
        if value > today():
            raise ValueError("is after today: an outcome is recorded once it has happened")
        return value

    @model_validator(mode="after")
    def _parts(self) -> "OutcomeRequest":
        needs = {"consented": ("date",), "enrolled": ("date", "study_number"), "withdrawn": ("date",),
                 "eligible_not_enrolled": ("reason",), "screen_failed": ()}[self.outcome]
        for name in needs:
            if getattr(self, name) is None:
                raise ValueError(f"{name} is required for the outcome {self.outcome}")
        if self.reason is not None and self.outcome != "eligible_not_enrolled":
            raise ValueError("reason belongs to the outcome eligible_not_enrolled only")
        if self.study_number is not None and self.outcome != "enrolled":
            raise ValueError("study_number belongs to the outcome enrolled only")
        if self.reason == "other" and self.note is None:
            raise ValueError("note is required when the reason is other")
        return self


class VoidView(StrictModel):
    reason: VoidReason
    note: str | None
    actor: str
    recorded_at: str


class ScreeningEntry(StrictModel):
    """One screening of a child, as the child's history lists it."""

    screening_id: str
    trial_id: str
    as_of: dt.date
    recorded_at: str
    actor: str
    channel: str
    verdict: str
    counted: bool = Field(description="the child's latest screening for the trial that is neither voided nor corrected")
    corrects_id: str | None
    correction_reason: str | None
    corrected_by: list[str]
    void: VoidView | None


class OutcomeView(StrictModel):
    outcome_id: str
    trial_id: str
    outcome: OutcomeKind
    date: dt.date | None
    reason: NotEnrolledReason | None
    note: str | None
    study_number: str | None
    criterion_ids: list[str]
    screening_id: str
    actor: str
    recorded_at: str
    counts: bool = Field(True, description=(
        "whether it is the child's outcome for the trial in the log: false once a later one is recorded, once its "
        "screening is voided or corrected, and for a screen failure once a re-screen counts instead"))


class TrialCourse(StrictModel):
    """A child's course in one trial: the counted screening's verdict, the latest outcome, the latest signed
    eligibility verification with its standing, and the protocol deviations recorded."""

    trial_id: str
    verdict: str | None
    screening_id: str | None
    outcome: OutcomeView | None
    verification: VerificationSummary | None = None
    deviations: list[DeviationView] = []


class PatientView(StrictModel):
    screening_number: str
    trials: list[TrialCourse]
    screenings: list[ScreeningEntry]  # newest first, every trial, voided and corrected ones included
    outcomes: list[OutcomeView]  # oldest first


class VoidResponse(StrictModel):
    screening_id: str
    void: VoidView


class OutcomeResponse(StrictModel):
    screening_number: str
    outcome: OutcomeView
