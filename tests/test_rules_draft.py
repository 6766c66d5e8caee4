"""`screener rules draft`: every item verbatim and in order, rules only where reliable, placeholders that say why.

Each fixture under tests/fixtures/ctgov/ is one shape of registry text (standards.md 3.3 step 5 and 3c); each test
says what must come out of it. Every draft must load, lint clean (status draft aside) and come out byte-identical.
"""
import json
import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from screener.authoring.draft import DraftInputError, draft_rule_file
from screener.authoring.lint import lint_text
from screener.cli import main
from screener.rules._load import parse_rule_set
from tests.helpers import REPO

FIXTURES = REPO / "tests" / "fixtures" / "ctgov"
ALL_FIXTURES = sorted(FIXTURES.glob("*.json"))
run = CliRunner().invoke


def _path(name: str) -> Path:
    return FIXTURES / f"{name}.json"


def _text(name: str) -> str:
    path = _path(name)
    return draft_rule_file(path.read_bytes(), path.relative_to(REPO).as_posix())


def _draft(name: str) -> dict:
    return yaml.safe_load(_text(name))


def _by_id(data: dict) -> dict[str, dict]:
    return {c["id"]: c for c in data["criteria"]}


def _eligibility(name: str) -> str:
    return json.loads(_path(name).read_text(encoding="utf-8"))["protocolSection"]["eligibilityModule"][
        "eligibilityCriteria"]


def _rules(data: dict) -> dict[str, dict]:
    return {c["id"]: c["logic"] for c in data["criteria"] if "logic" in c}


@pytest.mark.parametrize("path", ALL_FIXTURES, ids=lambda p: p.stem)
def test_every_draft_loads_lints_clean_and_is_byte_identical(path):
    text = _text(path.stem)
    assert _text(path.stem) == text
    rule_set = parse_rule_set(text, path)
    assert rule_set.status == "draft"
    assert lint_text(text, str(path), REPO) == []
    assert all(c.draft is not None for c in rule_set.criteria)
    # Every item's words are a slice of the eligibility text, in the order they appear there.
    eligibility = _eligibility(path.stem)
    position = 0
    for criterion in rule_set.criteria:
        if criterion.citation.section.startswith("eligibilityModule"):
            continue
        found = eligibility.find(criterion.source_text, position)
        assert found >= 0, criterion.id
        position = found + len(criterion.source_text)
    assert rule_set.registry_record is not None
    assert rule_set.registry_record.path == path.relative_to(REPO).as_posix()


def test_the_command_writes_the_same_bytes_twice(tmp_path):
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    for out in (first, second):
        result = run(main, ["rules", "draft", str(_path("nct05013879")), "-o", str(out)])
        assert result.exit_code == 0, result.output
    assert first.read_bytes() == second.read_bytes()
    result = run(main, ["rules", "draft", str(_path("nct05013879"))])
    assert result.exit_code == 0 and result.stdout == first.read_text(encoding="utf-8")


def test_v2_single_newline_list_each_bullet_and_the_reliable_rules():
    data = _draft("v2_single_newline")
    ids = [c["id"] for c in data["criteria"]]
    assert ids == ["NCT90000001-AGE", "NCT90000001-SEX"] + [f"NCT90000001-I{i}" for i in range(1, 6)] + [
        f"NCT90000001-E{i}" for i in range(1, 4)]
    criteria = _by_id(data)
    assert criteria["NCT90000001-I3"]["source_text"] == "Platelet count ≥ 100,000/µL"
    rules = _rules(data)
    assert rules["NCT90000001-SEX"] == {"field": "sex", "op": "eq", "value": "female"}
    assert data["population"] == {"min_age_years": 18, "max_age_years": 120, "sexes": ["female"]}
    assert rules["NCT90000001-AGE"] == {"field": "age_years", "op": "ge", "value": 18, "unit": "years"}
    assert rules["NCT90000001-I3"] == {"field": "lab.platelets", "op": "ge", "value": 100000, "unit": "/uL"}
    assert rules["NCT90000001-I4"] == {"field": "lab.hemoglobin", "op": "ge", "value": 9, "unit": "g/dL"}
    assert rules["NCT90000001-I5"] == {"field": "lab.bilirubin", "op": "le", "multiple": 1.5, "of": "uln"}
    # An exclusion's logic is the condition that excludes, in the direction the words give.
    assert rules["NCT90000001-E2"] == {"field": "lab.anc", "op": "lt", "value": 1000, "unit": "/uL"}
    assert rules["NCT90000001-E3"] == {"field": "lab.creatinine", "op": "gt", "value": 1.5, "unit": "mg/dL"}
    assert criteria["NCT90000001-E3"]["draft"] == {"pattern": "lab-threshold", "matched": "creatinine > 1.5 mg/dl"}
    assert criteria["NCT90000001-E1"]["unencoded"] is True  # "Known rheumatic heart disease": a diagnosis


