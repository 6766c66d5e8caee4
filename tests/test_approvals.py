"""Rule-set versions in force at the site (issue 26 point 1): which approval governs an as-of date (the approved-from
day itself counts, the day before does not), a later approval supersedes from its own date, a withdrawal puts none
in force, an edited rule file (another digest) is not the approved version; recording through the CLI and reading
through the API; bad input refused naming the field with nothing stored; every screening says its standing."""
import datetime as dt
import json

import pytest
from click.testing import CliRunner
from freezegun import freeze_time

from screener import config, service
from screener.audit import open_store
from screener.cli import main
from screener.model.approvals import ApprovalRequest, ApprovalView, in_force, standing
from screener.screening import rule_set_for

from .helpers import PATIENTS

TRIAL = "NCT06674265"
D = dt.date


def _entry(version: str, on: dt.date, kind: str = "approved", digest: str = "sha256:aa", ref: str = "REC 1"):
    return ApprovalView(approval_id=f"{version}-{on}-{ref}", trial_id=TRIAL, kind=kind,
                        rule_set_version=version, rule_set_digest=digest, approved_from=on,
                        reference=ref, recorded_by="cli:admin", recorded_at="2026-11-01T00:00:00Z")


def test_the_approved_from_day_counts_and_the_day_before_does_not():
    history = [_entry("2", D(2026, 11, 1))]
    assert in_force(history, D(2026, 10, 31)) is None
    assert in_force(history, D(2026, 11, 1)) == history[0]
    assert standing(history, "2", "sha256:aa", D(2026, 10, 31)).status == "not_approved"
    on_the_day = standing(history, "2", "sha256:aa", D(2026, 11, 1))
    assert on_the_day.status == "approved" and on_the_day.text == "approved (ref REC 1, from 2026-11-01)"


def test_a_later_approval_supersedes_from_its_own_date_and_the_earlier_governs_before():
    history = [_entry("1", D(2026, 1, 1), digest="sha256:v1", ref="REC 1"),
               _entry("2", D(2026, 6, 1), digest="sha256:v2", ref="REC 2")]
    assert standing(history, "1", "sha256:v1", D(2026, 5, 31)).status == "approved"
    old = standing(history, "1", "sha256:v1", D(2026, 6, 1))
    assert old.status == "other_version" and old.text.startswith("a different version is in force: v2")
    assert standing(history, "2", "sha256:v2", D(2026, 6, 1)).status == "approved"
    assert standing(history, "2", "sha256:v2", D(2026, 5, 31)).status == "other_version"


def test_an_approval_recorded_later_for_an_earlier_date_does_not_override_one_from_a_later_date():
    history = [_entry("2", D(2026, 6, 1), digest="sha256:v2"), _entry("1", D(2026, 1, 1), digest="sha256:v1")]
    assert in_force(history, D(2026, 7, 1)).rule_set_version == "2"
    assert in_force(history, D(2026, 2, 1)).rule_set_version == "1"


def test_on_the_same_date_the_one_recorded_last_holds():
    history = [_entry("2", D(2026, 6, 1), ref="REC A"), _entry("2", D(2026, 6, 1), ref="REC B")]
    assert in_force(history, D(2026, 6, 1)).reference == "REC B"


def test_a_withdrawal_puts_no_version_in_force_from_its_date():
    history = [_entry("2", D(2026, 1, 1)), _entry("2", D(2026, 6, 1), kind="withdrawn", ref="REC W")]
    assert standing(history, "2", "sha256:aa", D(2026, 5, 31)).status == "approved"
    assert standing(history, "2", "sha256:aa", D(2026, 6, 1)).status == "not_approved"


def test_an_edited_rule_file_under_the_approved_version_number_is_not_approved():
    history = [_entry("2", D(2026, 1, 1), digest="sha256:approved")]
    edited = standing(history, "2", "sha256:edited", D(2026, 6, 1))
    assert edited.status == "not_approved" and "content differs" in edited.text


@pytest.fixture
def site(tmp_path, monkeypatch):
    monkeypatch.setattr(config, "SCREENER_INSTANCE_PATH", tmp_path / "instance")
    monkeypatch.setattr(config, "DATABASE_URL", None)
    return open_store(None, tmp_path / "instance")


VERSION = rule_set_for(TRIAL).version


def _approve(*args):
    return CliRunner().invoke(main, ["rules", "approve", *args])


