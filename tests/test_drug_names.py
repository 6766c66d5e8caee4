"""The medication vocabulary: names and RxNorm codes to ingredients, and what it refuses to guess."""
import json

import pytest

from screener.facts.drug_names import vocabulary
from screener.rules import load_tables
from screener.wording.facts import not_recognised

from .test_fhir import SYNTHEA, needs_synthea


@pytest.fixture(scope="module")
def words():
    return vocabulary(load_tables().medications)


@pytest.mark.parametrize("name,ingredients", [
    ("dexamethasone", ("dexamethasone",)),
    ("  DEXAMETHASONE ", ("dexamethasone",)),                          # case, whitespace
    ("Decadron", ("dexamethasone",)),                                  # brands
    ("Solu-Medrol", ("methylprednisolone",)), ("Solu Medrol", ("methylprednisolone",)),
    ("Tegretol", ("carbamazepine",)), ("Dilantin", ("phenytoin",)), ("Zofran", ("ondansetron",)),
    ("Keppra", ("levetiracetam",)), ("Tylenol", ("acetaminophen",)),
    ("dexamethasone sodium phosphate", ("dexamethasone",)),            # salts and esters
    ("methylprednisolone sodium succinate", ("methylprednisolone",)),
    ("isavuconazonium sulfate", ("isavuconazonium",)),
    ("St Johns wort", ("st. john's wort",)), ("St. John's Wort", ("st. john's wort",)),   # spellings
    ("St John\u2019s Wort", ("st. john's wort",)), ("Hypericum perforatum", ("st. john's wort",)),
    ("paracetamol", ("acetaminophen",)), ("rifampicin", ("rifampin",)),
    ("Kaletra", ("lopinavir", "ritonavir")),                           # combinations: every ingredient
    ("Lopinavir/Ritonavir", ("lopinavir", "ritonavir")), ("lopinavir + ritonavir", ("lopinavir", "ritonavir")),
    ("Paxlovid", ("nirmatrelvir", "ritonavir")),
    ("fosphenytoin", ("fosphenytoin",)), ("Cerebyx", ("fosphenytoin",)),   # prodrugs (classes via active moiety)
    ("Acetaminophen 325 MG Oral Tablet", ("acetaminophen",)),          # RxNorm clinical drug strings
    ("24 HR metoprolol succinate 100 MG Extended Release Oral Tablet [Toprol]", ("metoprolol",)),
    ("Amoxicillin 250 MG / Clavulanate 125 MG Oral Tablet", ("amoxicillin", "clavulanic acid")),
    ("Carbamazepine[Tegretol]", ("carbamazepine",)),
    ("Sodium Chloride 9 MG/ML Injectable Solution", ("sodium chloride",)),  # a salt alone is no ingredient
])
def test_names_resolve_to_ingredients(words, name, ingredients):
    found = words.resolve(name)
    assert found.ingredients == ingredients and found.why_not is None


@pytest.mark.parametrize("name", ["Zorbexal", "dexamethasone foo", "amoxicillin/zorbexal", "steroids", "mg", "24 HR",
                                  "", ".", "\u5730\u585e\u7c73\u677e", "??"])
def test_names_not_recognised_are_not_guessed(words, name):
    # punctuation-only and foreign-script names once met an empty punctuation-blind key (favipiravir)
    found = words.resolve(name)
    assert found.ingredients == () and name.lower().split("/")[-1] in not_recognised(found.why_not).lower()


def test_prodrugs_take_their_active_moietys_classes(words):
    assert words.active("fosphenytoin") == "phenytoin" and words.active("isavuconazonium") == "isavuconazole"
    assert words.active("dexamethasone") == "dexamethasone"


def test_rxnorm_code_resolves_and_a_contradicting_name_is_refused(words):
    assert words.resolve("Simvistatin 10 MG", "316672").ingredients == ("simvastatin",)
    assert words.resolve("anything at all", "316672").ingredients == ("simvastatin",)
    clash = words.resolve("prednisone", "316672")
    said = not_recognised(clash.why_not)
    assert clash.ingredients == () and "316672" in said and "prednisone" in said
    unknown = words.resolve("Zorbexal", "999999999")
    assert unknown.ingredients == () and "999999999" in not_recognised(unknown.why_not)


@pytest.mark.parametrize("name,route", [
    ("120 ACTUAT Fluticasone propionate 0.044 MG/ACTUAT Metered Dose Inhaler", "inhaled"),
    ("Hydrocortisone 10 MG/ML Topical Cream", "topical"), ("predniSONE 5 MG Oral Tablet", "oral"),
    ("1 ML Dexamethasone 4 MG/ML Injection", None), ("prednisone", None),
])
def test_dose_form_states_a_route_only_when_unambiguous(words, name, route):
    assert words.resolve(name).route == route


