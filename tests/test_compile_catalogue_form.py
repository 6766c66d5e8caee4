"""Direct tests of the compiler, the field catalogue and the form's choice of inputs (each also runs end to end)."""
import pytest

from screener.engine.compile import CompileError, Leaf, Node, compile_criterion
from screener.facts.catalogue import catalogue, info_for, record_value_kinds
from screener.facts.keys import (
    DaysSinceFact,
    DerivedFact,
    Event,
    LabFact,
    LabMultipleFact,
    RecordedFact,
    RecordFact,
    TransfusionFreeFact,
)
from screener.model.labs import LABS
from screener.model.ruleset import Criterion
from screener.web.form_spec import _needed

CITATION = {"source": "seeds/trials/NCT06674265.md", "section": "Exclusion", "reference": "NCT06674265"}


def _compiled(logic: dict, kind: str = "exclusion"):
    criterion = Criterion.model_validate({"id": "T-1", "kind": kind, "title": "test", "source_text": "test text",
                                          "citation": CITATION, "logic": logic})
    return compile_criterion(criterion, ("criteria", 0))


# --- compiler -------------------------------------------------------------------------------------------------
def test_thresholds_are_converted_to_the_canonical_unit():
    tree = _compiled({"field": "lab.platelets", "op": "le", "value": 50, "unit": "10*3/uL"}).tree
    assert tree == Leaf(LabFact("platelets"), "le", 50_000.0, tree.text) and LABS["platelets"].canonical_unit == "/uL"


def test_a_transfusion_free_count_needs_both_the_value_and_independence_to_be_high():
    high = _compiled(
        {"field": "lab.platelets", "op": "gt", "value": 50, "unit": "10*3/uL", "transfusion_free_days": 7}
    ).tree
    assert high.op == "all" and [leaf.fact for leaf in high.children] == [
        LabFact("platelets"),
        TransfusionFreeFact("platelets", 7),
    ]
    low = _compiled(
        {"field": "lab.platelets", "op": "le", "value": 50, "unit": "10*3/uL", "transfusion_free_days": 7}
    ).tree
    # Low is low whatever came before: the value alone, or open until independence is shown.
    assert low.op == "any" and low.children[1] == Node(
        "not", (Leaf(TransfusionFreeFact("platelets", 7), "eq", 1, low.children[1].children[0].text),)
    )


def test_windows_and_at_least_days_ago_compile_to_day_counts():
    window = _compiled({"within_days": 7, "since": {"transfusion": "platelets"}}).tree
    assert window.fact == DaysSinceFact(Event(transfusion="platelets"), 7) and (window.op, window.value) == ("lt", 7)
    ago = _compiled({"at_least_days_ago": 30, "since": {"transplant": "autologous"}}, "inclusion").tree
    key = DaysSinceFact(Event(transplant="autologous"))
    assert [(leaf.fact, leaf.op) for leaf in ago.children] == [(key, "ge"), (key, "lt")]  # and it has happened


def test_multiples_and_recorded_get_their_own_keys():
    assert _compiled({"field": "lab.alt", "op": "gt", "multiple": 5, "of": "uln"}).tree.fact == LabMultipleFact(
        "alt", "uln"
    )
    assert _compiled({"recorded": "lab.spo2"}).tree.fact == RecordedFact(LabFact("spo2"))
    assert _compiled({"field": "diagnosis.mycn_amplified", "op": "eq", "value": True}).tree.fact == RecordFact(
        "diagnosis.mycn_amplified"
    )


@pytest.mark.parametrize(
    "logic,path,words",
    [
        ({"field": "lab.nonsense", "op": "lt", "value": 1}, ("criteria", 0, "logic", "field"), "unknown field"),
        (
            {"any": [{"field": "lab.platelets", "op": "lt", "value": 1, "unit": "g/dL"}]},
            ("criteria", 0, "logic", "any", 0, "unit"),
            "not compatible",
        ),
        ({"field": "diagnosis.primary", "op": "lt", "value": "aml"}, ("criteria", 0, "logic", "op"), "only eq and ne"),
        ({"recorded": "age_years"}, ("criteria", 0, "logic", "recorded"), "always recorded"),
    ],
)
def test_compile_errors_say_where_as_a_path(logic, path, words):
    with pytest.raises(CompileError) as caught:
        _compiled(logic)
    assert caught.value.error.path == path and words in caught.value.error.message


