"""A study record into the rule file's data: every item a criterion, in order, with its reading."""
import hashlib
import re
from typing import Any

from ...model.ctgov import Study
from ...model.errors import ScreenerError
from ._patterns import Reading, mentions_age, plain_words, read_item, unescaped
from ._split import Item, split
from ._structured import Ages, ages, sexes

_HEADERS = {"inclusion": "Inclusion Criteria", "exclusion": "Exclusion Criteria", "unclassified": "Before the headers"}
_LETTER = {"inclusion": "I", "exclusion": "E", "unclassified": "U"}
_ALTERNATIVES = re.compile(r"\b(?:one of|any of|either|at least one|or|any)\b")
# The only headings (a parent bullet, a free sub-heading) whose sub-points are drafted: a plain organ-function or
# laboratory heading, which adds nothing to its sub-points' meaning. Any other words above a threshold (a cohort, a
# donor, "the following are not exclusions", "patients with marrow involvement only") may restrict or invert it.
_SYSTEM = (r"(?:bone marrow|marrow|ha?ematologic(?:al)?|ha?ematopoietic|organ|end[- ]organ|renal|"
           r"kidney|hepatic|liver|laboratory|lab)")
_PLAIN_HEADING = re.compile(
    r"^(?:(?:the )?(?:patients?|subjects?|participants?)(?: must)? (?:have|has|with) )?"
    r"(?:adequate|inadequate|insufficient|sufficient|normal|abnormal)?\s*" + _SYSTEM
    + r"(?:(?:,| and|, and) " + _SYSTEM + r")*"
    r"(?: (?:function|values|parameters|requirements|tests))?"
    r"(?:,? (?:defined as|as defined by|as defined below|as follows))?"
    r"(?: the following)?\s*:?$"
    # "must meet all of the following": each sub-point required, as if it stood alone
    r"|^(?:(?:the )?(?:patients?|subjects?|participants?|children) )?(?:must )?(?:meet|fulfil|fulfill|satisfy|have) "
    r"all (?:of )?the following(?: criteria| requirements)?\s*:?$")
# An alternative written across items: "... or" closing one item, "OR ..." opening the next, or "OR" alone.
_OR_AFTER = re.compile(r"\b(?:or|and/or|either)\s*[.;:,]?$")
_OR_BEFORE = re.compile(r"^(?:or|and/or)\b")
# A window the text sets for when labs are drawn ("laboratory values obtained within 7 days prior to enrollment",
# "within 72 hours"): a drafted lab rule that took a value older than that would pass on a value the protocol does
# not accept. Any such words shorten the draft's lookback (a wrong match only shortens it: more unknowns, never a
# pass).
_LAB_WINDOW = re.compile(
    r"\b(?:lab|labs|laborator\w*|blood counts?|cbc|hematolog\w*|chemistr\w*|tests?|values?|obtained|performed|drawn|"
    r"done|studies|evaluations?|assessments?)"
    r"\b[^.;]{0,120}?\bwithin\s+(?:the\s+)?(?:last\s+|past\s+|previous\s+)?(?P<n>\d{1,3})\s*"
    r"(?P<unit>days?|hours?|hrs?|h|weeks?)\b")
_LABS_DAYS = 14
_DRAFTED_DEFAULT = "Chosen by `screener rules draft`, not by the source: the registry states none. Review it."


def eligibility_sha256(study: Study) -> str:
    return hashlib.sha256(study.eligibility.eligibilityCriteria.encode("utf-8")).hexdigest()


def structured_lines(study: Study) -> dict[str, str]:
    """The structured fields a criterion quotes, as "name: value" lines (the rule file's source words for them)."""
    module = study.eligibility
    lines = {}
    for name in ("minimumAge", "maximumAge", "sex"):
        value = getattr(module, name)
        if value is not None:
            lines[name] = f"{name}: {value}"
    return lines


def source_text(study: Study) -> str:
    """Everything a drafted criterion may quote: the eligibility text, then the structured fields' lines."""
    return study.eligibility.eligibilityCriteria + "\n\n" + "\n".join(structured_lines(study).values())


def _title(text: str) -> str:
    words = " ".join(unescaped(text).split())
    if len(words) <= 120:
        return words if len(words) >= 3 else f"Item: {words}"
    cut = words[:118].rsplit(" ", 1)[0]
    return cut + " …"


def _age_logic(bounds: tuple[int | None, int | None]) -> dict[str, Any] | None:
    low, high = bounds
    leaves = ([{"field": "age_years", "op": "ge", "value": low, "unit": "years"}] if low is not None else []) + (
        [{"field": "age_years", "op": "le", "value": high, "unit": "years"}] if high is not None else [])
    if not leaves:
        return None
    return leaves[0] if len(leaves) == 1 else {"all": leaves}


