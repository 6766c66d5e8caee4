"""Drafting NCT06674265's own registry record against the hand-written rule file: what the draft has, criterion by
criterion, and where both have a rule or an attestation, that they agree.

The table is written out, not computed: each row says what the hand-written file has, what the draft has and which
pattern made it, so a change in either shows up here as a row that no longer holds. Where both have a rule they
must compare the same facts with the same operators and thresholds after unit conversion (the compiled leaves).
"""
import yaml

from screener.authoring.draft import draft_rule_file
from screener.authoring.draft._patterns import read_item
from screener.authoring.source_check import normalise
from screener.engine.compile import compile_criterion
from screener.model.ruleset import Criterion
from screener.rules import load_rule_sets
from tests.helpers import REPO

SEED = "seeds/registry/NCT06674265.json"

# hand-written id: (draft id, hand-written has, draft has, the draft's pattern, why they differ or "agree")
TABLE = {
    "NCT06674265-AGE": ("NCT06674265-AGE", "rule", "rule", "structured-age", "agree: 2 to 16 completed years"),
    "NCT06674265-I1": ("NCT06674265-I1", "rule", "placeholder", "unencoded-or-and-list",
                       "difference: a diagnosis and staging definition with and/or; hand-written only"),
    "NCT06674265-I2": ("NCT06674265-I2", "rule", "placeholder", "unencoded-diagnosis",
                       "difference: relapse after transplant or 'aggressive therapy'; hand-written only"),
    "NCT06674265-I3": ("NCT06674265-I3", "attestation", "attestation", "attestation",
                       "agree: life_expectancy_at_least_6_months"),
    "NCT06674265-I4": ("NCT06674265-I4", "rule", "placeholder", "unencoded-diagnosis",
                       "difference: pathology and/or marrow with catecholamines; hand-written only"),
    "NCT06674265-I5": ("NCT06674265-I5", "rule", "placeholder", "unencoded-or-and-list",
                       "difference: two imaging routes (lesion and MIBG, or PET); hand-written only"),
    "NCT06674265-E1": ("NCT06674265-E1", "rule", "placeholder", "unencoded-adequacy-heading",
                       "difference: 'Insufficient ...:' heading over the adequate values, three labs and a "
                       "transfusion window; the drafter never reads such an item (the hand-written rule inverts it)"),
    "NCT06674265-E2": ("NCT06674265-E2", "rule", "placeholder", "unencoded-adequacy-heading",
                       "difference: two labs under an 'Insufficient' heading, a trial-stated ULN; hand-written only"),
    "NCT06674265-E3": ("NCT06674265-E3", "rule", "placeholder", "unencoded-adequacy-heading",
                       "difference: clearance or GFR, and creatinine for age/sex; hand-written only"),
    "NCT06674265-E4": ("NCT06674265-E4", "rule", "placeholder", "unencoded-conditional",
                       "difference: seizures 'if ... not well controlled'; hand-written only"),
    "NCT06674265-E3b": ("NCT06674265-E5", "rule", "placeholder", "unencoded-adequacy-heading",
                        "difference: SF or EF under an 'Insufficient' heading; hand-written only"),
    "NCT06674265-E4b": ("NCT06674265-E6", "rule", "placeholder", "unencoded-adequacy-heading",
                        "difference: five pulmonary findings; hand-written only"),
    "NCT06674265-E5": ("NCT06674265-E7", "attestation", "attestation", "attestation",
                       "agree: no_emergency_condition"),
    "NCT06674265-E6": ("NCT06674265-E8", "rule", "placeholder", "unencoded-imaging",
                       "difference: the only evaluable disease; hand-written only"),
    "NCT06674265-E7": ("NCT06674265-E9", "rule", "placeholder", "unencoded-several-numbers",
                       "difference: a steroid dose per kg and a duration; hand-written only"),
    "NCT06674265-E8": ("NCT06674265-E10", "rule", "placeholder", "unencoded-or-and-list",
                       "difference: CYP3A4 inducers or inhibitors; hand-written only"),
    "NCT06674265-E12": ("NCT06674265-E11", "rule", "placeholder", "unencoded",
                        "difference: participation in another trial; hand-written only"),
    "NCT06674265-E13": ("NCT06674265-E12", "rule", "placeholder", "unencoded-or-and-list",
                        "difference: CTCAE grades of several organs; hand-written only"),
    "NCT06674265-E14": ("NCT06674265-E13", "attestation", "attestation", "attestation", "agree: able_to_comply"),
    "NCT06674265-E15": ("NCT06674265-E14", "attestation", "attestation", "attestation",
                        "agree: guardian_consent_signed"),
    "NCT06674265-E16": ("NCT06674265-E15", "rule", "placeholder", "unencoded-infection",
                        "difference: HIV disease or serology; hand-written only"),
}

