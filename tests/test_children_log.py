"""The screening log counts children (issue 25 point 5): the CONSORT flow, the log table, the sponsor's log (one row
per child per trial), the monthly table by criterion, and a flat screenings CSV a spreadsheet opens whole."""
import csv
import io
import json
from datetime import date

import pytest
from freezegun import freeze_time

from screener import service
from screener.model.children import OutcomeRequest, VoidRequest
from screener.screening import parse_record

from .helpers import PATIENTS, authorised, make_app

TRIAL = "NCT06674265"


def _record(patient: str, number: str):
    return parse_record((PATIENTS / patient).read_text()).model_copy(update={"screening_number": number})


@pytest.fixture
def site(tmp_path):
    """Three children: SCR-0001 screened with a slip then corrected, plus a test screening voided; SCR-0002 waiting
    on 22 Nov, re-screened on 26 Nov; SCR-0003 eligible and enrolled."""
    app = make_app(tmp_path)
    from screener.web.storage import get_store

    with app.app_context(), freeze_time("2026-12-06"):
        store = get_store()

        def screen(patient, number, as_of=date(2026, 11, 22), **kw):
            done = service.screen_and_record(_record(patient, number), as_of, channel=service.Channel.FORM,
                                             actor="user:coordinator", recorder=store, trial=TRIAL, **kw)
            return done.ids[0]

        slip = screen("ineligible-waiting.json", "SCR-0001")
        screen("eligible.json", "SCR-0001", corrects=slip, correction_reason="the steroid was another child's")
        test = screen("incomplete.json", "SCR-0001")
        service.void_screening(store, test, VoidRequest(reason="test", note="=HYPERLINK(\"x\")"),
                               actor="user:coordinator", sees=None)
        screen("ineligible-waiting.json", "SCR-0002")
        service.record_outcome(store, "SCR-0002", OutcomeRequest(trial_id=TRIAL, outcome="screen_failed"),
                               actor="user:coordinator")
        screen("eligible.json", "SCR-0002", as_of=date(2026, 11, 26))
        service.record_outcome(store, "SCR-0002", OutcomeRequest(
            trial_id=TRIAL, outcome="eligible_not_enrolled", reason="declined"), actor="user:coordinator")
        screen("eligible.json", "SCR-0003")
        service.record_outcome(store, "SCR-0003", OutcomeRequest(
            trial_id=TRIAL, outcome="enrolled", date=date(2026, 12, 1), study_number="NK-003"),
            actor="user:investigator")
        assert store.verify().ok
    return app, authorised(app, "auditor")


def test_the_log_counts_children_by_their_counted_screening_and_outcome(site):
    _, auditor = site
    page = auditor.get(f"/audit/log?trial={TRIAL}").get_data(as_text=True)
    assert "3 children screened: 3 eligible, 0 ineligible, 0 incomplete" in page and "adds up" in page
    svg = page[page.index('<svg class="consort"'): page.index("</svg>")]
    for box in ("Children screened: n = 3", "Eligible: n = 3", "Ineligible: n = 0", "Outcomes recorded: n = 2"):
        assert box in svg
    for line in ("1 · enrolled", "1 · eligible, not enrolled", "1 · not enrolled: family declined",
                 "1 · no outcome recorded yet", "6 screenings recorded; not counted:", "1 voided",
                 "1 corrected by a later screening", "1 an earlier screening of a child screened again"):
        assert line in svg, line
    rows = list(csv.reader(io.StringIO(auditor.get(f"/audit/log.csv?trial={TRIAL}").get_data(as_text=True))))
    assert [TRIAL, "screened", "", "3", ""] in rows and [TRIAL, "screenings recorded", "", "6", ""] in rows


