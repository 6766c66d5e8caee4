"""What the drafter reads out of one item's words: a rule, a known attestation, or a placeholder and why.

Safety first: a drafted threshold must never be wrong. So a rule is drafted only when the whole item is one of the
templates below, word for word apart from spacing, case and markdown escapes: one known analyte, one comparator,
one number, one unit the lab catalogue converts (or a multiple of the ULN), nothing else. Any other word (a heading
such as "Insufficient bone marrow function:", "or", "unless", a second number, a footnote digit, an age in
brackets) leaves the item a placeholder that says why. The comparison's direction must also be the one the
section states: an exclusion states what excludes (low counts, high bilirubin), an inclusion what is required; an
item that reads the other way round may state the requirement under the wrong heading, and a reviewer decides.
"""
import re
from dataclasses import dataclass, field
from typing import Any

from ...model.labs import LABS

Logic = dict[str, Any]


@dataclass(frozen=True)
class Reading:
    """A rule (logic), an attestation, or neither (a placeholder); the pattern and the words it read; a note."""

    pattern: str
    note: str
    matched: str | None = None
    logic: Logic | None = None
    attestation: str | None = None
    age_bounds: tuple[int | None, int | None] | None = field(default=None, compare=False)


_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!<>=~|^])")
_SYMBOLS = {"≥": ">=", "≤": "<=", "=>": ">=", "=<": "<=", "µ": "u", "μ": "u", "²": "2", "³": "3", "⁹": "9",
            "×": "x", "–": "-", "—": "-", "’": "'", "\u00a0": " "}


def unescaped(text: str) -> str:
    """The words as people read them: markdown escapes (\\> for >) removed."""
    return _ESCAPE.sub(r"\1", text)


def _plain(text: str) -> str:
    """Lower case, symbols spelled one way, whitespace collapsed: what the templates match."""
    # "10⁹" is 10^9, not 109: the power read before superscript digits become plain ones.
    text = unescaped(text).replace("10⁹", "10^9").replace("10³", "10^3")
    for symbol, plain in _SYMBOLS.items():
        text = text.replace(symbol, plain)
    return re.sub(r"\s+", " ", text).strip().lower()


def plain_words(text: str) -> str:
    """The words as the templates read them (lower case, one spelling of each symbol)."""
    return _plain(text)


# --- comparators, numbers, units -------------------------------------------------------------------------------------
_COMPARATORS = {
    "greater than or equal to": "ge", "less than or equal to": "le", "more than or equal to": "ge",
    "no more than": "le", "not more than": "le", "no greater than": "le", "not greater than": "le",
    "no less than": "ge", "not less than": "ge", "at least": "ge", "at most": "le",
    "more than": "gt", "greater than": "gt", "higher than": "gt", "above": "gt",
    "less than": "lt", "lower than": "lt", "below": "lt",
    ">=": "ge", "<=": "le", ">": "gt", "<": "lt",
}
_CMP = "(?P<cmp>" + "|".join(re.escape(c) for c in sorted(_COMPARATORS, key=len, reverse=True)) + ")"
# Bounded (no threshold has more digits): an unbounded run backtracked quadratically on an item of many digits.
_NUMBER = r"(?P<number>\d{1,3}(?:,\d{3}){1,3}|\d{1,7}(?:\.\d{1,4})?)"
_END = r"\s*[.;]?$"

# Unit spellings (lower case, spaces removed) to the lab catalogue's codes; only these are read.
_UNITS = {
    "/ul": "/uL", "/mcl": "/uL", "permicroliter": "/uL", "/microliter": "/uL", "cells/ul": "/uL",
    "/mm3": "/mm3", "cells/mm3": "/mm3", "/cumm": "/mm3", "/mm^3": "/mm3", "cells/mm^3": "/mm3",
    "x10^3/mm^3": "10*3/mm3",
    "x10^9/l": "10*9/L", "x10(9)/l": "10*9/L", "x109/l": None, "10^9/l": "10*9/L", "x10e9/l": "10*9/L",
    "x10^3/ul": "10*3/uL", "10^3/ul": "10*3/uL", "k/ul": "K/uL", "x10^3/mm3": "10*3/mm3",
    "g/dl": "g/dL", "gm/dl": "g/dL", "g/deciliter": "g/dL", "gramsperdeciliter": "g/dL", "gr/dl": "g/dL",
    "g/l": "g/L", "mmol/l": "mmol/L",
    "mg/dl": "mg/dL", "umol/l": "umol/L", "micromol/l": "umol/L",
    "u/l": "U/L", "iu/l": "IU/L", "units/l": "U/L", "unitsperliter": "U/L",
}