def _years(bounds: tuple[int | None, int | None]) -> str:
    low, high = bounds
    if low is not None and high is not None:
        return f"{low} to {high} years"
    return f"at least {low} years" if low is not None else f"at most {high} years"


def _plain_words(text: str) -> str:
    return " ".join(unescaped(text).lower().split())


def _beside_or(items: list[Item], index: int) -> bool:
    """Whether an "or" joins the item to the sibling before or after it (the same parent, section and group)."""
    item = items[index]

    def sibling(other: int) -> Item | None:
        if 0 <= other < len(items):
            candidate = items[other]
            if (candidate.parent, candidate.section, candidate.group) == (item.parent, item.section, item.group):
                return candidate
        return None

    before, after = sibling(index - 1), sibling(index + 1)
    words = _plain_words(item.text)
    return bool(_OR_BEFORE.search(words) or _OR_AFTER.search(words)
                or (before is not None and _OR_AFTER.search(_plain_words(before.text)))
                or (after is not None and _OR_BEFORE.search(_plain_words(after.text))))


def _in_context(reading: Reading, above: list[tuple[str, str]], beside_or: bool) -> Reading:
    """A drafted reading kept only when nothing around the item may change what it means."""
    for what, words in above:
        plain = _plain_words(words)
        if _ALTERNATIVES.search(plain):
            # Sub-points of "one of the following" are alternatives: each drafted as a criterion of its own would
            # require (or exclude on) every one of them.
            return Reading("unencoded-alternatives", f"Not drafted: {what} above it may make its sub-points "
                           "alternatives (one of, any of, either, or); a reviewer encodes them together.",
                           reading.matched)
        if not _PLAIN_HEADING.match(plain):
            return Reading("unencoded-context", f"Not drafted: it stands under {what}, whose words may restrict it to "
                           "some patients (a cohort, a donor) or turn its meaning round (exceptions, 'not'); a "
                           "reviewer reads the two together.", reading.matched)
    if beside_or:
        return Reading("unencoded-alternatives", "Not drafted: an 'or' joins it to the item before or after it, so it "
                       "may be one of alternatives; a reviewer encodes them together.", reading.matched)
    return reading