@needs_synthea
def test_every_medication_in_the_synthea_bundles_resolves(words):
    """Read straight from the bundles' JSON: each RxNorm coding's display, and its code alone, resolve."""
    resources, codes, failures = 0, {}, []
    for path in sorted(SYNTHEA.glob("*.json")):
        for entry in json.loads(path.read_text()).get("entry", []):
            resource = entry.get("resource", {})
            if resource.get("resourceType") not in (
                "MedicationRequest",
                "MedicationStatement",
                "MedicationAdministration",
            ):
                continue
            resources += 1
            for coding in (resource.get("medicationCodeableConcept") or {}).get("coding", []):
                if coding.get("system", "").endswith("rxnorm"):
                    codes[coding["code"]] = coding["display"]
    for code, display in codes.items():
        by_name, by_code = words.resolve(display), words.resolve("", code)
        if not by_name.ingredients or by_code.ingredients != by_name.ingredients:
            failures.append((code, display, by_name, by_code))
    assert resources >= 630 and len(codes) >= 78
    assert failures == []


# --- issue 22: usual names of the combinations children on chemotherapy take ---------------------------------------
SMX_TMP, PIP_TAZO, AMOX_CLAV = {"sulfamethoxazole", "trimethoprim"}, {"piperacillin", "tazobactam"}, \
    {"amoxicillin", "clavulanic acid"}


@pytest.mark.parametrize("name,ingredients", [
    *[(n, SMX_TMP) for n in (
        "cotrimoxazole", "co-trimoxazole", "Co-Trimoxazole", "co trimoxazole", "Septrin", "Bactrim", "Bactrim DS",
        "TMP-SMX", "TMP/SMX", "tmp / smx", "TMP + SMX", "TMP and SMX", "tmp smx", "SMX-TMP", "SMX/TMP", "SMZ-TMP",
        "TMP-SMZ", "sulfamethoxazole-trimethoprim", "sulfamethoxazole / trimethoprim", "sulfamethoxazole/trimethoprim",
        "sulfamethoxazole + trimethoprim", "sulfamethoxazole and trimethoprim", "sulfamethoxazole trimethoprim",
        "trimethoprim sulfamethoxazole", "trimethoprim-sulfamethoxazole", "trimethoprim/sulfamethoxazole",
        "trimethoprim + sulfamethoxazole", "trimethoprim and sulfamethoxazole", "trimethoprim, sulfamethoxazole",
        "sulphamethoxazole-trimethoprim", "Trimethoprim-Sulfamethoxazole 160-800 mg tablet",
        "TMP/SMX 160/800 mg oral tablet", "Sulfamethoxazole 800 MG / Trimethoprim 160 MG Oral Tablet",
        "co-trimoxazole 480 mg tablet", "Septrin Forte", "Septrin Paediatric Suspension", "Sulfatrim Pediatric",
        "co-trim", "Cotrim")],
    *[(n, PIP_TAZO) for n in (
        "piperacillin-tazobactam", "piperacillin/tazobactam", "piperacillin tazobactam", "tazobactam-piperacillin",
        "piperacillin and tazobactam", "piperacillin + tazobactam", "pip-tazo", "pip/tazo", "Pip Tazo",
        "pip + tazo", "tazo-pip", "Tazocin", "Zosyn", "Piperacillin 4000 MG / tazobactam 500 MG Injection",
        "Piperacillin Sodium and Tazobactam Sodium")],
    *[(n, AMOX_CLAV) for n in (
        "amoxicillin-clavulanate", "amoxicillin/clavulanate", "amoxicillin clavulanate",
        "clavulanate-amoxicillin", "amoxicillin and clavulanate potassium", "amoxicillin clavulanate potassium",
        "amoxicillin-clavulanic acid", "co-amoxiclav", "Co-Amoxiclav", "amox-clav", "amox/clav", "Amox Clav",
        "clav-amox", "Augmentin", "Augmentin-Duo", "Amoxicillin 875 MG / Clavulanate 125 MG Oral Tablet")],
])
def test_combinations_resolve_in_any_order_and_spelling(words, name, ingredients):
    found = words.resolve(name)
    assert set(found.ingredients) == ingredients and len(found.ingredients) == 2 and found.why_not is None, found


@pytest.mark.parametrize("name", ["pip", "tazo", "clav", "smx", "smz", "pip-smx", "tmp-clav", "amox-tazo"])
def test_a_combination_abbreviation_alone_or_in_another_pair_is_not_guessed(words, name):
    # an abbreviation counts only inside its own combination: "pip" alone could be anything
    assert words.resolve(name).ingredients == ()


