"""The result page a coordinator reads in a minute (issue 25 point 8), from real screenings of the demo patients:
the summary's order, its counts against what it lists, the worklist's groups, no developer text; and the blank
worksheet of the form."""
import html
import json
import re

import pytest
from markupsafe import escape

from screener.web.form_spec import form_sections

from .helpers import PATIENTS, trial_ids

NCT = "NCT06674265"


def _result(client, patient: str | dict, trial: str | None = NCT, as_of: str = "2026-11-22") -> str:
    """Screen a demo patient through the API as the signed-in screener; the result page of that request."""
    from screener.web.storage import get_store

    record = patient if isinstance(patient, dict) else json.loads((PATIENTS / patient).read_text())
    path = f"/api/v1/trials/{trial}/screen" if trial else "/api/v1/screen"
    body = client.post(f"{path}?as_of={as_of}", data=json.dumps(record), content_type="application/json").get_json()
    with client.application.app_context():
        request_id = get_store().screening(body["screening_id"] if trial else body["screening_ids"][NCT]).request_id
    response = client.get(f"/results/{request_id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _text(fragment: str) -> str:
    """What a reader sees: tags as spaces, runs of spaces as one, none before punctuation."""
    text = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", fragment))).strip()
    return re.sub(r" ([;,.:)])", r"\1", text)


def _between(page: str, start: str, end: str) -> str:
    return page[page.index(start) : page.index(end, page.index(start))]


def _list_after(page: str, heading_class: str) -> list[str]:
    block = _between(page, f'class="{heading_class}"', "</ul>")
    return [_text(item) for item in re.findall(r"<li>(.*?)</li>", block, re.S)]


def test_failing_criteria_are_named_by_title_first_then_the_open_ones(client):
    page = _result(client, "ineligible-waiting.json")
    banner = _text(re.search(r'<div class="banner.*?</div>', page, re.S)[0])
    assert banner == (
        "INELIGIBLE — 2 of 21 criteria fail: Inadequate bone marrow function; Systemic corticosteroids ≥ 0.5 "
        "mg/kg/day prednisone-equivalent in the last 7 days. Every fail clears by waiting: eligible from 27 Nov 2026 "
        "if nothing else changes. NOT APPROVED pre-screening only — not approved at this site"
    )  # no approval recorded in this store: the verdict says it is a pre-screening (issue 26)
    assert f"{NCT}-E7" not in banner  # the report's summary names ids; the page names titles
    fails = _list_after(page, "glance-fails")
    assert fails == [
        "Inadequate bone marrow function (Exclusion 1) — clears by waiting: passes from 27 Nov 2026",
        "Systemic corticosteroids ≥ 0.5 mg/kg/day prednisone-equivalent in the last 7 days (Exclusion 7-) — clears by "
        "waiting: passes from 27 Nov 2026",
    ]
    assert "2 criteria" in _text(_between(page, 'class="glance-fails"', "</h3>"))
    # The one to-do: screen again on the day every fail clears, naming the two criteria it settles.
    assert "To do: 1 item, by action" in page
    todo = _text(_between(page, '<ul class="todos">', "</ul>"))
    assert todo.startswith("Screen again on or after 27 Nov 2026: every fail clears by waiting then")
    assert "Settles: Inadequate bone marrow function (Exclusion 1); Systemic corticosteroids" in todo


def test_counts_are_of_what_is_listed_and_the_worklist_is_grouped_by_action(client):
    page = _result(client, "incomplete.json")
    unknowns = _list_after(page, "glance-unknowns")
    assert len(unknowns) == 5 and "5 criteria cannot be judged yet" in _text(
        _between(page, 'class="glance-unknowns"', "</h3>")
    )
    assert unknowns[0] == "Life expectancy at least 6 months (Inclusion 3)"  # the registry's order
    worklist = _between(page, '<h3 class="worklist-title">', '<div class="signature')
    groups = re.findall(r'<h4 class="todo-group">(.*?) \((\d+)\)</h4>\s*<ul class="todos">(.*?)</ul>', worklist, re.S)
    headings = [html.unescape(g[0]) for g in groups]
    assert headings == [
        "Ask the investigator",
        "Record a test or scan (dated within the rule set's window)",
        "Record or complete a history: imaging, transfusions, medications, treatment",
    ]
    items = [re.findall(r"<li>", g[2]) for g in groups]
    assert [int(g[1]) for g in groups] == [len(i) for i in items]  # each group's count is of its lines
    total = sum(len(i) for i in items)
    assert f"To do: {total} items, by action" in worklist and total == 6
    tests = _text(groups[1][2])
    assert "Record Left ventricular shortening fraction by echocardiography (%) dated within the last 14 days" in tests
    assert "Settles: Inadequate cardiac function (Exclusion 3-)" in tests


def test_the_full_table_lists_failing_rows_first_then_open_then_passing_in_registry_order(client):
    page = _result(client, "aml-relapsed.json")
    table = _between(page, '<table class="criteria">', "</table>")
    groups = [_text(g) for g in re.findall(r'<th colspan="4" scope="rowgroup">(.*?)</th>', table)]
    assert groups == ["Fails (2)", "Cannot be judged yet (16)", "Passes (3)"]
    statuses = re.findall(r'<tr class="row-(\w+)">', table)
    assert statuses == ["fail"] * 2 + ["unknown"] * 16 + ["pass"] * 3
    ids = re.findall(rf'<span class="small">({NCT}-\w+)</span>', table)
    report = client.post(
        f"/api/v1/trials/{NCT}/screen?as_of=2026-11-22", data=(PATIENTS / "aml-relapsed.json").read_text(),
        content_type="application/json",
    ).get_json()["report"]
    registry_order = [c["id"] for c in report["criteria"]]
    for status in ("fail", "unknown", "pass"):  # within a group, the registry's order
        listed = [i for i, s in zip(ids, statuses, strict=True) if s == status]
        assert listed == [c["id"] for c in report["criteria"] if c["status"] == status]
    assert sorted(ids) == sorted(registry_order)
    # The summary's counts are those of the table's groups and of the report.
    assert len(_list_after(page, "glance-fails")) == report["counts"]["fail"] == 2
    assert len(_list_after(page, "glance-unknowns")) == report["counts"]["unknown"] == 16


def test_a_repeat_by_the_day_every_fail_clears_is_a_dated_to_do_naming_its_criterion(client):
    record = json.loads((PATIENTS / "eligible.json").read_text())
    record["history"]["transfusions"].append({"product": "platelets", "date": "2026-11-20"})  # E1 fails until 11-28
    page = _result(client, record)
    dated = _text(_between(page, '<h4 class="todo-group">On or after a date', "</ul>"))
    assert "(2)" in dated  # screen again, and repeat the echo by then: two lines, counted as two
    assert "Screen again on or after 28 Nov 2026, once the other to-dos are done" in dated
    assert "Repeat by 28 Nov 2026 what this criterion is judged on: today's values will be too old by then" in dated
    assert "Settles: Inadequate cardiac function (Exclusion 3-)" in dated
    assert "To do: 2 items, by action" in page


def test_all_trials_one_overview_and_one_worklist_each_to_do_once(client):
    page = _result(client, "aml-relapsed.json", trial=None)
    overview = _between(page, '<section class="overview"', "</section>")
    rows = re.findall(r"<tr><td data-label=\"Trial\">(.*?)</tr>", overview, re.S)
    assert len(rows) == len(trial_ids())
    worklist = _between(overview, '<h3 id="worklist-all">', '<div class="signature')
    todos = [_text(t) for t in re.findall(r'<span class="todo">(.*?)</span>', worklist)]
    assert len(todos) == len(set(todos))  # each to-do once across the trials
    count = int(re.search(r"To do for all trials: (\d+) items", worklist)[1])
    assert count == len(todos)
    # A to-do two trials need names both.
    transfusions = _text(re.search(r"<li><span class=\"todo\">Record Total bilirubin.*?</li>", worklist, re.S)[0])
    assert f"{NCT}: Inadequate liver function" in transfusions and "IRCT20170122032121N7:" in transfusions


# What a coordinator must never read: record paths, fact keys, repository files, Python or developer notes.
DEVELOPER_TEXT = re.compile(
    r"observations\[|history\.\w+\[|\b(?:demographics|diagnosis|findings|attestations)\.[a-z_]+|days_since\[|"
    r"transfusion_free\[|recorded\[|\blab\.[a-z_]+|\.ya?ml\b|\.md\b|criteria/|seeds/|screener/|Traceback|"
    r"not_recorded|not_assessed|too_old|Not checked against a copy|None\b"
)


@pytest.mark.parametrize("patient", sorted(p.name for p in PATIENTS.glob("*.json")))
def test_no_developer_text_or_record_path_on_the_page(client, patient):
    page = _result(client, patient, trial=None)
    main = _text(re.sub(r"<(script|style)\b.*?</\1>", " ", _between(page, "<main", "</main>"), flags=re.S))
    assert not DEVELOPER_TEXT.search(main), DEVELOPER_TEXT.search(main)[0]


@pytest.mark.parametrize("trial", [NCT, "all"])
def test_the_form_links_a_blank_worksheet_with_every_field_its_unit_and_a_blank(client, trial):
    form = client.get(f"/screen?trial={trial}").get_data(as_text=True)
    assert f'href="/screen/worksheet?trial={trial}"' in form
    sheet = client.get(f"/screen/worksheet?trial={trial}").get_data(as_text=True)
    text = _text(sheet)
    assert "Screening date (as of)" in text and "Screening number" in text  # the parts outside the chart sections
    sections = form_sections([NCT] if trial == NCT else trial_ids())
    # Grouped as the form is: its sections, in its order.
    assert re.findall(r'<h2 id="w-\d+">(.*?)</h2>', sheet) == [str(escape(s.title)) for s in sections]
    blocks = re.findall(r'<section class="worksheet-section".*?</section>', sheet, re.S)
    assert len(blocks) == len(sections)
    for section, block in zip(sections, blocks, strict=True):
        for field in section.inputs:
            assert str(escape(field.label)) in block, field.label
        for lab in section.labs:
            row = _text(re.search(rf'<tr><th scope="row">{re.escape(html.escape(lab.label))}</th>.*?</tr>', block,
                                  re.S)[0])
            assert all(unit in row for _, unit in lab.units), lab.label  # every unit it may be written in
        tables = re.findall(r'<table class="worksheet history">(.*?)</table>', block, re.S)
        assert len(tables) == len(section.histories)
        for history, table in zip(section.histories, tables, strict=True):
            headers = [_text(h) for h in re.findall(r'<th scope="col">(.*?)</th>', table, re.S)]
            assert [h.removeprefix(c.label) != h for h, c in zip(headers, history.columns, strict=True)] == [
                True
            ] * len(history.columns)  # every column, by the form's label (with its choices under it)
            assert table.count("<tr>") - 1 >= 4  # blank rows to write in
    assert "☐ female ☐ male ☐ other ☐ unknown" in text and "— choose —" not in text
    assert "Signature" in text and 'name="' not in _between(sheet, "<main", "</main>")  # paper, not a form
    assert client.get("/screen/worksheet?trial=NOPE").status_code == 302  # back to choosing a trial


def _heading_levels(page: str) -> list[int]:
    return [int(level) for level in re.findall(r"<h([1-6])\b", _between(page, "<main", "</main>"))]


@pytest.mark.parametrize("trial", [NCT, None])
def test_headings_go_down_one_level_at_a_time(client, trial):
    pages = [_result(client, "aml-relapsed.json", trial=trial), client.get(f"/screen/worksheet?trial={NCT}").get_data(
        as_text=True
    )]
    for page in pages:
        levels = _heading_levels(page)
        assert levels[0] == 1 and levels.count(1) == 1
        assert all(b <= a + 1 for a, b in zip(levels, levels[1:], strict=False)), levels  # never skips a level


def test_every_to_do_lands_in_a_group_and_only_the_same_to_do_is_merged():
    from datetime import date

    from screener.model.report import Report
    from screener.screening import parse_record, screen
    from screener.web.glance import worklist

    report = screen(parse_record((PATIENTS / "incomplete.json").read_text()), NCT, date(2026, 11, 22))
    e2 = next(c for c in report.criteria if c.id == f"{NCT}-E2")
    # A report stored before to_do existed: its to-dos are grouped by their words.
    other = report.model_copy(update={"trial_id": "OTHER", "to_do": [], "criteria": [
        e2.model_copy(update={"to_do": [], "to_settle": [
            "Record Alanine aminotransferase (ALT, SGPT) (U/L, IU/L, µkat/L) dated within the last 14 days",  # same
            "Record Alanine aminotransferase (ALT, SGPT) dated within the last 7 days",  # a stricter window: its own
            "Telephone the family",  # a wording this page does not know: listed, never dropped
        ]})
    ]})
    assert isinstance(other, Report)
    groups = {g.key: g.todos for g in worklist([report, other])}
    alt = [t for t in groups["tests"] if "Alanine aminotransferase" in t.text]
    assert [t.text for t in alt] == [
        "Record Alanine aminotransferase (ALT, SGPT) (U/L, IU/L, µkat/L) dated within the last 14 days",  # fuller kept
        "Record Alanine aminotransferase (ALT, SGPT) dated within the last 7 days",
    ]
    assert {n.trial_id for n in alt[0].settles} == {NCT, "OTHER"} and {n.trial_id for n in alt[1].settles} == {"OTHER"}
    assert [t.text for t in groups["chart"]] == ["Telephone the family"]


def test_the_worklist_groups_by_each_to_dos_kind_and_day_not_its_words():
    from datetime import date

    from screener.model.report import Todo
    from screener.screening import parse_record, screen
    from screener.web.glance import worklist

    report = screen(parse_record((PATIENTS / "incomplete.json").read_text()), NCT, date(2026, 11, 22))
    odd = [
        Todo(kind="ask_investigator", text="Telephone the family", criteria=[f"{NCT}-I3"]),
        Todo(kind="repeat_by", text="words the page does not read", date=date(2026, 12, 2), criteria=[f"{NCT}-E2"]),
    ]
    groups = {g.key: g.todos for g in worklist([report.model_copy(update={"to_do": odd})])}
    assert [t.text for t in groups["investigator"]] == ["Telephone the family"]
    (repeat,) = groups["dates"]
    assert repeat.text.startswith("Repeat by 2 Dec 2026 what this criterion is judged on")
    assert [n.id for n in repeat.settles] == [f"{NCT}-E2"]


def test_the_worklist_says_either_where_any_one_route_settles_a_criterion(client):
    page = _result(client, "aml-relapsed.json")
    worklist = _text(_between(page, '<h3 class="worklist-title">', '<div class="signature'))
    assert "Either record Creatinine, serum or plasma" in worklist
    assert "; or record Creatinine clearance or radioisotope GFR" in worklist and "(any one settles it)" in worklist
