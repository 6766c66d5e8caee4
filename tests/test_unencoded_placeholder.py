"""An unencoded placeholder: the schema allows it only as the one kind of encoding, both evaluators always find it
unknown, the report says "not encoded yet: review the draft", and lint refuses it in a rule set called complete."""
import json
from datetime import date

import pytest
import yaml
from pydantic import ValidationError

from screener.authoring.draft import draft_rule_file
from screener.authoring.lint import lint_text
from screener.engine import get_evaluator
from screener.engine.compile import compile_rule_set
from screener.model.ruleset import Criterion, RuleSet
from screener.screening import parse_record, screen
from tests.helpers import PATIENTS, REPO

AS_OF = date(2026, 11, 22)
SEED = REPO / "seeds" / "registry" / "NCT06674265.json"


def _criterion(**fields) -> dict:
    return {"id": "X-1", "kind": "inclusion", "title": "A criterion", "source_text": "Some words",
            "citation": {"source": "seeds/trials/NCT06674265.md", "section": "1", "reference": "X"}, **fields}


@pytest.mark.parametrize("fields, message", [
    ({}, "exactly one of logic"),
    ({"unencoded": True, "attestation": "able_to_comply"}, "exactly one of logic"),
    ({"unencoded": True, "logic": {"field": "age_years", "op": "ge", "value": 2, "unit": "years"}},
     "exactly one of logic"),
    ({"kind": "unclassified", "attestation": "able_to_comply"}, "unclassified criterion can only be"),
    ({"unencoded": False}, "Input should be True"),
    ({"unencoded": True, "parent": "X-1"}, "its own parent"),
])
def test_the_schema_allows_a_placeholder_only_alone(fields, message):
    with pytest.raises(ValidationError) as caught:
        Criterion.model_validate_json(json.dumps(_criterion(**fields)))
    assert message in str(caught.value)


def _reviewed_draft() -> RuleSet:
    """The draft of NCT06674265 with its marks removed and called reviewed: placeholders and all (a partial set)."""
    data = yaml.safe_load(draft_rule_file(SEED.read_bytes(), "seeds/registry/NCT06674265.json"))
    data["status"] = "reviewed"
    for criterion in data["criteria"]:
        criterion.pop("draft")
    return RuleSet.model_validate_json(json.dumps(data, default=str))


def test_a_parent_must_come_before_its_sub_points():
    data = yaml.safe_load(draft_rule_file(SEED.read_bytes(), "seeds/registry/NCT06674265.json"))
    data["criteria"][1]["parent"] = data["criteria"][2]["id"]
    with pytest.raises(ValidationError, match="parent must be an earlier criterion"):
        RuleSet.model_validate_json(json.dumps(data, default=str))


@pytest.mark.parametrize("engine", ["durable", "reference"])
def test_placeholders_are_unknown_in_both_evaluators_with_their_reason(engine):
    rule_set = _reviewed_draft()
    record = parse_record((PATIENTS / "eligible.json").read_text(encoding="utf-8"), AS_OF)
    report = screen(record, rule_set, AS_OF, engine)
    placeholders = {c.id for c in rule_set.criteria if c.unencoded}
    assert len(placeholders) == 16
    results = {c.id: c for c in report.criteria}
    for ident in placeholders:
        result = results[ident]
        assert result.status == "unknown"
        assert result.reason == "Not encoded yet: review the draft ?"
        assert [step.kind for step in result.to_do] == ["review_draft"]
        assert result.evidence[0].unknown == "not_encoded"
    # The encoded ones still decide: the eligible demo patient passes age and the attestations.
    assert results["NCT06674265-AGE"].status == "pass"
    assert results["NCT06674265-I3"].status == "pass"
    assert report.verdict != "eligible"


def test_the_evaluators_agree_on_placeholders_whatever_the_other_values():
    compiled = compile_rule_set(_reviewed_draft())
    durable, reference = get_evaluator("durable"), get_evaluator("reference")
    for value in (None, 0, 1):
        values = {fact: value if fact.slot.startswith("unencoded[") else None for fact in compiled.facts}
        assert durable.evaluate(compiled, values) == reference.evaluate(compiled, values)
        statuses = reference.evaluate(compiled, {f: None for f in compiled.facts})
        assert {statuses[c.id] for c in compiled.criteria if c.criterion.unencoded} == {"unknown"}


def test_lint_refuses_a_placeholder_in_a_rule_set_called_complete():
    text = draft_rule_file(SEED.read_bytes(), "seeds/registry/NCT06674265.json")
    assert lint_text(text, "draft.yaml", REPO) == []
    complete = text.replace("  complete: false\n", "  complete: true\n", 1)
    problems = lint_text(complete, "draft.yaml", REPO)
    assert len(problems) == 16
    assert all(p.path.endswith(".unencoded") and "coverage.complete is true" in p.message for p in problems)


def test_a_rule_set_without_the_new_fields_keeps_its_digest():
    from screener.rules import load_rule_sets

    rule_set = load_rule_sets()["NCT06674265"]
    data = rule_set.model_dump(mode="json", by_alias=True)
    data["registry_record"] = None
    assert RuleSet.model_validate_json(json.dumps(data)).digest() == rule_set.digest()
    drafted = _reviewed_draft()
    assert drafted.digest() != RuleSet.model_validate_json(
        json.dumps({**drafted.model_dump(mode="json", by_alias=True), "registry_record": None})).digest()
