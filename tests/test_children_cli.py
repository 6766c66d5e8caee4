"""The screening log by child from the command line (issue 25): --screening-number (also for a FHIR Bundle),
--corrects with --reason, `screener screenings void`, `screener patients show|outcome`; bad input exits 2 naming
the argument, never echoing it."""
import json
import re

import pytest
from click.testing import CliRunner
from freezegun import freeze_time

from screener import config
from screener.cli import main

from .helpers import PATIENTS, REPO

ELIGIBLE = str(PATIENTS / "eligible.json")
TRIAL = "NCT06674265"


@pytest.fixture(autouse=True)
def own_store(tmp_path, monkeypatch):
    monkeypatch.setattr(config, "DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    monkeypatch.setattr(config, "SCREENER_INSTANCE_PATH", tmp_path / "instance")


def _run(*args):
    return CliRunner().invoke(main, list(args))


def _screened(result) -> list[str]:
    return re.search(r"Recorded as screening (\S+(?:, \S+)*) of child (\S+)", result.stderr).groups()


@freeze_time("2026-12-06")
def test_a_child_screened_corrected_voided_and_enrolled_from_the_command_line():
    first = _run("screen", ELIGIBLE, "--trial", TRIAL, "--as-of", "2026-11-22", "--screening-number", "SCR-0001")
    assert first.exit_code == 0, first.output
    (ids, number) = _screened(first)
    assert number == "SCR-0001"
    bundle = str(REPO / "seeds" / "fhir" / "eligible.json")
    fhir = _run("screen", bundle, "--trial", TRIAL, "--as-of", "2026-11-22", "--screening-number", "SCR-0001")
    assert fhir.exit_code == 0 and _screened(fhir)[1] == "SCR-0001"
    no_reason = _run("screen", ELIGIBLE, "--trial", TRIAL, "--as-of", "2026-11-22", "--corrects", ids)
    assert no_reason.exit_code == 2 and "--reason" in no_reason.output
    corrected = _run("screen", ELIGIBLE, "--trial", TRIAL, "--as-of", "2026-11-22", "--corrects", ids,
                     "--reason", "weight typed in pounds")
    assert corrected.exit_code == 0 and _screened(corrected)[1] == "SCR-0001"  # the corrected child's number
    voided = _run("screenings", "void", _screened(fhir)[0], "--reason", "test")
    assert voided.exit_code == 0, voided.output
    assert _run("screenings", "void", _screened(fhir)[0], "--reason", "test").exit_code == 2  # voided already
    enrolled = _run("patients", "outcome", "SCR-0001", "--trial", TRIAL, "--outcome", "enrolled", "--date",
                    "2026-12-01", "--study-number", "NK-1")
    assert enrolled.exit_code == 0, enrolled.output
    shown = json.loads(_run("patients", "show", "SCR-0001", "--format", "json").output)
    assert shown["trials"][0]["outcome"]["study_number"] == "NK-1"
    states = sorted((s["counted"], s["void"] is not None, bool(s["corrected_by"])) for s in shown["screenings"])
    assert states == [(False, False, True), (False, True, False), (True, False, False)]
    text = _run("patients", "show", "SCR-0001").output
    assert "VOIDED (test)" in text and "corrected" in text
    verified = _run("audit", "verify")
    assert verified.exit_code == 0 and verified.output.startswith("OK:"), verified.output


@pytest.mark.parametrize("number", ["Jane Doe", "1234567", "SCR-7"])
def test_a_bad_screening_number_exits_2_naming_the_option_without_echo(number):
    result = _run("screen", ELIGIBLE, "--trial", TRIAL, "--as-of", "2026-11-22", "--screening-number", number)
    assert result.exit_code == 2 and "--screening-number" in result.output and number not in result.output


def test_an_outcome_for_an_unknown_child_or_with_missing_parts_exits_2():
    assert _run("patients", "outcome", "SCR-0404", "--trial", TRIAL, "--outcome", "screen_failed").exit_code == 2
    _run("screen", ELIGIBLE, "--trial", TRIAL, "--as-of", "2026-11-22", "--screening-number", "SCR-0002")
    missing = _run("patients", "outcome", "SCR-0002", "--trial", TRIAL, "--outcome", "enrolled")
    assert missing.exit_code == 2 and "Traceback" not in missing.output
    assert _run("screenings", "void", "0" * 32, "--reason", "test").exit_code == 2
