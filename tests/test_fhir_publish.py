"""Rule sets published as FHIR R4 (issue 28 part 3, docs/fhir-publishing.md): every shipped rule set parses with the
fhir.resources R4B models, passes pyfhircheck offline, and satisfies standards.md 3b's minimal conformance checks;
a threshold characteristic agrees with its rule file on both sides of the threshold."""
import json
import operator

import fhirpathpy
import pytest
import yaml
from click.testing import CliRunner
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.codeableconcept import CodeableConcept
from fhir.resources.R4B.group import Group
from fhir.resources.R4B.researchstudy import ResearchStudy
from fhirpathpy.models import models

from screener.authoring.fhir_publish import (
    CRITERION_EXTENSION,
    CRITERION_SYSTEM,
    R6_DESCRIPTION,
    RULE_SET_STATUS_SYSTEM,
    UCUM,
    publish_bundle,
    to_json,
)
from screener.cli import main
from screener.model.ruleset import Compare
from screener.rules import load_rule_sets, rule_set_files

from .helpers import REPO

run = CliRunner().invoke
RULE_FILES = {path.stem: path for path in rule_set_files()}


def _resources(bundle: dict) -> tuple[dict, dict]:
    study, group = (entry["resource"] for entry in bundle["entry"])
    return study, group


def _exported(trial_id: str) -> str:
    result = run(main, ["rules", "export-fhir", trial_id])
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture(scope="module", params=sorted(load_rule_sets()))
def exported(request):
    """(raw rule file as YAML, Bundle as parsed JSON) for each shipped rule set, through the command line."""
    trial_id = request.param
    raw = yaml.safe_load(RULE_FILES[trial_id].read_text(encoding="utf-8"))
    return raw, json.loads(_exported(trial_id))


def test_every_rule_set_parses_as_r4(exported):
    raw, bundle = exported
    parsed = Bundle.model_validate(bundle)
    assert parsed.type == "collection" and len(parsed.entry) == 2
    study, group = _resources(bundle)
    assert isinstance(ResearchStudy.model_validate(study), ResearchStudy)
    assert isinstance(Group.model_validate(group), Group)


def test_minimal_conformance_checks(exported):
    raw, bundle = exported
    study, group = _resources(bundle)
    assert group["actual"] is False and group["type"] == "person"
    criteria = raw["criteria"]
    characteristics = group["characteristic"]
    assert len(characteristics) == len(criteria)
    # One characteristic per criterion, in the file's order, each coded with its id in the project's CodeSystem.
    assert [c["code"]["coding"][0] for c in characteristics] == [
        {"system": CRITERION_SYSTEM, "code": c["id"], "display": c["title"]} for c in criteria]
    for criterion, characteristic in zip(criteria, characteristics, strict=True):
        assert characteristic["exclude"] is (criterion["kind"] == "exclusion"), criterion["id"]
        description = _extension(characteristic, R6_DESCRIPTION)["valueMarkdown"]
        assert description.startswith(criterion["source_text"]), criterion["id"]
        if "valueCodeableConcept" in characteristic:
            assert characteristic["valueCodeableConcept"] == {"text": criterion["source_text"]}
    assert fhirpathpy.evaluate(group, "Group.characteristic.all(code.exists() and exclude.exists())") == [True]
    # The enrollment reference resolves inside the Bundle: its fullUrl base plus the relative reference.
    base = bundle["entry"][0]["fullUrl"].rsplit("/ResearchStudy/", 1)[0]
    target = f"{base}/{study['enrollment'][0]['reference']}"
    assert [e["resource"]["resourceType"] for e in bundle["entry"] if e["fullUrl"] == target] == ["Group"]
    assert group["id"] == study["enrollment"][0]["reference"].split("/", 1)[1]


def test_attestations_are_words_never_values(exported):
    raw, bundle = exported
    _, group = _resources(bundle)
    for criterion, characteristic in zip(raw["criteria"], group["characteristic"], strict=True):
        if "attestation" in criterion:
            assert characteristic["valueCodeableConcept"] == {"text": criterion["source_text"]}
            parts = _parts(characteristic)
            assert parts["attestation"] == {"url": "attestation", "valueCode": criterion["attestation"]}


