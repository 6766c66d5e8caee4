"""A rule set published as FHIR R4: a ResearchStudy whose `enrollment` is a definitional Group with one
characteristic per criterion (docs/fhir-publishing.md has the mapping and the reasons for each choice).

This is what every producer of machine-readable eligibility emits (HL7 EBM StudyEligibilityCriteria, Vulcan M11,
usdm4-fhir, the FEvIR ClinicalTrials.gov converter). R4 cannot say more than an implicit AND of characteristics, so a
criterion is structured (a Range, a Quantity with a comparator) only where that loses nothing of its logic; every
other criterion is its verbatim source words, which a consumer must read, not evaluate. The output is a pure function
of the rule file: no clock, no server address, keys sorted, so the same rule set always gives the same bytes.
"""
import json
import re
from typing import Any

from ..model.labs import LABS, LabSpec, to_canonical, unit_label
from ..model.ruleset import All, Compare, Criterion, RuleSet

# The project has no published address of its own yet. `.invalid` (RFC 2606) can never resolve to someone else's
# site, unlike a made-up .org; a canonical URL need not resolve. Changing it changes every published code, so it is
# one constant.
CANONICAL_BASE = "https://trial-screener.invalid/fhir"
CRITERION_SYSTEM = f"{CANONICAL_BASE}/CodeSystem/eligibility-criterion"
TRIAL_SYSTEM = f"{CANONICAL_BASE}/NamingSystem/trial-id"
RULE_SET_STATUS_SYSTEM = f"{CANONICAL_BASE}/CodeSystem/rule-set-status"
CRITERION_EXTENSION = f"{CANONICAL_BASE}/StructureDefinition/eligibility-criterion"
RULE_SET_EXTENSION = f"{CANONICAL_BASE}/StructureDefinition/rule-set"
# Group.characteristic.description of FHIR 6 in R4, as usdm4-fhir and the M11 tools read it.
R6_DESCRIPTION = "http://hl7.org/fhir/6.0/StructureDefinition/extension-Group.characteristic.description"
DATA_ABSENT_REASON = "http://hl7.org/fhir/StructureDefinition/data-absent-reason"
TRANSLATION = "http://hl7.org/fhir/StructureDefinition/translation"
UCUM = "http://unitsofmeasure.org"
LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"

# Registry id prefixes and the registry's own address as identifier system. ClinicalTrials.gov's is the one the
# FHIR core example and the FEvIR converter use; IRCT has no HL7 NamingSystem, so its site (as the trial's sources
# cite it) stands for it.
REGISTRY_SYSTEMS = (
    (re.compile(r"^NCT\d{8}$"), "https://clinicaltrials.gov"),
    (re.compile(r"^IRCT\d{8,}N\d+$"), "https://irct.behdasht.gov.ir"),
)

# ClinicalTrials.gov's overall status → R4 ResearchStudy.status (required binding, research-study-status).
RECRUITMENT_STATUS = {
    "RECRUITING": "active",
    "NOT_YET_RECRUITING": "approved",
    "ACTIVE_NOT_RECRUITING": "closed-to-accrual",
    "ENROLLING_BY_INVITATION": "active",
    "COMPLETED": "completed",
    "SUSPENDED": "temporarily-closed-to-accrual",
    "TERMINATED": "administratively-completed",
    "WITHDRAWN": "withdrawn",
}

COMPARATORS = {"lt": "<", "le": "<=", "gt": ">", "ge": ">="}
# The lab catalogue's canonical units as UCUM codes; a unit without one is not published as a Quantity.
UCUM_CODES = {
    "/uL": "/uL", "g/dL": "g/dL", "mg/dL": "mg/dL", "U/L": "U/L", "s": "s", "%": "%", "1": "1",
    "mL/min/1.73m2": "mL/min/{1.73_m2}", "score": "{score}",
}
DRAFT_LABEL = "DRAFT RULES"


def group_id(trial_id: str) -> str:
    return f"{trial_id}-eligibility"


