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
from .model.language import DEFAULT_LANGUAGE, Language
from .wording import events
from .wording import facts as fact_words
from .wording.dates import when
from .wording.facts import READER, Style, label_of, reader
from .wording.ops import OP_SYMBOLS
from .wording.sentences import N_, Sentences, sentences
from .wording.text import plain, spell_dates
from .wording.thresholds import after_number

__all__ = ["MEETS", "FAILS", "UNKNOWN", "NOT_NEEDED", "when", "spell_dates", "plain", "category", "registry_label",
           "citation", "clause", "reason", "instruction"]

MEETS, FAILS, UNKNOWN = "✔", "✘", "?"
# In a criterion that passes, a part that does not hold (or is not known) lies on a route the criterion did not need
# ("pathology confirms it, or marrow tumour cells with raised catecholamines"): it is marked as not needed, never ✘.
NOT_NEEDED = "–"

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
def _fact_words(language: Language) -> Style:
    """The style of a fact's own words (wording/facts.py: what it shows, why it is missing, where it was read) and of
    the words of data a reason shows (labels, category and yes/no words), in this reader's language: READER for
    English (no lookup), the reasons catalogue's words for any other."""
    return reader(language)


def _category(value, style: Style = READER) -> str:
    """A category value's words (one code reads alike everywhere) in the reader's language."""
    word = category_word(value)
    return word if style.text is str else style.text(word)


def _shown(fact: Fact, style: Style = READER) -> str:
    return fact_words.display(fact, style) or ""


def _missing(fact: Fact, style: Style = READER) -> str:
    return fact_words.missing(fact, style) or ""


def _why(fact: Fact, description: str | None, style: Style = READER) -> str:
    """Why the fact is unknown, said after a label naming the same field: without naming it again."""
    why: Why | None = fact.why
    if why is not None and description is not None:
        subject = fact_words.subject(why)
        if subject is not None and subject.lower() == description.lower():
            return fact_words.why(why, style, labelled=False)
    return _missing(fact, style)


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def _lower_first(text: str) -> str:
    """Lower-case a label's first letter, unless it starts an acronym (HIV, ALT)."""
    return text if text[1:2].isupper() else text[:1].lower() + text[1:]


def category(value, language: Language = DEFAULT_LANGUAGE) -> str:
    return _category(value, _fact_words(language))


def registry_label(kind: str, number: str | None, language: Language = DEFAULT_LANGUAGE) -> str:
    """The registry's own item number, readable: its second list ("3-" to "16-") is a list, not a typo."""
    if language != DEFAULT_LANGUAGE:
        w = sentences(language)
        label = w.say(_KINDS.get(kind, kind))
        if not number:
            return label
        said = w.say("%(kind)s %(number)s", kind=label, number=w.number(number))
        return w.say("%(label)s (the registry's second list)", label=said) if number.endswith("-") else said
    if not number:
        return kind.capitalize()
    second = " (the registry's second list)" if number.endswith("-") else ""
    return f"{kind.capitalize()} {number}{second}"


_KINDS = {"inclusion": N_("Inclusion"), "exclusion": N_("Exclusion"), "unclassified": N_("Unclassified")}


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


# What the rule needs of a value, by the operator the patient's side of it reads (a translator words each whole).
_NEEDS = {
    "lt": N_("less than %(threshold)s"),
    "le": N_("at most %(threshold)s"),
    "gt": N_("more than %(threshold)s"),
    "ge": N_("at least %(threshold)s"),
}


def _requirement(leaf: Leaf, good_when_holds: bool, w: Sentences) -> tuple[str, str, str, str]:
    """What the rule needs of the value: the operator, the threshold as the rule file states it, its number, and
    what follows the number (its unit, "× ULN")."""
    op = leaf.op if good_when_holds else NEGATED_OP[leaf.op]
    said = leaf.stated
    if said is None:
        return op, w.number(str(leaf.value)), w.number(str(leaf.value)), ""
    after = after_number(said, unit_label, w)
    number = w.number(said.number)
    return op, number + after, number, after


