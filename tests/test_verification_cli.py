"""A signed eligibility verification from the command line (issue 26 point 4): `screener verifications show ID`
prints its standing, protocol version and approval, the signature block and each criterion's status (JSON: the API's
VerificationView); a malformed or unknown id exits 2 naming the argument, never echoing it; `screener patients show`
gives each trial's verification standing and protocol deviations."""
import json

import pytest
from click.testing import CliRunner
from freezegun import freeze_time

from screener import config, enrolment
from screener.cli import main
from screener.model.record import PatientRecord
from screener.model.verification import DeviationRequest

from .helpers import PATIENTS
from .test_enrolment import DAY, TRIAL, _approve, _people, _record, _request, _screen


@pytest.fixture
def cli_store(tmp_path, monkeypatch):
    from screener.audit import open_store

    monkeypatch.setattr(config, "DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    monkeypatch.setattr(config, "SCREENER_INSTANCE_PATH", tmp_path / "instance")
    store = open_store()
    _people(store)
    _approve(store)
    return store


def _run(*args):
    return CliRunner().invoke(main, list(args))


def _signed(store):
    number = _screen(store, _record())
    found = enrolment.checklist(store, number, TRIAL, sees=None, on=DAY)
    return enrolment.sign(store, number, TRIAL, _request(store, found), username="dr-rahimi", role="investigator",
                          on=DAY)


@freeze_time("2026-11-22")
def test_show_prints_the_standing_the_approval_the_signature_block_and_every_criterion(cli_store):
    signed = _signed(cli_store)
    result = _run("verifications", "show", signed.verification_id)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "STATUS: verified (valid through 2026-11-26)" in out
    assert f"child {signed.screening_number}, trial {TRIAL}" in out
    assert f"rule-set version {signed.rule_set_version}" in out and "reference REC 24/LO/0123" in out
    assert "verified on 2026-11-22, valid through 2026-11-26" in out and "waivers: none" in out
    assert f"signed by Leila Rahimi (dr-rahimi) at {signed.signature.signed_at}" in out
    assert "I confirm that this child meets every eligibility criterion" in out
    for criterion in signed.report.criteria:
        assert f"[PASS   ] {'INC' if criterion.kind == 'inclusion' else 'EXC'} {criterion.id}: " in out
    as_json = _run("verifications", "show", signed.verification_id, "--format", "json")
    assert as_json.exit_code == 0 and json.loads(as_json.output) == json.loads(signed.model_dump_json())


def test_show_says_expired_after_the_last_valid_day(cli_store):
    with freeze_time("2026-11-22"):
        signed = _signed(cli_store)
    with freeze_time("2026-11-27"):
        result = _run("verifications", "show", signed.verification_id)
    assert result.exit_code == 0 and "STATUS: verified, expired" in result.output
    assert "valid through 2026-11-26 (registration window" in result.output


@pytest.mark.parametrize("given", ["SCR-0001", "Jane Doe", "0" * 31, "G" * 32, "0" * 33])
def test_a_malformed_id_exits_2_naming_the_argument_without_echo(cli_store, given):
    result = _run("verifications", "show", given)
    assert result.exit_code == 2 and "VERIFICATION_ID" in result.output
    assert given not in result.output and "Jane" not in result.output


def test_an_unknown_id_exits_2_as_an_unknown_child_does(cli_store):
    result = _run("verifications", "show", "0" * 32)
    assert result.exit_code == 2 and "VERIFICATION_ID: no such" in result.output and "0" * 32 not in result.output
    assert _run("patients", "show", "SCR-9999").exit_code == 2


@freeze_time("2026-11-22")
def test_patients_show_gives_the_verification_standing_and_the_deviations_per_trial(cli_store):
    signed = _signed(cli_store)
    result = _run("patients", "show", signed.screening_number)
    assert result.exit_code == 0, result.output
    assert (f"eligibility verification: verified, valid through 2026-11-26 (verified on 2026-11-22 by Leila Rahimi; "
            f"{signed.verification_id})") in result.output
    waiting = PatientRecord.model_validate_json((PATIENTS / "ineligible-waiting.json").read_text())
    number = _screen(cli_store, waiting)
    found = enrolment.checklist(cli_store, number, TRIAL, sees=None, on=DAY)
    deviation = enrolment.record_deviation(
        cli_store, number, TRIAL, DeviationRequest(reason="enrolled on the sponsor's instruction",
                                                   fingerprint=found.fingerprint),
        username="dr-rahimi", role="investigator", on=DAY)
    result = _run("patients", "show", number)
    assert "eligibility verification: none signed" in result.output
    assert f"PROTOCOL DEVIATION against {', '.join(deviation.criterion_ids)}: enrolled on the sponsor's instruction" \
        in result.output
    as_json = json.loads(_run("patients", "show", number, "--format", "json").output)
    assert as_json["trials"][0]["deviations"][0]["deviation_id"] == deviation.deviation_id