def test_rereading_the_group_gives_back_the_criteria(exported):
    """A YAML skeleton rebuilt from the Group alone (with the R4B model and FHIRPath) has the file's ids, sections,
    titles, words and interpretations."""
    raw, bundle = exported
    group = Group.model_validate(_resources(bundle)[1])
    skeleton = []
    for characteristic in group.characteristic:
        as_json = json.loads(characteristic.model_dump_json(by_alias=True, exclude_none=True))
        (code,) = fhirpathpy.evaluate(as_json, f"code.coding.where(system = '{CRITERION_SYSTEM}').code")
        parts = _parts(as_json)
        skeleton.append({
            "id": code,
            "kind": "exclusion" if characteristic.exclude else "inclusion",
            "title": characteristic.code.text,
            "source_text": parts["sourceText"]["valueString"],
            **({"interpretation": parts["interpretation"]["valueString"]} if "interpretation" in parts else {}),
        })
    expected = [
        {"id": c["id"], "kind": c["kind"], "title": c["title"], "source_text": c["source_text"],
         **({"interpretation": " ".join(c["interpretation"].split())} if c.get("interpretation") else {})}
        for c in raw["criteria"]
    ]
    assert skeleton == expected


def test_exported_twice_gives_the_same_bytes(tmp_path):
    for trial_id in load_rule_sets():
        first, second = tmp_path / "first.json", tmp_path / "second.json"
        assert run(main, ["rules", "export-fhir", trial_id, "-o", str(first)]).exit_code == 0
        assert run(main, ["rules", "export-fhir", trial_id, "--output", str(second)]).exit_code == 0
        assert first.read_bytes() == second.read_bytes() == _exported(trial_id).encode()


def test_nct06674265_study_and_age():
    bundle = json.loads(_exported("NCT06674265"))
    study, group = _resources(bundle)
    assert study["identifier"][0] == {"system": "https://clinicaltrials.gov", "value": "NCT06674265"}
    assert study["identifier"][1] == {"system": "https://irct.behdasht.gov.ir", "value": "IRCT20170122032121N8"}
    assert study["status"] == "active"  # RECRUITING
    assert "as of 2025-04-09" in study["note"][0]["text"]
    (age,) = [c for c in group["characteristic"] if c["code"]["coding"][0]["code"] == "NCT06674265-AGE"]
    assert age["valueRange"] == {
        "low": {"value": 2, "unit": "years", "system": UCUM, "code": "a"},
        "high": {"value": 16, "unit": "years", "system": UCUM, "code": "a"},
    }
    assert age["exclude"] is False
    # The range's "16 a" is a completed-years bound: the day before the 17th birthday is still in.
    assert "until the day before the 17th birthday" in _extension(age, R6_DESCRIPTION)["valueMarkdown"]
    (platelets,) = [c for c in _resources(json.loads(_exported("IRCT20170122032121N7")))[1]["characteristic"]
                    if c["code"]["coding"][0]["code"] == "N7-PLT"]
    assert "Only a count drawn at least 8 days after any transfusion" in \
        _extension(platelets, R6_DESCRIPTION)["valueMarkdown"]
    digest = load_rule_sets()["NCT06674265"].digest()
    assert study["relatedArtifact"][0]["citation"] == digest
    assert {"url": "digest", "valueString": digest} in _extension(group, "rule-set", suffix=True)["extension"]


_OPS = {"lt": operator.lt, "le": operator.le, "gt": operator.gt, "ge": operator.ge}
_COMPARATORS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


def _simple_lab_compare(logic) -> bool:
    return (isinstance(logic, dict) and set(logic) <= {"field", "op", "value", "unit", "transfusion_free_days"}
            and str(logic.get("field")).startswith("lab.") and logic.get("op") in _OPS
            and isinstance(logic.get("value"), int | float) and not isinstance(logic.get("value"), bool))