def test_the_sponsor_log_has_one_row_per_child_with_dates_verdict_and_outcome(site):
    _, auditor = site
    text = auditor.get(f"/audit/sponsor.csv?trial={TRIAL}").get_data(as_text=True)
    rows = {r["screening_number"]: r for r in csv.DictReader(io.StringIO(text))}
    assert sorted(rows) == ["SCR-0001", "SCR-0002", "SCR-0003"]
    assert rows["SCR-0001"]["screenings"] == "3" and rows["SCR-0001"]["outcome"] == "none recorded"
    assert (rows["SCR-0002"]["first_screened"], rows["SCR-0002"]["counted_as_of"]) == ("2026-11-22", "2026-11-26")
    assert (rows["SCR-0002"]["outcome"], rows["SCR-0002"]["outcome_reason"]) == ("eligible, not enrolled",
                                                                                  "family declined")
    assert (rows["SCR-0003"]["outcome"], rows["SCR-0003"]["outcome_date"], rows["SCR-0003"]["study_number"]) == (
        "enrolled", "2026-12-01", "NK-003")
    assert {r["verdict"] for r in rows.values()} == {"eligible"}


def test_the_monthly_table_counts_children_and_failing_criteria_by_month(site):
    app, auditor = site
    text = auditor.get(f"/audit/log-monthly.csv?trial={TRIAL}").get_data(as_text=True)
    assert [TRIAL, "2026-11", "(children screened)", "", "3"] in list(csv.reader(io.StringIO(text)))
    from screener.audit import Ledger, screening_log
    from screener.web.storage import get_store

    with app.app_context():
        rows = [r for r in get_store().screenings(trial_id=TRIAL) if r.verdict == "ineligible"]
        log = screening_log(rows, TRIAL, Ledger(rows))  # without their voids and corrections: two children fail
    assert log.monthly_rows() == [
        ("2026-11", "", 2), ("2026-11", "NCT06674265-E1", 2), ("2026-11", "NCT06674265-E7", 2)]


def test_the_flat_screenings_csv_has_a_column_per_criterion_and_no_cell_a_spreadsheet_cuts(site):
    _, auditor = site
    text = auditor.get("/audit/export/screenings.csv").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 6 and "record_json" not in rows[0] and "report_json" not in rows[0]
    assert max(len(cell) for row in rows for cell in row.values()) < 32_767
    voided = [r for r in rows if r["voided"]]
    assert [(r["voided"], r["void_note"]) for r in voided] == [("test", "'=HYPERLINK(\"x\")")]  # neutralised
    assert {r["NCT06674265-E7"] for r in rows if r["screening_number"] == "SCR-0002"} == {"fail", "pass"}
    assert sum(1 for r in rows if r["corrected_by"]) == 1
    full = json.loads(auditor.get("/audit/export/screenings.json").data)  # the full record and report stay there
    assert len(full) == 6 and all("report_json" in r for r in full)


def test_a_cell_longer_than_a_spreadsheet_holds_is_cut_and_says_so():
    from screener.audit._export import MAX_CELL, _csv_cell, _csv_safe

    cell = _csv_cell("x" * 40_000)
    assert len(cell) <= MAX_CELL and cell.endswith("see the JSON export]")
    assert [_csv_safe(v) for v in ("=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "ok")] == [
        "'=1+1", "'+1", "'-1", "'@SUM(A1)", "'\t=1", "ok"]


def test_the_history_pages_show_the_child_and_which_screenings_are_voided_or_corrected(site):
    app, auditor = site
    page = auditor.get("/audit/screenings").get_data(as_text=True)
    assert page.count("<strong>VOIDED</strong> (test screening)") == 1 and page.count("<br>corrected") == 1
    assert page.count('href="/children/SCR-0001"') == 3
    assert "correct</a>" not in page  # an auditor reads; correcting and voiding are a screener's
    from screener.web.storage import get_store

    with app.app_context():
        voided = [s for s in get_store().screenings() if s.verdict == "incomplete"][0]
    one = auditor.get(f"/audit/screenings/{voided.id}").get_data(as_text=True)
    assert "<strong>VOIDED</strong> (test screening: =HYPERLINK(&#34;x&#34;)) by user:coordinator" in one
