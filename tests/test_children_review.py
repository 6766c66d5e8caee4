"""Issue 25's log under hostile sequences (a review): a correction is of the same child and trial and of a screening
that still counts; an outcome rests on a screening that still stands; a screener records outcomes only for a trial
they screened the child for."""
import re
from datetime import date

import pytest
from freezegun import freeze_time

from screener import service
from screener.model.children import OutcomeRequest, VoidRequest
from screener.model.errors import InvalidRecord
from screener.screening import parse_record

from .helpers import PATIENTS, authorised, make_app

TRIAL = "NCT06674265"
OTHER_TRIAL = "AML-NK-BMC2023"


def _record(patient: str, number: str | None):
    return parse_record((PATIENTS / patient).read_text()).model_copy(update={"screening_number": number})


@pytest.fixture
def store(tmp_path):
    app = make_app(tmp_path)
    from screener.web.storage import get_store

    with app.app_context(), freeze_time("2026-12-06"):
        yield get_store()


def _screen(store, patient, number, trial=TRIAL, actor="user:coordinator", as_of=date(2026, 11, 22)):
    done = service.screen_and_record(_record(patient, number), as_of, channel=service.Channel.API, actor=actor,
                                     recorder=store, trial=trial)
    return done.ids[0]


def _refused_field(call) -> list[str]:
    with pytest.raises(InvalidRecord) as caught:
        call()
    return [e.field for e in caught.value.errors]


def test_a_voided_screening_is_not_corrected(store):
    first = _screen(store, "eligible.json", "SCR-0001")
    service.void_screening(store, first, VoidRequest(reason="test"), actor="user:coordinator", sees=None)
    fields = _refused_field(lambda: service.check_correction(store, first, trial=TRIAL, screening_number="SCR-0001",
                                                             sees=None))
    assert fields == ["corrects"]


def test_a_screening_corrected_already_is_not_corrected_again_but_its_correction_is(store):
    first = _screen(store, "ineligible-waiting.json", "SCR-0001")
    second = service.screen_and_record(_record("eligible.json", "SCR-0001"), date(2026, 11, 22),
                                       channel=service.Channel.API, actor="user:coordinator", recorder=store,
                                       trial=TRIAL, corrects=first, correction_reason="typo").ids[0]
    assert _refused_field(lambda: service.check_correction(store, first, trial=TRIAL, screening_number=None,
                                                           sees=None)) == ["corrects"]
    assert service.check_correction(store, second, trial=TRIAL, screening_number=None, sees=None).id == second
    service.void_screening(store, second, VoidRequest(reason="entered_in_error"), actor="user:coordinator", sees=None)
    # the correction voided, the original counts again and may be corrected
    assert service.check_correction(store, first, trial=TRIAL, screening_number=None, sees=None).id == first


def test_a_correction_of_another_child_or_trial_is_refused(store):
    first = _screen(store, "eligible.json", "SCR-0001")
    assert _refused_field(lambda: service.check_correction(store, first, trial=TRIAL, screening_number="SCR-0002",
                                                           sees=None)) == ["screening_number"]
    assert _refused_field(lambda: service.check_correction(store, first, trial=OTHER_TRIAL,
                                                           screening_number=None, sees=None)) == ["corrects"]
    with pytest.raises(service.NotFound):
        service.check_correction(store, first, trial=TRIAL, screening_number=None, sees="user:someone-else")


def test_an_outcome_on_a_voided_screening_no_longer_counts(store):
    from screener.audit import child_screenings, ledger

    first = _screen(store, "eligible.json", "SCR-0003")
    service.record_outcome(store, "SCR-0003", OutcomeRequest(
        trial_id=TRIAL, outcome="enrolled", date=date(2026, 12, 1), study_number="NK-003"), actor="user:coordinator")
    service.void_screening(store, first, VoidRequest(reason="wrong_patient"), actor="user:coordinator", sees=None)
    _screen(store, "ineligible-waiting.json", "SCR-0003")
    found = ledger(store, child_screenings(store, "SCR-0003"))
    assert found.latest_outcomes() == {}
    child = service.patient(store, "SCR-0003", sees=None)
    assert [c.outcome for c in child.trials] == [None]
    assert [(o.outcome, o.counts) for o in child.outcomes] == [("enrolled", False)]  # listed, marked not counted


def test_an_outcome_survives_a_later_rescreen(store):
    from screener.audit import child_screenings, ledger

    _screen(store, "eligible.json", "SCR-0003")
    service.record_outcome(store, "SCR-0003", OutcomeRequest(
        trial_id=TRIAL, outcome="enrolled", date=date(2026, 12, 1), study_number="NK-003"), actor="user:coordinator")
    _screen(store, "ineligible-waiting.json", "SCR-0003", as_of=date(2026, 12, 5))
    found = ledger(store, child_screenings(store, "SCR-0003"))
    assert [o.outcome for o in found.latest_outcomes().values()] == ["enrolled"]


