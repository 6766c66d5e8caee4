"""What a coordinator reads: a criterion's evidence as clinical sentences, and what to record as instructions.

The report's evidence (fact names, record paths, the encoded comparisons) stays as it is in the JSON and the
auditor views; this module only words it. Each comparison becomes one clause: the value as entered with its unit
and date, what the rule needs, and a mark (✔ meets it, ✘ does not, ? not known yet), e.g.
"Platelets 142 ×10³/µL (= 142,000 /µL) on 18 Nov 2026 — needs at least 50,000 /µL ✔". Nothing the evidence says
is dropped (values, dates, thresholds, "too old", a default ULN, an unverified table row); record paths, file
paths and raw category codes are.
"""
import re
from datetime import date
from functools import lru_cache

from . import config
from .engine.compile import NEGATED_OP, CompiledCriterion, Leaf, Node
from .facts.catalogue import catalogue, category_word, category_words, entry_for, info_for
from .facts.keys import DaysSinceFact, DerivedFact, LabFact, LabMultipleFact, RecordedFact, TransfusionFreeFact
from .model.fields import FieldType
from .model.labs import LAB_LABELS, LABS, UNIT_LABELS, unit_label

MEETS, FAILS, UNKNOWN = "✔", "✘", "?"
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_OP_SYMBOLS = {"lt": "<", "le": "≤", "gt": ">", "ge": "≥", "eq": "=", "ne": "≠"}
_OP_WORDS = {"lt": "less than", "le": "at most", "gt": "more than", "ge": "at least"}

# Views onto the field catalogue, where each field declares its words once (screener/model/fields.py): category
# codes in the words a chart uses, each category's label, each yes/no fact's (when true, when false, what to record),
# each attestation's phrase, and the labels of numbers that are not labs.
_CATEGORY_WORDS = category_words()
_CATEGORY_LABELS = {name: f.label for name, f in catalogue().items() if f.type is FieldType.CATEGORY}
_BOOLEANS = {
    name: (f.words.yes, f.words.no, f.words.ask)
    for name, f in catalogue().items()
    if f.type is FieldType.BOOLEAN and f.words.yes and f.words.no and f.words.ask
}
_ATTESTATIONS = {
    name.split(".", 1)[1]: f.words.attested
    for name, f in catalogue().items()
    if f.type is FieldType.ATTESTATION and f.words.attested
}
_NUMBER_LABELS = {
    name: f.words.label
    for name, f in catalogue().items()
    if f.type is FieldType.NUMBER and f.words.label and not isinstance(f.key, LabFact)
}

# --- plain text ------------------------------------------------------------------------------------------------
_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_UNIT_AFTER_NUMBER = re.compile(
    r"(?<=\d) (" + "|".join(re.escape(u) for u in sorted(UNIT_LABELS, key=len, reverse=True)) + r")(?=$|[\s),;])"
)
_RECORD_PATH = re.compile(
    r"\s*\((?:demographics|diagnosis|findings|attestations|history|observations)[a-z_.\[\]0-9]*\)"
    r"|\b(?:observations|history\.[a-z_]+)\[\d+\]\s*(?:from [^;]+? )?(?:test \S+)?"
    r"|\s*\(reference_high\)"
)
_FILE_PATH = re.compile(r"[;,]?\s*see (?:criteria|seeds)/\S+\.(?:yaml|md)|\s*\((?:criteria|seeds)/\S+\.(?:yaml|md)\)")


def when(day: date | None) -> str:
    """A date as people read it whatever their locale's order: 18 Nov 2026."""
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}" if day else ""


def spell_dates(text) -> str:
    """Every ISO date in a text (or a date itself) as people read it; the JSON the text comes from keeps ISO."""
    if isinstance(text, date):
        return when(text)
    return _ISO_DATE.sub(lambda m: when(date(int(m[1]), int(m[2]), int(m[3]))), str(text or ""))


