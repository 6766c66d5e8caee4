"""Resolve a medication name or RxNorm code to its ingredients: generics, salts, brands, spellings, combinations.

Two sources, both offline: the drug-named-entity-recognition library's dictionary (about 107,000 names of
20,000 drugs from DrugBank, MeSH, NHS and MedlinePlus; MIT licence) and our cited additions in
criteria/tables/medications.yaml, which win where both know a name. Every look-up is a dict access on a
normalised string (the library's in an on-disk index, drug_index.py, that a process reads only where it
looks) and each name is resolved once per process (cached), so the cost of a name grows with its
length, never with the size or shape of the tables. A name is recognised only when every word of it is
accounted for (an ingredient, a salt, a strength, a dose form, a dose instruction after the drug such as "5 mL
twice daily Sat/Sun"): a part that is not is reported, never guessed. A combination is recognised in any order
and with any usual separator or abbreviation its table row lists ("TMP-SMX", "sulfamethoxazole / trimethoprim").
"""
import itertools
import re
from dataclasses import dataclass
from functools import lru_cache

from ..model.tables import MedicationVocabulary
from .drug_index import INDEX
from .drug_index import loose as _loose
from .entries import CodeDisagrees, DoseInstructionOnly, NotRecognised, UnknownName

_NUMBER_LED = re.compile(r"^[\d.,/]+(?:-[\d.,/]+)*[a-z%/.]*$")   # 40mg, 0.15/30, 24hr, 12.5, 800-160
_EVERY_HOURS = re.compile(r"^(?:q\d+h|q\d+hrs?|\d+-?hourly|\d+-?hrly)$")   # q8h, q12hr, 6-hourly, 4hrly
# Joining words of a dose instruction: it neither starts nor ends with one, as many names do ("vitamin a",
# "factor x", "Tylenol with Codeine"); nor does it start at a word that only counts or measures.
_JOINERS = {"and", "on", "at", "in", "the", "a", "an", "with", "after", "before", "as", "by", "x", "of", "to", "for",
            "then", "until", "h"}
_NOT_FIRST = _JOINERS | {"mouth", "hour", "hours", "hrs", "days", "week", "weeks", "time", "times"}
_CODE = re.compile(r"^nda\d+$")                    # application numbers in RxNorm names
_UNITS = {"mg", "mcg", "g", "ml", "l", "meq", "unt", "units", "iu", "%", "hr", "actuat", "mg/ml", "mg/actuat",
          "mg/hr", "mcg/ml", "unt/ml", "meq/ml", "mg/g", "mcg/actuat", "mcg/hr", "per", "kg", "m2"}  # mg/kg/day


def normalise(name: str) -> str:
    """Lower case, one kind of apostrophe, single spaces: the form every key is stored and looked up in."""
    text = name.lower().replace("\u2019", "'").replace("\u2018", "'").replace("`", "'")
    return " ".join(text.split())


@dataclass(frozen=True)
class Resolution:
    """What a name or code resolves to. ingredients empty: not recognised, and why_not says which part."""

    ingredients: tuple[str, ...]
    why_not: NotRecognised | None = None
    route: str | None = None  # a route the dose form states ("Metered Dose Inhaler": inhaled), if any


