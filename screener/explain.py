"""What a coordinator reads: a criterion's evidence as clinical sentences, and what to record as instructions.

The report's evidence (fact names, record paths, the encoded comparisons) stays as it is in the JSON and the
auditor views; this module only words it. Each comparison becomes one clause: the value as entered with its unit
and date, what the rule needs, and a mark (✔ meets it, ✘ does not, ? not known yet), e.g.
"Platelets 142 ×10³/µL (= 142,000 /µL) on 18 Nov 2026 — needs at least 50,000 /µL ✔". Nothing the evidence says
is dropped (values, dates, thresholds, "too old", a default ULN, an unverified table row); record paths, file
paths and raw category codes are left out.
"""
from functools import lru_cache
from typing import Mapping

from . import config
from .engine.compile import NEGATED_OP, CompiledCriterion, Leaf, Node
from .facts import provenance
from .facts.catalogue import catalogue, category_word, category_words, entry_for, info_for
from .facts.entries import CountedEntry
from .facts.fact import Fact, RecordedValue
from .facts.keys import (
    AnyFactKey,
    DaysSinceFact,
    LabFact,
    LabMultipleFact,
    RecordedFact,
    TransfusionFreeFact,
    UnencodedFact,
)
from .facts.reasons import (
    LabNotRecorded,
    NotAssessed,
    RecordDiseaseStatus,
    RecordField,
    RecordHistory,
    RecordPathology,
    Settle,
    Why,
)
from .model.fields import FieldType
from .model.labs import LAB_LABELS, LABS, unit_label
from .wording import events
from .wording import facts as fact_words
from .wording.dates import when
from .wording.facts import READER
from .wording.ops import OP_SYMBOLS, OP_WORDS
from .wording.text import plain, spell_dates
from .wording.thresholds import after_number

__all__ = ["MEETS", "FAILS", "UNKNOWN", "NOT_NEEDED", "when", "spell_dates", "plain", "category", "registry_label",
           "citation", "clause", "reason", "instruction"]

MEETS, FAILS, UNKNOWN = "✔", "✘", "?"
# In a criterion that passes, a part that does not hold (or is not known) lies on a route the criterion did not need
# ("pathology confirms it, or marrow tumour cells with raised catecholamines"): it is marked as not needed, never ✘.
NOT_NEEDED = "–"
_NOT_NEEDED_WORDS = "not needed: another route holds"

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

# --- a fact's words, as people read them ----------------------------------------------------------------------
def _shown(fact: Fact) -> str:
    return fact_words.display(fact, READER) or ""


def _missing(fact: Fact) -> str:
    return fact_words.missing(fact, READER) or ""


def _why(fact: Fact, description: str | None) -> str:
    """Why the fact is unknown, said after a label naming the same field: without naming it again."""
    why: Why | None = fact.why
    if why is not None and description is not None:
        subject = fact_words.subject(why)
        if subject is not None and subject.lower() == description.lower():
            return fact_words.why(why, READER, labelled=False)
    return _missing(fact)


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def _lower_first(text: str) -> str:
    """Lower-case a label's first letter, unless it starts an acronym (HIV, ALT)."""
    return text if text[1:2].isupper() else text[:1].lower() + text[1:]


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
# shows) is worded once per compiled criterion (_plan); a screening then only words its values, from the facts'
# data (wording/facts.py).
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


def _requirement(leaf: Leaf, good_when_holds: bool) -> tuple[str, str, str, str]:
    """What the rule needs of the value: the operator in words, the threshold as the rule file states it, its
    number, and what follows the number (its unit, "× ULN")."""
    op = leaf.op if good_when_holds else NEGATED_OP[leaf.op]
    said = leaf.stated
    if said is None:
        return OP_WORDS.get(op, OP_SYMBOLS[op]), str(leaf.value), str(leaf.value), ""
    after = after_number(said, unit_label)
    return OP_WORDS.get(op, OP_SYMBOLS[op]), said.number + after, said.number, after


def _need(leaves) -> str:
    """" — needs at least 50,000 /µL", or a range: " — needs 1 to 2.5 × ULN"."""
    needs: dict[str, tuple[str, str, str, str]] = {}
    for leaf, good in leaves:  # "≥ 70" and "not < 70" read alike
        words, threshold, number, after = _requirement(leaf, good)
        needs.setdefault(f"{words} {threshold}", (words, threshold, number, after))
    parts = list(needs.values())
    if len(parts) == 2 and parts[0][0] == "at least" and parts[1][0] == "at most":
        (_, low, low_number, low_unit), (_, high, _, unit) = parts
        return f" — needs {low_number if unit and low_unit == unit else low} to {high}"
    return " — needs " + " and ".join(needs)