def test_threshold_characteristics_agree_with_their_rule_files_on_both_sides():
    """Read from the YAML, not the model: each single ordered lab comparison is a valueQuantity whose comparator
    and value decide every value as the rule does (at, just above and just below the threshold); nothing else is."""
    checked = []
    for trial_id, path in RULE_FILES.items():
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        _, group = _resources(json.loads(_exported(trial_id)))
        for criterion, characteristic in zip(raw["criteria"], group["characteristic"], strict=True):
            logic = criterion.get("logic")
            if not _simple_lab_compare(logic):
                assert "valueQuantity" not in characteristic, criterion["id"]
                continue
            quantity = characteristic["valueQuantity"]
            assert quantity["unit"].replace("µ", "u") == logic["unit"] or logic["unit"] == "score"
            assert quantity["system"] == UCUM
            rule, published = _OPS[logic["op"]], _COMPARATORS[quantity["comparator"]]
            threshold = logic["value"]
            for value in (threshold * 0.99, threshold, threshold * 1.01, threshold - 1, threshold + 1):
                assert rule(value, threshold) == published(value, quantity["value"]), (criterion["id"], value)
            assert characteristic["exclude"] is (criterion["kind"] == "exclusion")
            checked.append(criterion["id"])
    assert sorted(checked) == ["N7-HB", "N7-PERF", "N7-PLT"]


def _with_logic(trial_id: str, criterion_id: str, kind: str, logic: dict):
    rule_set = load_rule_sets()[trial_id]
    criteria = [c.model_copy(update={"kind": kind, "logic": Compare.model_validate(logic)})
                if c.id == criterion_id else c for c in rule_set.criteria]
    return rule_set.model_copy(update={"criteria": criteria})


def _characteristic(rule_set, criterion_id: str) -> dict:
    _, group = _resources(publish_bundle(rule_set))
    (found,) = [c for c in group["characteristic"] if c["code"]["coding"][0]["code"] == criterion_id]
    return found


@pytest.mark.parametrize(("unit", "value", "published"), [
    ("/uL", 50000, 50000), ("10*3/uL", 50, 50000), ("10*9/L", 50, 50000), ("K/uL", 50.5, 50500)])
def test_an_exclusion_threshold_keeps_its_direction_in_the_canonical_unit(unit, value, published):
    """An exclusion "platelets ≤ 50 ×10³/µL" says members do NOT have platelets ≤ 50,000/µL: exclude true with the
    logic's own comparator, never the inclusion's mirror image."""
    rule_set = _with_logic("IRCT20170122032121N7", "N7-PLT", "exclusion",
                           {"field": "lab.platelets", "op": "le", "value": value, "unit": unit,
                            "transfusion_free_days": 8})
    characteristic = _characteristic(rule_set, "N7-PLT")
    assert characteristic["exclude"] is True
    # A low count is low whatever came before it; only a higher one may be the donor's platelets.
    description = _extension(characteristic, R6_DESCRIPTION)["valueMarkdown"]
    assert "fewer than 8 days after a transfusion" in description and "only when it is low" in description
    assert characteristic["valueQuantity"] == {
        "value": published, "comparator": "<=", "unit": "/µL", "system": UCUM, "code": "/uL"}
    assert {"system": "http://loinc.org", "code": "777-3"} in characteristic["code"]["coding"]


def test_a_molar_threshold_is_converted_and_labelled_with_the_mass_code():
    rule_set = _with_logic("IRCT20170122032121N7", "N7-HB", "inclusion",
                           {"field": "lab.hemoglobin", "op": "ge", "value": 6.2, "unit": "mmol/L"})
    characteristic = _characteristic(rule_set, "N7-HB")
    assert characteristic["valueQuantity"] == {
        "value": 9.99068, "comparator": ">=", "unit": "g/dL", "system": UCUM, "code": "g/dL"}
    codes = [c["code"] for c in characteristic["code"]["coding"]]
    assert "718-7" in codes and "59260-0" not in codes  # the mass code, as the value is in g/dL