def test_no_combination_spelling_takes_a_name_the_library_gives_another_drug():
    """A new spelling must never make a name resolve to the wrong drug: every generated key is either unknown to
    the library or names the same ingredients there."""
    from screener.facts.drug_index import INDEX
    from screener.facts.drug_names import _combination_keys

    table, words = load_tables().medications, vocabulary(load_tables().medications)
    clashes = []
    for combination in table.combinations:
        for key, ingredients in _combination_keys(combination.spellings).items():
            for theirs in (INDEX.canonicals(key), INDEX.loose(key)):
                if theirs:
                    found = {i for c in theirs for i in (words.ingredients_of(c) or (c,))}
                    if found != set(ingredients):
                        clashes.append((key, theirs))
    assert clashes == []


@pytest.mark.parametrize("name,ingredients", [
    ("Co-trimoxazole 240 mg/5 mL oral suspension, 5 mL twice daily Sat/Sun", SMX_TMP),  # issue 22's FHIR text
    ("cotrimoxazole 480 mg BD Mon/Tue", SMX_TMP),
    ("TMP-SMX 5 mL b.d. on weekends", SMX_TMP),
    ("co-trimoxazole prophylaxis", SMX_TMP),
    ("fluconazole 50 mg once a week", {"fluconazole"}),
    ("Erythroped A 500 mg twice daily", {"erythromycin"}),  # a name ending in a joining word keeps it
    ("prednisolone 2 mg/kg/day x 5 days then taper", {"prednisolone"}),
    ("fluconazole 50 mg once daily", {"fluconazole"}),
    ("ondansetron 4 mg q8h prn", {"ondansetron"}),
    ("dexamethasone 4 mg daily + fluconazole", {"dexamethasone", "fluconazole"}),  # a second drug is never cut
    ("prednisone 10 mg every morning and fluconazole weekly", {"prednisone", "fluconazole"}),
])
def test_a_dose_instruction_after_the_name_is_not_read_as_a_drug(words, name, ingredients):
    found = words.resolve(name)
    assert set(found.ingredients) == ingredients and found.why_not is None


@pytest.mark.parametrize("name", ["5 mL twice daily Sat/Sun", "1 tablet BD", "twice daily", "q8h prn", "Sat/Sun"])
def test_a_dose_instruction_alone_names_no_drug(words, name):
    found = words.resolve(name)
    assert found.ingredients == () and "dose instruction, not a medication name" in not_recognised(found.why_not)
    assert words.names_no_drug(name)


@pytest.mark.parametrize("name", ["prednisone daily fluconazole", "Zorbexal twice daily",
                                  "dexamethasone 4 mg foo daily", "prednisolone then Zorbexal", "prednisone 5 mg x",
                                  "Zorbexal a"])
def test_an_unknown_word_beside_a_dose_instruction_keeps_the_name_unrecognised(words, name):
    # only words of a strength, form or instruction are taken off: an unknown one could be the excluding drug
    found = words.resolve(name)
    assert found.ingredients == () and found.why_not


def test_no_known_name_is_taken_for_a_dose_instruction():
    """Taking instruction words off a name never takes off a drug: no name the library or the table knows is made
    of them alone and unresolved (e.g. the brand "AT 10" stays a name)."""
    from screener.facts.drug_index import from_library

    words = vocabulary(load_tables().medications)
    names = list(from_library()[0]) + list(words.names)
    assert [n for n in names if words.names_no_drug(n)] == []


@pytest.mark.parametrize("name", ["predisone", "prednisalone", "dexamethazone", "sulfamethoxazol-trimethoprin",
                                  "pip-tazocin"])
def test_misspellings_are_not_guessed(words, name):
    # "predisone" is as close to prednisone as to prednisolone: never resolved to either
    assert words.resolve(name).ingredients == ()


@needs_synthea
def test_no_synthea_medication_name_is_cut_or_taken_for_a_dose_instruction(words):
    # RxNorm drug strings carry units and joining words ("NuvaRing 0.12/0.015 MG per 24HR 21 Day Vaginal Ring"):
    # none of them starts a dose instruction, so no name loses its dose form (which can state the route)
    names = set()
    for path in sorted(SYNTHEA.glob("*.json")):
        for entry in json.loads(path.read_text()).get("entry", []):
            concept = entry.get("resource", {}).get("medicationCodeableConcept") or {}
            names.update(c["display"] for c in concept.get("coding", []) if c.get("display"))
    assert len(names) >= 78
    assert [n for n in names if words.without_instruction(n) != n or words.names_no_drug(n)] == []


def test_units_and_joining_words_do_not_start_a_dose_instruction(words):
    name = "NuvaRing 0.12/0.015 MG per 24HR 21 Day Vaginal Ring"
    assert words.without_instruction(name) == name
    assert words.without_instruction("prednisolone 5 mg with food twice daily") == "prednisolone 5 mg"
    assert words.without_instruction("Zorbexal 5 mg twice daily") == "Zorbexal 5 mg twice daily"  # shown whole
