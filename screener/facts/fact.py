"""A derived fact as data: its value, unit, date, where it was read, what it was derived from, and, when unknown,
why and what would settle it (facts/reasons.py). The words for all of it are screener/wording's."""
from dataclasses import dataclass, field
from datetime import date as _Date  # the Fact field named `date` hides the type inside the class

from ..model.report import UnknownReason
from .entries import ClearingUnknown, CountedEntry, NoEntryCounts
from .fast_init import fast_init
from .provenance import (
    AsRecorded,
    DaysBefore,
    DiseaseStatusReading,
    DrawnAfterTransfusion,
    HistoryReviewedNone,
    Measured,
    MultipleOfLimit,
    NoEvent,
    Ongoing,
    PathologyConfirmed,
    ScanFinding,
    Source,
    TransplantDone,
    Years,
)
from .reasons import Settle, Why


@fast_init
@dataclass(frozen=True)
class Fact:
    value: float | str | None  # what the evaluators see: numbers, 1/0 for booleans, category names; None = unknown
    shown: "Shown | None" = None  # what the value was derived from, or the unusable value an unknown one was read as
    unit: str | None = None
    date: _Date | None = None
    source: Source | None = None
    why: Why | None = None  # why the value is None
    settle: Settle | None = None  # what would settle it
    clears_on: _Date | None = None  # for a day window that currently holds: the first day it no longer does
    # Made once and handed to every record with this value (a field not recorded, a category with its assessment
    # date): what is made from it (its evidence) can be made once too.
    shared: bool = field(default=False, compare=False, repr=False)

    @property
    def unknown(self) -> UnknownReason | None:
        """Why the value is None, as a code (model/report.py)."""
        return self.why.code if self.why is not None else None


@fast_init
@dataclass(frozen=True)
class RecordedValue:
    """Whether a usable value is recorded: the fact it is about."""

    inner: Fact


Shown = (AsRecorded | Years | Measured | MultipleOfLimit | DrawnAfterTransfusion | RecordedValue | ScanFinding
         | TransplantDone | HistoryReviewedNone | DiseaseStatusReading | PathologyConfirmed | NoEvent | Ongoing
         | DaysBefore | CountedEntry | NoEntryCounts | ClearingUnknown)