_UNIT_CODES = set(UNIT_LABELS) | {code for spec in LABS.values() for code in spec.units}


def _unit_list(match: re.Match) -> str:
    """A parenthesised list of accepted unit codes, as labels, each once."""
    items = [item.strip() for item in match[1].split(",")]
    if not all(item in _UNIT_CODES for item in items):
        return match[0]
    labels = [label for label in dict.fromkeys(unit_label(item) for item in items) if label]
    return f" ({', '.join(labels)})" if labels else ""


def plain(text: str | None) -> str:
    """Text from the derivation as people read it: dates spelt out, units as written, no record or file paths."""
    return _plain(text) if text else ""


@lru_cache(maxsize=8192)
def _plain(text: str) -> str:
    # Memoised: the same texts (a lab's "none recorded", a threshold, a date) recur from screening to screening,
    # and each is five regular-expression passes.
    text = _FILE_PATH.sub("", text)
    text = _RECORD_PATH.sub("", text)
    text = re.sub(r" \(([^()]*)\)", _unit_list, text)
    text = _UNIT_AFTER_NUMBER.sub(lambda m: " " + unit_label(m[1]) if unit_label(m[1]) else "", text)
    text = spell_dates(text)
    return re.sub(r"\s{2,}", " ", text).replace(" ;", ";").strip()


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def _lower_first(text: str) -> str:
    """Lower-case a label's first letter, unless it starts an acronym (HIV, ALT)."""
    return text if text[1:2].isupper() else text[:1].lower() + text[1:]


def _without_label(why: str, description: str) -> str:
    """'X: not recorded' said after the label X: just 'not recorded'."""
    return why[len(description) + 2 :] if why.lower().startswith(description.lower() + ": ") else why


def category(value) -> str:
    return category_word(value)


def registry_label(kind: str, number: str | None) -> str:
    """The registry's own item number, readable: its second list ("3-" to "16-") is a list, not a typo."""
    if not number:
        return kind.capitalize()
    second = " (the registry's second list)" if number.endswith("-") else ""
    return f"{kind.capitalize()} {number}{second}"


def citation(reference: str, section: str) -> str:
    """Where the words come from, without the repository file (that stays in the rule set and the audit view)."""
    return f"{reference}, {section}"


# --- clauses ---------------------------------------------------------------------------------------------------
# What a clause says that the rule set alone decides (its label, what the rule needs, which clauses a criterion
# shows) is worded once per compiled criterion (_plan); a screening then only words its values. Profiled: wording
# every comparison from scratch on every screening, regular expressions included, was half of a screening's time.
_SCAN = re.compile(r"\((mri|ct)\)$")
_NAMED_MEDICATION = re.compile(r"history\.medications\[\d+\] (.+?)(?: \((.+)\))?$")
_MEDICATION_PATH = re.compile(r"history\.medications\[\d+\]")
_DAYS_BEFORE = re.compile(r": \d+ days? before the as-of date")


def _polarities(tree, good_when_holds: bool, out: dict) -> dict:
    """For each comparison, whether its holding speaks for the patient (an inclusion met, an exclusion avoided)."""
    if isinstance(tree, Leaf):
        out.setdefault(tree, good_when_holds)
    elif isinstance(tree, Node):
        for child in tree.children:
            _polarities(child, not good_when_holds if tree.op == "not" else good_when_holds, out)
    return out


def _mark(good: bool | None) -> str:
    return UNKNOWN if good is None else MEETS if good else FAILS


def _requirement(leaf: Leaf, good_when_holds: bool) -> str:
    """What the rule needs of the value, in words, with the threshold as the rule file states it."""
    op = leaf.op if good_when_holds else NEGATED_OP[leaf.op]
    symbol = _OP_SYMBOLS[leaf.op]
    stated = leaf.text.split(f" {symbol} ", 1)[1] if f" {symbol} " in leaf.text else str(leaf.value)
    return f"{_OP_WORDS.get(op, _OP_SYMBOLS[op])} {plain(stated)}"


