"""The rule-file schema: trial metadata and criteria whose logic is a declarative condition tree."""
import hashlib
import json
from datetime import date
from typing import Annotated, Any, Literal, NamedTuple, Union

from pydantic import Discriminator, Field, Tag, model_validator

from ._base import StrictModel
from .language import Language

Op = Literal["lt", "le", "gt", "ge", "eq", "ne"]
OrderOp = Literal["lt", "le", "gt", "ge"]


class Compare(StrictModel):
    """A fact held against a threshold: numbers with a unit, booleans and categories with eq/ne."""

    field: str
    op: Op
    value: float | bool | str
    unit: str | None = None
    # A count drawn within this many days after a transfusion of the product that raises it may be transfusion-
    # supported: it is not taken as the patient's own value, and the comparison is unknown until it is repeated.
    transfusion_free_days: Annotated[int, Field(ge=1, le=60)] | None = None


class Recorded(StrictModel):
    """A usable value of the field (within the rule set's lookback) is recorded: true or false, never unknown.

    For criteria where a value's absence is itself decisive, such as "pulse oximetry < 94 % excludes; when
    oximetry is not indicated, no value is needed".
    """

    recorded: str


class OneOf(StrictModel):
    """A categorical fact is one of the listed values."""

    field: str
    one_of: Annotated[list[str], Field(min_length=1)]


class Limit(StrictModel):
    value: Annotated[float, Field(gt=0)]
    unit: str
    source: str


class Multiple(StrictModel):
    """A lab held against a multiple of a limit: the ULN (lab's own, else the default table), a named table, or a
    limit the trial states itself."""

    field: str
    op: OrderOp
    multiple: Annotated[float, Field(gt=0)]
    of: Literal["uln", "creatinine_max_for_age_sex"] | Limit


class Since(StrictModel):
    """What a day window counts from: exactly one kind of event."""

    transfusion: Literal["platelets", "red_cells", "plasma", "any"] | None = None
    medication_class: Literal["systemic_corticosteroid", "cyp3a4_modulator"] | None = None
    min_prednisone_mg_kg_day: Annotated[float, Field(gt=0)] | None = None
    cyp3a4_strengths: list[Literal["strong", "moderate", "weak"]] | None = None
    chemotherapy_end: Literal[True] | None = None
    transplant: Literal["autologous", "allogeneic", "haploidentical"] | None = None

    @model_validator(mode="after")
    def _exactly_one_event(self):
        kinds = [
            k
            for k in ("transfusion", "medication_class", "chemotherapy_end", "transplant")
            if getattr(self, k) is not None
        ]
        if len(kinds) != 1:
            raise ValueError("name exactly one of transfusion, medication_class, chemotherapy_end, transplant")
        if self.min_prednisone_mg_kg_day is not None and self.medication_class != "systemic_corticosteroid":
            raise ValueError("min_prednisone_mg_kg_day applies only to medication_class: systemic_corticosteroid")
        if self.cyp3a4_strengths is not None and self.medication_class != "cyp3a4_modulator":
            raise ValueError("cyp3a4_strengths applies only to medication_class: cyp3a4_modulator")
        if self.medication_class == "cyp3a4_modulator" and not self.cyp3a4_strengths:
            raise ValueError("cyp3a4_modulator needs cyp3a4_strengths: say which strengths the trial means")
        return self


class Window(StrictModel):
    """The event happened within the last N days (day 0 = the as-of date; day N clears it)."""

    within_days: Annotated[int, Field(ge=1, le=3650)]
    since: Since


class AtLeastDaysAgo(StrictModel):
    """The event happened, and at least N days before the as-of date."""

    at_least_days_ago: Annotated[int, Field(ge=0, le=36500)]
    since: Since


class All(StrictModel):
    all: Annotated[list["Condition"], Field(min_length=1)]


class AnyOf(StrictModel):
    any: Annotated[list["Condition"], Field(min_length=1)]


class Not(StrictModel):
    not_: "Condition" = Field(alias="not")