def test_legacy_blank_line_list_joins_wrapped_lines_and_reads_washout_and_score():
    data = _draft("legacy_blank_line")
    criteria = _by_id(data)
    assert [c["id"] for c in data["criteria"]] == ["NCT90000002-AGE", "NCT90000002-I1", "NCT90000002-I2",
                                                   "NCT90000002-I3", "NCT90000002-E1", "NCT90000002-E2"]
    assert criteria["NCT90000002-I1"]["source_text"] == (
        "Histologically confirmed solid tumour that is relapsed or\n             refractory to standard therapy")
    assert criteria["NCT90000002-I1"]["unencoded"] is True
    assert criteria["NCT90000002-I3"]["logic"] == {"field": "lab.lansky_karnofsky", "op": "ge", "value": 50,
                                                   "unit": "score"}
    # "within 21 days" read on the strict side: day -21 still excludes, so the window is 22 days.
    assert criteria["NCT90000002-E2"]["logic"] == {"within_days": 22, "since": {"chemotherapy_end": True}}
    assert "day -21 included" in criteria["NCT90000002-E2"]["interpretation"]
    # "Age 1 to 21 years" agrees with the structured 1-21 years: the same rule.
    assert criteria["NCT90000002-I2"]["logic"] == criteria["NCT90000002-AGE"]["logic"]


def test_nested_sub_points_are_children_and_alternatives_are_not_drafted():
    criteria = _by_id(_draft("nested"))
    assert criteria["NCT90000003-I1"]["source_text"] == "Adequate organ function defined as:"
    assert criteria["NCT90000003-I1"]["unencoded"] is True
    assert criteria["NCT90000003-I1.1"]["parent"] == "NCT90000003-I1"
    assert criteria["NCT90000003-I1.1"]["logic"] == {"field": "lab.anc", "op": "ge", "value": 1000, "unit": "/uL"}
    assert criteria["NCT90000003-I1.2"]["unencoded"] is True  # "(transfusion independent)": more than a threshold
    assert criteria["NCT90000003-I1.3"]["logic"] == {"field": "lab.alt", "op": "le", "multiple": 3, "of": "uln"}
    assert criteria["NCT90000003-I2.1"]["parent"] == "NCT90000003-I2"
    assert criteria["NCT90000003-I2.1.1"]["parent"] == "NCT90000003-I2.1"
    # Under "one of the following", a threshold is one alternative: never drafted as a requirement of its own.
    assert criteria["NCT90000003-I2.1.1"]["unencoded"] is True
    assert criteria["NCT90000003-I2.1.1"]["draft"]["pattern"] == "unencoded-alternatives"
    assert "parent" not in criteria["NCT90000003-E1"]