def _dated(fact) -> str:
    return f" on {when(fact.date)}" if fact.date else ""


def _number_words(key, leaves):
    base = key.slot
    lab = key.lab if isinstance(key, (LabFact, LabMultipleFact)) else None
    info = info_for(key)
    if lab in LABS:
        label = LAB_LABELS.get(lab, LABS[lab].description)
    elif base.startswith("findings.ctcae_grades."):
        label = f"Worst CTCAE v5.0 grade, {base.rsplit('.', 1)[1]}"
    else:
        label = _NUMBER_LABELS.get(base, _upper_first(info.description) if info else leaves[0][0].text)
    none_recorded = f"no {LABS[lab].description} recorded" if lab in LABS else None
    # "Worst CTCAE v5.0 grade, renal: 0", not "… renal 0"
    labelled = label if lab in LABS or base == "age_years" else label + ":"
    needs = list(dict.fromkeys(_requirement(leaf, good) for leaf, good in leaves))  # "≥ 70" and "not < 70" read alike
    if len(needs) == 2 and needs[0].startswith("at least ") and needs[1].startswith("at most "):
        low, high = needs[0].removeprefix("at least "), needs[1].removeprefix("at most ")
        unit = high.split(" ", 1)[1] if " " in high else ""
        need = f" — needs {low.removesuffix(' ' + unit) if unit else low} to {high}"
    else:
        need = " — needs " + " and ".join(needs)
    multiple = isinstance(key, LabMultipleFact)

    def words(fact, evidence: dict) -> str:
        if fact.value is None:
            shown = f" {plain(fact.display)}" + _dated(fact) if fact.display else ""
            why = _without_label(plain(fact.missing), info.description) if info else plain(fact.missing)
            if none_recorded:
                why = why.replace(none_recorded, "none recorded")
            return f"{label}{shown}: {why}"
        value = plain(fact.display)
        source = evidence.get("source")
        if multiple and source and "limit: " in source:
            value += f" (limit: {plain(source.split('limit: ', 1)[1])})"
        scan = _SCAN.search(source or "")
        dated = f" ({scan[1].upper()}, {when(fact.date)})" if scan else _dated(fact)
        return f"{labelled} {value}{dated}{need}"

    return words


def _boolean_words(key, leaves):
    description = info_for(key).description
    name = key.name
    yes, no, _ = _BOOLEANS.get(name, (_upper_first(description) + ": yes", _upper_first(description) + ": no", ""))
    transplants = isinstance(key, DerivedFact) and name.startswith("history.")

    def words(fact, evidence: dict) -> str:
        if fact.value is None:
            return f"{_upper_first(description)}: {_without_label(plain(fact.missing), description)}"
        text = yes if fact.value == 1 else no
        if isinstance(key, DerivedFact) and not transplants and " (" in (fact.display or ""):
            text += " (" + fact.display.split(" (", 1)[1]  # what it was derived from: "(disease status: relapsed)"
        if transplants and fact.value == 1:
            return f"{text}, most recent {when(fact.date)}"
        if transplants:
            return f"{text} (transplant history reviewed)"
        return text + _dated(fact)

    return words


