"""Hostile review of `screener rules draft` (issue 28): registry texts whose structure changes what a threshold means.

Each case is words a registry record holds; the test says what must (not) come out. A drafted threshold that the
words around it restrict (a cohort, a donor), turn round (exceptions) or make one of alternatives is wrong even
when the item alone reads cleanly: those stay placeholders.
"""
import json

import pytest
import yaml

from screener.authoring.draft import draft_rule_file


def _study(eligibility: str, minimum: str = "2 Years", maximum: str = "21 Years") -> str:
    return json.dumps({
        "protocolSection": {
            "identificationModule": {"nctId": "NCT99999999", "briefTitle": "review"},
            "eligibilityModule": {"eligibilityCriteria": eligibility, "sex": "ALL", "minimumAge": minimum,
                                  "maximumAge": maximum},
        },
        "derivedSection": {"miscInfoModule": {"versionHolder": "2024-01-01"}},
    })


def _criteria(eligibility: str, **ages: str) -> list[dict]:
    return yaml.safe_load(draft_rule_file(_study(eligibility, **ages), "x.json"))["criteria"]


def _by_text(eligibility: str, **ages: str) -> dict[str, dict]:
    return {c["source_text"]: c for c in _criteria(eligibility, **ages) if c["id"] not in ("NCT99999999-AGE",)}


def test_a_threshold_under_an_alternatives_grandparent_is_not_drafted():
    criteria = _by_text("Inclusion Criteria:\n\n* Patients must meet one of the following:\n"
                        "  * Adequate organ function defined as:\n    * ANC ≥ 1000/µL\n"
                        "  * Bone marrow involvement with:\n    * ANC ≥ 500/µL\n")
    for words in ("ANC ≥ 1000/µL", "ANC ≥ 500/µL"):
        assert criteria[words].get("unencoded") is True and "logic" not in criteria[words]
    assert criteria["ANC ≥ 1000/µL"]["draft"]["pattern"] == "unencoded-alternatives"


def test_a_plain_organ_function_parent_still_drafts_its_sub_points():
    criteria = _by_text("Inclusion Criteria:\n\nPatients must meet all of the following criteria:\n\n"
                        "* Patients must have adequate organ function defined as:\n"
                        "  * Absolute neutrophil count (ANC) ≥ 750/µL\n"
                        "  * Total bilirubin ≤ 1.5 x upper limit of normal (ULN) for age\n\n"
                        "Exclusion Criteria:\n\n* Inadequate bone marrow function, defined as:\n"
                        "  * Platelets < 50,000/µL\n\nHaematological:\n\n* Hemoglobin < 8 g/dL\n")
    assert criteria["Absolute neutrophil count (ANC) ≥ 750/µL"]["logic"] == {
        "field": "lab.anc", "op": "ge", "value": 750, "unit": "/uL"}
    assert criteria["Total bilirubin ≤ 1.5 x upper limit of normal (ULN) for age"]["logic"] == {
        "field": "lab.bilirubin", "op": "le", "multiple": 1.5, "of": "uln"}
    assert criteria["Platelets < 50,000/µL"]["logic"] == {
        "field": "lab.platelets", "op": "lt", "value": 50000, "unit": "/uL"}
    assert criteria["Hemoglobin < 8 g/dL"]["logic"] == {
        "field": "lab.hemoglobin", "op": "lt", "value": 8, "unit": "g/dL"}


@pytest.mark.parametrize("heading", [
    "The following are NOT exclusions:",
    "Exceptions: patients with the following are eligible:",
    "Patients with marrow involvement only:",
    "For patients enrolled on Part B:",
    "Donor:",
    "Laboratory values within 7 days prior to enrollment:",  # a shorter lookback than the draft's default
])
@pytest.mark.parametrize("as_parent", [True, False])
def test_a_threshold_under_a_heading_that_may_restrict_or_invert_it_is_not_drafted(heading, as_parent):
    above = f"* {heading}\n  * " if as_parent else f"{heading}\n\n* "
    text = f"Inclusion Criteria:\n\n* Relapsed tumour\n\nExclusion Criteria:\n\n{above}Hemoglobin < 8 g/dL\n"
    criterion = _by_text(text)["Hemoglobin < 8 g/dL"]
    assert criterion.get("unencoded") is True and "logic" not in criterion
    assert criterion["draft"]["pattern"] in ("unencoded-context", "unencoded-alternatives")