def test_cohort_sub_headings_are_groups_not_criteria_and_ages_in_weeks_are_not_guessed():
    data = _draft("cohort_subheading")
    criteria = _by_id(data)
    assert len(data["criteria"]) == 5
    assert criteria["NCT90000004-I1"]["group"] == "For the 'Outside Expanded Programme on Immunisation' cohort:"
    assert criteria["NCT90000004-I2"]["group"] == "For the 'Outside Expanded Programme on Immunisation' cohort:"
    assert criteria["NCT90000004-I3"]["group"] == "For the 'Within Programme' cohort:"
    assert "group" not in criteria["NCT90000004-E1"]
    age = criteria["NCT90000004-AGE"]
    assert age["unencoded"] is True and "not whole years" in age["interpretation"]
    assert data["population"]["min_age_years"] == 0 and data["population"]["max_age_years"] == 0


def test_inclusion_only_record():
    data = _draft("inclusion_only")
    assert {c["kind"] for c in data["criteria"]} == {"inclusion"}
    assert _by_id(data)["NCT90000005-I2"]["attestation"] == "able_to_comply"


def test_upper_case_headers_and_text_before_any_header_is_unclassified():
    data = _draft("upper_case_headers")
    criteria = _by_id(data)
    assert criteria["NCT90000006-U1"]["kind"] == "unclassified"
    assert criteria["NCT90000006-U1"]["unencoded"] is True
    # Karnofsky only, for a population aged 18-65 that only ever has Karnofsky scores.
    assert criteria["NCT90000006-I1"]["logic"] == {"field": "lab.lansky_karnofsky", "op": "ge", "value": 70,
                                                   "unit": "score"}
    assert criteria["NCT90000006-E1"]["attestation"] == "able_to_comply"
    # "Age ≥ 18 years" states part of the structured 18-65: no rule of its own, and not flagged as a disagreement.
    assert criteria["NCT90000006-I2"]["unencoded"] is True
    assert "DISAGREEMENT" not in criteria["NCT90000006-AGE"]["interpretation"]


def test_escaped_comparators_stay_in_the_source_and_are_read():
    criteria = _by_id(_draft("escaped_comparators"))
    assert criteria["NCT90000007-I2"]["source_text"] == "Hemoglobin \\>= 9 g/dL"
    assert criteria["NCT90000007-I2"]["logic"] == {"field": "lab.hemoglobin", "op": "ge", "value": 9, "unit": "g/dL"}
    assert criteria["NCT90000007-I3"]["logic"] == {"field": "lab.platelets", "op": "ge", "value": 100, "unit": "10*9/L"}
    assert criteria["NCT90000007-E2"]["logic"] == {"field": "lab.ast", "op": "gt", "multiple": 5, "of": "uln"}
    assert criteria["NCT90000007-I1"]["unencoded"] is True  # SBP: not in the lab catalogue
    assert criteria["NCT90000007-E1"]["unencoded"] is True  # eGFR in ml/min: no such field


def test_na_maximum_age_is_no_upper_bound():
    data = _draft("na_max_age")
    assert data["population"] == {"min_age_years": 18, "max_age_years": 120,
                                  "sexes": ["female", "male", "other", "unknown"]}
    assert _rules(data)["NCT90000008-AGE"] == {"field": "age_years", "op": "ge", "value": 18, "unit": "years"}
    assert _by_id(data)["NCT90000008-AGE"]["source_text"] == "minimumAge: 18 Years\nmaximumAge: N/A"


def test_nct05013879_footnote_digits_are_never_thresholds_and_the_age_bullets_are_cross_checked():
    data = _draft("nct05013879")
    criteria = _by_id(data)
    assert criteria["NCT05013879-E2"]["source_text"] == "prior history of lower extremity lymphedema;3"
    assert criteria["NCT05013879-E3"]["source_text"] == (
        "partial joint arthroplasty or revision arthroplasty of one or both knees;1,5")
    for ident in ("NCT05013879-E2", "NCT05013879-E3"):
        assert criteria[ident]["unencoded"] is True
        assert criteria[ident]["draft"]["pattern"] == "unencoded-footnote"
    # Both age bullets say 50-85, as the structured fields do. The inclusion is drafted with the same bounds; the
    # exclusion "age less than 50 years or over 85 years" is not: read on the strict side, "over 85" excludes from
    # the day after the 85th birthday, where the structured maximum admits the whole 85th year.
    age = {"all": [{"field": "age_years", "op": "ge", "value": 50, "unit": "years"},
                   {"field": "age_years", "op": "le", "value": 85, "unit": "years"}]}
    assert criteria["NCT05013879-AGE"]["logic"] == age
    assert criteria["NCT05013879-I2"]["logic"] == age
    assert criteria["NCT05013879-E4"]["unencoded"] is True and "logic" not in criteria["NCT05013879-E4"]
    assert criteria["NCT05013879-E4"]["draft"]["pattern"] == "unencoded-age-exclusion"
    assert "strict side" in criteria["NCT05013879-E4"]["interpretation"]
    assert data["registry_record"]["version_date"].isoformat() == "2024-12-19"
    assert re.fullmatch(r"[0-9a-f]{64}", data["registry_record"]["eligibility_sha256"])


