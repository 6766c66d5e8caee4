"""The `screener` command line, as a coordinator or a CI job uses it."""
import json
import re

from click.testing import CliRunner

from screener.cli import main

from .helpers import PATIENTS, REPO, trial_ids

run = CliRunner().invoke


def test_screen_text_report():
    result = run(main, ["screen", str(PATIENTS / "eligible.json"), "--trial", "NCT06674265", "--as-of", "2026-11-22"])
    assert result.exit_code == 0, result.output
    assert "VERDICT: ELIGIBLE" in result.output
    assert "[PASS   ] EXC NCT06674265-E1: Inadequate bone marrow function" in result.output
    # dates as people read them, the header and the recruitment line included (the JSON keeps ISO)
    assert "as of 22 Nov 2026" in result.output and "recruitment: RECRUITING (as of 9 Apr 2025)" in result.output
    assert not re.search(r"\d{4}-\d{2}-\d{2}", result.output)


def test_screen_json_report_with_eligible_from():
    result = run(main, ["screen", str(PATIENTS / "ineligible-waiting.json"), "--trial", "NCT06674265",
                        "--as-of", "2026-11-22", "--format", "json", "--engine", "reference"])
    report = json.loads(result.stdout)  # stderr carries "Recorded as screening …"
    assert "Recorded as screening" in result.stderr
    assert report["verdict"] == "ineligible" and report["eligible_from"] == "2026-11-27"
    assert report["engine"] == "reference"


def test_screen_text_names_failing_and_open_criteria_by_title():
    result = run(main, ["screen", str(PATIENTS / "ineligible-waiting.json"), "--trial", "NCT06674265",
                        "--as-of", "2026-11-22"])
    assert result.exit_code == 0, result.output
    fails = result.output.split("  Fails: ", 1)[1].split("  recruitment:", 1)[0]
    assert " ".join(fails.split()).startswith(
        "Inadequate bone marrow function (Exclusion 1); Systemic corticosteroids ≥ 0.5 mg/kg/day"
    )
    result = run(main, ["screen", str(PATIENTS / "incomplete.json"), "--trial", "NCT06674265", "--as-of", "2026-11-22"])
    assert "  Cannot be judged yet: Life expectancy at least 6 months (Inclusion 3);" in result.output
    assert "  Fails:" not in result.output


def test_screen_incomplete_lists_what_to_record():
    result = run(main, ["screen", str(PATIENTS / "incomplete.json"), "--trial", "NCT06674265", "--as-of", "2026-11-22"])
    assert "VERDICT: INCOMPLETE" in result.output and "To settle the unknowns:" in result.output


def test_screen_all_orders_best_prospects_first():
    result = run(
        main, ["screen", str(PATIENTS / "eligible.json"), "--all", "--as-of", "2026-11-22", "--format", "json"]
    )
    reports = json.loads(result.stdout)
    from screener.model.verdict import Verdict

    order = [Verdict(r["verdict"]).rank for r in reports]
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
    assert (
        "encoded: ((Platelet count ≤ 50,000 /uL or not (Platelet count drawn at least 8 days after any platelet"
        in result.output
    )
    fields = json.loads(run(main, ["fields", "--format", "json"]).output)
    assert any(f["name"] == "lab.platelets" and "777-3" in f["loinc"] for f in fields)


def test_fields_json_says_where_in_the_record_each_field_comes_from():
    from screener.model.record import PatientRecord

    fields = {f["name"]: f["record_path"] for f in json.loads(run(main, ["fields", "--format", "json"]).output)}
    assert fields["diagnosis.primary"] == "diagnosis.primary"  # a record field: its own path
    assert fields["lab.platelets"] == "observations"
    assert fields["age_years"] == "demographics.birth_date" and fields["imaging.mibg_avid"] == "history.imaging"
    for name, path in fields.items():  # every one a real place in the record schema
        model = PatientRecord
        for part in path.split("."):
            assert part in model.model_fields, (name, path)
            model = model.model_fields[part].annotation
            model = model if isinstance(model, type) else None


def test_every_cli_screening_is_recorded_and_the_trail_verifies():
    from screener.audit import open_store

    before = len(open_store().screenings(limit=10**6))
    result = run(main, ["screen", str(PATIENTS / "eligible.json"), "--all", "--as-of", "2026-11-22"])
    assert result.exit_code == 0
    assert len(open_store().screenings(limit=10**6)) == before + len(trial_ids())
    verify = run(main, ["audit", "verify"])
    assert verify.exit_code == 0 and verify.stdout.startswith("OK:")
    anchor = verify.stdout.splitlines()[-1].removeprefix("anchor: ")
    assert run(main, ["audit", "verify", "--anchor", anchor]).exit_code == 0
    assert run(main, ["audit", "verify", "--anchor", "1:" + "0" * 64]).exit_code == 1
    exported = json.loads(run(main, ["audit", "export", "screenings"]).stdout)
    assert len(exported) == before + len(trial_ids())