@pytest.mark.parametrize("logic", [
    {"field": "lab.platelets", "op": "eq", "value": 50000, "unit": "/uL"},  # no R4 comparator says "exactly"
    {"field": "lab.platelets", "op": "ne", "value": 50000, "unit": "/uL"},
    {"field": "diagnosis.induction_cycles", "op": "ge", "value": 4},  # not a lab
    {"field": "findings.seizures", "op": "eq", "value": "uncontrolled"},
])
def test_anything_but_an_ordered_lab_comparison_is_published_as_words(logic):
    rule_set = _with_logic("IRCT20170122032121N7", "N7-PLT", "inclusion", logic)
    characteristic = _characteristic(rule_set, "N7-PLT")
    assert "valueQuantity" not in characteristic
    assert characteristic["valueCodeableConcept"] == {"text": rule_set.criteria[6].source_text}


def test_an_age_criterion_that_is_not_the_populations_bounds_is_words():
    rule_set = load_rule_sets()["NCT06674265"]
    shifted = rule_set.model_copy(update={"population": rule_set.population.model_copy(update={"max_age_years": 17})})
    age = _characteristic(shifted, "NCT06674265-AGE")
    assert "valueRange" not in age and age["valueCodeableConcept"]["text"].startswith("Minimum Eligible Age")


def test_identifiers_and_status_of_rule_sets_without_a_registry_or_a_status():
    study, _ = _resources(json.loads(_exported("AML-NK-BMC2023")))
    assert study["identifier"] == [
        {"system": "https://trial-screener.invalid/fhir/NamingSystem/trial-id", "value": "AML-NK-BMC2023"}]
    # No status stated: absent for a reason, not a guess.
    assert "status" not in study
    assert study["_status"]["extension"][0]["valueCode"] == "unknown"
    study, _ = _resources(json.loads(_exported("IRCT20170122032121N7")))
    assert study["identifier"] == [{"system": "https://irct.behdasht.gov.ir", "value": "IRCT20170122032121N7"}]


@pytest.mark.parametrize(("given", "expected"), [
    ("NOT_YET_RECRUITING", "approved"), ("ACTIVE_NOT_RECRUITING", "closed-to-accrual"), ("COMPLETED", "completed"),
    ("SUSPENDED", "temporarily-closed-to-accrual"), ("TERMINATED", "administratively-completed"),
    ("WITHDRAWN", "withdrawn"), ("RECRUITING", "active"), ("UNKNOWN", None), ("recruiting", None)])
def test_recruitment_status_mapping(given, expected):
    rule_set = load_rule_sets()["NCT06674265"]
    changed = rule_set.model_copy(update={"recruitment": rule_set.recruitment.model_copy(update={"status": given})})
    study, _ = _resources(publish_bundle(changed))
    assert study.get("status") == expected
    assert ("_status" in study) is (expected is None)
    ResearchStudy.model_validate(study)


def test_a_draft_is_refused_unless_allowed_and_then_labelled_everywhere(tmp_path, monkeypatch):
    from screener import config

    source = (REPO / "criteria" / "NCT06674265.yaml").read_text(encoding="utf-8")
    assert "\nstatus: reviewed\n" in source
    (tmp_path / "NCT06674265.yaml").write_text(source.replace("\nstatus: reviewed\n", "\nstatus: draft\n"))
    # A folder of its own: the loader caches by folder, so nothing read here outlives the test.
    monkeypatch.setattr(config, "SCREENER_CRITERIA_DIR", tmp_path)
    refused = run(main, ["rules", "export-fhir", "NCT06674265"])
    assert refused.exit_code == 2 and "draft" in refused.output and refused.stdout == ""
    allowed = run(main, ["rules", "export-fhir", "NCT06674265", "--allow-draft"])
    assert allowed.exit_code == 0 and "DRAFT RULES" in allowed.stderr
    bundle = json.loads(allowed.stdout)
    study, group = _resources(bundle)
    assert study["title"].startswith("DRAFT RULES: ") and group["name"].startswith("DRAFT RULES: ")
    for resource in (bundle, study, group):
        assert resource["meta"]["tag"][0]["system"] == RULE_SET_STATUS_SYSTEM
        assert resource["meta"]["tag"][0]["code"] == "draft"
        assert "DRAFT RULES" in resource["meta"]["tag"][0]["display"]
    Bundle.model_validate(bundle)