# Analytes of the lab catalogue the drafter reads, each as the whole phrase an item may name it by.
_ANALYTES: dict[str, str] = {
    "platelets": r"(?:platelet count|platelets|platelet|plt)(?: count)?",
    "anc": r"(?:absolute neutrophil count(?: \(anc\))?|anc)",
    "hemoglobin": r"(?:hemoglobin|haemoglobin|hgb|hb)(?: \((?:hgb|hb)\))?(?: level| concentration)?",
    "bilirubin": r"(?:total bilirubin|bilirubin \(total\)|bilirubin)(?: level)?",
    "alt": r"(?:alt(?: \(sgpt\))?|sgpt(?: \(alt\))?|alanine (?:aminotransferase|transaminase)(?: \((?:alt|sgpt)\))?)"
           r"(?: level)?",
    "ast": r"(?:ast(?: \(sgot\))?|sgot(?: \(ast\))?|aspartate (?:aminotransferase|transaminase)(?: \((?:ast|sgot)\))?)"
           r"(?: level)?",
    "creatinine": r"creatinine(?: level)?",
}
_PREFIX = r"(?:serum |plasma |blood )?"
_VERB = r"(?:\s*(?:of|:|is|must be|should be))?\s*"
# A higher value is better for these (a count, a score): an inclusion asks for at least, an exclusion names a low one.
_HIGHER_IS_BETTER = {"platelets", "anc", "hemoglobin", "lansky_karnofsky"}
_EXPECTED_OPS = {  # (section, higher is better) -> the comparators that section states
    ("inclusion", True): ("ge", "gt"), ("inclusion", False): ("le", "lt"),
    ("exclusion", True): ("le", "lt"), ("exclusion", False): ("ge", "gt"),
}


# Where eligibility thresholds of these labs lie, in the canonical unit (and for ULN multiples). A number outside
# is likelier a slip of the unit ("platelets >= 100/uL" for 100 x 10^3/uL) than a threshold: not drafted.
_THRESHOLD_BAND = {
    "platelets": (5_000, 500_000), "anc": (100, 5_000), "hemoglobin": (4, 16), "bilirubin": (0.2, 10),
    "alt": (10, 1_000), "ast": (10, 1_000), "creatinine": (0.1, 10),
}
_MULTIPLE_BAND = (1, 20)
# "1.000": a '.' that separates thousands in another convention (1000), or a decimal point (1.0).
_AMBIGUOUS_NUMBER = re.compile(r"^\d{1,3}\.\d{3}$")


def _slip(lab: str, matched: str, why: str) -> Reading:
    return Reading("unencoded-number", f"Not drafted: '{matched}' gives {LABS[lab].description} {why}; a reviewer "
                   "checks the number and its unit against the source.", matched)


def _number(text: str) -> float:
    value = float(text.replace(",", ""))
    return int(value) if value.is_integer() else value


def _direction_ok(lab: str, op: str, section: str) -> bool:
    return op in _EXPECTED_OPS.get((section, lab in _HIGHER_IS_BETTER), ())


def _wrong_direction(lab: str, section: str, matched: str) -> Reading:
    return Reading(
        "unencoded-direction", f"Not drafted: '{matched}' compares {LABS[lab].description} in the direction "
        f"opposite to what an {section} criterion states, so it may state the requirement under the {section} "
        "heading (or the reverse). A reviewer decides which condition the item means.", matched)


