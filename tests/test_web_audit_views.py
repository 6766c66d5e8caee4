"""Auditor views: rule sets beside their sources, history with filters, one screening, exports, the log."""
import json

import pytest

from .helpers import PATIENTS


@pytest.fixture
def screened(client):
    for patient in ("eligible.json", "ineligible-waiting.json", "incomplete.json"):
        assert client.post("/api/v1/trials/NCT06674265/screen?as_of=2026-11-22", data=(PATIENTS / patient).read_text(),
                           content_type="application/json").status_code == 200
    return client


def test_rule_set_page_shows_words_beside_logic(client):
    page = client.get("/audit/rule-sets/NCT06674265").get_data(as_text=True)
    assert "Insufficient bone marrow function" in page and "Platelet count ≤ 50,000 /uL" in page and "Garbled" in page
    assert client.get("/audit/rule-sets/NOPE").status_code == 404


def test_history_filters_and_one_screening(screened, auditor_client):
    screened = auditor_client
    page = screened.get("/audit/screenings?trial=NCT06674265&verdict=ineligible").get_data(as_text=True)
    assert page.count('class="status status-fail"') == 1 and "eligible</td>" not in page.replace("ineligible</td>", "")
    screening_id = json.loads(screened.get("/audit/export/screenings.json").data)[0]["id"]
    one = screened.get(f"/audit/screenings/{screening_id}").get_data(as_text=True)
    assert "The input record as screened" in one and "content hash" in one
    assert "must be a date" in screened.get("/audit/screenings?from=yesterday").get_data(as_text=True)


def test_exports_are_recorded_in_the_trail(screened, auditor_client):
    screened = auditor_client
    csv_text = screened.get("/audit/export/screenings.csv").get_data(as_text=True)
    assert csv_text.startswith("id,request_id,recorded_at") and len(csv_text.splitlines()) >= 4
    events = json.loads(screened.get("/audit/export/events.json").data)
    assert [e["action"] for e in events][-1] == "export"
    assert screened.get("/audit/verify").status_code == 200


def test_screening_log_page_csv_and_chart(screened, auditor_client):
    screened = auditor_client
    page = screened.get("/audit/log?trial=NCT06674265").get_data(as_text=True)
    assert "3 children screened: 1 eligible, 1 ineligible, 1 incomplete" in page and "adds up" in page
    assert screened.get("/audit/log.csv?trial=NCT06674265").get_data(as_text=True).startswith("trial,group")
    assert screened.get("/audit/log.png?trial=NCT06674265").data[:4] == b"\x89PNG"


def test_exports_stream_from_a_snapshot_without_blocking_screenings(screened, auditor_client, monkeypatch):
    from screener.audit import _export

    monkeypatch.setattr(_export, "CHUNK_CHARS", 100)  # flat rows: a few hundred characters each
    response = auditor_client.get("/audit/export/screenings.csv", buffered=False)
    assert response.is_streamed
    chunks = iter(response.response)
    first = next(chunks)
    # Mid-export, screening goes on (the export holds no write lock) and the export stays on its snapshot.
    assert (
        screened.post(
            "/api/v1/trials/NCT06674265/screen?as_of=2026-11-22",
            data=(PATIENTS / "eligible.json").read_text(),
            content_type="application/json",
        ).status_code
        == 200
    )
    rest = list(chunks)
    response.close()
    text = (first + b"".join(rest)).decode()
    assert len(rest) >= 2 and text.startswith("id,request_id")
    assert len(list(__import__("csv").reader(text.splitlines()))) == 4  # header + the 3 screenings of the snapshot
    rows = json.loads(auditor_client.get("/audit/export/screenings.json").data)
    assert len(rows) == 4
    events = json.loads(auditor_client.get("/audit/export/events.json").data)
    assert [json.loads(e["details_json"])["rows"] for e in events if e["action"] == "export"] == [3, 4]


def test_screening_log_as_a_consort_flow_beside_the_table(screened, auditor_client):
    page = auditor_client.get("/audit/log?trial=NCT06674265").get_data(as_text=True)
    svg = page[page.index('<svg class="consort"') : page.index("</svg>")]
    for box in ("Children screened: n = 3", "Ineligible: n = 1", "Incomplete: n = 1", "Eligible: n = 1"):
        assert box in svg
    # The waiting patient's first failing criterion in protocol order, named by title and id, with its count.
    assert ">1 · Inadequate bone marrow function (NCT06674265-E1)</text>" in svg
    assert "by open item" in svg and '<title id="consort-title">Screening flow for NCT06674265' in svg
    table = page[page.index('<table class="log">') :]
    assert '<td>Inadequate bone marrow function<br><span class="small">NCT06674265-E1</span></td><td>1</td>' in table
    assert page.index('<svg class="consort"') < page.index('<table class="log">')


def test_flow_and_chart_show_any_further_verdict_and_count_in_whole_numbers():
    from collections import Counter

    from screener.audit._log import ScreeningLog, chart_figure
    from screener.web.consort import flow

    log = ScreeningLog(
        "X",
        screened=4,
        eligible=1,
        incomplete=1,
        ineligible_by_first_fail=Counter({"X-I1": 1}),
        incomplete_by_item=Counter({"record the platelets": 1}),
        other=Counter({"no_known_exclusion": 1}),
        order=["X-I1"],
        titles={"X-I1": "Diagnosis"},
    )
    drawn = flow(log)
    assert [(b.heading, b.count, b.tone) for b in drawn.exits] == [
        ("Ineligible", 1, "fail"),
        ("No known exclusion", 1, "partial"),
        ("Incomplete", 1, "unknown"),
    ]
    assert "1 · Diagnosis (X-I1)" in drawn.exits[0].lines and drawn.note == "adds up"
    assert all(b.y >= a.y + a.height for a, b in zip(drawn.exits, drawn.exits[1:], strict=False))  # boxes never overlap
    ticks = chart_figure(log).axes[0].get_xticks()
    assert len(ticks) >= 2 and all(float(t).is_integer() for t in ticks)