def _category_words(key, leaves):
    info = info_for(key)
    name = key.name
    if info is not None and info.type == "attestation":
        attested = _ATTESTATIONS.get(name.split(".", 1)[1], name.split(".", 1)[1].replace("_", " "))

        def attestation(fact, evidence: dict) -> str:
            if fact.value is None:
                return f"Investigator has not yet attested that {attested}" + (
                    f" ({plain(fact.missing)})" if "not assessed" not in (fact.missing or "") else ""
                )
            return (
                f"Investigator attests{_dated(fact)} that {attested}"
                if fact.value == "yes"
                else f"Investigator answers no{_dated(fact)}: {attested}"
            )

        return attestation
    label = _CATEGORY_LABELS.get(name, _upper_first(info.description) if info else name)
    wanted = [leaf.value for leaf, good in leaves if (leaf.op == "eq") == good]
    refused = [leaf.value for leaf, good in leaves if (leaf.op == "eq") != good]
    needs = " — needs " + _or([category(v) for v in wanted]) if wanted else ""
    excluded = " — excluded if " + _or([category(v) for v in refused]) if refused else ""

    def words(fact, evidence: dict) -> str:
        if fact.value is None:
            return f"{label}: {_without_label(plain(fact.missing), info.description if info else name)}"
        text = f"{label}: {category(fact.value)}" + _dated(fact)
        if wanted and not (len(wanted) == 1 and fact.value == wanted[0]):
            text += needs
        return text + excluded

    return words


def _or(words: list[str]) -> str:
    words = list(dict.fromkeys(words))
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def _days_words(key: DaysSinceFact, leaves):
    event = key.event.noun()
    (first, first_good), single = leaves[0], len(leaves) == 1
    # An exclusion window ("within the last N days"): the sentence a coordinator says.
    exclusion_window = single and first.op == "lt" and not first_good
    needs = []
    for leaf, good in leaves:
        if leaf.value == config.NEVER_DAYS:
            needs.append("needs one on record" if good else "needs none on record")
        elif leaf.op == "lt":
            needs.append(f"needs one within {leaf.value:g} days" if good else f"needs {leaf.value:g} days without")
        else:
            needs.append(
                f"needs at least {leaf.value:g} days since" if good else f"needs one within {leaf.value:g} days"
            )
    need = "; ".join(needs)
    # A window that must hold (an inclusion: "transplant within the last 8 days") closes; one that must not, clears.
    closing = "the window closes" if first_good and first.op == "lt" else "clears"

    def words(fact, evidence: dict) -> str:
        source = evidence.get("source") or ""
        named = _NAMED_MEDICATION.match(source)
        what = named[1] if named else event
        detail = f" ({named[2]})" if named and named[2] else ""
        recognised = evidence.get("value") if _MEDICATION_PATH.fullmatch(source) else None
        counted = fact.value not in (None, 0, config.NEVER_DAYS)
        if recognised and counted and single:
            # The medication vocabulary already says what the entry was recognised as, its dose, route and dates.
            entry = _DAYS_BEFORE.sub("", plain(recognised))
            window, days = first.value, int(fact.value)
            clears = f"; clears on {when(fact.clears_on)}" if fact.clears_on and days < window else ""
            return (f"{_upper_first(entry)} — last taken {when(fact.date)}, {days} day{'s' if days != 1 else ''} ago "
                    f"(needs {window:g} days without{clears})")
        if exclusion_window and counted:
            window, days = first.value, int(fact.value)
            if days >= window:
                return f"No {what}{detail} since {when(fact.date)} ({days} days; needs {window:g})"
            clears = f"; clears on {when(fact.clears_on)}" if fact.clears_on else ""
            return (
                f"{_upper_first(what)}{detail} on {when(fact.date)}, {days} day{'s' if days != 1 else ''} ago "
                f"(needs {window:g} days without{clears})"
            )
        if fact.value is None:
            return f"{_upper_first(event)}: {plain(fact.missing)}"
        if fact.value == config.NEVER_DAYS:
            reviewed = plain(fact.display)
            good = all(leaf.holds(fact.value) == g for leaf, g in leaves)
            # "none recorded (… reviewed)" folds into the sentence; any other reading (the medication vocabulary's
            # "no entry counts (2 reviewed: …)") follows it whole, so its parentheses stay balanced.
            text = (
                f"No {event} recorded ({reviewed.removeprefix('none recorded (').removesuffix(')')})"
                if reviewed.startswith("none recorded (")
                else f"No {event}: {reviewed}"
            )
            return text + ("" if good else f" — {need}")
        if fact.value == 0:
            if recognised:
                # The entry (or the entries whose daily doses add up) and the day's sum: why it counts.
                return f"{_upper_first(plain(recognised))} — {need}"
            return f"{_upper_first(what)}{detail}: ongoing (clears only after it stops) — {need}"
        days = int(fact.value)
        clears = f"; {closing} on {when(fact.clears_on)}" if fact.clears_on else ""
        return f"Last {what}{detail} {when(fact.date)}, {days} day{'s' if days != 1 else ''} ago ({need}{clears})"

    return words