@pytest.mark.parametrize("text, alternatives", [
    ("* Creatinine ≤ 1.5 x ULN\n* OR creatinine clearance ≥ 70 mL/min/1.73 m2\n", ["Creatinine ≤ 1.5 x ULN"]),
    ("* Bilirubin ≤ 1.5 x ULN or\n* ALT ≤ 5 x ULN\n", ["ALT ≤ 5 x ULN"]),
    ("* Platelets ≥ 100,000/µL\n\nOR\n\n* Platelets ≥ 75,000/µL\n",
     ["Platelets ≥ 100,000/µL\n\nOR", "Platelets ≥ 75,000/µL"]),  # the lone OR joins the item above
    ("* ANC ≥ 1000/µL\n\n  OR\n\n* Platelets ≥ 75,000/µL\n", ["Platelets ≥ 75,000/µL"]),
    ("* Either:\n* ANC ≥ 1000/µL\n", ["ANC ≥ 1000/µL"]),
])
def test_a_threshold_joined_to_its_neighbour_by_or_is_not_drafted(text, alternatives):
    criteria = _by_text("Inclusion Criteria:\n\n" + text)
    for words in alternatives:
        assert criteria[words].get("unencoded") is True, words
        # a neighbour's "or" (alternatives), or its own (the joined lone OR: or-and-list)
        assert criteria[words]["draft"]["pattern"] in ("unencoded-alternatives", "unencoded-or-and-list")


def test_neighbours_without_or_are_still_drafted():
    criteria = _by_text("Inclusion Criteria:\n\n* Orchid tumour\n* ANC ≥ 1000/µL\n* Major organ function\n")
    assert criteria["ANC ≥ 1000/µL"]["logic"] == {"field": "lab.anc", "op": "ge", "value": 1000, "unit": "/uL"}


def test_roman_upper_case_bracketed_and_symbol_markers_each_start_an_item():
    from screener.authoring.draft._split import split

    items = split("Exclusion Criteria:\n\n* Patients with:\n  i. ANC < 500/µL\n  ii. Platelets < 20,000/µL\n"
                  "  iii. Bilirubin > 3 mg/dL\n  A. Hemoglobin < 7 g/dL\n  B) ALT > 10 x ULN\n(1) ANC < 200/µL\n"
                  "(b) Bilirubin > 5 mg/dL\no ALT > 20 x ULN\n– Hemoglobin < 6 g/dL\n· AST > 20 x ULN\n")
    assert [(i.number, i.text) for i in items] == [
        (None, "Patients with:"), ("i", "ANC < 500/µL"), ("ii", "Platelets < 20,000/µL"),
        ("iii", "Bilirubin > 3 mg/dL"), ("A", "Hemoglobin < 7 g/dL"), ("B", "ALT > 10 x ULN"),
        ("1", "ANC < 200/µL"), ("b", "Bilirubin > 5 mg/dL"), (None, "ALT > 20 x ULN"),
        (None, "Hemoglobin < 6 g/dL"), (None, "AST > 20 x ULN"),
    ]
    assert [i.parent for i in items] == [None, 0, 0, 0, 0, 0, None, None, None, None, None]


def test_a_header_naming_its_section_with_more_words_switches_the_section_and_drafts_nothing_under_it():
    criteria = _by_text("Inclusion Criteria:\n\n* Platelets ≥ 100 x 10^9/L\n\nExclusion Criteria:\n\n"
                        "* Active infection\n\nDonor Exclusion Criteria:\n\n* Hemoglobin < 11 g/dL\n\n"
                        "Inclusion criteria for Part B\n\n"
                        "* ANC ≥ 500/µL\n\nInclusion and Exclusion Criteria:\n\n* ANC ≥ 600/µL\n")
    assert criteria["Platelets ≥ 100 x 10^9/L"]["logic"]["value"] == 100
    donor = criteria["Hemoglobin < 11 g/dL"]
    assert (donor["kind"], donor["group"], donor.get("unencoded")) == ("exclusion", "Donor Exclusion Criteria:", True)
    part_b = criteria["ANC ≥ 500/µL"]
    assert (part_b["kind"], part_b.get("unencoded")) == ("inclusion", True)
    assert criteria["ANC ≥ 600/µL"]["kind"] == "unclassified"


def test_a_wrapped_line_that_mentions_inclusion_criteria_is_not_a_header():
    criteria = _by_text("Inclusion Criteria:\n\n  -  Patients must meet all of the\n"
                        "     inclusion criteria listed above\n\nExclusion Criteria:\n\n  -  ANC < 500/µL\n")
    assert criteria["ANC < 500/µL"]["kind"] == "exclusion"
    assert criteria["ANC < 500/µL"]["logic"] == {"field": "lab.anc", "op": "lt", "value": 500, "unit": "/uL"}


