"""The eligibility verification in the screening log and the sponsor's export (issue 26 points 3 and 5): per child and
trial the standing (verified, valid through D; verified, expired; enrolled), any protocol deviation, and a FLAG on an
enrolment that no verification standing on its date and no deviation accounts for."""
import csv
import datetime as dt
import io

import pytest
from freezegun import freeze_time

from screener import enrolment, service
from screener.model.children import OutcomeRequest
from screener.model.record import PatientRecord
from screener.model.verification import DeviationRequest

from .helpers import PATIENTS, authorised, make_app
from .test_enrolment import DAY, TRIAL, _approve, _people, _record, _request

FLAG = "enrolled without a signed eligibility verification"


def _screen(store, number: str, name: str = "eligible.json", on: dt.date = DAY) -> None:
    record = _record() if name == "eligible.json" else PatientRecord.model_validate_json((PATIENTS / name).read_text())
    service.screen_and_record(record.model_copy(update={"screening_number": number}), on, channel=service.Channel.CLI,
                              actor="cli:coordinator", recorder=store, trial=TRIAL)


def _sign(store, number: str) -> None:
    found = enrolment.checklist(store, number, TRIAL, sees=None, on=DAY)
    enrolment.sign(store, number, TRIAL, _request(store, found), username="dr-rahimi", role="investigator", on=DAY)


def _enrol(store, number: str, on: dt.date) -> None:
    with freeze_time(on.isoformat()):
        service.record_outcome(store, number, OutcomeRequest(trial_id=TRIAL, outcome="enrolled", date=on,
                                                             study_number=f"NK-{number[-4:]}"), actor="cli:coordinator")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """Signed on 22 Nov (valid through 26 Nov): SCR-0007 enrolled on 24 Nov, SCR-0008 not enrolled, SCR-0011
    enrolled on 26 Nov (the last valid day), SCR-0012 on 27 Nov (the day after); SCR-0009 fails, a deviation is
    recorded; SCR-0010 enrolled on 23 Nov with no verification; SCR-0013 enrolled on 21 Nov, signed on 22 Nov."""
    from screener.web.storage import get_store

    app = make_app(tmp_path_factory.mktemp("log"))
    with app.app_context():
        store = get_store()
    with freeze_time("2026-11-21"):
        _people(store)
        _approve(store)
        _screen(store, "SCR-0013", on=dt.date(2026, 11, 21))
    _enrol(store, "SCR-0013", dt.date(2026, 11, 21))
    with freeze_time("2026-11-22"):
        for number in ("SCR-0007", "SCR-0008", "SCR-0010", "SCR-0011", "SCR-0012", "SCR-0013"):
            if number != "SCR-0013":
                _screen(store, number)
            if number != "SCR-0010":
                _sign(store, number)
        _screen(store, "SCR-0009", "ineligible-waiting.json")
        found = enrolment.checklist(store, "SCR-0009", TRIAL, sees=None, on=DAY)
        enrolment.record_deviation(store, "SCR-0009", TRIAL, DeviationRequest(
            reason="enrolled on the sponsor's written instruction", fingerprint=found.fingerprint),
            username="dr-rahimi", role="investigator", on=DAY)
        enrolment.record_deviation(store, "SCR-0009", TRIAL, DeviationRequest(
            reason="a second deviation, the same day", fingerprint=enrolment.checklist(
                store, "SCR-0009", TRIAL, sees=None, on=DAY).fingerprint),
            username="dr-rahimi", role="investigator", on=DAY)
    _enrol(store, "SCR-0010", dt.date(2026, 11, 23))
    _enrol(store, "SCR-0007", dt.date(2026, 11, 24))
    _enrol(store, "SCR-0011", dt.date(2026, 11, 26))
    _enrol(store, "SCR-0012", dt.date(2026, 11, 27))
    assert store.verify().ok
    return app


def _sponsor(app) -> dict[str, dict]:
    with app.app_context():
        text = authorised(app, "auditor").get(f"/audit/sponsor.csv?trial={TRIAL}").get_data(as_text=True)
    return {row["screening_number"]: row for row in csv.DictReader(io.StringIO(text))}


@freeze_time("2026-11-24")
def test_the_sponsor_export_has_the_verification_while_it_stands(site):
    rows = _sponsor(site)
    row = rows["SCR-0007"]
    assert (row["verification"], row["verified_on"], row["valid_through"]) == ("verified", "2026-11-22", "2026-11-26")
    assert len(row["verification_id"]) == 32 and row["outcome"] == "enrolled" and row["flag"] == ""
    assert row["deviation_criteria"] == row["deviation_reasons"] == ""


@freeze_time("2026-11-28")
def test_after_valid_through_it_is_verified_expired_and_the_enrolment_on_a_valid_day_is_not_flagged(site):
    rows = _sponsor(site)
    assert rows["SCR-0008"]["verification"] == "verified, expired" and rows["SCR-0008"]["flag"] == ""
    assert rows["SCR-0007"]["verification"] == "verified, expired"  # expired since, but it stood on 24 Nov
    assert rows["SCR-0007"]["flag"] == ""
    assert rows["SCR-0011"]["flag"] == ""  # enrolled on the last valid day


@freeze_time("2026-11-28")
def test_an_enrolment_no_standing_verification_accounts_for_is_flagged(site):
    rows = _sponsor(site)
    assert rows["SCR-0010"]["flag"] == FLAG and rows["SCR-0010"]["verification"] == "none signed"
    assert rows["SCR-0012"]["flag"] == FLAG  # the day after valid_through
    assert rows["SCR-0013"]["flag"] == FLAG  # enrolled the day before it was signed
    assert {number for number, row in rows.items() if row["flag"]} == {"SCR-0010", "SCR-0012", "SCR-0013"}


