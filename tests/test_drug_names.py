"""The medication vocabulary: names and RxNorm codes to ingredients, and what it refuses to guess."""
import json

import pytest

from screener.facts.drug_names import vocabulary
from screener.rules import load_tables

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
    assert found.ingredients == () and name.lower().split("/")[-1] in found.why_not.lower()


def test_prodrugs_take_their_active_moietys_classes(words):
    assert words.active("fosphenytoin") == "phenytoin" and words.active("isavuconazonium") == "isavuconazole"
    assert words.active("dexamethasone") == "dexamethasone"


def test_rxnorm_code_resolves_and_a_contradicting_name_is_refused(words):
    assert words.resolve("Simvistatin 10 MG", "316672").ingredients == ("simvastatin",)
    assert words.resolve("anything at all", "316672").ingredients == ("simvastatin",)
    clash = words.resolve("prednisone", "316672")
    assert clash.ingredients == () and "316672" in clash.why_not and "prednisone" in clash.why_not
    unknown = words.resolve("Zorbexal", "999999999")
    assert unknown.ingredients == () and "999999999" in unknown.why_not


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