def test_a_header_written_as_a_bullet_or_with_a_trailing_dash_switches_the_section():
    criteria = _by_text("Inclusion Criteria -\n\n* ANC ≥ 500/µL\n* Exclusion Criteria:\n  * Platelets < 50,000/µL\n")
    assert criteria["ANC ≥ 500/µL"]["kind"] == "inclusion"
    excluded = criteria["Platelets < 50,000/µL"]
    assert (excluded["kind"], "parent" in excluded) == ("exclusion", False)
    assert excluded["logic"] == {"field": "lab.platelets", "op": "lt", "value": 50000, "unit": "/uL"}
    assert not any(c["source_text"].startswith("Exclusion Criteria") for c in criteria.values())


@pytest.mark.parametrize("words, days", [
    ("Laboratory values must be obtained within 7 days prior to enrollment", 7),
    ("All labs within 72 hours of enrollment", 2),  # whole days on the strict side
    ("Blood counts within the last 10 days", 10),
    ("All baseline studies must be done within 5 days of enrollment", 5),
    ("Chemotherapy within 3 days", 14),  # no laboratory words: the default stands
    ("Laboratory tests within 21 days", 14),  # longer than the default: the default stands
])
def test_a_window_the_text_sets_for_labs_shortens_the_drafts_lookback(words, days):
    data = yaml.safe_load(draft_rule_file(_study(f"Inclusion Criteria:\n\n* ANC ≥ 500/µL\n* {words}\n"), "x.json"))
    assert data["lookback"]["labs_days"] == days
    assert (f"labs_days {days}" in data["lookback"]["rationale"]) is (days != 14)


def test_outline_numbers_are_sub_points_of_the_item_their_prefix_numbers():
    from screener.authoring.draft._split import split

    items = split("Inclusion Criteria:\n\n1. Relapsed tumour\n2. One of the following:\n2.1. ANC ≥ 750/µL\n"
                  "2.2. Platelets ≥ 75,000/µL\n3. Adequate organ function:\n3.1 Bilirubin ≤ 1.5 x ULN\n"
                  "4. Total bilirubin ≤\n1.5 x ULN\n")
    assert [(i.number, i.text, i.parent) for i in items] == [
        ("1", "Relapsed tumour", None), ("2", "One of the following:", None), ("2.1", "ANC ≥ 750/µL", 1),
        ("2.2", "Platelets ≥ 75,000/µL", 1), ("3", "Adequate organ function:", None),
        ("3.1", "Bilirubin ≤ 1.5 x ULN", 4), ("4", "Total bilirubin ≤\n1.5 x ULN", None),
    ]
    criteria = _by_text("Inclusion Criteria:\n\n1. One of the following:\n1.1. ANC ≥ 750/µL\n1.2. ANC ≥ 500/µL\n")
    assert criteria["ANC ≥ 750/µL"]["draft"]["pattern"] == "unencoded-alternatives"


def _loads(eligibility: str) -> list[dict]:
    from pathlib import Path

    from screener.rules._load import parse_rule_set

    text = draft_rule_file(_study(eligibility), "x.json")
    parse_rule_set(text, Path("x.yaml"))  # the draft loads: no item shorter than a criterion's source words
    return [c for c in yaml.safe_load(text)["criteria"] if c["id"] != "NCT99999999-AGE"]


def test_a_lone_or_between_bullets_joins_the_item_above_so_the_draft_loads_and_the_or_is_read():
    eligibility = "Inclusion Criteria:\n\n* ANC ≥ 1000/µL\n\nOR\n\n* Platelets ≥ 75,000/µL\n* OR\n* Hb ≥ 8 g/dL\n"
    criteria = _loads(eligibility)
    assert [c["source_text"] for c in criteria] == ["ANC ≥ 1000/µL\n\nOR", "Platelets ≥ 75,000/µL\n* OR",
                                                    "Hb ≥ 8 g/dL"]
    assert all(c.get("unencoded") is True for c in criteria)
    assert all(c["source_text"] in eligibility for c in criteria)


def test_a_short_first_item_of_its_section_keeps_the_line_above_it():
    criteria = _loads("Inclusion Criteria:\n\n* ANC ≥ 1000/µL\n\nExclusion Criteria:\n\n* NA\n")
    assert criteria[-1]["source_text"] == "Exclusion Criteria:\n\n* NA"
    assert criteria[-1]["kind"] == "exclusion" and criteria[-1]["unencoded"] is True