def test_an_age_bullet_that_disagrees_with_the_structured_fields_is_flagged_not_guessed(tmp_path):
    study = json.loads(_path("nct05013879").read_text(encoding="utf-8"))
    study["protocolSection"]["eligibilityModule"]["maximumAge"] = "80 Years"
    path = tmp_path / "changed.json"
    path.write_text(json.dumps(study), encoding="utf-8")
    data = yaml.safe_load(draft_rule_file(path.read_bytes(), str(path)))
    criteria = _by_id(data)
    assert "AGE DISAGREEMENT" in criteria["NCT05013879-AGE"]["interpretation"]
    for ident in ("NCT05013879-I2", "NCT05013879-E4"):
        assert criteria[ident]["unencoded"] is True
        assert "AGE DISAGREEMENT" in criteria[ident]["interpretation"]
    assert criteria["NCT05013879-AGE"]["logic"]["all"][1]["value"] == 80  # the structured field, flagged


def test_numbered_list_and_an_exclusion_that_states_the_requirement():
    data = _draft("numbered_list")
    criteria = _by_id(data)
    assert [criteria[f"NCT90000009-I{i}"]["registry_number"] for i in range(1, 5)] == ["1", "2", "3", "4"]
    assert criteria["NCT90000009-I2"]["logic"] == {"field": "lab.platelets", "op": "gt", "value": 50000,
                                                   "unit": "/uL"}
    assert criteria["NCT90000009-I3"]["logic"]["field"] == "lab.lansky_karnofsky"
    assert criteria["NCT90000009-I4"]["logic"] == {"not": {"within_days": 21, "since": {"chemotherapy_end": True}}}
    # "Platelet count > 50,000/µL" under the exclusion header: excluding high counts would pass low ones.
    assert criteria["NCT90000009-E1"]["unencoded"] is True
    assert criteria["NCT90000009-E1"]["draft"]["pattern"] == "unencoded-direction"
    assert criteria["NCT90000009-E2"]["logic"] == {"field": "lab.creatinine", "op": "gt", "multiple": 1.5,
                                                   "of": "uln"}
    assert criteria["NCT90000009-E3"]["logic"] == {"field": "lab.hemoglobin", "op": "lt", "value": 8, "unit": "g/dL"}
    assert criteria["NCT90000009-E4"]["unencoded"] is True  # ANC "maximum of 500": not a comparator read


def test_age_dependent_performance_score_is_a_placeholder_and_single_scales_must_cover_the_population():
    criteria = _by_id(_draft("lansky_age_dependent"))
    assert criteria["NCT90000010-I1"]["unencoded"] is True
    assert criteria["NCT90000010-I1"]["draft"]["pattern"] == "unencoded-age-dependent"
    assert criteria["NCT90000010-I2"]["draft"]["pattern"] == "unencoded-scale"  # Lansky only, ages 1-30
    assert criteria["NCT90000010-I3"]["draft"]["pattern"] == "unencoded-scale"  # Karnofsky only, ages 1-30


