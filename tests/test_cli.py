"""The `screener` command line, as a coordinator or a CI job uses it."""
import json

from click.testing import CliRunner

from screener.cli import main

from .conftest import PATIENTS, REPO

run = CliRunner().invoke


def test_screen_text_report():
    result = run(main, ["screen", str(PATIENTS / "eligible.json"), "--trial", "NCT06674265", "--as-of", "2026-11-22"])
    assert result.exit_code == 0, result.output
    assert "VERDICT: ELIGIBLE" in result.output
    assert "[PASS   ] EXC NCT06674265-E1: Inadequate bone marrow function" in result.output


def test_screen_json_report_with_eligible_from():
    result = run(main, ["screen", str(PATIENTS / "ineligible-waiting.json"), "--trial", "NCT06674265",
                        "--as-of", "2026-11-22", "--format", "json", "--engine", "reference"])
    report = json.loads(result.stdout)  # stderr carries "Recorded as screening …"
    assert "Recorded as screening" in result.stderr
    assert report["verdict"] == "ineligible" and report["eligible_from"] == "2026-11-27"
    assert report["engine"] == "reference"


def test_screen_incomplete_lists_what_to_record():
    result = run(main, ["screen", str(PATIENTS / "incomplete.json"), "--trial", "NCT06674265", "--as-of", "2026-11-22"])
    assert "VERDICT: INCOMPLETE" in result.output and "To settle the unknowns, record:" in result.output


def test_screen_all_orders_best_prospects_first():
    result = run(main, ["screen", str(PATIENTS / "eligible.json"), "--all", "--as-of", "2026-11-22", "--format", "json"])
    reports = json.loads(result.stdout)
    from screener.model.report import VERDICTS

    order = [VERDICTS.index(r["verdict"]) for r in reports]
    assert order == sorted(order) and "eligible" in [r["verdict"] for r in reports]


def test_invalid_record_exits_2_naming_the_field_without_echoing(tmp_path):
    record = json.loads((PATIENTS / "eligible.json").read_text())
    record["observations"][0]["value"] = -77777
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(record))
    result = run(main, ["screen", str(path), "--trial", "NCT06674265", "--as-of", "2026-11-22"])
    assert result.exit_code == 2
    assert "observations[0].value" in result.output and "77777" not in result.output
    assert "Traceback" not in result.output


def test_unknown_trial_and_missing_file():
    result = run(main, ["screen", str(PATIENTS / "eligible.json"), "--trial", "NOPE", "--as-of", "2026-11-22"])
    assert result.exit_code == 2 and "unknown trial" in result.output
    result = run(main, ["screen", "/nonexistent.json", "--trial", "NCT06674265"])
    assert result.exit_code == 2 and "no such file" in result.output


def test_rules_lint_clean_and_broken():
    assert run(main, ["rules", "lint"]).exit_code == 0
    result = run(main, ["rules", "lint", str(REPO / "tests" / "fixtures" / "broken_rules.yaml")])
    assert result.exit_code == 1 and "10 problems" in result.output


def test_rules_test_passes():
    result = run(main, ["rules", "test", "--engine", "reference"])
    assert result.exit_code == 0, result.output
    assert " 0 failed" in result.output and "GAP" not in result.output


def test_rules_show_and_fields():
    result = run(main, ["rules", "show", "NCT06674265"])
    assert result.exit_code == 0 and "interpretation: Garbled" in result.output
    assert "encoded: ((Platelet count ≤ 50,000 /uL or not (Platelet count drawn at least 7 days after any platelet" in result.output
    fields = json.loads(run(main, ["fields", "--format", "json"]).output)
    assert any(f["name"] == "lab.platelets" and "777-3" in f["loinc"] for f in fields)


def test_every_cli_screening_is_recorded_and_the_trail_verifies():
    from screener.audit import open_store

    before = len(open_store().screenings(limit=10**6))
    result = run(main, ["screen", str(PATIENTS / "eligible.json"), "--all", "--as-of", "2026-11-22"])
    assert result.exit_code == 0
    assert len(open_store().screenings(limit=10**6)) == before + 6
    verify = run(main, ["audit", "verify"])
    assert verify.exit_code == 0 and verify.stdout.startswith("OK:")
    anchor = verify.stdout.splitlines()[-1].removeprefix("anchor: ")
    assert run(main, ["audit", "verify", "--anchor", anchor]).exit_code == 0
    assert run(main, ["audit", "verify", "--anchor", "1:" + "0" * 64]).exit_code == 1
    exported = json.loads(run(main, ["audit", "export", "screenings"]).stdout)
    assert len(exported) == before + 6


def test_invalid_record_is_not_recorded(tmp_path):
    from screener.audit import open_store

    before = len(open_store().screenings(limit=10**6))
    path = tmp_path / "bad.json"
    path.write_text('{"demographics": {"birth_date": "2030-01-01", "sex": "female"}}')
    assert run(main, ["screen", str(path), "--trial", "NCT06674265", "--as-of", "2026-11-22"]).exit_code == 2
    assert len(open_store().screenings(limit=10**6)) == before