@freeze_time("2026-11-22")
def test_the_cli_records_an_approval_in_the_chain_and_lists_the_history(site):
    result = _approve(TRIAL, "--version", VERSION, "--from", "2026-11-01", "--reference", "REC 24/LO/0123")
    assert result.exit_code == 0, result.output
    events = [e for e in site.events() if e.action == "approval.recorded"]
    assert len(events) == 1 and json.loads(events[0].details_json)["rule_set_digest"] == rule_set_for(TRIAL).digest()
    listed = CliRunner().invoke(main, ["rules", "approvals", TRIAL])
    assert listed.exit_code == 0, listed.output
    assert f"in force today: v{VERSION} (ref REC 24/LO/0123, from 2026-11-01)" in listed.output
    assert "recorded by cli:" in listed.output
    assert CliRunner().invoke(main, ["audit", "verify"]).output.startswith("OK:")
    found = service.approvals_of(site, TRIAL)
    assert found.in_force_today is not None and found.in_force_today.reference == "REC 24/LO/0123"


@pytest.mark.parametrize(("args", "field"), [
    (["--version", "0.0.1", "--from", "2026-11-01", "--reference", "REC 1"], "--version"),
    (["--version", VERSION, "--from", "2026-02-30", "--reference", "REC 1"], "--from"),
    (["--version", VERSION, "--from", "yesterday", "--reference", "REC 1"], "--from"),
    (["--version", VERSION, "--from", "2026-11-01", "--reference", "jane.doe@hospital.example"], "--reference"),
    (["--version", VERSION, "--from", "2026-11-01", "--reference", "x" * 65], "--reference"),
    (["--version", VERSION, "--from", "2026-11-01", "--reference", "REC\n1"], "--reference"),
])
def test_bad_approval_input_exits_2_naming_the_option_and_stores_nothing(site, args, field):
    result = _approve(TRIAL, *args)
    assert result.exit_code == 2 and field in result.output, result.output
    for value in ("jane.doe", "yesterday", "2026-02-30", "0.0.1", "x" * 65):
        assert value not in result.output
    assert not [e for e in site.events() if e.action == "approval.recorded"]


def test_an_unknown_trial_is_refused_naming_the_argument(site):
    result = _approve("NCT00000000", "--version", VERSION, "--from", "2026-11-01", "--reference", "REC 1")
    assert result.exit_code == 2 and "TRIAL_ID" in result.output and "NCT00000000" not in result.output


def _screen(as_of: str):
    return CliRunner().invoke(main, ["screen", str(PATIENTS / "eligible.json"), "--trial", TRIAL, "--as-of", as_of])


def test_a_cli_result_says_whether_its_version_is_in_force_on_its_as_of_date(site):
    assert "NOT APPROVED (pre-screening only): not approved at this site" in _screen("2026-11-22").output
    _approve(TRIAL, "--version", VERSION, "--from", "2026-11-22", "--reference", "REC 24/LO/0123")
    assert "NOT APPROVED" in _screen("2026-11-21").output
    on_the_day = _screen("2026-11-22").output
    assert "protocol version at this site: approved (ref REC 24/LO/0123, from 2026-11-22)" in on_the_day


def test_the_api_gives_the_history_and_each_screening_its_standing(app, client):
    from .helpers import authorised

    with app.app_context():
        from screener.web.storage import get_store

        service.record_approval(get_store(), TRIAL, ApprovalRequest(
            version=VERSION, approved_from=D(2026, 11, 1), reference="REC 24/LO/0123"), actor="cli:admin")
    history = authorised(app, "auditor").get(f"/api/v1/trials/{TRIAL}/approvals")
    assert history.status_code == 200
    assert [e["reference"] for e in history.json["history"]] == ["REC 24/LO/0123"]
    assert client.get("/api/v1/trials/NCT00000000/approvals").status_code == 404
    body = (PATIENTS / "eligible.json").read_bytes()
    approved = client.post(f"/api/v1/trials/{TRIAL}/screen?as_of=2026-11-01", data=body,
                           content_type="application/json").json
    assert approved["approval"]["status"] == "approved" and approved["approval"]["in_force"]["reference"]
    before = client.post(f"/api/v1/trials/{TRIAL}/screen?as_of=2026-10-31", data=body,
                         content_type="application/json").json
    assert before["approval"] == {"status": "not_approved", "text": "not approved at this site", "in_force": None}
    every = client.post("/api/v1/screen?as_of=2026-11-01", data=body, content_type="application/json").json
    assert every["approvals"][TRIAL]["status"] == "approved"
    assert {s["status"] for t, s in every["approvals"].items() if t != TRIAL} == {"not_approved"}
    assert "/api/v1/trials/{trial_id}/approvals" in client.get("/api/v1/openapi.json").json["paths"]