@pytest.mark.parametrize("text, section", [
    ("Platelets ≥ 100,000/µL or ≥ 75,000/µL if bone marrow involvement", "inclusion"),
    ("Platelets ≥ 100,000/µL unless due to marrow involvement", "inclusion"),
    ("Hemoglobin ≥ 8 g/dL and platelets ≥ 75,000/µL", "inclusion"),
    ("Adequate bone marrow function: platelets ≥ 75,000/µL", "inclusion"),
    ("Insufficient bone marrow function: Platelet count \\> 50,000/µL", "exclusion"),
    ("Platelet count > 50,000/µL", "exclusion"),
    ("Hemoglobin > 10 g/dL", "exclusion"),
    ("Total bilirubin ≤ 1.5 x ULN", "exclusion"),
    ("Creatinine < 1.5 mg/dL", "exclusion"),
    ("Platelets ≥ 100 x 109/L", "inclusion"),  # a lost superscript: 10^9 or 109?
    ("Platelets ≥ 100 G/L", "inclusion"),
    ("Direct bilirubin ≤ 1.5 mg/dL", "inclusion"),
    ("Creatinine clearance ≥ 70 mL/min/1.73 m2", "inclusion"),
    ("ALT/AST ≤ 3 x ULN", "inclusion"),
    ("Hemoglobin ≥ 8 g/dL;2", "inclusion"),
    ("Platelets between 50,000 and 100,000/µL", "inclusion"),
    ("Not more than 3 x ULN ALT", "inclusion"),
    ("Absolute neutrophil count ≥ 1.000/µL", "inclusion"),  # European thousands: 1000, not 1
    ("Platelet count ≥ 100/mm3", "inclusion"),  # 100 x 10^3 meant: a slip of the unit
    ("Hemoglobin ≥ 80 g/dL", "inclusion"),
    ("ALT ≤ 100 x ULN", "inclusion"),
    ("Karnofsky ≥ 50 (≥16 years) or Lansky ≥ 50 (<16 years)", "inclusion"),
    ("Lansky or Karnofsky ≥ 50", "exclusion"),
    ("Lansky or Karnofsky ≥ 55", "inclusion"),
    ("Chemotherapy within 21 days, or 42 days for nitrosoureas", "exclusion"),
    ("Life expectancy of at least 8 weeks", "inclusion"),
    ("Unwilling or unable to comply with the protocol", "exclusion"),
    ("Signed consent by the patient's parents and assent where appropriate", "inclusion"),
])
def test_ambiguous_words_never_become_a_rule(tmp_path, text, section):
    inclusion, exclusion = (text, "None") if section == "inclusion" else ("Relapsed tumour", text)
    eligibility = f"Inclusion Criteria:\n\n* Relapsed tumour\n* {inclusion}\n\nExclusion Criteria:\n\n* {exclusion}"
    study = json.loads(_path("na_max_age").read_text(encoding="utf-8"))
    study["protocolSection"]["eligibilityModule"]["eligibilityCriteria"] = eligibility
    drafted = [c for c in yaml.safe_load(draft_rule_file(json.dumps(study), "x.json"))["criteria"]
               if c["source_text"] == text]
    assert len(drafted) == 1
    assert drafted[0].get("unencoded") is True, drafted[0]
    assert drafted[0]["interpretation"].startswith("Not drafted")


def test_the_seed_record_of_nct06674265_keeps_the_registry_numbering():
    path = REPO / "seeds" / "registry" / "NCT06674265.json"
    data = yaml.safe_load(draft_rule_file(path.read_bytes(), "seeds/registry/NCT06674265.json"))
    numbers = [(c["kind"], c["registry_number"]) for c in data["criteria"] if c["registry_number"]]
    assert numbers == [("inclusion", n) for n in "12345"] + [("exclusion", n) for n in "1234"] + [
        ("exclusion", f"{n}-") for n in (3, 4, 5, 6, 7, 8, 12, 13, 14, 15, 16)]
    criteria = {(c["kind"], c["registry_number"]): c for c in data["criteria"]}
    assert criteria[("exclusion", "5-")]["source_text"] == (
        "Inability to tolerate new treatment due to emergency conditions.")
    assert criteria[("exclusion", "6-")]["source_text"].startswith("Elevated catecholamines (more than twice the ULN)")
    assert criteria[("exclusion", "1")]["source_text"].startswith(
        "Insufficient bone marrow function: Platelet count \\> 50,000/µL")