def _lab(plain: str, section: str) -> Reading | None:
    for lab, analyte in _ANALYTES.items():
        head = rf"^{_PREFIX}(?P<analyte>{analyte}){_VERB}{_CMP}\s*{_NUMBER}\s*"
        multiple = re.match(head + r"(?:x|times)\s*(?:the\s+)?(?:institutional\s+)?(?:upper limit of normal|uln)"
                            r"(?: \(uln\))?(?: for age)?" + _END, plain)
        if multiple:
            op = _COMPARATORS[multiple.group("cmp")]
            if op not in ("ge", "gt", "le", "lt"):
                return None
            if lab in _HIGHER_IS_BETTER:
                # A count or hemoglobin is held to a number, never to a multiple of its upper limit: such words are
                # a slip (of LLN, of the analyte) that a reviewer reads.
                return _slip(lab, multiple.group(0), "as a multiple of its upper limit of normal, which such "
                             "thresholds never are")
            if not _direction_ok(lab, op, section):
                return _wrong_direction(lab, section, multiple.group(0))
            value = _number(multiple.group("number"))
            if _AMBIGUOUS_NUMBER.match(multiple.group("number")) or not (
                    _MULTIPLE_BAND[0] <= value <= _MULTIPLE_BAND[1]):
                return _slip(lab, multiple.group(0), "a multiple of the ULN outside 1 to 20 times, or written "
                             "ambiguously")
            return Reading(
                "lab-uln-multiple",
                f"Drafted from '{multiple.group(0)}': {LABS[lab].description} {op} {value} × ULN (the reporting lab's "
                "upper limit, else the default table's by age)" + _section_words(section),
                multiple.group(0), {"field": f"lab.{lab}", "op": op, "multiple": value, "of": "uln"})
        single = re.match(head + r"(?P<unit>[a-z0-9/^().*% ]{1,60}?)" + _END, plain)
        if single:
            spelled = single.group("unit").strip()
            unit = _UNITS.get(spelled.replace(" ", ""))
            if unit is None and spelled.replace(" ", "") not in _UNITS and " " in spelled:
                return None  # more words after the number than a unit: not this template
            op = _COMPARATORS[single.group("cmp")]
            if unit is None or unit not in LABS[lab].units:
                return Reading(
                    "unencoded-unit", f"Not drafted: the unit of '{single.group(0)}' is not one the lab catalogue "
                    f"converts for {LABS[lab].description}; a reviewer encodes it.", single.group(0))
            if not _direction_ok(lab, op, section):
                return _wrong_direction(lab, section, single.group(0))
            value = _number(single.group("number"))
            if _AMBIGUOUS_NUMBER.match(single.group("number")):
                return _slip(lab, single.group(0), "a number whose '.' may separate thousands")
            low, high = _THRESHOLD_BAND[lab]
            if not low <= value * LABS[lab].units[unit] <= high:
                return _slip(lab, single.group(0), f"a threshold outside where such thresholds lie ({low:g} to "
                             f"{high:g} {LABS[lab].canonical_unit}): a slip of the unit is likelier")
            return Reading(
                "lab-threshold",
                f"Drafted from '{single.group(0)}': {LABS[lab].description} {op} {value} {unit}"
                + _section_words(section),
                single.group(0), {"field": f"lab.{lab}", "op": op, "value": value, "unit": unit})
    return None


def _section_words(section: str) -> str:
    return (", the condition that excludes." if section == "exclusion" else ", the requirement.") + (
        " Check the boundary and the unit against the source words.")


# --- performance score -----------------------------------------------------------------------------------------------
_PERFORMANCE = re.compile(
    r"^(?:performance (?:status|score)(?: \(ps\))?(?: of)?:? )?(?P<one>lansky|karnofsky)(?:\s*(?:/|or)\s*"
    r"(?P<two>lansky|karnofsky))?(?: performance)?(?: (?:status|score|scale))?(?: \((?:ps|kps|lps)\))?"
    r"(?: of| score of)?\s*" + _CMP + r"\s*(?P<number>\d{1,3})\s*%?" + _END)


def _performance(plain: str, section: str, ages: tuple[int | None, int | None]) -> Reading | None:
    match = _PERFORMANCE.match(plain)
    if not match:
        return None
    scales = {match.group("one"), match.group("two")} - {None}
    op, value = _COMPARATORS[match.group("cmp")], int(match.group("number"))
    low, high = ages
    # The record holds one score: Lansky under 16, Karnofsky from 16. An item naming one scale only covers a
    # population that only ever has that scale.
    covers = len(scales) == 2 or (scales == {"karnofsky"} and low is not None and low >= 16) or (
        scales == {"lansky"} and high is not None and high <= 15)
    if not covers:
        return Reading("unencoded-scale", f"Not drafted: '{match.group(0)}' names only the {scales.pop().title()} "
                       "scale, while the record holds one score (Lansky under 16, Karnofsky from 16) and this "
                       "population can have the other; a reviewer decides.", match.group(0))
    # Both scales go in steps of 10 from 0 to 100: any other number is not one of their scores.
    if value > 100 or value % 10 or not _direction_ok("lansky_karnofsky", op, section):
        return Reading("unencoded-direction", f"Not drafted: '{match.group(0)}' is not a score threshold in the "
                       f"direction an {section} criterion states; a reviewer decides.", match.group(0))
    return Reading(
        "performance-score", f"Drafted from '{match.group(0)}': Lansky/Karnofsky score {op} {value}"
        + _section_words(section), match.group(0),
        {"field": "lab.lansky_karnofsky", "op": op, "value": value, "unit": "score"})