def test_invalid_record_is_not_recorded(tmp_path):
    from screener.audit import open_store

    before = len(open_store().screenings(limit=10**6))
    path = tmp_path / "bad.json"
    path.write_text('{"demographics": {"birth_date": "2030-01-01", "sex": "female"}}')
    assert run(main, ["screen", str(path), "--trial", "NCT06674265", "--as-of", "2026-11-22"]).exit_code == 2
    assert len(open_store().screenings(limit=10**6)) == before


def _one_line_error(result, *words):
    """A refused command: exit 2, a single `Error:` line naming what was wrong, no traceback, no record wording."""
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)  # not an uncaught exception CliRunner swallowed
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines[-1].startswith("Error: ") and all(w in lines[-1] for w in words), result.stderr
    assert "Traceback" not in result.output and "cannot be screened" not in result.output


def test_unknown_token_and_user_give_one_line_and_exit_2():
    _one_line_error(run(main, ["tokens", "revoke", "no-such-token"]), "TOKEN_ID", "no such token")
    _one_line_error(run(main, ["users", "disable", "nobody-here"]), "USERNAME", "no such user")
    _one_line_error(run(main, ["users", "enable", "nobody-here"]), "USERNAME", "no such user")
    _one_line_error(run(main, ["tokens", "create", "nobody-here", "--name", "x"]), "USERNAME", "no such active user")
    _one_line_error(run(main, ["users", "add", "Not Valid", "--role", "auditor"]), "USERNAME")


def test_existing_user_is_refused_in_one_line():
    assert run(main, ["users", "add", "cli-twice", "--role", "auditor"]).exit_code == 0
    _one_line_error(run(main, ["users", "add", "cli-twice", "--role", "auditor"]), "USERNAME", "exists")


def test_every_command_with_bad_arguments_exits_2_without_traceback(tmp_path):
    garbled = tmp_path / "garbled.yaml"
    garbled.write_text("criteria: [\n")
    not_rules = tmp_path / "not_rules.yaml"
    not_rules.write_text("a: 1\n")
    eligible = str(PATIENTS / "eligible.json")
    cases = [
        ["screen", eligible],
        ["screen", eligible, "--trial", "NOPE"],
        ["screen", str(tmp_path), "--all"],
        ["rules", "show", "NOPE"],
        ["rules", "show"],
        ["rules", "lint", "/nonexistent.yaml"],
        ["rules", "diff", str(garbled), str(REPO / "criteria" / "NCT06674265.yaml")],
        ["rules", "diff", str(REPO / "criteria" / "NCT06674265.yaml"), str(not_rules)],
        ["rules", "impact", str(not_rules)],
        ["rules", "test", "--engine", "nope"],
        ["audit", "verify", "--anchor", "bad"],
        ["audit", "events", "--limit", "0"],
        ["audit", "export", "nothing"],
        ["batch", eligible, "--out", str(tmp_path / "o")],
        ["batch", eligible, "--trial", "NOPE", "--out", str(tmp_path / "o")],
        ["batch", eligible, "--all", "--out", str(tmp_path / "o"), "--workers", "0"],
        ["batch", eligible, "--all", "--out", str(tmp_path / "o"), "--chunk-size", "0"],
        ["batch", "/nonexistent.ndjson", "--all", "--out", str(tmp_path / "o")],
        ["users", "add", "someone", "--role", "god"],
        ["users", "disable"],
        ["tokens", "create", "admin", "--name", "x", "--days", "0"],
        ["tokens", "revoke"],
        ["fields", "--format", "xml"],
        ["no-such-command"],
    ]
    for args in cases:
        result = run(main, args)
        assert result.exit_code == 2, (args, result.output)
        assert isinstance(result.exception, SystemExit), (args, result.exception)
        assert "Traceback" not in result.output, args
        if args[0] != "screen":
            assert "cannot be screened" not in result.output, args


def test_unforeseen_failure_is_one_line_exit_1(monkeypatch):
    import screener.facts.catalogue as catalogue

    def broken():
        raise RuntimeError("secret detail")

    monkeypatch.setattr(catalogue, "catalogue", broken)
    result = run(main, ["fields"])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert "RuntimeError" in result.stderr and "secret detail" not in result.output
    monkeypatch.setenv("SCREENER_DEBUG", "1")
    assert isinstance(run(main, ["fields"]).exception, RuntimeError)