def _lab_name(lab: str) -> str:
    return LAB_LABELS.get(lab, LABS[lab].description if lab in LABS else lab)


def _transfusion_free_words(key: TransfusionFreeFact, leaves):
    """Whether a count was drawn late enough after a transfusion to be the patient's own."""
    name = _lab_name(key.lab)

    def words(fact, evidence: dict) -> str:
        if fact.value is None:
            return f"{name}: {plain(fact.missing)}"
        note = plain(fact.display.rsplit("; ", 1)[-1]) if fact.display and "; " in fact.display else ""
        return f"{name} of {when(fact.date)}: {note} — must be drawn at least {key.days} days after a transfusion"

    return words


def _recorded_words(key: RecordedFact, leaves):
    inner = key.of
    name = _lab_name(inner.lab) if isinstance(inner, LabFact) else _upper_first(entry_for(inner).description)

    def words(fact, evidence: dict) -> str:
        if fact.value:
            return f"{name} recorded: {plain(fact.display.removeprefix('recorded: '))}"
        return f"{name}: no usable value" + (
            f" ({plain(fact.display.removeprefix('no usable value (').rstrip(')'))})" if fact.display else ""
        )

    return words


def _unknown_fact_words(key, leaves):
    rule = plain(leaves[0][0].text)  # a fact this module does not know yet: the rule's own words and the derivation's

    def words(fact, evidence: dict) -> str:
        return f"{rule}: {plain(fact.missing if fact.value is None else fact.display)}"

    return words


class _Clause:
    """One fact's sentence in one criterion: its wording prepared from the comparisons on it, each with its polarity."""

    __slots__ = ("key", "leaves", "category", "wanted", "refused", "words")

    def __init__(self, key, leaves: list[tuple[Leaf, bool]]):
        info = info_for(key)
        self.key, self.leaves = key, tuple(leaves)
        self.category = info is not None and info.type in ("category", "attestation")
        self.wanted = [leaf.value for leaf, g in leaves if (leaf.op == "eq") == g]
        self.refused = [leaf.value for leaf, g in leaves if (leaf.op == "eq") != g]
        if isinstance(key, DaysSinceFact):
            self.words = _days_words(key, leaves)
        elif isinstance(key, TransfusionFreeFact):
            self.words = _transfusion_free_words(key, leaves)
        elif isinstance(key, RecordedFact):
            self.words = _recorded_words(key, leaves)
        elif self.category:
            self.words = _category_words(key, leaves)
        elif info is not None and info.type == "boolean":
            self.words = _boolean_words(key, leaves)
        elif info is not None or isinstance(key, (LabFact, LabMultipleFact)) or key.slot in _NUMBER_LABELS:
            self.words = _number_words(key, leaves)
        else:
            self.words = _unknown_fact_words(key, leaves)

    def __call__(self, fact, evidence: dict) -> str:
        """The sentence with its mark, for this fact's value."""
        if fact.value is None:
            good = None
        else:
            good = all(leaf.holds(fact.value) == good_when_holds for leaf, good_when_holds in self.leaves)
            if self.category:
                good = (not self.wanted or fact.value in self.wanted) and fact.value not in self.refused
        return f"{self.words(fact, evidence)} {_mark(good)}"