def test_unknown_trial_is_exit_2_naming_it():
    result = run(main, ["rules", "export-fhir", "NCT00000000"])
    assert result.exit_code == 2 and "TRIAL_ID: unknown trial; known: " in result.output
    assert "NCT06674265" in result.output and result.stdout == ""


def test_pyfhircheck_finds_no_error_offline():
    """The offline R4 validator (structure, cardinality, FHIRPath invariants). The project's own extensions have no
    published StructureDefinition yet, so unknown extensions are allowed; pyfhircheck also reads a required
    primitive given only as a data-absent-reason extension as missing (R4 allows it: docs/fhir-publishing.md), the
    one issue a rule set with no recruitment status may have."""
    from pyfhircheck import Validator
    from pyfhircheck.config import ValidatorConfig

    validator = Validator(ValidatorConfig.load_dict({"allowUnknownExtensions": True}))
    for trial_id, rule_set in load_rule_sets().items():
        bundle = publish_bundle(rule_set)
        issues = [(i.code, i.message) for i in validator.validate_resource(bundle).issues]
        allowed = [] if rule_set.recruitment else [("cardinality.min", "ResearchStudy.status is required")]
        assert issues == allowed, trial_id
    broken = publish_bundle(load_rule_sets()["NCT06674265"])
    del broken["entry"][1]["resource"]["actual"]
    assert ("cardinality.min", "Group.actual is required") in [
        (i.code, i.message) for i in validator.validate_resource(broken).issues]


def test_to_json_is_canonical():
    text = to_json(publish_bundle(load_rule_sets()["NCT06674265"]))
    assert text == json.dumps(json.loads(text), sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    assert "µ" in text or "≥" in text  # written as UTF-8, not escaped


def _extension(element: dict, url: str, suffix: bool = False) -> dict:
    (found,) = [e for e in element["extension"] if (e["url"].endswith("/" + url) if suffix else e["url"] == url)]
    return found


def _parts(characteristic: dict) -> dict:
    return {part["url"]: part for part in _extension(characteristic, CRITERION_EXTENSION)["extension"]}


def test_the_persian_title_travels_as_the_translation_extension_on_code_text():
    """A rule set declaring Persian (issue 30): each characteristic's code.text, the English title, carries the
    Persian title in FHIR's translation extension, which R4 reads as the same element's words in fa."""
    rule_set = load_rule_sets()["NCT06674265"]
    _, group = _resources(json.loads(_exported("NCT06674265")))
    assert len(group["characteristic"]) == len(rule_set.criteria)
    for criterion, published in zip(rule_set.criteria, group["characteristic"], strict=True):
        assert published["code"]["text"] == criterion.title
        (translation,) = published["code"]["_text"]["extension"]
        assert translation == {"url": "http://hl7.org/fhir/StructureDefinition/translation", "extension": [
            {"url": "lang", "valueCode": "fa"}, {"url": "content", "valueString": criterion.translations["fa"].title},
        ]}
        concept = CodeableConcept.model_validate(published["code"])
        assert concept.text__ext.extension[0].extension[1].valueString == criterion.translations["fa"].title
    # As a FHIR client reads it: the R4 model makes FHIRPath see a primitive's extensions.
    found = fhirpathpy.evaluate(group, "characteristic.code.text.extension('http://hl7.org/fhir/StructureDefinition/"
                                       "translation').extension('content').value", {}, models["r4"])
    assert found == [c.translations["fa"].title for c in rule_set.criteria]


def test_a_rule_set_without_translations_publishes_no_translation_extension():
    for trial_id, rule_set in load_rule_sets().items():
        if not rule_set.languages:
            _, group = _resources(json.loads(_exported(trial_id)))
            assert all("_text" not in c["code"] for c in group["characteristic"]), trial_id