def test_unreachable_store_exits_3_in_one_line(monkeypatch):
    import screener.audit as audit

    monkeypatch.setattr(audit.config, "DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2")
    result = run(main, ["users", "list"])
    assert result.exit_code == 3 and "audit store could not be used" in result.stderr
    assert "Traceback" not in result.output


def test_screen_reads_a_fhir_bundle_as_the_api_does():
    from datetime import date

    from screener.fhir import record_from_bundle
    from screener.screening import screen

    bundle = REPO / "tests" / "fixtures" / "fhir_bundle.json"
    result = run(main, ["screen", str(bundle), "--trial", "NCT06674265", "--as-of", "2026-11-22", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert "Read a FHIR R4 Bundle" in result.stderr
    expected = screen(record_from_bundle(bundle.read_bytes(), date(2026, 11, 22))[0], "NCT06674265", date(2026, 11, 22))
    report = json.loads(result.stdout)
    assert report["verdict"] == expected.verdict
    assert {c["id"]: c["status"] for c in report["criteria"]} == {c.id: c.status for c in expected.criteria}
    from_stdin = run(main, ["screen", "-", "--all", "--as-of", "2026-11-22"], input=bundle.read_bytes())
    assert from_stdin.exit_code == 0 and "NCT06674265" in from_stdin.stdout


def test_screen_refuses_a_fhir_resource_that_is_not_a_bundle():
    result = run(main, ["screen", "-", "--all", "--as-of", "2026-11-22"], input=b'{"resourceType": "Patient"}')
    assert result.exit_code == 2 and "resourceType" in result.stderr and "Bundle" in result.stderr


def test_screen_names_the_bundle_entry_that_is_wrong():
    bundle = json.loads((REPO / "tests" / "fixtures" / "fhir_bundle.json").read_text())
    bundle["entry"] = [e for e in bundle["entry"] if e["resource"]["resourceType"] != "Patient"]
    result = run(main, ["screen", "-", "--all", "--as-of", "2026-11-22"], input=json.dumps(bundle).encode())
    assert (
        result.exit_code == 2 and "The record cannot be screened" in result.stderr and "Traceback" not in result.output
    )


def test_rules_diff_reports_rule_set_level_changes_too(tmp_path):
    original = (REPO / "criteria" / "NCT06674265.yaml").read_text()
    major, minor = re.search(r'^version: "(\d+)\.(\d+)\.\d+"', original, re.M).groups()
    old, new = re.search(r'^version: "([^"]+)"', original, re.M)[1], f"{major}.{int(minor) + 1}.0"
    amended = (
        original.replace(f'version: "{old}"\n', f'version: "{new}"\n', 1)
        .replace(
            "changelog:\n",
            f'changelog:\n  - version: "{new}"\n    date: 2026-11-24\n    changes: Labs may be 21 days old.\n',
            1,
        )
        .replace("  labs_days: 14\n", "  labs_days: 21\n", 1)
        .replace("  findings_days: 14\n", "  findings_days: 7\n", 1)
        .replace("  max_age_years: 16\n", "  max_age_years: 18\n", 1)
        .replace("  status: RECRUITING\n", "  status: COMPLETED\n", 1)
        .replace("  complete: true\n", "  complete: false\n", 1)
    )
    path = tmp_path / "amended.yaml"
    path.write_text(amended)
    result = run(main, ["rules", "diff", str(REPO / "criteria" / "NCT06674265.yaml"), str(path)])
    assert result.exit_code == 0, result.output
    out = result.output
    assert f"NCT06674265: version {old} -> {new}" in out and "\nRULE SET\n" in out
    for field, before, after in [
        ("version", old, new),
        ("lookback.labs_days", "14", "21"),
        ("lookback.findings_days", "14", "7"),
        ("population.max_age_years", "16", "18"),
        ("recruitment.status", "RECRUITING", "COMPLETED"),
        ("coverage.complete", "True", "False"),
        ("changelog", "-", f"{new} (2026-11-24): Labs may be 21 days old."),
    ]:
        assert f"    {field} (old): {before}\n    {field} (new): {after}\n" in out, field
    assert "imaging_days" not in out  # unchanged fields are not listed
    assert out.rstrip().endswith("7 rule-set fields and 0 criteria differ")


def test_rules_diff_of_a_file_with_itself_finds_nothing():
    same = str(REPO / "criteria" / "NCT06674265.yaml")
    result = run(main, ["rules", "diff", same, same])
    assert result.exit_code == 0 and "RULE SET" not in result.output
    assert result.output.rstrip().endswith("0 rule-set fields and 0 criteria differ")