class Vocabulary:
    """Our cited additions (criteria/tables/medications.yaml) over the library, with a per-name cache."""

    def __init__(self, table: MedicationVocabulary):
        self.table = table
        self.names: dict[str, tuple[str, ...]] = {}
        for ingredient, entry in table.ingredients.items():
            for name in [ingredient, *entry.names]:
                self.names[normalise(name)] = (ingredient,)
        for name, product in table.products.items():
            self.names[normalise(name)] = tuple(product.ingredients)
        self.loose = {_loose(name): found for name, found in self.names.items() if _loose(name)}
        for combination in table.combinations:
            self.loose.update(_combination_keys(combination.spellings))
        self.prodrugs = {i: e.prodrug_of for i, e in table.ingredients.items() if e.prodrug_of}
        self.salts = frozenset(table.salt_words)
        self.strippable = frozenset(table.dose_form_words) | _UNITS
        self.instruction = frozenset(table.dose_instruction_words)
        self.route_words = {word: route for route, words in table.form_routes.items() for word in words}
        self.resolve = lru_cache(maxsize=8192)(self._resolve)

    # --- look-ups ---------------------------------------------------------------------------------------------
    def _canonicals(self, text: str) -> tuple[str, ...] | None:
        key = _loose(text)
        return (self.names.get(text) or INDEX.canonicals(text)
                or (key and (self.loose.get(key) or INDEX.loose(key))) or None)

    def _known_ingredient(self, text: str) -> bool:
        return text in self.table.ingredients or INDEX.is_canonical(text)

    def ingredients_of(self, canonical: str) -> tuple[str, ...] | None:
        """A canonical name's ingredients: combinations split, salts and esters stripped to a known base."""
        if canonical in self.table.ingredients:
            return (canonical,)
        pieces = [p for p in re.split(r"\s*/\s*|,\s*and\s+|,\s*|\s+and\s+", canonical) if p]
        if len(pieces) > 1:
            found = [self.ingredients_of(p) or self._base(p) for p in pieces]
            return tuple(dict.fromkeys(i for f in found if f for i in f)) if all(found) else None
        return self._base(canonical) or (canonical,)

    def _base(self, text: str) -> tuple[str, ...] | None:
        """The known ingredient left when trailing salt/ester and dose-form words are taken off, if any."""
        words = text.split()
        for cut in range(1, len(words)):
            # a salt alone is no ingredient: "sodium chloride" stays sodium chloride, not sodium
            if all(w in self.salts or w in self.strippable for w in words[cut:]) and not all(
                w in self.salts for w in words[:cut]
            ):
                head = " ".join(words[:cut])
                if self._known_ingredient(head):
                    return (head,)
        return None

    def _lookup(self, text: str) -> tuple[str, ...] | None:
        canonicals = self._canonicals(text)
        if canonicals is None:
            words = text.split()
            # "dexamethasone sodium phosphate": take salt words off the end, one at a time
            for cut in range(len(words) - 1, 0, -1):
                if words[cut] not in self.salts or all(w in self.salts for w in words[:cut]):
                    break
                canonicals = self._canonicals(" ".join(words[:cut]))
                if canonicals:
                    break
        if not canonicals:
            return None
        found = [self.ingredients_of(c) for c in canonicals]
        return tuple(dict.fromkeys(i for f in found if f for i in f)) if all(found) else None

    def _strippable(self, word: str) -> bool:
        return word in self.strippable or bool(_NUMBER_LED.match(word)) or bool(_CODE.match(word))

    def _filler(self, word: str) -> bool:
        """A word of a strength, dose form or dose instruction ("suspension,", "b.d.", "sat/sun", "q8h")."""
        word = word.strip(",;:()")
        if not word or self._strippable(word):
            return True
        pieces = [p.replace(".", "") for p in word.split("/")]
        return all(
            p in self.instruction or self._strippable(p) or bool(_EVERY_HOURS.match(p)) for p in pieces if p
        )

    def names_no_drug(self, name: str) -> bool:
        """Whether a name is only a strength, dose form or dose instruction ("5 mL twice daily Sat/Sun"): every
        word is one, and the words together are no name the vocabulary knows ("AT 10" is a brand)."""
        return all(self._filler(w) for w in normalise(name).split()) and not self.resolve(name).ingredients

    def without_instruction(self, name: str) -> str:
        """The name with a dose instruction written after the drug taken off ("Co-trimoxazole 240 mg/5 mL, 5 mL
        twice daily Sat/Sun" -> "Co-trimoxazole 240 mg/5 mL, 5 mL"), only where what is left reads as the same
        ingredients; else the name as given (an unrecognised name is shown whole, to be corrected whole)."""
        words = name.split()
        filler = [self._filler(normalise(w)) for w in words]
        tail_filler = len(words)  # the first index from which every word is filler
        while tail_filler > 0 and filler[tail_filler - 1]:
            tail_filler -= 1
        for cut in range(max(1, tail_filler), len(words)):
            first = [p.replace(".", "") for p in normalise(words[cut]).strip(",;:()").split("/") if p]
            # it starts at a word only a dose instruction has ("twice", "BD", "Sat/Sun", "q8h"): not at a unit or a
            # joining word ("per" of "0.12 MG per 24HR", "with", "x"), which a product name may carry
            if first and all(
                (p in self.instruction and p not in _NOT_FIRST and not self._strippable(p)) or _EVERY_HOURS.match(p)
                for p in first
            ):
                while cut > 1 and normalise(words[cut - 1]).strip(",;:()") in _JOINERS:
                    cut -= 1  # "with food twice daily": the joining words before it belong to it
                head = " ".join(words[:cut]).rstrip(" ,;:")
                found = self.resolve(name).ingredients
                return head if found and self.resolve(head).ingredients == found else name
        return name

    # --- names ------------------------------------------------------------------------------------------------
    def _part(self, part: str) -> tuple[str, ...] | None:
        """One ingredient's share of a name: "24 hr metoprolol succinate 100 mg extended release oral tablet"."""
        brand = re.search(r"\[([^\]]*)\]", part)
        main = re.sub(r"\[[^\]]*\]", " ", part).split()
        while main and self._strippable(main[0]):
            main.pop(0)  # "24 HR", "120 ACTUAT", "10 ML", "NDA020800 0.3 ML"
        # What may follow the drug: its strength and dose form, and a dose instruction ("5 mL twice daily"); an
        # instruction never ends in a joining word, which is part of many names ("vitamin a", "factor x").
        ends_joined = bool(main) and main[-1].strip(",;:()") in _JOINERS
        for cut in range(len(main), 0, -1):
            if cut < len(main) and (ends_joined or not self._filler(main[cut])):
                break  # the tail main[cut:] holds a word that follows no drug: no shorter head can be the name
            found = self._lookup(" ".join(main[:cut]))
            if found:
                return found
        return self._lookup(normalise(brand[1])) if brand else None

    def _resolve(self, name: str, rxnorm: str | None = None) -> Resolution:
        text = normalise(name)
        route = self._route(text)
        coded = self.table.rxnorm.get(rxnorm) if rxnorm else None
        named = self._lookup(text) or self._lookup(text.strip(" .,;:"))
        read_whole = {}  # the whole name read as one part, kept so that a name with no separator is read once
        if named is None and "[" not in text:
            # one name with its strength, form or dose instruction: "TMP/SMX 160/800 mg tablet twice daily"
            # (never with a [brand]: _part reads the brand alone and would drop what precedes it)
            named = read_whole[text] = self._part(text)
        why_not: NotRecognised | None = None
        if named is None:
            # RxNorm separates ingredients with " / "; people write "A/B", "A + B", "A and B", "A, B"
            parts = [p for p in re.split(r"\s+/\s+|(?<=[a-z])/(?=[a-z]{3})|\s*\+\s*|\s+and\s+|,\s*", text) if p.strip()]
            # a part that is only a strength or a dose instruction ("sun" of "Sat/Sun") names no drug
            parts = [p for p in parts if not all(self._filler(w) for w in p.split()) or self._part(p)]
            found = [(p, read_whole[p] if p in read_whole else self._part(p)) for p in parts]
            missing = [p for p, f in found if not f]
            if found and not missing:
                named = tuple(dict.fromkeys(i for _, f in found for i in f or ()))
            elif re.search(r"[a-z0-9]", text) and all(self._filler(w) for w in text.split()):
                why_not = DoseInstructionOnly(name, rxnorm)
            else:
                why_not = UnknownName(name, () if len(found) <= 1 else tuple(missing), rxnorm)
        if coded is None:
            return Resolution(named or (), why_not, route)
        route = route or self._route(normalise(coded.display))
        if named is not None and set(named) != set(coded.ingredients):
            return Resolution((), CodeDisagrees(name, rxnorm or "", tuple(coded.ingredients), tuple(named)), route)
        return Resolution(tuple(coded.ingredients), None, route)

    def _route(self, text: str) -> str | None:
        routes = {self.route_words[w] for w in re.split(r"[^a-z]+", text) if w in self.route_words}
        return routes.pop() if len(routes) == 1 else None

    def suggestions(self, class_ingredients: set[str], brands: tuple[str, ...] = ()) -> list[str]:
        """Real drug names to offer on the form (facts/brand_names.py says why not every recognised name), each
        naming a class ingredient: the class ingredients themselves, our table's names of one, the library's
        consumer-list names of one, and the curated brands that resolve to one."""

        def in_class(ingredients) -> bool:
            return any(self.active(i) in class_ingredients for i in ingredients)

        offered = set(class_ingredients) | {n for n, found in self.names.items() if in_class(found)}
        for name, canonicals in INDEX.listed():
            # plain words only: the lists also hold multi-ingredient generic names with commas
            if len(name) <= 30 and re.fullmatch(r"[a-z][a-z' -]*[a-z]", name) and len(name.split()) <= 3:
                if in_class(i for c in canonicals for i in (self.ingredients_of(c) or ())):
                    offered.add(name)
        offered.update(b for b in brands if in_class(self.resolve(b).ingredients))
        return sorted(offered)

    # --- classes ----------------------------------------------------------------------------------------------
    def active(self, ingredient: str) -> str:
        """The ingredient whose classes count: a prodrug's active moiety, else the ingredient itself."""
        return self.prodrugs.get(ingredient, ingredient)


def _combination_keys(spellings: dict[str, list[str]]) -> dict[str, tuple[str, ...]]:
    """Punctuation-blind keys of a combination in every order, each ingredient by each of its spellings, joined
    by a separator ("-", "/", "+", ",", space: one space in the key) or "and": each key -> its ingredients."""
    keys = {}
    for order in itertools.permutations(spellings):
        for words in itertools.product(*([ingredient, *spellings[ingredient]] for ingredient in order)):
            for joiner in (" ", " and "):
                key = _loose(joiner.join(words))
                if key:
                    keys[key] = order
    return keys


_BUILT: dict[tuple[int, object], tuple] = {}  # (id(source), factory) -> (source, built): tables are not hashable


def built_once(source, factory):
    """factory(source), built once per loaded source object (the loaded tables live as long as the process)."""
    key = (id(source), factory)
    entry = _BUILT.get(key)
    if entry is None or entry[0] is not source:
        if len(_BUILT) >= 32:
            _BUILT.clear()
        entry = _BUILT[key] = (source, factory(source))
    return entry[1]


def vocabulary(table: MedicationVocabulary) -> Vocabulary:
    return built_once(table, Vocabulary)