def _condition_tag(value: Any) -> str | None:
    if not isinstance(value, dict):
        return None if not isinstance(value, StrictModel) else type(value).__name__.lower()
    for key, tag in (
        ("all", "all"),
        ("any", "anyof"),
        ("not", "not"),
        ("within_days", "window"),
        ("recorded", "recorded"),
        ("at_least_days_ago", "atleastdaysago"),
        ("multiple", "multiple"),
        ("one_of", "oneof"),
    ):
        if key in value:
            return tag
    return "compare"


Condition = Annotated[
    Union[
        Annotated[All, Tag("all")],
        Annotated[AnyOf, Tag("anyof")],
        Annotated[Not, Tag("not")],
        Annotated[Window, Tag("window")],
        Annotated[AtLeastDaysAgo, Tag("atleastdaysago")],
        Annotated[Multiple, Tag("multiple")],
        Annotated[OneOf, Tag("oneof")],
        Annotated[Recorded, Tag("recorded")],
        Annotated[Compare, Tag("compare")],
    ],
    Discriminator(_condition_tag),
]
All.model_rebuild()
AnyOf.model_rebuild()
Not.model_rebuild()


class Citation(StrictModel):
    source: str = Field(description="seeds/ file the words are quoted from")
    section: str
    reference: str = Field(description="registry id or paper")

    def text(self) -> str:
        return f"{self.reference}, {self.section} ({self.source})"


class DraftMark(StrictModel):
    """A criterion as `screener rules draft` wrote it, not yet reviewed: the pattern that produced its rule (or its
    placeholder) and the words that pattern matched. A reviewed rule set carries none: the reviewer removes each
    mark once the criterion's encoding has been checked against its source words."""

    pattern: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]{1,40}$")]
    matched: str | None = Field(default=None, description="the words of the source text the pattern read")


TranslatedLanguage = Literal["fa"]  # English is the rule file's own language; every other is a translation


class CriterionWords(StrictModel):
    """A criterion's title and interpretation note in another language, written per criterion by a person (issue
    30). The registry's verbatim words (source_text) stay in the source's language and are never translated here."""

    title: Annotated[str, Field(min_length=2, max_length=120)]
    interpretation: Annotated[str, Field(min_length=2)] | None = None


AttestationName = Literal[
    "guardian_consent_signed", "life_expectancy_at_least_6_months", "able_to_comply", "no_emergency_condition"
]


CriterionId = Annotated[str, Field(pattern=r"^[A-Z0-9][A-Za-z0-9._-]{1,40}$")]


class Criterion(StrictModel):
    id: CriterionId
    kind: Literal["inclusion", "exclusion", "unclassified"] = Field(description=(
        "unclassified: registry text before any inclusion/exclusion header, kept by `screener rules draft` as "
        "it is; only an unencoded placeholder may be unclassified, and a person decides what it is"))
    title: Annotated[str, Field(min_length=3, max_length=120)]
    registry_number: str | None = None
    source_text: Annotated[str, Field(min_length=3)]
    citation: Citation
    basis: Literal["registry", "publication"] = "registry"
    interpretation: str | None = None
    logic: Condition | None = None
    attestation: AttestationName | None = None
    unencoded: Literal[True] | None = Field(default=None, description=(
        "a placeholder: the source words are kept but no rule encodes them yet, so the criterion is always unknown "
        "(a draft's criterion the drafter could not read reliably); the interpretation says why"))
    parent: CriterionId | None = Field(default=None, description="the id of the item this one is a sub-point of")
    group: Annotated[str, Field(min_length=1, max_length=300)] | None = Field(
        default=None, description="the free sub-heading the item stands under in its section, as printed")
    draft: DraftMark | None = Field(default=None, description="present while the criterion is as drafted, unreviewed")
    translations: dict[TranslatedLanguage, CriterionWords] | None = Field(default=None, description=(
        "the title and interpretation note in each language the rule set declares besides English"))

    @model_validator(mode="after")
    def _logic_or_attestation(self):
        given = [self.logic is not None, self.attestation is not None, self.unencoded is not None]
        if sum(given) != 1:
            raise ValueError("give exactly one of logic (decidable from data), attestation (investigator judgement) "
                             "or unencoded: true (a placeholder, always unknown)")
        if self.kind == "unclassified" and self.unencoded is None:
            raise ValueError("an unclassified criterion can only be an unencoded placeholder: say whether it is an "
                             "inclusion or an exclusion before encoding it")
        if self.parent == self.id:
            raise ValueError("a criterion cannot be its own parent")
        return self