def _lookback(eligibility: str) -> dict[str, Any]:
    """The draft's lookback: its defaults, the labs' window shortened to the shortest the text states for them."""
    windows = []
    for match in _LAB_WINDOW.finditer(plain_words(eligibility)):
        n, unit = int(match.group("n")), match.group("unit")
        # In whole days on the strict side: 72 hours is 2 days (a value 3 calendar days old may be 80 hours old).
        days = n * 7 if unit.startswith("week") else n if unit.startswith("day") else max(1, n // 24 - 1)
        windows.append((max(1, days), match.group(0)))
    rationale = _DRAFTED_DEFAULT
    labs = _LABS_DAYS
    if windows and min(windows)[0] < _LABS_DAYS:
        labs, words = min(windows)
        rationale = (f"labs_days {labs}: the eligibility text says '{words}' (the shortest window it states near "
                     "laboratory words, in whole days on the strict side); check which tests it covers. The other "
                     "windows: " + _DRAFTED_DEFAULT)
    return {"labs_days": labs, "imaging_days": 42, "findings_days": 14, "attestations_days": 14,
            "rationale": rationale}


class MissingVersion(ValueError, ScreenerError):
    """No data version to date the draft and its drift check by."""

    field = "derivedSection.miscInfoModule.versionHolder"

    def __init__(self):
        super().__init__(f"{self.field}: required, the record's data version dates the draft")


class NothingToDraft(ValueError, ScreenerError):
    """An eligibility text without a single item a criterion can quote (at least 3 characters with words)."""

    field = "protocolSection.eligibilityModule.eligibilityCriteria"

    def __init__(self):
        super().__init__(f"{self.field}: holds no criterion to draft (no item of at least 3 characters with words)")


class _Builder:
    def __init__(self, study: Study, path: str):
        self.study, self.path = study, path
        self.trial = study.nct_id
        self.ages: Ages = ages(study.eligibility)
        self.lines = structured_lines(study)
        self.age_notes: list[str] = []  # what the age items said beside the structured ages

    def citation(self, section: str) -> dict[str, str]:
        return {"source": self.path, "section": section, "reference": self.trial}

    def age_criterion(self) -> dict[str, Any] | None:
        quoted = [self.lines[n] for n in ("minimumAge", "maximumAge") if n in self.lines]
        if self.ages.minimum is None and self.ages.maximum is None:
            return None
        criterion: dict[str, Any] = {
            "id": f"{self.trial}-AGE", "kind": "inclusion", "title": "", "registry_number": None,
            "source_text": "\n".join(quoted),
            "citation": self.citation("eligibilityModule: minimumAge, maximumAge"),
        }
        bounds = self.ages.rule_bounds
        if self.ages.exact:
            criterion["title"] = f"Age {_years(bounds)}"
            note = ("Ages are completed years on the as-of date (ClinicalTrials.gov's maximum admits a child up to the "
                    "day before the next birthday); an absent or N/A bound is no limit.")
            criterion["interpretation"] = note
            criterion["logic"] = _age_logic(bounds)
            criterion["draft"] = {"pattern": "structured-age", "matched": ", ".join(quoted)}
        else:
            criterion["title"] = "Age limits not in whole years"
            criterion["interpretation"] = (
                "Not drafted: a bound is not whole years (or is a maximum in months, weeks or days, which admits a "
                "child up to the day before the next such unit), and rules read age in completed years (the record "
                "schema has no finer age field), so no rule says exactly what the record says. The population covers "
                "the completed years around it; a reviewer encodes the age limit.")
            criterion["unencoded"] = True
            criterion["draft"] = {"pattern": "unencoded-age-unit", "matched": ", ".join(quoted)}
        return criterion

    def sex_criterion(self) -> dict[str, Any] | None:
        sex = self.study.eligibility.sex
        if sex not in ("FEMALE", "MALE"):
            return None
        value = sex.lower()
        return {
            "id": f"{self.trial}-SEX", "kind": "inclusion", "title": f"Sex: {value}", "registry_number": None,
            "source_text": self.lines["sex"], "citation": self.citation("eligibilityModule: sex"),
            "interpretation": f"The record's sex must be {value}; other and unknown do not pass.",
            "logic": {"field": "sex", "op": "eq", "value": value},
            "draft": {"pattern": "structured-sex", "matched": self.lines["sex"]},
        }

    def items(self) -> list[dict[str, Any]]:
        items = split(self.study.eligibility.eligibilityCriteria)
        if not items or any(len(item.text) < 3 for item in items):
            raise NothingToDraft()
        ids: list[str] = []
        counters: dict[str, int] = {}
        children: dict[int, int] = {}
        criteria = []
        for item in items:
            if item.parent is not None:
                children[item.parent] = children.get(item.parent, 0) + 1
                ident = f"{ids[item.parent]}.{children[item.parent]}"
                position = f"{_HEADERS[item.section]}, sub-point {children[item.parent]} of {ids[item.parent]}"
            else:
                counters[item.section] = counters.get(item.section, 0) + 1
                ident = f"{self.trial}-{_LETTER[item.section]}{counters[item.section]}"
                position = f"{_HEADERS[item.section]}, item {counters[item.section]}"
            ids.append(ident)
            section = f"{_HEADERS[item.section]} {item.number}" if item.number else position
            above: list[tuple[str, str]] = []
            up = item.parent
            while up is not None:
                above.append((ids[up], items[up].text))
                up = items[up].parent
            above += [(f"the heading '{heading}'", heading) for heading in reversed(item.headings)]
            criteria.append(self.item(item, ident, above, _beside_or(items, len(ids) - 1), section))
        return criteria

    def item(self, item: Item, ident: str, above: list[tuple[str, str]], beside_or: bool,
             section: str) -> dict[str, Any]:
        """above: (what, words) of every heading over the item, nearest first (parents, then its group)."""
        parent = above[0][0] if above and item.parent is not None else None
        reading = read_item(item.text, item.section, self.ages.population)
        drafted = reading.logic is not None or reading.attestation is not None or reading.age_bounds is not None
        if drafted:
            reading = _in_context(reading, above, beside_or)
        criterion: dict[str, Any] = {
            "id": ident, "kind": item.section, "title": _title(item.text), "registry_number": item.number,
            "source_text": item.text, "citation": self.citation(section),
        }
        if parent is not None:
            criterion["parent"] = parent
        if item.group is not None:
            criterion["group"] = item.group
        if reading.age_bounds is not None:
            reading = self.age_bullet(reading, ident, item)
        elif item.section != "unclassified" and mentions_age(item.text):
            self.age_notes.append(f"{ident} mentions age in words the drafter does not read: not cross-checked.")
        criterion["interpretation"] = reading.note
        if reading.logic is not None:
            criterion["logic"] = reading.logic
        elif reading.attestation is not None:
            criterion["attestation"] = reading.attestation
        else:
            criterion["unencoded"] = True
        criterion["draft"] = {"pattern": reading.pattern, "matched": reading.matched}
        return criterion

    def age_bullet(self, reading: Reading, ident: str, item: Item) -> Reading:
        stated = reading.age_bounds
        assert stated is not None
        structured = self.ages.rule_bounds if self.ages.exact else None
        words = f"'{reading.matched}' ({_years(stated)})"
        if structured == stated and item.section == "exclusion":
            # "Over 85" read on the strict side excludes from the day after the 85th birthday; the structured maximum
            # (ClinicalTrials.gov's convention) admits until the day before the 86th. Not drafted either way.
            return Reading("unencoded-age-exclusion", f"Not drafted: {ident} states {words} as an exclusion; read on "
                           "the strict side, an age 'over' or 'above' the bound excludes from the day after that "
                           "birthday, while the structured maximum admits the whole year (ClinicalTrials.gov's "
                           f"convention), which {self.trial}-AGE encodes. A reviewer decides which reading the "
                           "protocol means.", reading.matched)
        if structured == stated:
            logic = _age_logic(stated)
            assert logic is not None
            return Reading("age-bullet", f"Drafted from {words}: agrees with the structured age fields (criterion "
                           f"{self.trial}-AGE).", reading.matched, logic)
        said = (f"the structured fields say {_years(structured)}" if structured and structured != (None, None) else
                "the structured fields give no age limit in whole years")
        if structured is not None and all(s is None or s == t for s, t in zip(stated, structured, strict=True)):
            # It states fewer limits than the structured fields, and those it states agree: nothing to flag.
            return Reading("unencoded-age-partial", f"Not drafted: {ident} states {words}, part of the structured "
                           f"age limits ({said}), which {self.trial}-AGE encodes. A reviewer decides whether this item "
                           "needs a rule of its own.", reading.matched)
        flag = f"AGE DISAGREEMENT: {ident} states {words}, {said}. Not guessed: a reviewer decides which holds."
        self.age_notes.append(flag)
        return Reading("unencoded-age-disagreement", f"Not drafted. {flag}", reading.matched)


def build(study: Study, path: str) -> dict[str, Any]:
    """The draft rule set as data, in the rule file's key order."""
    builder = _Builder(study, path)
    age = builder.age_criterion()
    sex = builder.sex_criterion()
    items = builder.items()
    criteria = [c for c in (age, sex) if c is not None] + items
    if age is not None and builder.age_notes:
        age["interpretation"] = age["interpretation"] + " " + " ".join(builder.age_notes)
    low, high = builder.ages.population
    version = study.version_date
    if version is None:
        raise MissingVersion()
    status = study.protocolSection.statusModule
    drafted = sum(1 for c in criteria if "unencoded" not in c)
    module = study.eligibility
    volunteers = module.healthyVolunteers
    context = [f"healthyVolunteers: {str(volunteers).lower()}" if volunteers is not None else None,
               f"stdAges: {', '.join(module.stdAges)}" if module.stdAges else None]
    identification = study.protocolSection.identificationModule
    data: dict[str, Any] = {
        "trial_id": study.nct_id,
        "title": identification.briefTitle,
        "status": "draft",
        "registry_ids": [study.nct_id],
        "version": "0.1.0",
        "changelog": [{"version": "0.1.0", "date": version,
                       "changes": f"Drafted by `screener rules draft` from {path}; not reviewed."}],
        "description": f"Draft from the ClinicalTrials.gov record {study.nct_id}. "
        + "; ".join(c for c in context if c) + ("." if any(context) else ""),
        "source_record": path,
        "population": {"min_age_years": low, "max_age_years": high, "sexes": sexes(module)},
        "lookback": _lookback(module.eligibilityCriteria),
        "enrolment": {"waivers": "none", "waiver_policy": "No criterion may be waived. " + _DRAFTED_DEFAULT,
                      "registration_window_days": 7, "rationale": _DRAFTED_DEFAULT},
        "coverage": {"complete": False, "statement": (
            f"Drafted: {drafted} of {len(criteria)} criteria have a drafted rule or attestation; the others are "
            "placeholders (always unknown) until a reviewer encodes them."
            + ("" if age is not None or not builder.age_notes else " " + " ".join(builder.age_notes)))},
    }
    if status is not None and status.overallStatus:
        data["recruitment"] = {"status": status.overallStatus, "as_of": version,
                               "source": f"ClinicalTrials.gov record {study.nct_id}, version {version.isoformat()}"}
    data["registry_record"] = {
        "registry": "ClinicalTrials.gov", "id": study.nct_id,
        "version_date": version,
        "eligibility_sha256": eligibility_sha256(study), "path": path,
    }
    data["criteria"] = criteria
    return data
