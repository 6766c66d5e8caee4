"""The report pages (result, print, audit) word dates and registry numbers as people read them; the JSON keeps ISO."""
import html
import json
import re

from .helpers import PATIENTS

NCT = "NCT06674265"


def test_dates_on_the_report_page_read_as_people_write_them_while_the_json_keeps_iso(client, auditor_client):
    record = json.loads((PATIENTS / "eligible.json").read_text())
    record["history"]["transfusions"].append({"product": "platelets", "date": "2026-11-20"})  # E1 fails until 11-28
    response = client.post(f"/api/v1/trials/{NCT}/screen?as_of=2026-11-22", data=json.dumps(record),
                           content_type="application/json").get_json()
    report = response["report"]
    assert report["no_fail_from"] == "2026-11-28" and report["as_of"] == "2026-11-22"
    assert report["to_repeat"] == [f"{NCT}-E3b (Inadequate cardiac function): its data will be too old by 2026-11-28"]
    page = auditor_client.get(f"/audit/screenings/{response['screening_id']}").get_data(as_text=True)
    banner = re.search(r'<div class="banner.*?</div>', page, re.S)[0]
    # The page's words, from the report's fields (its summary line, which names ids, is the API's and the CLI's).
    assert "1 of 21 criteria fails: Inadequate bone marrow function." in banner
    assert "No criterion fails from 28 Nov 2026 if nothing else changes; the to-dos below are still needed." in banner
    assert banner.lower().count("criterion fails from") == 1  # said once
    todos = html.unescape(page[page.index('<h3 class="worklist-title">') : page.index("Every criterion (")])
    assert "Screen again on or after 28 Nov 2026, once the other to-dos are done" in todos
    assert "Repeat by 28 Nov 2026 what this criterion is judged on: today's values will be too old by then" in todos
    assert "Inadequate cardiac function" in todos  # the criterion that repeat settles, by its title
    assert not re.search(r"\d{4}-\d{2}-\d{2}", banner + todos)
    assert "As of 22 Nov 2026" in page
    assert "(as of 9 Apr 2025, ClinicalTrials.gov record, last updated 9 Apr 2025)" in page  # no file path
    e1 = re.search(r'<tr class="row-\w+">\s*<td data-label="Criterion">Exclusion 1<.*?</tr>', page, re.S)[0]
    assert "Clears by waiting: passes from 28 Nov 2026." in e1


def test_each_criterion_shows_the_registrys_number_readably(client, auditor_client):
    response = client.post(
        f"/api/v1/trials/{NCT}/screen?as_of=2026-11-22",
        data=(PATIENTS / "eligible.json").read_text(),
        content_type="application/json",
    ).get_json()
    assert {c["id"]: c["registry_number"] for c in response["report"]["criteria"]}[f"{NCT}-E3b"] == "3-"  # JSON as was
    page = auditor_client.get(f"/audit/screenings/{response['screening_id']}").get_data(as_text=True)
    first = [
        html.unescape(re.sub(r"<[^>]+>|\s+", lambda m: " " if m[0].isspace() else "", cell))
        for cell in re.findall(r'<td data-label="Criterion">(.*?)<span class="id">', page, re.S)
    ]
    assert first[:3] == ["Inclusion", "Inclusion 1", "Inclusion 2"]  # every criterion passes: the registry's order
    assert "Exclusion 3" in first and "Exclusion 3- (the registry's second list)" in first
    assert "Exclusion 16- (the registry's second list)" in first