def test_a_screener_records_outcomes_only_for_a_trial_they_screened(store):
    _screen(store, "eligible.json", "SCR-0004", trial=TRIAL, actor="user:a")
    _screen(store, "eligible.json", "SCR-0004", trial=OTHER_TRIAL, actor="user:b")
    assert _refused_field(lambda: service.record_outcome(
        store, "SCR-0004", OutcomeRequest(trial_id=TRIAL, outcome="consented", date=date(2026, 12, 1)),
        actor="user:b", sees="user:b")) == ["trial_id"]
    service.record_outcome(store, "SCR-0004", OutcomeRequest(trial_id=OTHER_TRIAL, outcome="screen_failed"),
                           actor="user:b", sees="user:b")  # (eligible.json fails this trial)


@pytest.fixture
def web(tmp_path):
    return make_app(tmp_path, WTF_CSRF_ENABLED=False)


BASE = {"trial": TRIAL, "as_of": "2026-11-22", "demographics.birth_date": "2018-03-14",
        "demographics.sex": "female", "action": "screen"}


def _events(app) -> int:
    from screener.web.storage import get_store

    with app.app_context():
        return len(get_store().events())


def test_the_form_refuses_a_correction_of_a_voided_screening_or_under_another_number(web):
    client = authorised(web, "screener", "coordinator")
    response = client.post("/screen", data={**BASE, "screening_number": "SCR-0005"})
    request_id = response.headers["Location"].rsplit("/", 1)[1]
    screening_id = re.search(r"/screenings/([0-9a-f]{32})/correct",
                             client.get(f"/results/{request_id}").get_data(as_text=True))[1]
    before = _events(web)
    other = client.post("/screen", data={**BASE, "screening_number": "SCR-0006", "corrects": screening_id,
                                         "correction_reason": "typo"})
    assert other.status_code == 422 and 'id="f-screening_number-error"' in other.get_data(as_text=True)
    assert _events(web) == before
    assert client.post(f"/screenings/{screening_id}/void", data={"reason": "test"}).status_code == 303
    before = _events(web)
    voided = client.post("/screen", data={**BASE, "screening_number": "SCR-0005", "corrects": screening_id,
                                          "correction_reason": "typo"})
    assert voided.status_code == 422 and "voided" in voided.get_data(as_text=True)
    assert client.get(f"/screenings/{screening_id}/correct").status_code == 409  # not offered a form refused
    assert _events(web) == before


def test_a_voided_correction_outside_the_screenings_read_leaves_the_original_counted(store):
    """A screener's own view, or a period's log, reads the original but not its (voided) correction."""
    from screener.audit import ledger

    first = _screen(store, "ineligible-waiting.json", "SCR-0007", actor="user:a")
    correction = service.screen_and_record(_record("eligible.json", "SCR-0007"), date(2026, 11, 22),
                                           channel=service.Channel.API, actor="user:b", recorder=store, trial=TRIAL,
                                           corrects=first, correction_reason="typo").ids[0]
    assert ledger(store, [store.screening(first)]).counted() == {}
    service.void_screening(store, correction, VoidRequest(reason="entered_in_error"), actor="user:b", sees=None)
    assert [row.id for row in ledger(store, [store.screening(first)]).counted().values()] == [first]


@pytest.mark.parametrize("number", ["SCR-٠١٢٣", "scr-0001", "SCR-00001", "Jane Doe", "SCR-" + "1" * 3000])
def test_a_malformed_number_in_the_api_path_is_a_422_naming_it_without_echo(web, number):
    client = authorised(web, "screener", "coordinator")
    before = _events(web)
    for response in (client.get(f"/api/v1/patients/{number}"),
                     client.post(f"/api/v1/patients/{number}/outcomes", json={"trial_id": TRIAL,
                                                                             "outcome": "screen_failed"})):
        body = response.get_json()
        assert response.status_code == 422 and [e["field"] for e in body["errors"]] == ["screening_number"]
        assert number not in response.get_data(as_text=True)
    assert _events(web) == before


def test_a_screen_failure_no_longer_holds_once_a_rescreen_counts(store):
    """Failed on 22 Nov, eligible on 26 Nov with no outcome recorded since: the log shows no outcome, never an
    eligible child marked screen-failed."""
    from screener.audit import child_screenings, ledger

    _screen(store, "ineligible-waiting.json", "SCR-0008")
    service.record_outcome(store, "SCR-0008", OutcomeRequest(trial_id=TRIAL, outcome="screen_failed"),
                           actor="user:coordinator")
    found = ledger(store, child_screenings(store, "SCR-0008"))
    assert [o.outcome for o in found.latest_outcomes().values()] == ["screen_failed"]
    _screen(store, "eligible.json", "SCR-0008", as_of=date(2026, 11, 26))
    found = ledger(store, child_screenings(store, "SCR-0008"))
    assert found.latest_outcomes() == {}
    assert [c.outcome for c in service.patient(store, "SCR-0008", sees=None).trials] == [None]


