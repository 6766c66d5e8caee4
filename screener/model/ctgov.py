"""The part of a ClinicalTrials.gov API v2 study record that drafting reads (GET /api/v2/studies/{nctId}).

Field names are the API's own, so a saved record validates as it is. A real record holds many more modules and
fields: those are ignored, while every field read here is strictly typed (a number where text belongs, or an
unknown `sex`, is an error naming the field, never coerced).
"""
from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from .dates import IsoDate


class _V2(BaseModel):
    # strict types for what is read; extra="ignore": the rest of a real record (contacts, outcomes, ...) is not ours.
    model_config = ConfigDict(strict=True, extra="ignore", frozen=True, allow_inf_nan=False)


class IdentificationModule(_V2):
    nctId: Annotated[str, Field(pattern=r"^NCT[0-9]{8}$")]
    briefTitle: Annotated[str, Field(min_length=1, max_length=300)]
    officialTitle: Annotated[str, Field(max_length=600)] | None = None


class DateStruct(_V2):
    date: Annotated[str, Field(pattern=r"^[0-9]{4}-[0-9]{2}(-[0-9]{2})?$")]


class StatusModule(_V2):
    overallStatus: Annotated[str, Field(pattern=r"^[A-Z_]{2,40}$")] | None = None
    lastUpdatePostDateStruct: DateStruct | None = None


# NormalizedTime: "18 Years", "6 Months", "0 Year"; "N/A" (or absent) means no limit. Units are checked by the
# drafter, which keeps the ones it can read and says so of the others.
AgeText = Annotated[str, Field(pattern=r"^(N/A|[0-9]+(\.[0-9]+)? [A-Za-z]+)$")]


class EligibilityModule(_V2):
    eligibilityCriteria: Annotated[str, Field(min_length=1, max_length=20_000)]
    healthyVolunteers: bool | None = None
    sex: Literal["FEMALE", "MALE", "ALL"] | None = None
    genderBased: bool | None = None
    minimumAge: AgeText | None = None
    maximumAge: AgeText | None = None
    stdAges: list[Literal["CHILD", "ADULT", "OLDER_ADULT"]] = []


class ProtocolSection(_V2):
    identificationModule: IdentificationModule
    statusModule: StatusModule | None = None
    eligibilityModule: EligibilityModule


class MiscInfoModule(_V2):
    versionHolder: IsoDate | None = None


class DerivedSection(_V2):
    miscInfoModule: MiscInfoModule | None = None


class Study(_V2):
    """One study as the v2 API returns it (the top-level object of /api/v2/studies/{nctId})."""

    protocolSection: ProtocolSection
    derivedSection: DerivedSection | None = None

    @property
    def nct_id(self) -> str:
        return self.protocolSection.identificationModule.nctId

    @property
    def eligibility(self) -> EligibilityModule:
        return self.protocolSection.eligibilityModule

    @property
    def version_date(self) -> date | None:
        derived = self.derivedSection
        return derived.miscInfoModule.versionHolder if derived and derived.miscInfoModule else None