def clause(key, fact, leaves: list[tuple[Leaf, bool]], evidence: dict) -> str:
    """One fact's sentence with its mark; key: a fact key (facts/keys.py); leaves: the comparisons on it, each with
    its polarity."""
    return _Clause(key, leaves)(fact, evidence)


def _clauses(criterion: CompiledCriterion) -> tuple[tuple[_Clause, tuple], ...]:
    """The criterion's clauses in order, each with the lab keys whose missing value makes it redundant (see reason)."""
    polarity = _polarities(criterion.tree, not criterion.is_exclusion, {})
    by_fact: dict = {}
    for leaf in dict.fromkeys(criterion.leaves):
        by_fact.setdefault(leaf.fact, []).append((leaf, polarity[leaf]))
    labs = tuple(k for k in by_fact if isinstance(k, (LabFact, LabMultipleFact)))
    # "Is X recorded" beside a comparison on X says nothing the comparison's clause does not ("none recorded").
    return tuple(
        (_Clause(key, leaves), labs if isinstance(key, TransfusionFreeFact) else ())
        for key, leaves in by_fact.items()
        if not (isinstance(key, RecordedFact) and key.of in by_fact)
    )


_PLANS: dict[int, tuple[CompiledCriterion, tuple]] = {}


def _plan(criterion: CompiledCriterion) -> tuple[tuple[_Clause, tuple], ...]:
    """The criterion's prepared clauses, once per compiled criterion (keyed by identity, holding a reference so the
    id cannot be reused, as engine.compile.compiled does)."""
    entry = _PLANS.get(id(criterion))
    if entry is None:
        entry = _PLANS[id(criterion)] = (criterion, _clauses(criterion))
    return entry[1]


def reason(status: str, criterion: CompiledCriterion, evidence: list[dict], facts: dict) -> str:
    """The criterion's reason: one clause per fact it uses (for a fail, the facts that make it fail)."""
    shown = {e["fact"]: e for e in evidence}
    clauses = []
    for prepared, labs in _plan(criterion):
        key = prepared.key
        fact = facts[key]
        # "Drawn late enough after a transfusion?" says nothing when the count itself is missing for the same reason.
        if (
            labs
            and fact.value is None
            and any(facts[k].value is None and facts[k].missing == fact.missing for k in labs)
        ):
            continue
        clauses.append(prepared(fact, shown.get(key.slot, {})))
    if status == "fail":
        failing = [text for text in clauses if text.endswith(FAILS)]
        return "; ".join(failing or clauses)
    if status == "unknown":
        open_items = [text for text in clauses if text.endswith(UNKNOWN)]
        settled = [text for text in clauses if not text.endswith(UNKNOWN)]
        return "; ".join(open_items + settled)
    return "; ".join(clauses)


# --- what to record ------------------------------------------------------------------------------------------------
@lru_cache(maxsize=4096)
def instruction(settle: str) -> str:
    """A 'settle' text from the derivation as an instruction to a coordinator: no record paths, units as written."""
    match = re.fullmatch(r"record (.+) \(((?:[a-z0-9_]+\.)+[a-z0-9_]+)\)", settle)
    if match:
        key = match[2]
        if key.startswith("attestations.") and key.split(".", 1)[1] in _ATTESTATIONS:
            return f"Ask the investigator to attest whether {_ATTESTATIONS[key.split('.', 1)[1]]}"
        if key in _BOOLEANS:
            return f"Record {_BOOLEANS[key][2]}"
        if key in _CATEGORY_LABELS:
            categories = [category(c) for c in catalogue()[key].categories]
            return f"Record {_lower_first(_CATEGORY_LABELS[key])}: {_or(categories)}"
        return f"Record the {match[1]}"
    text = plain(re.sub(r"\bhistory\.medications\[\d+\] ", "", settle)).replace(
        "(an empty list if none)", "(or that there were none)"
    )
    return _upper_first(text)
