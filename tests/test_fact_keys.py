"""Typed fact keys: what the compiler makes, the slot names stored reports carry, and one object per key."""
import pickle

from screener.engine.compile import compiled
from screener.facts.keys import (
    DaysSinceFact,
    DerivedFact,
    Event,
    FactKey,
    LabFact,
    LabMultipleFact,
    RecordedFact,
    RecordFact,
    TransfusionFreeFact,
    slot_name,
)
from screener.rules import load_rule_sets

NCT = compiled(load_rule_sets()["NCT06674265"])


def test_slot_names_are_the_ones_stored_reports_carry():
    # Stored screenings name their evidence by these strings: a changed format would orphan the audit history.
    assert slot_name(DaysSinceFact(Event(transfusion="platelets"), 7)) == "days_since[transfusion=platelets;window=7]"
    assert (
        slot_name(DaysSinceFact(Event(medication_class="systemic_corticosteroid", min_prednisone_mg_kg_day=0.5), 7))
        == "days_since[medication=systemic_corticosteroid;min_prednisone_mg_kg_day=0.5;window=7]"
    )
    assert (
        slot_name(DaysSinceFact(Event(medication_class="cyp3a4_modulator", cyp3a4_strengths=("moderate", "strong")), 7))
        == "days_since[medication=cyp3a4_modulator;strengths=moderate,strong;window=7]"
    )
    assert slot_name(DaysSinceFact(Event(transplant="autologous"))) == "days_since[transplant=autologous]"
    assert slot_name(DaysSinceFact(Event(chemotherapy_end=True), 14)) == "days_since[chemotherapy_end=yes;window=14]"
    assert slot_name(LabMultipleFact("bilirubin", "uln")) == "lab.bilirubin/uln"
    assert slot_name(TransfusionFreeFact("platelets", 7)) == "transfusion_free[lab=platelets;days=7]"
    assert slot_name(RecordedFact(LabFact("spo2"))) == "recorded[lab.spo2]"
    assert slot_name(RecordFact("findings.seizures")) == "findings.seizures"
    assert slot_name(DerivedFact("age_years")) == "age_years"


def test_the_compiler_makes_typed_keys_for_every_kind_the_rule_sets_use():
    keys = {key for rule_set in load_rule_sets().values() for key in compiled(rule_set).facts}
    assert all(isinstance(key, FactKey) for key in keys)
    kinds = {type(key) for key in keys}
    assert kinds == {
        RecordFact,
        DerivedFact,
        LabFact,
        LabMultipleFact,
        DaysSinceFact,
        TransfusionFreeFact,
        RecordedFact,
    }
    assert len({key.slot for key in keys}) == len(keys)  # one slot name per key
    assert DaysSinceFact(Event(transfusion="platelets"), 8) in NCT.facts  # day -7 inside "within one week"
    assert TransfusionFreeFact("platelets", 8) in NCT.facts


def test_events_name_the_history_that_settles_them():
    assert Event(transfusion="any").history == "transfusions"
    assert Event(transplant="allogeneic").history == "transplants"
    assert Event(chemotherapy_end=True).history == "chemotherapy"
    assert Event(medication_class="cyp3a4_modulator", cyp3a4_strengths=("strong",)).history == "medications"


def test_equal_keys_are_one_object_even_after_pickling():
    # The evaluators look values up by identity: a Dask worker's unpickled key must be the same object.
    key = DaysSinceFact(Event(transfusion="platelets"), window=7)
    assert key is DaysSinceFact(Event(transfusion="platelets"), 7)
    assert pickle.loads(pickle.dumps(key)) is key
    assert RecordedFact(LabFact("spo2")) is pickle.loads(pickle.dumps(RecordedFact(LabFact("spo2"))))
    assert LabFact("platelets") != RecordFact("lab.platelets")  # same slot text, different kinds
    assert LabFact("platelets") != DaysSinceFact(Event(transfusion="platelets"))