def test_blank_lines_inside_an_item_stay_in_its_words():
    eligibility = ("Inclusion Criteria:\n\n  -  Relapsed solid tumour that is\n\n     refractory to therapy\n\n"
                   "  -  None\n")
    criteria = _loads(eligibility)
    assert criteria[0]["source_text"] == "Relapsed solid tumour that is\n\n     refractory to therapy"


@pytest.mark.parametrize("eligibility", ["* ", "Inclusion Criteria:\n\n*   \n", "NA"])
def test_a_text_without_an_item_to_draft_is_refused_naming_the_field(eligibility):
    from screener.authoring.draft import DraftInputError

    with pytest.raises(DraftInputError) as caught:
        draft_rule_file(_study(eligibility), "x.json")
    assert caught.value.errors[0].field == "protocolSection.eligibilityModule.eligibilityCriteria"


@pytest.mark.parametrize("maximum", ["24 Months", "12 Months", "0 Months", "0 Days", "52 Weeks"])
def test_a_maximum_age_in_months_weeks_or_days_is_not_drafted_as_completed_years(maximum):
    # "24 Months" admits up to the day before 25 months; age_years <= 2 would admit a child of 35 months.
    (age,) = [c for c in _criteria("Inclusion Criteria:\n\n* Relapsed tumour\n", minimum="0 Years", maximum=maximum)
              if c["id"] == "NCT99999999-AGE"]
    assert age.get("unencoded") is True and "logic" not in age
    assert age["draft"]["pattern"] == "unencoded-age-unit"


@pytest.mark.parametrize("minimum, years", [("24 Months", 2), ("12 Months", 1), ("0 Days", 0), ("3 Years", 3)])
def test_a_minimum_age_in_whole_years_of_months_is_still_drafted(minimum, years):
    (age,) = [c for c in _criteria("Inclusion Criteria:\n\n* Relapsed tumour\n", minimum=minimum, maximum="16 Years")
              if c["id"] == "NCT99999999-AGE"]
    assert age["logic"] == {"all": [{"field": "age_years", "op": "ge", "value": years, "unit": "years"},
                                    {"field": "age_years", "op": "le", "value": 16, "unit": "years"}]}


def test_a_plain_sub_heading_does_not_undo_the_cohort_or_donor_heading_above_it():
    criteria = _by_text("Inclusion Criteria:\n\n* Relapsed tumour\n\nDonor Exclusion Criteria:\n\nHematologic:\n\n"
                        "* Hemoglobin < 11 g/dL\n\nExclusion Criteria:\n\nFor patients on Part B:\n\nHematologic:\n\n"
                        "* ANC < 500/µL\n\nExclusion Criteria:\n\nHematologic:\n\n* ANC < 400/µL\n")
    for words in ("Hemoglobin < 11 g/dL", "ANC < 500/µL"):
        assert criteria[words]["group"] == "Hematologic:"
        assert criteria[words]["draft"]["pattern"] == "unencoded-context", words
    assert criteria["ANC < 400/µL"]["logic"] == {"field": "lab.anc", "op": "lt", "value": 400, "unit": "/uL"}


@pytest.mark.parametrize("words, section, logic", [
    ("ANC ≥ 1.0 × 10⁹/L", "inclusion", {"field": "lab.anc", "op": "ge", "value": 1, "unit": "10*9/L"}),
    ("Platelets ≥ 75 x 10³/µL", "inclusion", {"field": "lab.platelets", "op": "ge", "value": 75, "unit": "10*3/uL"}),
    ("Platelets < 50×10⁹/L", "exclusion", {"field": "lab.platelets", "op": "lt", "value": 50, "unit": "10*9/L"}),
])
def test_a_power_of_ten_in_superscript_is_read_as_the_power(words, section, logic):
    header = "Inclusion Criteria:\n\n" + ("" if section == "inclusion" else "* Relapsed\n\nExclusion Criteria:\n\n")
    assert _by_text(f"{header}* {words}\n")[words]["logic"] == logic


def test_a_power_written_flat_stays_unread():
    # "109/L" may be 10^9/L with the superscript lost, or a number: never guessed.
    criterion = _by_text("Inclusion Criteria:\n\n* Platelets ≥ 100 x 109/L\n")["Platelets ≥ 100 x 109/L"]
    assert criterion.get("unencoded") is True


