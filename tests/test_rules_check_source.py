"""`screener rules check-source`: a rule set's quoted registry words against its source record, today and after the
record changes. Exit 0: all match; 1: drift, naming the criteria; 2: bad input."""
import json
import shutil

from click.testing import CliRunner

from screener.cli import main
from tests.helpers import REPO

run = CliRunner().invoke
SEED = REPO / "seeds" / "registry" / "NCT06674265.json"


def test_the_six_hand_written_rule_sets_match_their_source_records():
    result = run(main, ["rules", "check-source"])
    assert result.exit_code == 0, result.output
    assert "6 rule sets, 0 drifted" in result.output
    assert "NCT06674265: matches seeds/trials/NCT06674265.md (21 criteria checked)" in result.output


def _drafted(tmp_path):
    study = tmp_path / "study.json"
    shutil.copy(SEED, study)
    rule_file = tmp_path / "draft.yaml"
    result = run(main, ["rules", "draft", str(study), "-o", str(rule_file)])
    assert result.exit_code == 0, result.output
    return study, rule_file


def _change(study, edit):
    data = json.loads(study.read_text(encoding="utf-8"))
    edit(data)
    study.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def test_a_drafted_rule_set_matches_its_record_until_the_text_changes(tmp_path):
    study, rule_file = _drafted(tmp_path)
    result = run(main, ["rules", "check-source", str(rule_file)])
    assert result.exit_code == 0, result.output

    def edit(data):
        module = data["protocolSection"]["eligibilityModule"]
        module["eligibilityCriteria"] = module["eligibilityCriteria"].replace(
            "A minimum life expectancy of 6 months.", "A minimum life expectancy of 3 months.")

    _change(study, edit)
    result = run(main, ["rules", "check-source", str(rule_file)])
    assert result.exit_code == 1, result.output
    assert "(rule set): the eligibility text's SHA-256 differs" in result.output
    assert "NCT06674265-I3: its words are no longer" in result.output
    assert "NCT06674265-I1:" not in result.output


def test_a_one_character_change_is_drift_even_when_every_quoted_item_survives(tmp_path):
    study, rule_file = _drafted(tmp_path)

    def edit(data):
        module = data["protocolSection"]["eligibilityModule"]
        module["eligibilityCriteria"] += "\n17- A new item."

    _change(study, edit)
    result = run(main, ["rules", "check-source", str(rule_file)])
    assert result.exit_code == 1
    assert "SHA-256 differs" in result.output


def test_a_changed_structured_age_and_data_version_are_drift(tmp_path):
    study, rule_file = _drafted(tmp_path)

    def edit(data):
        data["protocolSection"]["eligibilityModule"]["maximumAge"] = "18 Years"
        data["derivedSection"]["miscInfoModule"]["versionHolder"] = "2026-01-01"

    _change(study, edit)
    result = run(main, ["rules", "check-source", str(rule_file)])
    assert result.exit_code == 1
    assert "NCT06674265-AGE: its words are no longer" in result.output
    assert "data version" in result.output


def test_a_hand_written_rule_set_whose_source_record_lost_a_criterion_s_words(tmp_path):
    record = tmp_path / "record.md"
    record.write_text((REPO / "seeds" / "trials" / "NCT06674265.md").read_text(encoding="utf-8").replace(
        "Participation in another clinical trial.", "Participation in another trial."), encoding="utf-8")
    rule_file = tmp_path / "NCT06674265.yaml"
    rule_file.write_text((REPO / "criteria" / "NCT06674265.yaml").read_text(encoding="utf-8").replace(
        "source_record: seeds/trials/NCT06674265.md", f"source_record: {record}"), encoding="utf-8")
    result = run(main, ["rules", "check-source", str(rule_file)])
    assert result.exit_code == 1, result.output
    drifted = [line for line in result.output.splitlines() if line.startswith("  ")]
    assert drifted == [f"  NCT06674265-E12: its words are no longer in {record}"]


def test_bad_input_exits_2(tmp_path):
    result = run(main, ["rules", "check-source", "NO-SUCH-TRIAL"])
    assert result.exit_code == 2 and "TRIAL_OR_FILE" in result.output
    study, rule_file = _drafted(tmp_path)
    study.unlink()
    result = run(main, ["rules", "check-source", str(rule_file)])
    assert result.exit_code == 2 and "registry_record.path" in result.output
    study.write_text('{"protocolSection": {}}', encoding="utf-8")
    result = run(main, ["rules", "check-source", str(rule_file)])
    assert result.exit_code == 2 and "not a study record" in result.output
    assert "Traceback" not in result.output