def publish_bundle(rule_set: RuleSet) -> dict[str, Any]:
    """The rule set as a FHIR R4 Bundle (collection): its ResearchStudy, then its definitional Group."""
    study, group = research_study(rule_set), eligibility_group(rule_set)
    return {
        "resourceType": "Bundle",
        "id": f"{rule_set.trial_id}-{rule_set.version}".replace("+", "-")[:64],
        "type": "collection",
        **_meta(rule_set),
        "entry": [
            {"fullUrl": f"{CANONICAL_BASE}/ResearchStudy/{study['id']}", "resource": study},
            {"fullUrl": f"{CANONICAL_BASE}/Group/{group['id']}", "resource": group},
        ],
    }


def to_json(resource: dict[str, Any]) -> str:
    """Canonical text of a resource: sorted keys, two-space indent, UTF-8 as written, a final newline."""
    return json.dumps(resource, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def research_study(rule_set: RuleSet) -> dict[str, Any]:
    draft = rule_set.status == "draft"
    study: dict[str, Any] = {
        "resourceType": "ResearchStudy",
        "id": rule_set.trial_id,
        **_meta(rule_set),
        "identifier": _identifiers(rule_set),
        "title": (f"{DRAFT_LABEL}: " if draft else "") + rule_set.title,
        "description": rule_set.description.strip(),
        "enrollment": [{"reference": f"Group/{group_id(rule_set.trial_id)}", "display": "Eligibility criteria"}],
        "relatedArtifact": [{
            "type": "derived-from",
            "label": f"rule set {rule_set.version}",
            "display": f"trial-screener rule set {rule_set.trial_id} version {rule_set.version} ({rule_set.status})",
            "citation": rule_set.digest(),
        }],
        "note": [{"text": _recruitment_note(rule_set)}],
    }
    status = RECRUITMENT_STATUS.get(rule_set.recruitment.status) if rule_set.recruitment else None
    if status is not None:
        study["status"] = status
    else:
        # R4 requires a status and has no "unknown": the element is given as absent for a stated reason, which
        # claims nothing, rather than a guess a consumer would act on.
        study["_status"] = {"extension": [{"url": DATA_ABSENT_REASON, "valueCode": "unknown"}]}
    return study


def eligibility_group(rule_set: RuleSet) -> dict[str, Any]:
    draft = rule_set.status == "draft"
    return {
        "resourceType": "Group",
        "id": group_id(rule_set.trial_id),
        **_meta(rule_set),
        "extension": [_rule_set_extension(rule_set)],
        "type": "person",
        "actual": False,
        "name": (f"{DRAFT_LABEL}: " if draft else "") + f"Eligibility criteria: {rule_set.title}",
        "characteristic": [characteristic(c, rule_set) for c in rule_set.criteria],
    }


def characteristic(criterion: Criterion, rule_set: RuleSet) -> dict[str, Any]:
    """One criterion: its code, its value (structured only where nothing is lost), exclude from its section."""
    coding = [{"system": CRITERION_SYSTEM, "code": criterion.id, "display": criterion.title}]
    notes = []
    value: dict[str, Any]
    ages = age_range(criterion, rule_set)
    threshold = simple_threshold(criterion)
    if ages is not None:
        low, high = ages
        coding.append({"system": SNOMED, "code": "397669002", "display": "Age"})
        value = {"valueRange": {
            **({"low": _years(low)} if low is not None else {}),
            **({"high": _years(high)} if high is not None else {}),
        }}
        notes.append(_age_reading(low, high))
    elif threshold is not None:
        spec, compare, quantity = threshold
        loinc = _loinc(spec)
        if loinc:
            # No display: the catalogue's names are not LOINC's, and a display that is not the code system's own
            # is an error to a terminology-aware validator.
            coding.append({"system": LOINC, "code": loinc})
        value = {"valueQuantity": quantity}
        if compare.transfusion_free_days:
            days = compare.transfusion_free_days
            notes.append(
                f"Only a count drawn at least {days} days after any transfusion of the product that raises it shows "
                "the threshold is met: an earlier one may be transfusion-supported, not the patient's own value, and "
                "leaves the criterion undecided until the count is repeated." if compare.op in ("gt", "ge") else
                f"A count drawn fewer than {days} days after a transfusion of the product that raises it shows the "
                "threshold is met only when it is low despite the transfusion; a higher one may be transfusion-"
                "supported and leaves the criterion undecided until the count is repeated.")
    else:
        value = {"valueCodeableConcept": {"text": criterion.source_text}}
    if criterion.kind not in ("inclusion", "exclusion"):
        notes.append("The source does not say whether this is an inclusion or an exclusion criterion; it is "
                     "published as an inclusion until a reviewer decides.")
    if criterion.interpretation:
        notes.append("Interpretation: " + " ".join(criterion.interpretation.split()))
    description = criterion.source_text + "".join(f"\n\n{note}" for note in notes)
    return {
        "code": {"coding": coding, "text": criterion.title, **_translated_title(criterion)},
        **value,
        "exclude": criterion.kind == "exclusion",
        "extension": [
            {"url": R6_DESCRIPTION, "valueMarkdown": description},
            _criterion_extension(criterion, notes),
        ],
    }


def _translated_title(criterion: Criterion) -> dict[str, Any]:
    """The title in each other language the rule set gives (issue 30), as FHIR's translation extension on the
    element holding the English title, code.text. The description (the source's verbatim English words and the
    notes) carries none: a Persian text there would not be a translation of the element it sat on."""
    if not criterion.translations:
        return {}
    return {"_text": {"extension": [
        {"url": TRANSLATION, "extension": [
            {"url": "lang", "valueCode": language},
            {"url": "content", "valueString": words.title},
        ]}
        for language, words in sorted(criterion.translations.items())
    ]}}


def age_range(criterion: Criterion, rule_set: RuleSet) -> tuple[int | None, int | None] | None:
    """(min, max) completed years when the criterion is exactly the population's age bounds (age_years ge min and
    le max, whole years), else None: any other shape of age logic is published as words."""
    logic = criterion.logic
    parts = logic.all if isinstance(logic, All) else [logic]
    if not parts or not all(isinstance(p, Compare) and p.field == "age_years" for p in parts):
        return None
    bounds: dict[str, int] = {}
    for part in parts:
        assert isinstance(part, Compare)
        value = part.value
        if part.op not in ("ge", "le") or part.op in bounds or isinstance(value, bool | str) \
                or not float(value).is_integer() or part.unit not in (None, "years"):
            return None
        bounds[part.op] = int(value)
    population = rule_set.population
    if bounds.get("ge", population.min_age_years) != population.min_age_years \
            or bounds.get("le", population.max_age_years) != population.max_age_years:
        return None
    return bounds.get("ge"), bounds.get("le")


def simple_threshold(criterion: Criterion) -> tuple[LabSpec, Compare, dict[str, Any]] | None:
    """(lab, rule, Quantity) when the criterion's whole logic is one ordered comparison of a catalogued lab with a
    number in a unit the catalogue converts and UCUM names, else None. The value is given in the lab's canonical
    unit, so 50 10*3/uL is published as 50000 /uL."""
    compare = criterion.logic
    if not isinstance(compare, Compare) or compare.op not in COMPARATORS or not compare.field.startswith("lab."):
        return None
    spec = LABS.get(compare.field.removeprefix("lab."))
    value = compare.value
    if spec is None or isinstance(value, bool | str) or compare.unit not in spec.units:
        return None
    code = UCUM_CODES.get(spec.canonical_unit)
    if code is None:
        return None
    number = to_canonical(spec, value, compare.unit)
    # Six significant digits: a factor such as 1/88.4 must not publish 0.30000000000000004.
    rounded = float(f"{number:.6g}")
    return spec, compare, {
        "value": int(rounded) if rounded.is_integer() else rounded,
        "comparator": COMPARATORS[compare.op],
        "unit": unit_label(spec.canonical_unit) or spec.canonical_unit,
        "system": UCUM,
        "code": code,
    }


def registry_system(registry_id: str) -> str | None:
    for pattern, system in REGISTRY_SYSTEMS:
        if pattern.match(registry_id):
            return system
    return None


def _identifiers(rule_set: RuleSet) -> list[dict[str, Any]]:
    identifiers = []
    for registry_id in rule_set.registry_ids:
        system = registry_system(registry_id)
        identifiers.append({"system": system, "value": registry_id} if system else
                           {"type": {"text": "registry id (registry not recognised)"}, "value": registry_id})
    if rule_set.trial_id not in rule_set.registry_ids:
        identifiers.append({"system": TRIAL_SYSTEM, "value": rule_set.trial_id})
    return identifiers


def _meta(rule_set: RuleSet) -> dict[str, Any]:
    if rule_set.status != "draft":
        return {}
    return {"meta": {"tag": [{"system": RULE_SET_STATUS_SYSTEM, "code": "draft",
                              "display": f"{DRAFT_LABEL}: not reviewed, not for screening"}]}}


def _rule_set_extension(rule_set: RuleSet) -> dict[str, Any]:
    return {"url": RULE_SET_EXTENSION, "extension": [
        {"url": "trialId", "valueString": rule_set.trial_id},
        {"url": "version", "valueString": rule_set.version},
        {"url": "digest", "valueString": rule_set.digest()},
        {"url": "status", "valueCode": rule_set.status},
    ]}


def _criterion_extension(criterion: Criterion, notes: list[str]) -> dict[str, Any]:
    """What a reader needs to rebuild the criterion's words: exact source text, interpretation, citation."""
    parts: list[dict[str, Any]] = [
        {"url": "sourceText", "valueString": criterion.source_text},
        {"url": "kind", "valueCode": criterion.kind},
        {"url": "citation", "valueString": criterion.citation.text()},
    ]
    if criterion.registry_number:
        parts.append({"url": "registryNumber", "valueString": criterion.registry_number})
    if criterion.interpretation:
        parts.append({"url": "interpretation", "valueString": " ".join(criterion.interpretation.split())})
    parts.extend({"url": "note", "valueString": note} for note in notes if not note.startswith("Interpretation: "))
    if criterion.attestation:
        parts.append({"url": "attestation", "valueCode": criterion.attestation})
    if criterion.draft is not None:
        parts.append({"url": "draftPattern", "valueCode": criterion.draft.pattern})
    return {"url": CRITERION_EXTENSION, "extension": parts}


def _recruitment_note(rule_set: RuleSet) -> str:
    recruitment = rule_set.recruitment
    if recruitment is None:
        return "The rule set states no recruitment status: status is given as unknown."
    mapped = RECRUITMENT_STATUS.get(recruitment.status)
    said = f"Recruitment status {recruitment.status} as of {recruitment.as_of.isoformat()} ({recruitment.source})"
    return said + ("." if mapped else ": not a status this export maps, so status is given as unknown.")


def _years(value: int) -> dict[str, Any]:
    return {"value": value, "unit": "years", "system": UCUM, "code": "a"}


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _age_reading(low: int | None, high: int | None) -> str:
    start = "from birth" if not low else f"from the {_ordinal(low)} birthday"
    end = "" if high is None else f" until the day before the {_ordinal(high + 1)} birthday"
    bounds = f"{low if low is not None else 0} to {high} a" if high is not None else f"from {low} a"
    return (f"Ages are completed years on the screening date: the range {bounds} means eligible {start}{end} "
            "(the range's bounds are whole years of age, inclusive).")


def _loinc(spec: LabSpec) -> str | None:
    """The catalogue's first LOINC code that takes the canonical unit (a molar code never labels a mass value)."""
    for code in spec.loinc:
        if spec.canonical_unit in spec.loinc_units.get(code, (spec.canonical_unit,)):
            return code
    return None