# --- bad input: exit 2 naming the field, never the value, no traceback -----------------------------------------------
def _write_study(tmp_path, change) -> Path:
    study = json.loads(_path("v2_single_newline").read_text(encoding="utf-8"))
    change(study)
    path = tmp_path / "study.json"
    path.write_text(json.dumps(study), encoding="utf-8")
    return path


def _delete(keys):
    def change(study):
        node = study
        for key in keys[:-1]:
            node = node[key]
        del node[keys[-1]]
    return change


def _set(keys, value):
    def change(study):
        node = study
        for key in keys[:-1]:
            node = node[key]
        node[keys[-1]] = value
    return change


ELIGIBILITY = ["protocolSection", "eligibilityModule"]


@pytest.mark.parametrize("change, field, secret", [
    (_set(ELIGIBILITY + ["sex"], "SECRET-SEX"), "protocolSection.eligibilityModule.sex", "SECRET-SEX"),
    (_set(ELIGIBILITY + ["minimumAge"], "12 Fortnights"), "protocolSection.eligibilityModule.minimumAge",
     "Fortnights"),
    (_set(ELIGIBILITY + ["minimumAge"], "Twelve"), "protocolSection.eligibilityModule.minimumAge", "Twelve"),
    (_set(ELIGIBILITY + ["eligibilityCriteria"], 12345), "protocolSection.eligibilityModule.eligibilityCriteria",
     "12345"),
    (_delete(ELIGIBILITY + ["eligibilityCriteria"]), "protocolSection.eligibilityModule.eligibilityCriteria", None),
    (_set(["protocolSection", "identificationModule", "nctId"], "SECRET123"),
     "protocolSection.identificationModule.nctId", "SECRET123"),
    (_delete(["derivedSection"]), "derivedSection.miscInfoModule.versionHolder", None),
    (_set(["derivedSection", "miscInfoModule", "versionHolder"], "2024-13-45"),
     "derivedSection.miscInfoModule.versionHolder", "2024-13-45"),
    (_set(ELIGIBILITY + ["healthyVolunteers"], "SECRET-yes"), "protocolSection.eligibilityModule.healthyVolunteers",
     "SECRET-yes"),
])
def test_bad_study_records_exit_2_naming_the_field(tmp_path, change, field, secret):
    path = _write_study(tmp_path, change)
    result = run(main, ["rules", "draft", str(path)])
    assert result.exit_code == 2, result.output
    assert field in result.output
    assert "Traceback" not in result.output
    if secret:
        assert secret not in result.output


def test_not_json_and_a_missing_file_exit_2(tmp_path):
    path = tmp_path / "study.json"
    path.write_text("{not json SECRET", encoding="utf-8")
    result = run(main, ["rules", "draft", str(path)])
    assert result.exit_code == 2 and "(study)" in result.output and "SECRET" not in result.output
    result = run(main, ["rules", "draft", str(tmp_path / "missing.json")])
    assert result.exit_code == 2 and "STUDY" in result.output


def test_draft_input_error_names_every_problem():
    with pytest.raises(DraftInputError) as caught:
        draft_rule_file(b'{"protocolSection": {"identificationModule": {}, "eligibilityModule": {}}}', "x.json")
    fields = {e.field for e in caught.value.errors}
    assert {"protocolSection.identificationModule.nctId", "protocolSection.identificationModule.briefTitle",
            "protocolSection.eligibilityModule.eligibilityCriteria"} <= fields