def test_the_sponsor_log_first_screened_ignores_voided_and_corrected_dates(store):
    """A wrong-patient screening voided, and a typo'd as-of date corrected: neither is when the child was first
    screened."""
    from screener.audit import child_screenings, ledger
    from screener.audit._sponsor import sponsor_rows

    wrong = _screen(store, "eligible.json", "SCR-0009", as_of=date(2026, 10, 1))
    service.void_screening(store, wrong, VoidRequest(reason="wrong_patient"), actor="user:coordinator", sees=None)
    typo = _screen(store, "eligible.json", "SCR-0009", as_of=date(2026, 1, 22))
    service.screen_and_record(_record("eligible.json", "SCR-0009"), date(2026, 11, 22), channel=service.Channel.API,
                              actor="user:coordinator", recorder=store, trial=TRIAL, corrects=typo,
                              correction_reason="the year was wrong")
    rows = child_screenings(store, "SCR-0009")
    (row,) = sponsor_rows(rows, ledger(store, rows))
    assert (row["first_screened"], row["counted_as_of"], row["screenings"]) == ("2026-11-22", "2026-11-22", 3)


def test_voiding_the_middle_of_a_chain_of_corrections_does_not_bring_back_its_start(store):
    """A typo'd as-of date (a year ahead) corrected, the correction corrected again, then the middle one voided:
    the last correction counts, never the typo (which, dated later, would win as the child's latest)."""
    from screener.audit import child_screenings, ledger

    def correct(of, patient):
        return service.screen_and_record(_record(patient, "SCR-0010"), date(2026, 11, 22),
                                         channel=service.Channel.API, actor="user:coordinator", recorder=store,
                                         trial=TRIAL, corrects=of, correction_reason="typo").ids[0]

    typo = _screen(store, "eligible.json", "SCR-0010", as_of=date(2027, 11, 22))
    middle = correct(typo, "eligible.json")
    last = correct(middle, "ineligible-waiting.json")
    service.void_screening(store, middle, VoidRequest(reason="entered_in_error"), actor="user:coordinator",
                           sees=None)
    rows = child_screenings(store, "SCR-0010")
    assert [row.id for row in ledger(store, rows).counted().values()] == [last]
    # read from the start of the chain only (a screener's own, a period's): the same
    assert ledger(store, [store.screening(typo)]).counted() == {}


def test_a_corrected_screening_offers_no_second_correction(web):
    client = authorised(web, "screener", "coordinator")
    first = client.post("/screen", data={**BASE, "screening_number": "SCR-0011"}).headers["Location"]
    screening_id = re.search(r"/screenings/([0-9a-f]{32})/correct", client.get(first).get_data(as_text=True))[1]
    assert client.post("/screen", data={**BASE, "corrects": screening_id, "correction_reason": "sex was wrong"}
                       ).status_code == 303
    page = client.get(first).get_data(as_text=True)
    assert f"/screenings/{screening_id}/correct" not in page and "correct its correction" in page
    assert client.get(f"/screenings/{screening_id}/correct").status_code == 409


def test_the_cli_refuses_a_correction_of_another_child_or_a_voided_screening(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from screener import config
    from screener.cli import main

    monkeypatch.setattr(config, "DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    monkeypatch.setattr(config, "SCREENER_INSTANCE_PATH", tmp_path / "instance")
    eligible = str(PATIENTS / "eligible.json")

    def run(*args):
        return CliRunner().invoke(main, list(args))

    with freeze_time("2026-12-06"):
        first = run("screen", eligible, "--trial", TRIAL, "--as-of", "2026-11-22", "--screening-number", "SCR-0001")
        screening_id = re.search(r"Recorded as screening (\S+) of child", first.stderr)[1]
        other = run("screen", eligible, "--trial", TRIAL, "--as-of", "2026-11-22", "--screening-number", "SCR-0002",
                    "--corrects", screening_id, "--reason", "typo")
        assert other.exit_code == 2 and "--screening-number" in other.stderr and "SCR-0002" not in other.stderr
        assert run("screenings", "void", screening_id, "--reason", "test").exit_code == 0
        voided = run("screen", eligible, "--trial", TRIAL, "--as-of", "2026-11-22", "--corrects", screening_id,
                     "--reason", "typo")
        assert voided.exit_code == 2 and "--corrects" in voided.stderr and "voided" in voided.stderr
        assert "Recorded" not in other.stderr + voided.stderr


def test_a_voided_screening_is_not_re_screened(web):
    """Voided as the wrong patient, its record is another child's: re-screening it would put that child's data under
    this number. Neither offered nor served."""
    client = authorised(web, "screener", "coordinator")
    first = client.post("/screen", data={**BASE, "screening_number": "SCR-0012"}).headers["Location"]
    request_id = first.rsplit("/", 1)[1]
    assert f"/results/{request_id}/rescreen" in client.get(first).get_data(as_text=True)
    assert client.get(f"/results/{request_id}/rescreen").status_code == 200
    screening_id = re.search(r"/screenings/([0-9a-f]{32})/correct", client.get(first).get_data(as_text=True))[1]
    assert client.post(f"/screenings/{screening_id}/void", data={"reason": "wrong_patient"}).status_code == 303
    assert f"/results/{request_id}/rescreen" not in client.get(first).get_data(as_text=True)
    assert client.get(f"/results/{request_id}/rescreen").status_code == 409