class LanguageGap(NamedTuple):
    """Where a rule set's declared languages are not complete: `screener rules lint` shows each at its place."""

    criterion: int | None  # the index in criteria, None for the rule set's languages list itself
    path: str  # below the criterion (translations.fa.title), or "languages"
    message: str


def language_gaps(languages: list[Language] | None, criteria: list[Criterion]) -> list[LanguageGap]:
    """Every way the criteria miss a declared language, or hold words in an undeclared one (issue 30): a Persian
    reader must never meet an English title or note in a rule set that says it speaks Persian, nor a Persian note
    written beside no English one."""
    gaps: list[LanguageGap] = []
    declared = set(languages or ["en"])
    if "en" not in declared:
        gaps.append(LanguageGap(None, "languages", "languages: English is the rule file's own language and is "
                                                   "always declared"))
    if languages is not None and len(languages) != len(declared):
        gaps.append(LanguageGap(None, "languages", "languages: a language is declared twice"))
    for i, criterion in enumerate(criteria):
        given = criterion.translations or {}
        undeclared = sorted(set(given) - declared)
        if undeclared:
            gaps.append(LanguageGap(i, "translations", f"criterion {criterion.id}: translations in "
                                    f"{', '.join(undeclared)}, which the rule set does not declare in languages"))
        for language in sorted(declared - {"en"}):
            words = given.get(language)  # type: ignore[call-overload]
            if words is None:
                gaps.append(LanguageGap(i, f"translations.{language}", f"criterion {criterion.id}: no {language} "
                                        f"title (the rule set declares {language})"))
            elif criterion.interpretation is not None and words.interpretation is None:
                gaps.append(LanguageGap(i, f"translations.{language}", f"criterion {criterion.id}: no {language} "
                                        f"interpretation note (the rule set declares {language})"))
            elif criterion.interpretation is None and words.interpretation is not None:
                gaps.append(LanguageGap(i, f"translations.{language}.interpretation", f"criterion {criterion.id}: "
                                        f"a {language} interpretation note with no English one"))
    return gaps


def language_gaps_message(gaps: list[LanguageGap]) -> str:
    shown = "; ".join(gap.message for gap in gaps[:3])
    return shown + (f"; and {len(gaps) - 3} more (screener rules lint lists them)" if len(gaps) > 3 else "")


NO_AGE_LIMIT = 120  # max_age_years when the source gives no upper age limit


class Population(StrictModel):
    min_age_years: Annotated[int, Field(ge=0, le=NO_AGE_LIMIT)]
    max_age_years: Annotated[int, Field(ge=0, le=NO_AGE_LIMIT)]
    sexes: list[Literal["female", "male", "other", "unknown"]]


class Lookback(StrictModel):
    """How old a value may be and still be used; the trial rarely says, so each rule set states its choice."""

    labs_days: Annotated[int, Field(ge=1, le=365)] = Field(description="labs, echo, oximetry, weight and height")
    imaging_days: Annotated[int, Field(ge=1, le=365)]
    findings_days: Annotated[int, Field(ge=1, le=365)] = Field(
        description="clinical findings, from findings.assessed_on"
    )
    attestations_days: Annotated[int, Field(ge=1, le=365)] = Field(
        description="investigator attestations, from attestations.assessed_on"
    )
    rationale: str


class Coverage(StrictModel):
    complete: bool
    statement: str
    unknown_from_source: list[str] = []


class RecruitmentStatus(StrictModel):
    """What the source says of recruitment, as of the date the source was captured."""

    status: str
    as_of: date
    source: str


class Change(StrictModel):
    version: str
    date: date
    changes: str