def _need(leaves, w: Sentences) -> str:
    """" — needs at least 50,000 /µL", or a range: " — needs 1 to 2.5 × ULN"."""
    needs: dict[tuple[str, str], tuple[str, str, str, str]] = {}
    for leaf, good in leaves:  # "≥ 70" and "not < 70" read alike
        op, threshold, number, after = _requirement(leaf, good, w)
        needs.setdefault((op, threshold), (op, threshold, number, after))
    parts = list(needs.values())
    if len(parts) == 2 and parts[0][0] == "ge" and parts[1][0] == "le":
        (_, low, low_number, low_unit), (_, high, _, unit) = parts
        return w.say(" — needs %(low)s to %(high)s", low=low_number if unit and low_unit == unit else low, high=high)
    phrases = [
        w.say(_NEEDS[op], threshold=threshold) if op in _NEEDS else f"{OP_SYMBOLS[op]} {threshold}"
        for op, threshold, _, _ in parts
    ]
    return w.say(" — needs %(requirement)s", requirement=w.both(phrases))


def _dated(fact: Fact, w: Sentences) -> str:
    return w.say(" on %(date)s", date=w.day(fact.date)) if fact.date else ""


def _number_words(key: AnyFactKey, leaves: list[tuple[Leaf, bool]], language: Language):
    w, style = sentences(language), _fact_words(language)
    base = key.slot
    lab = key.lab if isinstance(key, (LabFact, LabMultipleFact)) else None
    info = info_for(key)
    if lab in LABS:
        label = style.text(LAB_LABELS.get(lab, LABS[lab].description))
    elif base in _NUMBER_LABELS:
        label = style.text(_NUMBER_LABELS[base])
    else:
        label = _upper_first(style.text(info.description)) if info else leaves[0][0].text
    is_lab = lab in LABS
    # "Worst CTCAE v5.0 grade, renal: 0", not "… renal 0"
    labelled = label if is_lab or base == "age_years" else label + ":"
    need = _need(leaves, w)
    multiple = isinstance(key, LabMultipleFact)
    description = info.description if info else None

    def words(fact: Fact) -> str:
        if fact.value is None:
            shown = f" {_shown(fact, style)}" + _dated(fact, w) if fact.shown else ""
            if is_lab and isinstance(fact.why, LabNotRecorded):
                why = fact_words.why(fact.why, style, labelled=False)  # "Platelets: none recorded on or before …"
            else:
                why = _why(fact, description, style)
            return w.say("%(label)s%(shown)s: %(why)s", label=label, shown=shown, why=why)
        value = _shown(fact, style)
        source = fact.source
        if multiple and isinstance(source, provenance.AgainstLimit):
            value = w.say("%(value)s (limit: %(limit)s)", value=value,
                          limit=fact_words.limit_basis(source.limit, style))
        scan = source.modality if isinstance(source, provenance.EntryPath) else None
        dated = (w.say(" (%(scan)s, %(date)s)", scan=scan.upper(), date=w.day(fact.date)) if scan in ("mri", "ct")
                 else _dated(fact, w))
        return w.say("%(label)s %(value)s%(dated)s%(need)s", label=labelled, value=value, dated=dated, need=need)

    return words


def _boolean_words(key: AnyFactKey, leaves: list[tuple[Leaf, bool]], language: Language):
    w, style = sentences(language), _fact_words(language)
    description = entry_for(key).description
    name = key.slot  # a catalogue field's slot is its name
    subject = _upper_first(style.text(description))
    if name in _BOOLEANS:
        yes, no = (style.text(words) for words in _BOOLEANS[name][:2])
    else:
        yes, no = w.say("%(subject)s: yes", subject=subject), w.say("%(subject)s: no", subject=subject)

    def words(fact: Fact) -> str:
        if fact.value is None:
            return w.say("%(label)s: %(text)s", label=subject, text=_why(fact, description, style))
        text = yes if fact.value == 1 else no
        shown = fact.shown
        # What it was derived from, as the derivation says (its data, not the fact's name).
        if isinstance(shown, provenance.TransplantDone):
            return w.say("%(text)s, most recent %(date)s", text=text, date=w.day(fact.date))
        if isinstance(shown, provenance.HistoryReviewedNone):
            return w.say("%(text)s (transplant history reviewed)", text=text)
        basis = fact_words.basis(shown, style) if shown is not None else None
        if basis:
            text = w.say("%(text)s (%(basis)s)", text=text, basis=basis)  # "(disease status: relapsed)"
        return text + _dated(fact, w)

    return words