@pytest.mark.parametrize("words, logic", [
    ("Platelet count \\>= 100,000/mm^3", {"field": "lab.platelets", "op": "ge", "value": 100000, "unit": "/mm3"}),
    ("ANC ≥ 750/mm\\^3", {"field": "lab.anc", "op": "ge", "value": 750, "unit": "/mm3"}),
    ("Platelets ≥ 100 x 10^3/mm^3", {"field": "lab.platelets", "op": "ge", "value": 100, "unit": "10*3/mm3"}),
])
def test_per_cubic_millimetre_written_with_a_caret_is_read(words, logic):
    assert _by_text(f"Inclusion Criteria:\n\n* {words}\n")[words]["logic"] == logic


def test_words_after_a_header_on_its_line_are_an_item_of_that_section():
    criteria = _loads("Inclusion Criteria: Relapsed neuroblastoma\n\n* ANC ≥ 500/µL\n\nExclusion Criteria: None\n")
    assert [(c["kind"], c["source_text"]) for c in criteria] == [
        ("inclusion", "Relapsed neuroblastoma"), ("inclusion", "ANC ≥ 500/µL"), ("exclusion", "None")]


def test_a_heading_no_item_stands_under_is_an_item_of_its_own():
    criteria = _loads("Inclusion Criteria:\n\nAll patients must sign consent:\n\nExclusion Criteria:\n\nFor Part B:\n\n"
                      "Hematologic:\n\n* ANC < 500/µL\n\nDonor Inclusion Criteria:\n")
    assert [(c["kind"], c["source_text"]) for c in criteria] == [
        ("inclusion", "All patients must sign consent:"), ("exclusion", "ANC < 500/µL"),
        ("inclusion", "Donor Inclusion Criteria:")]
    assert criteria[1]["draft"]["pattern"] == "unencoded-context"  # under "For Part B:" and "Hematologic:"


@pytest.mark.parametrize("words, section", [
    ("At least 0 days since chemotherapy", "inclusion"),  # within_days 0 made a draft that does not load
    ("Platelets ≥ 1 x ULN", "inclusion"),
    ("Hemoglobin ≥ 1.5 x ULN", "inclusion"),
    ("ANC < 1 x ULN", "exclusion"),
])
def test_degenerate_washouts_and_count_multiples_of_uln_are_placeholders(words, section):
    header = "Inclusion Criteria:\n\n" + ("" if section == "inclusion" else "* Relapsed\n\nExclusion Criteria:\n\n")
    (criterion,) = [c for c in _loads(f"{header}* {words}\n") if c["source_text"] == words]
    assert criterion.get("unencoded") is True and "logic" not in criterion


@pytest.mark.parametrize("breaks", ["\x85", "\u2028", "\u2029"])
def test_words_holding_a_character_yaml_reads_as_a_line_break_come_back_as_they_are(breaks):
    # A NEL is what a cp1252 ellipsis becomes when mis-decoded: in a block scalar YAML gave it back as "\n".
    eligibility = f"Inclusion Criteria:\n\n* Relapsed tumour{breaks}of the\n  brain\n* ANC ≥ 500/µL\n"
    criteria = _loads(eligibility)
    assert criteria[0]["source_text"] == f"Relapsed tumour{breaks}of the\n  brain"


def test_a_record_with_crlf_line_endings_matches_its_draft_until_it_changes(tmp_path):
    from click.testing import CliRunner

    from screener.cli import main

    study = tmp_path / "study.json"
    study.write_text(_study("Inclusion Criteria:\r\n\r\n  -  Relapsed tumour of the\r\n     brain\r\n"
                            "  -  ANC >= 500/uL\r\n"), encoding="utf-8")
    rule_file = tmp_path / "draft.yaml"
    run = CliRunner().invoke
    assert run(main, ["rules", "draft", str(study), "-o", str(rule_file)]).exit_code == 0
    result = run(main, ["rules", "check-source", str(rule_file)])
    assert result.exit_code == 0, result.output  # the multi-line item was reported as drift right after drafting
    study.write_text(study.read_text(encoding="utf-8").replace("brain", "spine"), encoding="utf-8")
    result = run(main, ["rules", "check-source", str(rule_file)])
    assert result.exit_code == 1 and "NCT99999999-I1" in result.output


def test_short_headers_inclusion_and_exclusions_switch_the_section():
    criteria = _loads("Inclusion:\n\n* ANC ≥ 500/µL\n\nExclusions:\n\n* ANC < 400/µL\n\n"
                      "Exclusion Criterion:\n* Pregnant\n")
    assert [(c["kind"], c["source_text"]) for c in criteria] == [
        ("inclusion", "ANC ≥ 500/µL"), ("exclusion", "ANC < 400/µL"), ("exclusion", "Pregnant")]
    assert criteria[1]["logic"] == {"field": "lab.anc", "op": "lt", "value": 400, "unit": "/uL"}