def test_splitting_headers_markers_and_inline_numbering():
    from screener.authoring.draft._split import split

    items = split("Key Inclusion Criteria\n\n• Relapsed tumour\n+ Prior therapy:\n    a. surgery\n    b) radiation\n\n"
                  "**Ineligibility criteria:**\n\n1) Ages 2- 16 are excluded. 3- not the next number\n"
                  "5- One thing. 6- Another thing; 7- A third\n")
    assert [(i.section, i.number, i.text) for i in items] == [
        ("inclusion", None, "Relapsed tumour"),
        ("inclusion", None, "Prior therapy:"),
        ("inclusion", "a", "surgery"),
        ("inclusion", "b", "radiation"),
        ("exclusion", "1", "Ages 2- 16 are excluded. 3- not the next number"),
        ("exclusion", "5-", "One thing."),
        ("exclusion", "6-", "Another thing;"),
        ("exclusion", "7-", "A third"),
    ]
    assert [i.parent for i in items] == [None, None, 1, 1, None, None, None, None]


@pytest.mark.parametrize("text, section, logic", [
    ("At least 21 days since the last dose of myelosuppressive chemotherapy", "inclusion",
     {"not": {"within_days": 21, "since": {"chemotherapy_end": True}}}),
    ("Chemotherapy within the last 14 days", "exclusion", {"within_days": 15, "since": {"chemotherapy_end": True}}),
    ("At least 60 days since autologous stem cell transplant", "inclusion",
     {"not": {"within_days": 60, "since": {"transplant": "autologous"}}}),
    ("Platelet transfusion within 7 days before enrollment", "exclusion",
     {"within_days": 8, "since": {"transfusion": "platelets"}}),
    ("No platelet transfusion within 7 days", "inclusion",
     {"not": {"within_days": 8, "since": {"transfusion": "platelets"}}}),
    ("Red blood cell transfusion within 14 days", "exclusion",
     {"within_days": 15, "since": {"transfusion": "red_cells"}}),
])
def test_simple_washouts_map_onto_day_windows_read_on_the_strict_side(text, section, logic):
    inclusion, exclusion = (text, "None") if section == "inclusion" else ("Relapsed tumour", text)
    eligibility = f"Inclusion Criteria:\n\n* Relapsed tumour\n* {inclusion}\n\nExclusion Criteria:\n\n* {exclusion}"
    study = json.loads(_path("na_max_age").read_text(encoding="utf-8"))
    study["protocolSection"]["eligibilityModule"]["eligibilityCriteria"] = eligibility
    text_out = draft_rule_file(json.dumps(study), "x.json")
    (drafted,) = [c for c in yaml.safe_load(text_out)["criteria"] if c["source_text"] == text]
    assert drafted["logic"] == logic
    assert drafted["draft"]["pattern"].startswith("washout-")
    from screener.engine.compile import compile_rule_set

    assert compile_rule_set(parse_rule_set(text_out, Path("x.yaml"))).criteria  # the window compiles


@pytest.mark.parametrize("text, section", [
    ("At least 100 days since stem cell transplant", "inclusion"),  # which kind of transplant?
    ("Allogeneic stem cell transplant within 100 days", "exclusion"),  # a haploidentical one is allogeneic too
    ("No platelet transfusion within 7 days", "exclusion"),  # a requirement under the exclusion header
    ("Platelet transfusion within 1 week", "exclusion"),
    ("At least 21 days since chemotherapy (42 days for nitrosoureas)", "inclusion"),
])
def test_washouts_that_are_not_simple_are_placeholders(text, section):
    inclusion, exclusion = (text, "None") if section == "inclusion" else ("Relapsed tumour", text)
    eligibility = f"Inclusion Criteria:\n\n* Relapsed tumour\n* {inclusion}\n\nExclusion Criteria:\n\n* {exclusion}"
    study = json.loads(_path("na_max_age").read_text(encoding="utf-8"))
    study["protocolSection"]["eligibilityModule"]["eligibilityCriteria"] = eligibility
    (drafted,) = [c for c in yaml.safe_load(draft_rule_file(json.dumps(study), "x.json"))["criteria"]
                  if c["source_text"] == text]
    assert drafted.get("unencoded") is True