def _category_words(key: AnyFactKey, leaves: list[tuple[Leaf, bool]], language: Language):
    w, style = sentences(language), _fact_words(language)
    info = info_for(key)
    name = key.slot  # a catalogue field's slot is its name
    if info is not None and info.type is FieldType.ATTESTATION:
        attested = style.text(info.words.attested or info.description)

        def attestation(fact: Fact) -> str:
            if fact.value is None:
                if isinstance(fact.why, NotAssessed):
                    return w.say("Investigator has not yet attested that %(attested)s", attested=attested)
                return w.say("Investigator has not yet attested that %(attested)s (%(missing)s)", attested=attested,
                             missing=_missing(fact, style))
            if fact.value == "yes":
                if fact.date:
                    return w.say("Investigator attests on %(date)s that %(attested)s", date=w.day(fact.date),
                                 attested=attested)
                return w.say("Investigator attests that %(attested)s", attested=attested)
            if fact.date:
                return w.say("Investigator answers no on %(date)s: %(attested)s", date=w.day(fact.date),
                             attested=attested)
            return w.say("Investigator answers no: %(attested)s", attested=attested)

        return attestation
    label = label_of(info, style) if info is not None else name
    wanted = [leaf.value for leaf, good in leaves if (leaf.op == "eq") == good]
    refused = [leaf.value for leaf, good in leaves if (leaf.op == "eq") != good]
    needs = (w.say(" — needs %(categories)s", categories=w.either([_category(v, style) for v in wanted]))
             if wanted else "")
    excluded = (w.say(" — excluded if %(categories)s",
                      categories=w.either([_category(v, style) for v in refused])) if refused else "")
    description = info.description if info else name

    def words(fact: Fact) -> str:
        if fact.value is None:
            return w.say("%(label)s: %(text)s", label=label, text=_why(fact, description, style))
        text = w.say("%(label)s: %(text)s", label=label, text=_category(fact.value, style)) + _dated(fact, w)
        if wanted and not (len(wanted) == 1 and fact.value == wanted[0]):
            text += needs
        return text + excluded

    return words


def _days(fact: Fact) -> int:
    if not isinstance(fact.value, (int, float)):
        raise TypeError("a day count that is not a number")
    return int(fact.value)