def _dated(fact: Fact) -> str:
    return f" on {when(fact.date)}" if fact.date else ""


def _number_words(key: AnyFactKey, leaves: list[tuple[Leaf, bool]]):
    base = key.slot
    lab = key.lab if isinstance(key, (LabFact, LabMultipleFact)) else None
    info = info_for(key)
    if lab in LABS:
        label = LAB_LABELS.get(lab, LABS[lab].description)
    else:
        label = _NUMBER_LABELS.get(base, _upper_first(info.description) if info else leaves[0][0].text)
    is_lab = lab in LABS
    # "Worst CTCAE v5.0 grade, renal: 0", not "… renal 0"
    labelled = label if is_lab or base == "age_years" else label + ":"
    need = _need(leaves)
    multiple = isinstance(key, LabMultipleFact)
    description = info.description if info else None

    def words(fact: Fact) -> str:
        if fact.value is None:
            shown = f" {_shown(fact)}" + _dated(fact) if fact.shown else ""
            if is_lab and isinstance(fact.why, LabNotRecorded):
                why = fact_words.why(fact.why, READER, labelled=False)  # "Platelets: none recorded on or before …"
            else:
                why = _why(fact, description)
            return f"{label}{shown}: {why}"
        value = _shown(fact)
        source = fact.source
        if multiple and isinstance(source, provenance.AgainstLimit):
            value += f" (limit: {fact_words.limit_basis(source.limit, READER)})"
        scan = source.modality if isinstance(source, provenance.EntryPath) else None
        dated = f" ({scan.upper()}, {when(fact.date)})" if scan in ("mri", "ct") else _dated(fact)
        return f"{labelled} {value}{dated}{need}"

    return words


def _boolean_words(key: AnyFactKey, leaves: list[tuple[Leaf, bool]]):
    description = entry_for(key).description
    name = key.slot  # a catalogue field's slot is its name
    yes, no, _ = _BOOLEANS.get(name, (_upper_first(description) + ": yes", _upper_first(description) + ": no", ""))

    def words(fact: Fact) -> str:
        if fact.value is None:
            return f"{_upper_first(description)}: {_why(fact, description)}"
        text = yes if fact.value == 1 else no
        shown = fact.shown
        # What it was derived from, as the derivation says (its data, not the fact's name).
        if isinstance(shown, provenance.TransplantDone):
            return f"{text}, most recent {when(fact.date)}"
        if isinstance(shown, provenance.HistoryReviewedNone):
            return f"{text} (transplant history reviewed)"
        basis = fact_words.basis(shown) if shown is not None else None
        if basis:
            text += f" ({basis})"  # "(disease status: relapsed)"
        return text + _dated(fact)

    return words