@freeze_time("2026-11-28")
def test_deviations_are_in_one_row_one_line_each(site):
    row = _sponsor(site)["SCR-0009"]
    assert row["verification"] == "none signed" and row["flag"] == ""
    criteria, reasons = row["deviation_criteria"].split("\n"), row["deviation_reasons"].split("\n")
    assert reasons == ["enrolled on the sponsor's written instruction", "a second deviation, the same day"]
    assert len(criteria) == 2 and criteria[0] == row["failing_criteria"] != ""  # the failing ones, by id
    assert row["deviation_recorded_by"].split("\n") == ["user:dr-rahimi", "user:dr-rahimi"]
    assert len(row["deviation_recorded_at"].split("\n")) == 2


@freeze_time("2026-11-28")
def test_the_log_counts_the_standings_lists_each_child_and_flags_the_unverified_enrolments(site):
    with site.app_context():
        auditor = authorised(site, "auditor")
        text = auditor.get(f"/audit/log.csv?trial={TRIAL}").get_data(as_text=True)
        page = auditor.get(f"/audit/log?trial={TRIAL}").get_data(as_text=True)
    rows = {(r["group"], r["criterion or item"]): int(r["count"]) for r in csv.DictReader(io.StringIO(text))}
    assert rows[("eligibility verification (latest per child)", "verified, expired")] == 5
    assert rows[("eligibility verification (latest per child)", "none signed")] == 2
    assert rows[("protocol deviation recorded (children)", "")] == 1
    assert {key for group, key in rows if group == f"FLAG: {FLAG}"} == {"SCR-0010", "SCR-0012", "SCR-0013"}
    by_child = {key for group, key in rows if group == "verification and enrolment by child"}
    assert "SCR-0007: verified, expired; enrolled" in by_child
    assert "SCR-0009: protocol deviation" in by_child
    assert f"SCR-0010: enrolled; FLAG: {FLAG}" in by_child
    assert "SCR-0008: verified, expired" in by_child
    assert f"FLAG:</strong> 3 children {FLAG}" in page and "SCR-0010, SCR-0012, SCR-0013" in page


@freeze_time("2026-11-25")
def test_the_log_says_verified_with_the_last_valid_day_while_it_stands(site):
    with site.app_context():
        text = authorised(site, "auditor").get(f"/audit/log.csv?trial={TRIAL}").get_data(as_text=True)
    assert "SCR-0007: verified (valid through 2026-11-26); enrolled" in text
    assert "SCR-0008: verified (valid through 2026-11-26)" in text


def test_a_re_screen_after_the_signature_is_screened_since_and_an_enrolment_after_it_is_flagged(tmp_path):
    from screener.audit import ledger, open_store, verification_standings

    store = open_store(f"sqlite:///{tmp_path / 's.sqlite3'}", tmp_path)
    with freeze_time("2026-11-22"):
        _people(store)
        _approve(store)
        _screen(store, "SCR-0020")
        _sign(store, "SCR-0020")
    with freeze_time("2026-11-23"):
        _screen(store, "SCR-0020", on=dt.date(2026, 11, 23))  # new data after the signature: verify again
    _enrol(store, "SCR-0020", dt.date(2026, 11, 24))
    rows = store.screenings(TRIAL, None, None, None, limit=None)
    (standing,) = verification_standings(store, ledger(store, rows), dt.date(2026, 11, 24)).values()
    assert standing.status == "screened_since" and standing.unverified_enrolment
    assert standing.words("enrolled") == f"verified, screened again since: verify again; enrolled; FLAG: {FLAG}"


@pytest.mark.parametrize("day", ["2026-11-24", "2026-11-28"])
def test_the_logs_standing_is_the_services(site, day):
    from screener.audit import ledger, verification_standings

    with site.app_context(), freeze_time(day):
        from screener.web.storage import get_store

        store = get_store()
        on = dt.date.fromisoformat(day)
        standings = verification_standings(store, ledger(store, store.screenings(TRIAL, limit=None)), on)
        for (number, _trial), standing in standings.items():
            summary = enrolment.summaries(store, number, on).get(TRIAL)
            assert standing.status == (summary.status if summary else None), number
            assert (standing.latest.id if standing.latest else None) == (summary.verification_id if summary else None)


def test_the_children_index_data_carries_each_trials_standing(site):
    from screener.audit import children_summary

    with site.app_context():
        from screener.web.storage import get_store

        children = {c.screening_number: c for c in children_summary(get_store(), on=dt.date(2026, 11, 25))}
    standing = {number: child.verifications[TRIAL] for number, child in children.items()}
    assert standing["SCR-0007"].words("enrolled") == "verified (valid through 2026-11-26); enrolled"
    assert standing["SCR-0009"].deviations and standing["SCR-0009"].latest is None
    assert standing["SCR-0010"].unverified_enrolment


def test_the_trail_lists_signatures_and_deviations_by_id_without_names_or_reasons(site, tmp_path, monkeypatch):
    from click.testing import CliRunner

    from screener import config
    from screener.cli import main

    url = site.config["DATABASE_URL"]
    monkeypatch.setattr(config, "DATABASE_URL", url)
    monkeypatch.setattr(config, "SCREENER_INSTANCE_PATH", site.instance_path)
    result = CliRunner().invoke(main, ["audit", "events", "--limit", "1000"])
    assert result.exit_code == 0, result.output
    signed = [line for line in result.output.splitlines() if " verification.signed " in line]
    deviated = [line for line in result.output.splitlines() if " deviation.recorded " in line]
    assert len(signed) == 5 and len(deviated) == 2
    assert "Leila" not in result.output and "instruction" not in result.output