def _days_words(key: DaysSinceFact, leaves, language: Language):
    w, style = sentences(language), _fact_words(language)
    event = events.noun(key.event, language)
    (first, first_good), single = leaves[0], len(leaves) == 1
    # An exclusion window ("within the last N days"): the sentence a coordinator says.
    exclusion_window = single and first.op == "lt" and not first_good
    needs = []
    for leaf, good in leaves:
        days = w.number(float(leaf.value))
        if leaf.value == config.NEVER_DAYS:
            needs.append(w.say("needs one on record") if good else w.say("needs none on record"))
        elif leaf.op == "lt":
            needs.append(w.say("needs one within %(days)s days", days=days) if good
                         else w.say("needs %(days)s days without", days=days))
        else:
            needs.append(w.say("needs at least %(days)s days since", days=days) if good
                         else w.say("needs one within %(days)s days", days=days))
    need = w.semicolon.join(needs)
    # A window that must hold (an inclusion: "transplant within the last 8 days") closes; one that must not, clears.
    closing = (N_("; the window closes on %(date)s") if first_good and first.op == "lt"
               else N_("; clears on %(date)s"))

    def cleared(fact: Fact, message: str = N_("; clears on %(date)s")) -> str:
        return w.say(message, date=w.day(fact.clears_on))

    def words(fact: Fact) -> str:
        source, shown = fact.source, fact.shown
        # A medication entry (or summed entries) decides: the vocabulary says what it was recognised as, its dose,
        # route and dates.
        entry = shown if isinstance(source, provenance.EntryPath) and source.history == "medications" else None
        counted = fact.value not in (None, 0, config.NEVER_DAYS)
        if entry is not None and counted and single:
            said = (
                fact_words.counted_entry(entry, style, reading=False)
                if isinstance(entry, CountedEntry)
                else _shown(fact, style)
            )
            window, days = first.value, _days(fact)
            clears = cleared(fact) if fact.clears_on and days < window else ""
            return w.count("%(entry)s — last taken %(date)s, %(n)s day ago (needs %(window)s days without%(clears)s)",
                           "%(entry)s — last taken %(date)s, %(n)s days ago (needs %(window)s days without%(clears)s)",
                           days, entry=_upper_first(said), date=w.day(fact.date), window=w.number(float(window)),
                           clears=clears)
        if exclusion_window and counted:
            window, days = first.value, _days(fact)
            if days >= window:
                return w.say("No %(event)s since %(date)s (%(days)s days; needs %(window)s)", event=event,
                             date=w.day(fact.date), days=w.number(days), window=w.number(float(window)))
            clears = cleared(fact) if fact.clears_on else ""
            return w.count("%(event)s on %(date)s, %(n)s day ago (needs %(window)s days without%(clears)s)",
                           "%(event)s on %(date)s, %(n)s days ago (needs %(window)s days without%(clears)s)",
                           days, event=_upper_first(event), date=w.day(fact.date), window=w.number(float(window)),
                           clears=clears)
        if fact.value is None:
            return w.say("%(label)s: %(text)s", label=_upper_first(event), text=_missing(fact, style))
        if fact.value == config.NEVER_DAYS:
            good = all(leaf.holds(fact.value) == g for leaf, g in leaves)
            # "none recorded (… reviewed)" folds into the sentence; any other reading (the medication vocabulary's
            # "no entry counts (2 reviewed: …)") follows it whole.
            text = (
                w.say("No %(event)s recorded (%(basis)s)", event=event, basis=fact_words.basis(shown, style))
                if isinstance(shown, provenance.NoEvent)
                else w.say("No %(event)s: %(shown)s", event=event, shown=_shown(fact, style))
            )
            return text if good else w.say("%(text)s — %(need)s", text=text, need=need)
        if fact.value == 0:
            if entry is not None:
                # The entry (or the entries whose daily doses add up) and the day's sum: why it counts.
                return w.say("%(text)s — %(need)s", text=_upper_first(_shown(fact, style)), need=need)
            return w.say("%(event)s: ongoing (clears only after it stops) — %(need)s", event=_upper_first(event),
                         need=need)
        days = _days(fact)
        clears = cleared(fact, closing) if fact.clears_on else ""
        return w.count("Last %(event)s %(date)s, %(n)s day ago (%(need)s%(clears)s)",
                       "Last %(event)s %(date)s, %(n)s days ago (%(need)s%(clears)s)",
                       days, event=event, date=w.day(fact.date), need=need, clears=clears)

    return words


def _lab_name(lab: str, style: Style = READER) -> str:
    return style.text(LAB_LABELS.get(lab, LABS[lab].description)) if lab in LABS else lab


def _transfusion_free_words(key: TransfusionFreeFact, leaves, language: Language):
    """Whether a count was drawn late enough after a transfusion to be the patient's own."""
    w, style = sentences(language), _fact_words(language)
    name = _lab_name(key.lab, style)

    def words(fact: Fact) -> str:
        if fact.value is None:
            return w.say("%(label)s: %(text)s", label=name, text=_missing(fact, style))
        drawn = fact.shown
        note = fact_words.transfusion_note(drawn, style) if isinstance(drawn, provenance.DrawnAfterTransfusion) else ""
        return w.say("%(lab)s of %(date)s: %(note)s — must be drawn at least %(days)s days after a transfusion",
                     lab=name, date=w.day(fact.date), note=note, days=w.number(key.days))

    return words