def _category_words(key: AnyFactKey, leaves: list[tuple[Leaf, bool]]):
    info = info_for(key)
    name = key.slot  # a catalogue field's slot is its name
    if info is not None and info.type is FieldType.ATTESTATION:
        attested = info.words.attested or info.description

        def attestation(fact: Fact) -> str:
            if fact.value is None:
                return f"Investigator has not yet attested that {attested}" + (
                    f" ({_missing(fact)})" if not isinstance(fact.why, NotAssessed) else ""
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
    description = info.description if info else name

    def words(fact: Fact) -> str:
        if fact.value is None:
            return f"{label}: {_why(fact, description)}"
        text = f"{label}: {category(fact.value)}" + _dated(fact)
        if wanted and not (len(wanted) == 1 and fact.value == wanted[0]):
            text += needs
        return text + excluded

    return words


def _or(words: list[str]) -> str:
    words = list(dict.fromkeys(words))
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def _days(fact: Fact) -> int:
    if not isinstance(fact.value, (int, float)):
        raise TypeError("a day count that is not a number")
    return int(fact.value)


def _days_words(key: DaysSinceFact, leaves):
    event = events.noun(key.event)
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

    def words(fact: Fact) -> str:
        source, shown = fact.source, fact.shown
        # A medication entry (or summed entries) decides: the vocabulary says what it was recognised as, its dose,
        # route and dates.
        entry = shown if isinstance(source, provenance.EntryPath) and source.history == "medications" else None
        counted = fact.value not in (None, 0, config.NEVER_DAYS)
        if entry is not None and counted and single:
            said = (
                fact_words.counted_entry(entry, READER, reading=False)
                if isinstance(entry, CountedEntry)
                else _shown(fact)
            )
            window, days = first.value, _days(fact)
            clears = f"; clears on {when(fact.clears_on)}" if fact.clears_on and days < window else ""
            return (f"{_upper_first(said)} — last taken {when(fact.date)}, {days} day{'s' if days != 1 else ''} ago "
                    f"(needs {window:g} days without{clears})")
        if exclusion_window and counted:
            window, days = first.value, _days(fact)
            if days >= window:
                return f"No {event} since {when(fact.date)} ({days} days; needs {window:g})"
            clears = f"; clears on {when(fact.clears_on)}" if fact.clears_on else ""
            return (
                f"{_upper_first(event)} on {when(fact.date)}, {days} day{'s' if days != 1 else ''} ago "
                f"(needs {window:g} days without{clears})"
            )
        if fact.value is None:
            return f"{_upper_first(event)}: {_missing(fact)}"
        if fact.value == config.NEVER_DAYS:
            good = all(leaf.holds(fact.value) == g for leaf, g in leaves)
            # "none recorded (… reviewed)" folds into the sentence; any other reading (the medication vocabulary's
            # "no entry counts (2 reviewed: …)") follows it whole.
            text = (
                f"No {event} recorded ({fact_words.basis(shown)})"
                if isinstance(shown, provenance.NoEvent)
                else f"No {event}: {_shown(fact)}"
            )
            return text + ("" if good else f" — {need}")
        if fact.value == 0:
            if entry is not None:
                # The entry (or the entries whose daily doses add up) and the day's sum: why it counts.
                return f"{_upper_first(_shown(fact))} — {need}"
            return f"{_upper_first(event)}: ongoing (clears only after it stops) — {need}"
        days = _days(fact)
        clears = f"; {closing} on {when(fact.clears_on)}" if fact.clears_on else ""
        return f"Last {event} {when(fact.date)}, {days} day{'s' if days != 1 else ''} ago ({need}{clears})"

    return words


def _lab_name(lab: str) -> str:
    return LAB_LABELS.get(lab, LABS[lab].description if lab in LABS else lab)


def _transfusion_free_words(key: TransfusionFreeFact, leaves):
    """Whether a count was drawn late enough after a transfusion to be the patient's own."""
    name = _lab_name(key.lab)

    def words(fact: Fact) -> str:
        if fact.value is None:
            return f"{name}: {_missing(fact)}"
        drawn = fact.shown
        note = fact_words.transfusion_note(drawn, READER) if isinstance(drawn, provenance.DrawnAfterTransfusion) else ""
        return f"{name} of {when(fact.date)}: {note} — must be drawn at least {key.days} days after a transfusion"

    return words


def _recorded_words(key: RecordedFact, leaves):
    inner_key = key.of
    if isinstance(inner_key, LabFact):
        name = _lab_name(inner_key.lab)
    else:
        name = _upper_first(entry_for(inner_key).description)

    def words(fact: Fact) -> str:
        recorded = fact.shown
        inner = recorded.inner if isinstance(recorded, RecordedValue) else None
        if fact.value:
            return f"{name} recorded: {_shown(inner) if inner else ''}"
        return f"{name}: no usable value" + (f" ({_missing(inner)})" if inner else "")

    return words


def _unencoded_words(fact: Fact) -> str:
    """A drafted placeholder: the report says it is not encoded yet, and to review the draft."""
    return _upper_first(_missing(fact))


def _unknown_fact_words(key: AnyFactKey, leaves: list[tuple[Leaf, bool]]):
    rule = leaves[0][0].text  # a fact this module does not know yet: the rule's own words and the derivation's

    def words(fact: Fact) -> str:
        return f"{rule}: {_missing(fact) if fact.value is None else _shown(fact)}"

    return words


class _Clause:
    """One fact's sentence in one criterion: its wording prepared from the comparisons on it, each with its polarity."""

    __slots__ = ("key", "leaves", "category", "wanted", "refused", "words", "said")

    def __init__(self, key: AnyFactKey, leaves: list[tuple[Leaf, bool]]):
        info = info_for(key)
        self.key, self.leaves = key, tuple(leaves)
        # The sentence for each shared Fact (one the derivation hands to every record with that value), worded
        # once: holding the fact keeps its id from being reused.
        self.said: dict[int, tuple[Fact, str]] = {}
        self.category = info is not None and info.type in (FieldType.CATEGORY, FieldType.ATTESTATION)
        self.wanted = [leaf.value for leaf, g in leaves if (leaf.op == "eq") == g]
        self.refused = [leaf.value for leaf, g in leaves if (leaf.op == "eq") != g]
        if isinstance(key, DaysSinceFact):
            self.words = _days_words(key, leaves)
        elif isinstance(key, TransfusionFreeFact):
            self.words = _transfusion_free_words(key, leaves)
        elif isinstance(key, RecordedFact):
            self.words = _recorded_words(key, leaves)
        elif isinstance(key, UnencodedFact):
            self.words = _unencoded_words
        elif self.category:
            self.words = _category_words(key, leaves)
        elif info is not None and info.type is FieldType.BOOLEAN:
            self.words = _boolean_words(key, leaves)
        elif info is not None or isinstance(key, (LabFact, LabMultipleFact)) or key.slot in _NUMBER_LABELS:
            self.words = _number_words(key, leaves)
        else:
            self.words = _unknown_fact_words(key, leaves)

    def __call__(self, fact: Fact) -> str:
        """The sentence with its mark, for this fact's value."""
        if fact.shared:
            found = self.said.get(id(fact))
            if found is None:
                found = self.said[id(fact)] = (fact, self._sentence(fact))
            return found[1]
        return self._sentence(fact)

    def _sentence(self, fact: Fact) -> str:
        if fact.value is None:
            good = None
        else:
            good = all(leaf.holds(fact.value) == good_when_holds for leaf, good_when_holds in self.leaves)
            if self.category:
                good = (not self.wanted or fact.value in self.wanted) and fact.value not in self.refused
        return f"{self.words(fact)} {_mark(good)}"


def clause(key: AnyFactKey, fact: Fact, leaves: list[tuple[Leaf, bool]]) -> str:
    """One fact's sentence with its mark; key: a fact key (facts/keys.py); leaves: the comparisons on it, each with
    its polarity."""
    return _Clause(key, leaves)(fact)


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


def reason(status: str, criterion: CompiledCriterion, facts: Mapping[AnyFactKey, Fact]) -> str:
    """The criterion's reason: one clause per fact it uses (for a fail, the facts that make it fail)."""
    clauses = []
    for prepared, labs in _plan(criterion):
        fact = facts[prepared.key]
        # "Drawn late enough after a transfusion?" says nothing when the count itself is missing for the same reason.
        if labs and fact.value is None and any(facts[k].value is None and facts[k].why == fact.why for k in labs):
            continue
        clauses.append(prepared(fact))
    if status == "fail":
        failing = [text for text in clauses if text.endswith(FAILS)]
        return "; ".join(failing or clauses)
    if status == "unknown":
        open_items = [text for text in clauses if text.endswith(UNKNOWN)]
        settled = [text for text in clauses if not text.endswith(UNKNOWN)]
        return "; ".join(open_items + settled)
    # A pass: what holds first, then the parts of routes it did not need, each said to be not needed.
    holding = [text for text in clauses if text.endswith(MEETS)]
    spare = [f"{text[:-1]}({_NOT_NEEDED_WORDS}) {NOT_NEEDED}" for text in clauses if not text.endswith(MEETS)]
    return "; ".join(holding + spare)


# --- what to record ------------------------------------------------------------------------------------------------
# The fields some actions are about, for the same instruction as recording that field.
_ACTION_FIELDS: dict[type, str] = {
    RecordDiseaseStatus: "diagnosis.disease_status",
    RecordPathology: "diagnosis.pathology_confirmed",
}


@lru_cache(maxsize=4096)
def instruction(settle: Settle) -> str:
    """What settles an unknown fact, as an instruction to a coordinator: no record paths, units as written."""
    key = settle.field.name if isinstance(settle, RecordField) else _ACTION_FIELDS.get(type(settle))
    if key is not None:
        info = catalogue()[key]
        if info.type is FieldType.ATTESTATION and info.words.attested:
            return f"Ask the investigator to attest whether {info.words.attested}"
        if key in _BOOLEANS:
            return f"Record {_BOOLEANS[key][2]}"
        if key in _CATEGORY_LABELS:
            categories = [category(c) for c in info.categories]
            return f"Record {_lower_first(_CATEGORY_LABELS[key])}: {_or(categories)}"
        return f"Record the {info.description}"
    if isinstance(settle, RecordHistory):
        return f"Record the {fact_words.HISTORY[settle.history]} (or that there were none)"
    return _upper_first(fact_words.settle(settle, READER))