class Enrolment(StrictModel):
    """What holds between a signed eligibility verification and registration. Sources rarely state it, yet a
    verification is only meaningful with it: whether a criterion that does not pass may be waived, and how long a
    signature stays good for registration. Each rule set states both, with where the statement comes from."""

    waivers: Literal["none"] = Field(
        description="the waiver policy; 'none' is the only one supported: no criterion may be waived, so a child "
        "with any criterion not passing cannot be verified eligible (enrolling anyway is a protocol deviation)"
    )
    waiver_policy: Annotated[str, Field(min_length=3)] = Field(
        description="the policy in words and its source (or that the source is silent and what is applied instead)"
    )
    registration_window_days: Annotated[int, Field(ge=1, le=30)] = Field(
        description="days a signed eligibility verification stays valid for registration, counted with the "
        "verification day as day 0: 7 means registration on the verification day up to and including 7 days later"
    )
    rationale: Annotated[str, Field(min_length=3)] = Field(
        description="why this window: the source's words, or 'chosen here' and the reasoning"
    )


RuleSetStatus = Literal["draft", "reviewed"]


class RegistryRecord(StrictModel):
    """The registry record a drafted rule set was read from, as it was then: `screener rules check-source` compares
    the record file's eligibility text with this hash, and each criterion's words with the text."""

    registry: Literal["ClinicalTrials.gov"]
    id: Annotated[str, Field(pattern=r"^NCT[0-9]{8}$")]
    version_date: date | None = Field(description="derivedSection.miscInfoModule.versionHolder: the data version")
    eligibility_sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")] = Field(
        description="SHA-256 of eligibilityModule.eligibilityCriteria, UTF-8, exactly as in the record")
    path: str = Field(description="the study JSON (ClinicalTrials.gov API v2 shape) under seeds/, from the repository")


class RuleSet(StrictModel):
    trial_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9-]{3,40}$")]
    title: str
    status: RuleSetStatus = Field(description=(
        "draft: written by `screener rules draft` (or by hand) and not yet reviewed, refused for screening unless "
        "explicitly allowed, and labelled DRAFT RULES wherever its results show; reviewed: a person has checked "
        "every criterion against its source words. Approval for use at a site is recorded in the trail, not here."))
    registry_ids: list[str]
    version: str
    changelog: Annotated[list[Change], Field(min_length=1)]
    description: str
    source_record: str = Field(description="the cleaned source record under seeds/ the criteria quote")
    population: Population
    lookback: Lookback
    enrolment: Enrolment
    coverage: Coverage
    recruitment: RecruitmentStatus | None = None
    registry_record: RegistryRecord | None = None
    references: list[str] = []
    criteria: Annotated[list[Criterion], Field(min_length=1)]
    languages: list[Language] | None = Field(default=None, description=(
        "the languages the rule set's titles and notes are written in (English always); a rule set that declares "
        "another must give every criterion's title, and every interpretation note, in it"))

    @model_validator(mode="after")
    def _declared_languages_complete(self):
        gaps = language_gaps(self.languages, self.criteria)
        if gaps:
            raise ValueError(language_gaps_message(gaps))
        return self

    @model_validator(mode="after")
    def _parents_come_first(self):
        seen: set[str] = set()
        for criterion in self.criteria:
            if criterion.parent is not None and criterion.parent not in seen:
                raise ValueError(f"criterion {criterion.id}: its parent must be an earlier criterion of this rule set")
            seen.add(criterion.id)
        return self

    @model_validator(mode="after")
    def _reviewed_has_no_draft_marks(self):
        if self.status == "reviewed":
            marked = [c.id for c in self.criteria if c.draft is not None]
            if marked:
                raise ValueError(
                    "a reviewed rule set carries no draft marks: review criteria " + ", ".join(marked)
                    + " and remove their draft: entries, or keep status: draft")
        return self

    def digest(self) -> str:
        """SHA-256 of the rule set's canonical JSON: the same content always gives the same digest."""
        data = self.model_dump(mode="json", by_alias=True)
        # Fields added for drafting change no digest of a rule set that does not use them (approvals cite digests).
        _drop_unset(data, _LATER_RULE_SET_FIELDS)
        for criterion in data["criteria"]:
            _drop_unset(criterion, _LATER_CRITERION_FIELDS)
        canonical = json.dumps(data, sort_keys=True, separators=(",", ":"))
        return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


_LATER_RULE_SET_FIELDS = ("registry_record", "languages")
_LATER_CRITERION_FIELDS = ("unencoded", "parent", "group", "translations")


def _drop_unset(data: dict, names: tuple[str, ...]) -> None:
    for name in names:
        if data.get(name) is None:
            data.pop(name, None)