def _recorded_words(key: RecordedFact, leaves, language: Language):
    w, style = sentences(language), _fact_words(language)
    inner_key = key.of
    if isinstance(inner_key, LabFact):
        name = _lab_name(inner_key.lab, style)
    else:
        name = _upper_first(style.text(entry_for(inner_key).description))

    def words(fact: Fact) -> str:
        recorded = fact.shown
        inner = recorded.inner if isinstance(recorded, RecordedValue) else None
        if fact.value:
            return w.say("%(name)s recorded: %(value)s", name=name, value=_shown(inner, style) if inner else "")
        if inner:
            return w.say("%(name)s: no usable value (%(missing)s)", name=name, missing=_missing(inner, style))
        return w.say("%(name)s: no usable value", name=name)

    return words


def _unencoded_words(key: AnyFactKey, leaves, language: Language):
    """A drafted placeholder: the report says it is not encoded yet, and to review the draft."""
    style = _fact_words(language)

    def words(fact: Fact) -> str:
        return _upper_first(_missing(fact, style))

    return words


def _unknown_fact_words(key: AnyFactKey, leaves: list[tuple[Leaf, bool]], language: Language):
    w, style = sentences(language), _fact_words(language)
    rule = leaves[0][0].text  # a fact this module does not know yet: the rule's own words and the derivation's

    def words(fact: Fact) -> str:
        return w.say("%(label)s: %(text)s", label=rule,
                     text=_missing(fact, style) if fact.value is None else _shown(fact, style))

    return words


class _Clause:
    """One fact's sentence in one criterion, in one language: its wording prepared from the comparisons on it, each
    with its polarity."""

    __slots__ = ("key", "leaves", "category", "wanted", "refused", "words", "said")

    def __init__(self, key: AnyFactKey, leaves: list[tuple[Leaf, bool]], language: Language = DEFAULT_LANGUAGE):
        info = info_for(key)
        self.key, self.leaves = key, tuple(leaves)
        # The sentence for each shared Fact (one the derivation hands to every record with that value), worded
        # once: holding the fact keeps its id from being reused.
        self.said: dict[int, tuple[Fact, str]] = {}
        self.category = info is not None and info.type in (FieldType.CATEGORY, FieldType.ATTESTATION)
        self.wanted = [leaf.value for leaf, g in leaves if (leaf.op == "eq") == g]
        self.refused = [leaf.value for leaf, g in leaves if (leaf.op == "eq") != g]
        if isinstance(key, DaysSinceFact):
            self.words = _days_words(key, leaves, language)
        elif isinstance(key, TransfusionFreeFact):
            self.words = _transfusion_free_words(key, leaves, language)
        elif isinstance(key, RecordedFact):
            self.words = _recorded_words(key, leaves, language)
        elif isinstance(key, UnencodedFact):
            self.words = _unencoded_words(key, leaves, language)
        elif self.category:
            self.words = _category_words(key, leaves, language)
        elif info is not None and info.type is FieldType.BOOLEAN:
            self.words = _boolean_words(key, leaves, language)
        elif info is not None or isinstance(key, (LabFact, LabMultipleFact)) or key.slot in _NUMBER_LABELS:
            self.words = _number_words(key, leaves, language)
        else:
            self.words = _unknown_fact_words(key, leaves, language)

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


def clause(key: AnyFactKey, fact: Fact, leaves: list[tuple[Leaf, bool]], language: Language = DEFAULT_LANGUAGE) -> str:
    """One fact's sentence with its mark; key: a fact key (facts/keys.py); leaves: the comparisons on it, each with
    its polarity."""
    return _Clause(key, leaves, language)(fact)