# --- washouts: days since an event the record's histories date --------------------------------------------------
# (pattern name, the event as an item words it, the rule file's `since`, the event in a note, what else the note says)
_EVENTS: tuple[tuple[str, str, dict[str, Any], str, str], ...] = (
    ("chemotherapy", r"(?:myelosuppressive\s+)?chemotherapy", {"chemotherapy_end": True}, "the end of chemotherapy",
     " It counts any chemotherapy in the record's history, myelosuppressive or not (the stricter reading)."),
    ("autologous-transplant", r"autologous\s+(?:hematopoietic\s+|haematopoietic\s+|peripheral blood\s+)?"
     r"(?:stem cell\s+)?(?:transplant|transplantation|hsct|sct)", {"transplant": "autologous"},
     "an autologous transplant", ""),
    ("platelet-transfusion", r"platelet\s+transfusions?", {"transfusion": "platelets"}, "a platelet transfusion", ""),
    ("red-cell-transfusion", r"(?:packed\s+)?(?:red (?:blood )?cell|rbc|prbc)\s+transfusions?",
     {"transfusion": "red_cells"}, "a red-cell transfusion", ""),
)
_WITHIN = (r"\s+within\s+(?:the\s+)?(?:last\s+|past\s+|previous\s+|preceding\s+)?(?P<days>\d{1,3})\s+days"
           r"(?:\s+(?:before|prior to)\s+(?:study\s+)?(?:enrollment|enrolment|entry|registration))?" + _END)


def _since_pattern(event: str) -> re.Pattern:
    return re.compile(r"^(?:at least|>=)\s*(?P<days>\d{1,3})\s*days\s+(?:must have (?:elapsed|passed)\s+)?"
                      r"(?:since|after|from)\s+(?:the\s+)?(?:(?:last dose of|completion of|end of|last|most recent|"
                      r"prior)\s+)?(?:the\s+)?(?:last\s+)?(?:prior\s+)?" + event + _END)


_WASHOUTS = tuple(
    (name, _since_pattern(event), re.compile(r"^no\s+" + event + _WITHIN),
     re.compile(r"^(?:received\s+|receipt of\s+|treatment with\s+)?" + event + _WITHIN), since, words, more)
    for name, event, since, words, more in _EVENTS)


def _washout(plain: str, section: str) -> Reading | None:
    for name, since_pattern, none_within, within, since, words, more in _WASHOUTS:
        if section == "inclusion" and (match := since_pattern.match(plain)):
            days = int(match.group("days"))
            if days < 1:
                return None  # "at least 0 days" is no window: nothing to draft
            return Reading(
                f"washout-since-{name}", f"Drafted from '{match.group(0)}': not within the last {days} days of "
                f"{words} (day -{days} and earlier pass)." + more, match.group(0),
                {"not": {"within_days": days, "since": since}})
        exclusion_within = section == "exclusion"
        match = (within if exclusion_within else none_within).match(plain)
        if match:
            days = int(match.group("days"))
            window = {"within_days": days + 1, "since": since}
            return Reading(
                f"washout-within-{name}", f"Drafted from '{match.group(0)}': {words} within the last {days} days "
                f"{'excludes' if exclusion_within else 'is not allowed'}; 'within {days} days' is read on the strict "
                f"side, day -{days} included (encoded as a window of {days + 1} days)." + more, match.group(0),
                window if exclusion_within else {"not": window})
    return None


