"""Why a fact is unknown and what would settle it, each a type with its parameters.

Each reason has its code for programs (model/report.UnknownReason); the words are screener/wording's.
"""
from dataclasses import dataclass
from datetime import date
from typing import Literal

from ..model.report import UnknownReason
from .entries import EntryDoubt, EntrySettle
from .fast_init import fast_init
from .keys import FieldKey, RecordFact
from .provenance import History

Block = Literal["findings", "attestations"]
ScanKind = Literal["largest_lesion", "mibg", "fdg_pet"]


# --- why unknown --------------------------------------------------------------------------------------------------
@fast_init
@dataclass(frozen=True)
class NotRecorded:
    field: FieldKey
    code: UnknownReason = "not_recorded"


@fast_init
@dataclass(frozen=True)
class NotAssessed:
    """An attestation the investigator has not assessed yet."""

    field: FieldKey
    code: UnknownReason = "not_assessed"


@fast_init
@dataclass(frozen=True)
class AssessmentUndated:
    field: RecordFact
    block: Block
    code: UnknownReason = "undated"


@fast_init
@dataclass(frozen=True)
class AssessmentAfterAsOf:
    field: RecordFact
    block: Block
    assessed: date
    as_of: date
    code: UnknownReason = "after_as_of"


@fast_init
@dataclass(frozen=True)
class AssessmentTooOld:
    field: RecordFact
    block: Block
    assessed: date
    age_days: int
    as_of: date
    limit_days: int
    code: UnknownReason = "too_old"


@fast_init
@dataclass(frozen=True)
class LabNotRecorded:
    lab: str
    as_of: date
    code: UnknownReason = "not_recorded"


@fast_init
@dataclass(frozen=True)
class LabAfterAsOf:
    """The only results are dated after the screening date (a retrospective screening leaves them out)."""

    lab: str
    first_after: date
    as_of: date
    code: UnknownReason = "after_as_of"


@fast_init
@dataclass(frozen=True)
class LabTooOld:
    lab: str
    drawn: date
    age_days: int
    as_of: date
    limit_days: int
    code: UnknownReason = "too_old"


@fast_init
@dataclass(frozen=True)
class TransfusionHistoryUnknown:
    """Whether a count is independent of transfusion cannot be told without the transfusion history."""

    lab: str
    drawn: date
    code: UnknownReason = "not_recorded"


@fast_init
@dataclass(frozen=True)
class TransfusionSupported:
    lab: str
    drawn: date
    days_after: int
    product: str
    transfused: date
    code: UnknownReason = "transfusion_supported"


@fast_init
@dataclass(frozen=True)
class NoUln:
    """No reporting lab's range and no default upper limit of normal at this age."""

    lab: str
    code: UnknownReason = "no_limit"


@fast_init
@dataclass(frozen=True)
class LimitDiffersBySex:
    sex: str
    code: UnknownReason = "no_limit"


@fast_init
@dataclass(frozen=True)
class NoCreatinineLimitUnderOneMonth:
    code: UnknownReason = "no_limit"


@fast_init
@dataclass(frozen=True)
class HistoryNotRecorded:
    history: History
    code: UnknownReason = "not_recorded"


@fast_init
@dataclass(frozen=True)
class NoScan:
    kind: ScanKind
    earliest: date
    as_of: date
    code: UnknownReason = "not_recorded"


@fast_init
@dataclass(frozen=True)
class SameDayTransplants:
    kinds: tuple[str, ...]
    day: date
    code: UnknownReason = "not_recorded"


@fast_init
@dataclass(frozen=True)
class DiseaseStatusNotRecorded:
    code: UnknownReason = "not_recorded"


@fast_init
@dataclass(frozen=True)
class StatusAmbiguous:
    """The disease status does not say whether this is the first diagnosis or a recurrence."""

    status: str
    code: UnknownReason = "not_recorded"


@fast_init
@dataclass(frozen=True)
class PathologyNotRecorded:
    code: UnknownReason = "not_recorded"


@fast_init
@dataclass(frozen=True)
class NotConfirmedOnTissue:
    code: UnknownReason = "not_recorded"


@fast_init
@dataclass(frozen=True)
class NotEncoded:
    """A drafted criterion that no rule encodes yet: nothing recorded can settle it."""

    criterion: str
    code: UnknownReason = "not_encoded"


@fast_init
@dataclass(frozen=True)
class EntriesUncertain:
    """Medication entries that leave a window open, each with its doubt (the first one's code is the fact's)."""

    doubts: tuple[EntryDoubt, ...]

    @property
    def code(self) -> UnknownReason:
        return self.doubts[0].code


Why = (NotRecorded | NotAssessed | AssessmentUndated | AssessmentAfterAsOf | AssessmentTooOld | LabNotRecorded
       | LabAfterAsOf | LabTooOld | TransfusionHistoryUnknown | TransfusionSupported | NoUln | LimitDiffersBySex
       | NoCreatinineLimitUnderOneMonth | HistoryNotRecorded | NoScan | SameDayTransplants | DiseaseStatusNotRecorded
       | StatusAmbiguous | PathologyNotRecorded | NotConfirmedOnTissue | EntriesUncertain | NotEncoded)


# --- what settles it ------------------------------------------------------------------------------------------------
@fast_init
@dataclass(frozen=True)
class RecordField:
    field: FieldKey


@fast_init
@dataclass(frozen=True)
class RecordAssessment:
    """Record the field with its block's assessment date, recent enough."""

    field: RecordFact
    block: Block
    limit_days: int


@fast_init
@dataclass(frozen=True)
class RecordLab:
    lab: str
    limit_days: int
    units: bool  # name the accepted units (none of it is recorded yet)


@fast_init
@dataclass(frozen=True)
class RepeatLab:
    lab: str
    on: date
    days: int
    product: str


@fast_init
@dataclass(frozen=True)
class RecordUln:
    lab: str


@fast_init
@dataclass(frozen=True)
class RecordSex:
    pass


@fast_init
@dataclass(frozen=True)
class RecordHistory:
    history: History


@fast_init
@dataclass(frozen=True)
class RecordImaging:
    pass


@fast_init
@dataclass(frozen=True)
class RecordScan:
    kind: ScanKind
    days: int


@fast_init
@dataclass(frozen=True)
class ChooseSameDayTransplant:
    pass


@fast_init
@dataclass(frozen=True)
class RecordDiseaseStatus:
    pass


@fast_init
@dataclass(frozen=True)
class RecordFirstOrRecurrence:
    pass


@fast_init
@dataclass(frozen=True)
class RecordPathology:
    pass


@fast_init
@dataclass(frozen=True)
class RecordPathologyOnTissue:
    pass


@fast_init
@dataclass(frozen=True)
class ReviewDraft:
    """Only a reviewer can settle a placeholder: by encoding the criterion from its source words."""

    criterion: str


@fast_init
@dataclass(frozen=True)
class SettleEntries:
    """Each uncertain medication entry's own action."""

    actions: tuple[EntrySettle, ...]


Settle = (RecordField | RecordAssessment | RecordLab | RepeatLab | RecordUln | RecordSex | RecordHistory | RecordImaging
          | RecordScan | ChooseSameDayTransplant | RecordDiseaseStatus | RecordFirstOrRecurrence | RecordPathology
          | RecordPathologyOnTissue | SettleEntries | ReviewDraft)