def _clauses(criterion: CompiledCriterion, language: Language) -> tuple[tuple[_Clause, tuple], ...]:
    """The criterion's clauses in order, each with the lab keys whose missing value makes it redundant (see reason)."""
    polarity = _polarities(criterion.tree, not criterion.is_exclusion, {})
    by_fact: dict = {}
    for leaf in dict.fromkeys(criterion.leaves):
        by_fact.setdefault(leaf.fact, []).append((leaf, polarity[leaf]))
    labs = tuple(k for k in by_fact if isinstance(k, (LabFact, LabMultipleFact)))
    # "Is X recorded" beside a comparison on X says nothing the comparison's clause does not ("none recorded").
    return tuple(
        (_Clause(key, leaves, language), labs if isinstance(key, TransfusionFreeFact) else ())
        for key, leaves in by_fact.items()
        if not (isinstance(key, RecordedFact) and key.of in by_fact)
    )


_PLANS: dict[tuple[int, Language], tuple[CompiledCriterion, tuple]] = {}


def _plan(criterion: CompiledCriterion, language: Language) -> tuple[tuple[_Clause, tuple], ...]:
    """The criterion's prepared clauses, once per compiled criterion and language (keyed by identity, holding a
    reference so the id cannot be reused, as engine.compile.compiled does)."""
    entry = _PLANS.get((id(criterion), language))
    if entry is None:
        entry = _PLANS[(id(criterion), language)] = (criterion, _clauses(criterion, language))
    return entry[1]


def reason(
    status: str, criterion: CompiledCriterion, facts: Mapping[AnyFactKey, Fact], language: Language = DEFAULT_LANGUAGE
) -> str:
    """The criterion's reason: one clause per fact it uses (for a fail, the facts that make it fail)."""
    clauses = []
    for prepared, labs in _plan(criterion, language):
        fact = facts[prepared.key]
        # "Drawn late enough after a transfusion?" says nothing when the count itself is missing for the same reason.
        if labs and fact.value is None and any(facts[k].value is None and facts[k].why == fact.why for k in labs):
            continue
        clauses.append(prepared(fact))
    w = sentences(language)
    if status == "fail":
        failing = [text for text in clauses if text.endswith(FAILS)]
        return w.semicolon.join(failing or clauses)
    if status == "unknown":
        open_items = [text for text in clauses if text.endswith(UNKNOWN)]
        settled = [text for text in clauses if not text.endswith(UNKNOWN)]
        return w.semicolon.join(open_items + settled)
    # A pass: what holds first, then the parts of routes it did not need, each said to be not needed.
    holding = [text for text in clauses if text.endswith(MEETS)]
    spare = [w.say("%(clause)s(not needed: another route holds) %(mark)s", clause=text[:-1], mark=NOT_NEEDED)
             for text in clauses if not text.endswith(MEETS)]
    return w.semicolon.join(holding + spare)


# --- what to record ------------------------------------------------------------------------------------------------
# The fields some actions are about, for the same instruction as recording that field.
_ACTION_FIELDS: dict[type, str] = {
    RecordDiseaseStatus: "diagnosis.disease_status",
    RecordPathology: "diagnosis.pathology_confirmed",
}


@lru_cache(maxsize=4096)
def instruction(settle: Settle, language: Language = DEFAULT_LANGUAGE) -> str:
    """What settles an unknown fact, as an instruction to a coordinator: no record paths, units as written."""
    w, style = sentences(language), _fact_words(language)
    key = settle.field.name if isinstance(settle, RecordField) else _ACTION_FIELDS.get(type(settle))
    if key is not None:
        info = catalogue()[key]
        if info.type is FieldType.ATTESTATION and info.words.attested:
            return w.say("Ask the investigator to attest whether %(attested)s",
                         attested=style.text(info.words.attested))
        if key in _BOOLEANS:
            return w.say("Record %(what)s", what=style.text(_BOOLEANS[key][2]))
        if key in _CATEGORY_LABELS:
            categories = [_category(c, style) for c in info.categories]
            return w.say("Record %(label)s: %(categories)s", label=_lower_first(label_of(info, style)),
                         categories=w.either(categories))
        return w.say("Record the %(description)s", description=style.text(info.description))
    if isinstance(settle, RecordHistory):
        return w.say("Record the %(history)s (or that there were none)",
                     history=style.text(fact_words.HISTORY[settle.history]))
    return _upper_first(fact_words.settle(settle, style))