# --- attestations ----------------------------------------------------------------------------------------------------
_GUARDIANS = r"(?:the\s+)?(?:patient'?s\s+)?(?:parents?|guardians?|legal guardians?|parents? or (?:legal )?guardians?)"
_ATTESTATIONS: tuple[tuple[str, str, re.Pattern], ...] = (
    ("inclusion", "life_expectancy_at_least_6_months", re.compile(
        r"^(?:a\s+)?(?:minimum\s+)?life expectancy(?:\s+of)?(?:\s+(?:at least|>=))?\s+(?:of\s+)?(?:6|six)\s+months"
        + _END)),
    ("inclusion", "able_to_comply", re.compile(
        r"^(?:able|ability)\s+to\s+comply\s+with\s+(?:the\s+)?(?:study\s+)?(?:protocol(?:\s+requirements)?|"
        r"study procedures)" + _END)),
    ("exclusion", "able_to_comply", re.compile(
        r"^(?:inability|unable|not able)\s+to\s+comply\s+with\s+(?:the\s+)?(?:study\s+)?"
        r"(?:protocol(?:\s+requirements)?|study procedures)" + _END)),
    ("inclusion", "guardian_consent_signed", re.compile(
        r"^(?:written\s+|signed\s+)?(?:informed\s+)?consent\s+(?:signed|given|provided|obtained)\s+(?:by|from)\s+"
        + _GUARDIANS + _END)),
    ("exclusion", "guardian_consent_signed", re.compile(
        r"^(?:lack of|no|absence of)\s+(?:confirmed\s+and\s+)?(?:signed|written)\s+(?:informed\s+)?consent\s+"
        r"(?:by|from)\s+" + _GUARDIANS + _END)),
    ("exclusion", "no_emergency_condition", re.compile(
        r"^inability to tolerate (?:new )?treatment due to (?:an )?emergency conditions?" + _END)),
)


def _attestation(plain: str, section: str) -> Reading | None:
    for where, name, pattern in _ATTESTATIONS:
        if where == section and (match := pattern.match(plain)):
            return Reading(
                "attestation", f"Drafted as the investigator's attestation {name}: the words are exactly what it "
                "attests" + (" (its absence excludes)." if section == "exclusion" else "."), match.group(0),
                attestation=name)
    return None


# --- ages stated in an item ------------------------------------------------------------------------------------------
_YEARS = r"\s*years?(?: of age| old)?"
_AGE_RANGE = re.compile(r"^(?:ages?d?\s*:?\s*)?(?:between\s+)?(?P<lo>\d{1,3})\s*(?:-|to|and)\s*(?P<hi>\d{1,3})"
                        + _YEARS + r"(?: at (?:the time of )?(?:enrollment|enrolment|study entry|registration))?"
                        + _END)
_AGE_MIN = re.compile(r"^(?:ages?d?\s*:?\s*)?(?:(?:>=|at least)\s*(?P<a>\d{1,3})" + _YEARS + r"|(?P<b>\d{1,3})"
                      + _YEARS + r" or older)" + _END)
_AGE_MAX = re.compile(r"^(?:ages?d?\s*:?\s*)?(?:(?:<=|up to|at most)\s*(?P<a>\d{1,3})" + _YEARS
                      + r"|(?P<b>\d{1,3})" + _YEARS + r" or younger)" + _END)
_AGE_EXCLUDED = re.compile(r"^(?:ages?d?\s*)?(?:less than|<|under|below|younger than)\s*(?P<lo>\d{1,3})(?:" + _YEARS
                           + r")?\s*(?:or|and)\s*(?:over|above|greater than|>|older than)\s*(?P<hi>\d{1,3})" + _YEARS
                           + _END)
# Numbers bounded and starting at a word boundary: "\d+" tried at every digit of a long run was quadratic.
_MENTIONS_AGE = re.compile(r"\bage[sd]?\b[^.;]{0,40}?\b\d{1,3}\s*(?:years?|months?)\b"
                           r"|\b\d{1,3}\s*(?:years?|months?) (?:of age|old)\b|\b\d{1,3}\s*(?:-|to)\s*\d{1,3}\s*years\b")


def _stated_ages(plain: str, section: str) -> tuple[int | None, int | None] | None:
    """The ages in completed years the item admits (lowest, highest; None: no bound), when it only states ages."""
    if section == "inclusion":
        if match := _AGE_RANGE.match(plain):
            return int(match.group("lo")), int(match.group("hi"))
        if match := _AGE_MIN.match(plain):
            return int(match.group("a") or match.group("b")), None
        if match := _AGE_MAX.match(plain):
            return None, int(match.group("a") or match.group("b"))
    if section == "exclusion" and (match := _AGE_EXCLUDED.match(plain)):
        return int(match.group("lo")), int(match.group("hi"))
    return None