# Every hand-written criterion of every rule set, read by the drafter's item reader in its own section: those it
# drafts, and what it drafts. Every other criterion of the six files is a placeholder to the drafter.
DRAFTED_FROM_OWN_WORDS = {
    ("IRCT20170122032121N7", "N7-PERF"): "performance-score",
    ("NCT06674265", "NCT06674265-I3"): "attestation",
    ("NCT06674265", "NCT06674265-E5"): "attestation",
    ("NCT06674265", "NCT06674265-E14"): "attestation",
    ("NCT06674265", "NCT06674265-E15"): "attestation",
}


def _drafted() -> dict:
    return yaml.safe_load(draft_rule_file((REPO / SEED).read_bytes(), SEED))


def _has(criterion: dict) -> str:
    return "rule" if "logic" in criterion else "attestation" if "attestation" in criterion else "placeholder"


def _leaves(criterion: Criterion) -> set:
    return {(leaf.fact, leaf.op, leaf.value) for leaf in compile_criterion(criterion, ("criteria", 0)).leaves}


def test_every_numbered_item_verbatim_and_ages_2_to_16():
    drafted = _drafted()
    assert drafted["population"]["min_age_years"] == 2 and drafted["population"]["max_age_years"] == 16
    hand = load_rule_sets()["NCT06674265"]
    by_number = {(c["kind"], c["registry_number"]): c for c in drafted["criteria"] if c["registry_number"]}
    numbered = [c for c in hand.criteria if c.registry_number]
    assert len(numbered) == 20 and len(by_number) == 20
    for criterion in numbered:
        assert normalise(by_number[(criterion.kind, criterion.registry_number)]["source_text"]) == normalise(
            criterion.source_text), criterion.id


def test_each_hand_written_criterion_against_the_draft_as_the_table_says():
    drafted = {c["id"]: c for c in _drafted()["criteria"]}
    hand = load_rule_sets()["NCT06674265"]
    assert set(TABLE) == {c.id for c in hand.criteria}
    assert {row[0] for row in TABLE.values()} == set(drafted)  # the draft has nothing the table does not list
    agreements = 0
    for criterion in hand.criteria:
        draft_id, hand_has, draft_has, pattern, verdict = TABLE[criterion.id]
        found = drafted[draft_id]
        assert (("rule" if criterion.logic else "attestation"), _has(found), found["draft"]["pattern"]) == (
            hand_has, draft_has, pattern), criterion.id
        assert found["kind"] == criterion.kind and found["registry_number"] == criterion.registry_number
        if draft_has == "rule" and hand_has == "rule":
            ours = Criterion.model_validate({**found, "draft": None})
            assert _leaves(ours) == _leaves(criterion), criterion.id
            agreements += 1
        if draft_has == "attestation" and hand_has == "attestation":
            assert found["attestation"] == criterion.attestation
            agreements += 1
        assert verdict.startswith("agree" if draft_has == hand_has else "difference"), criterion.id
    assert agreements == 5


def test_no_drafted_threshold_disagrees_with_any_hand_written_file():
    drafted = {}
    for trial, rule_set in load_rule_sets().items():
        ages = (rule_set.population.min_age_years, rule_set.population.max_age_years)
        for criterion in rule_set.criteria:
            reading = read_item(criterion.source_text, criterion.kind, ages)
            if reading.logic is None and reading.attestation is None:
                continue
            drafted[(trial, criterion.id)] = reading.pattern
            if reading.attestation is not None:
                assert reading.attestation == criterion.attestation, criterion.id
            else:
                ours = criterion.model_copy(update={"logic": None, "attestation": None})
                ours = Criterion.model_validate({**ours.model_dump(by_alias=True, exclude_none=True),
                                                 "logic": reading.logic})
                assert _leaves(ours) == _leaves(criterion), criterion.id
    assert drafted == DRAFTED_FROM_OWN_WORDS