# --- catalogue ------------------------------------------------------------------------------------------------
def test_every_lab_is_a_lab_fact_with_its_units_and_loinc_codes():
    for name, spec in LABS.items():
        info = catalogue()[f"lab.{name}"]
        assert info.key == LabFact(name) and info.unit == spec.canonical_unit and info.loinc == spec.loinc
        assert set(info.accepted_units) == set(spec.units)


def test_record_fields_derived_facts_and_attestations_are_typed():
    assert info_for(RecordFact("diagnosis.mycn_amplified")).type == "boolean"
    assert info_for(RecordFact("attestations.able_to_comply")).categories == ("yes", "no", "not_assessed")
    assert info_for(DerivedFact("age_years")).always_known and info_for(DerivedFact("age_years")).unit == "years"
    assert info_for(DerivedFact("imaging.mibg_avid")).record_path == "history.imaging"
    assert info_for(LabMultipleFact("alt", "uln")) is None  # not a catalogue field: a derived comparison
    assert "findings.assessed_on" not in catalogue()  # a date dates a block's facts; it is not a fact


def test_every_field_declares_the_words_its_type_needs_once():
    from screener.model.fields import FieldType

    for name, info in catalogue().items():
        assert isinstance(info.type, FieldType), name
        words = info.words
        if info.type is FieldType.BOOLEAN:  # a yes/no fact says what it means either way, and what to record
            assert words.yes and words.no and words.ask, name
        else:
            assert not (words.yes or words.no or words.ask), name
        assert bool(words.attested) == (info.type is FieldType.ATTESTATION), name
        assert set(words.values) <= set(info.categories), name  # words only for values the field can take
        if info.record_path is None:  # shown on the form itself (a derived fact is shown through its input)
            assert info.section is not None, name


def test_a_category_value_reads_the_same_in_the_report_and_on_the_form():
    from screener.explain import category
    from screener.web.form_spec import _record_input

    options = dict(_record_input("diagnosis.primary").options)
    assert options["high_grade_glioma"] == category("high_grade_glioma") == "high-grade glioma"
    assert options["aml"] == category("aml") == "AML"
    assert dict(_record_input("diagnosis.disease_status").options)["newly_diagnosed"] == "newly diagnosed"


def test_record_value_kinds_turn_flat_text_into_what_strict_validation_expects():
    kinds = record_value_kinds()
    assert (
        kinds["demographics.birth_date"],
        kinds["demographics.weight_kg"],
        kinds["diagnosis.induction_cycles"],
        kinds["diagnosis.mycn_amplified"],
        kinds["record_id"],
    ) == ("date", "number", "integer", "boolean", "text")


# --- the form's inputs ----------------------------------------------------------------------------------------
def test_the_form_offers_the_inputs_each_kind_of_key_needs():
    items, labs = _needed(
        [
            LabMultipleFact("alt", "uln"),
            TransfusionFreeFact("platelets", 7),
            RecordedFact(LabFact("spo2")),
            DerivedFact("imaging.mibg_avid"),
            DaysSinceFact(Event(medication_class="systemic_corticosteroid"), 7),
            DaysSinceFact(Event(chemotherapy_end=True), 14),
            RecordFact("findings.seizures"),
        ]
    )
    assert labs == {"alt": True, "platelets": False, "spo2": False}  # the ULN only where a multiple needs it
    assert {
        "history.transfusions",
        "history.imaging",
        "history.medications",
        "history.chemotherapy",
        "findings.seizures",
        "findings.assessed_on",
        "demographics.weight_kg",
        "demographics.height_cm",
    } <= items
    assert "history.transplants" not in items and "attestations.assessed_on" not in items