# --- why not ---------------------------------------------------------------------------------------------------------
# Glued footnote markers ("lymphedema;3", "knees;1,5"), or a superscript digit after a word (not m², mm³).
_FOOTNOTE = re.compile(r"[A-Za-z)\]][;,.]\d|[A-LN-Za-ln-z)][¹²³⁴⁵⁶⁷⁸⁹⁰]|[mM][¹⁴⁵⁶⁷⁸⁹⁰]")
_REASONS: tuple[tuple[str, str, str], ...] = (
    ("adequacy-heading", r"\b(?:insufficient|inadequate|adequate|sufficient|normal)\b",
     "its words speak of adequate or insufficient function: such an item often states the requirement rather than "
     "the condition (or the reverse)"),
    ("conditional", r"\b(?:unless|except|if|when|whichever|provided)\b",
     "it holds a condition (unless, except, if)"),
    ("age-dependent", r"\(\s*(?:[<>]=?|under|over)?\s*\d+\s*(?:years|yrs|y)\b|\bfor (?:patients|those|children) "
     r"(?:aged|under|over|<|>)", "its threshold depends on age"),
    ("or-and-list", r"\b(?:or|and|and/or|either|neither|nor)\b",
     "it joins several conditions with or/and, which a single drafted rule could misread"),
    ("several-numbers", r"\d[^\d]+\d", "it holds more than one number"),
    ("life-expectancy", r"life expectancy", "its life expectancy is not the attestation's 'at least 6 months'"),
    ("judgement", r"opinion|judg|investigator|physician|clinician|discretion", "it asks for clinical judgement"),
    ("consent", r"consent|assent", "consent or assent in words the attestation does not cover exactly"),
    ("infection", r"infection|hiv|hepatitis|serolog", "an infection or serology finding"),
    ("pregnancy", r"pregnan|lactat|breast|contracept", "pregnancy, breast-feeding or contraception"),
    ("imaging", r"\bmri\b|\bct\b|\bpet\b|mibg|imaging|scan|measurable|evaluable", "it is an imaging finding"),
    ("diagnosis", r"diagnos|histolog|patholog|confirm|relaps|refractor|recurren|progress|stage|risk|tumou?r|cancer|"
     r"neuroblastoma|leukemia|leukaemia|lymphoma|disease", "it is a diagnosis, staging or disease-status definition"),
    ("prior-treatment", r"prior|previous|received|receiving|therapy|treatment|chemotherap|radiation|radiotherap|"
     r"transplant|surgery|vaccin|drug|medication", "it is about prior or concurrent treatment"),
)


def _why_not(text: str, plain: str) -> Reading:
    if _FOOTNOTE.search(unescaped(text)):
        return Reading("unencoded-footnote", "Not drafted: digits glued to the words look like footnote markers (as "
                       "in 'lymphedema;3'); they are never read as thresholds. A reviewer encodes the item.")
    # An item with a number is most likely a threshold: say first what keeps it from being read as one; otherwise
    # say first what kind of criterion it is.
    reasons = _REASONS if re.search(r"\d", plain) else (_REASONS[1],) + _REASONS[5:] + _REASONS[:1] + _REASONS[2:5]
    for name, pattern, why in reasons:
        if re.search(pattern, plain):
            return Reading(f"unencoded-{name}", f"Not drafted: {why}. A reviewer encodes it from the source words, "
                           "or makes it an attestation.")
    return Reading("unencoded", "Not drafted: no pattern the drafter reads reliably matches these words. A reviewer "
                   "encodes it from the source words, or makes it an attestation.")


def read_item(text: str, section: str, ages: tuple[int | None, int | None]) -> Reading:
    """The reading of one item's words in its section; ages: the population's completed-year bounds (for scales)."""
    if section not in ("inclusion", "exclusion"):
        return Reading("unencoded-unclassified", "Not drafted: the words stand before any inclusion or exclusion "
                       "header, so nothing says which they are; a reviewer decides and encodes them.")
    plain = _plain(text)
    stated = _stated_ages(plain, section)
    if stated is not None:
        return Reading("age-bullet", "", plain, age_bounds=stated)
    if _FOOTNOTE.search(unescaped(text)):
        return _why_not(text, plain)
    for reader in (_lab, _washout, _attestation):
        reading = reader(plain, section)
        if reading is not None:
            return reading
    reading = _performance(plain, section, ages)
    if reading is not None:
        return reading
    return _why_not(text, plain)


def mentions_age(text: str) -> bool:
    return bool(_MENTIONS_AGE.search(_plain(text)))
