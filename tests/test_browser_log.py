"""Issue 25's screening log walked in Chromium (JavaScript off), on SQLite and on PostgreSQL: a coordinator screens
child SCR-0001 with a typo and corrects it, voids a test screening, re-screens SCR-0002 on a later date from its
prefilled form, and records outcomes (SCR-0003 enrolled); the CONSORT flow and the sponsor's log then count three
children with the right outcomes, and `screener audit verify` passes with every correction, void and outcome in
the chain. Screenshots are kept under artifacts/screenshots/log-<database>-*.png.
"""
import csv
import io
import json

import pytest
from click.testing import CliRunner

from screener import config

from .conftest import new_postgres_database, require_postgres
from .helpers import PATIENTS
from .test_browser import CHART_DATES, SHOTS, _signed_in, browser, expect, fill, form_fields, live_site  # noqa: F401

TRIAL = "NCT06674265"
pytestmark = pytest.mark.browser  # with test_browser.py: run by ./scripts/test, not by a plain local pytest


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def site(request, tmp_path, monkeypatch):
    """A served app on its own store and instance folder (so the CLI verifies the same trail), with a coordinator
    and an auditor."""
    instance = tmp_path / "instance"
    monkeypatch.setenv("SCREENER_INSTANCE_PATH", str(instance))
    monkeypatch.setattr(config, "SCREENER_INSTANCE_PATH", instance)
    users = {"coordinator": "screener", "inspector": "auditor"}
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'log.sqlite3'}"
        monkeypatch.setattr(config, "DATABASE_URL", url)  # the CLI's audit verify reads the same store
        with live_site(url, users) as server:
            yield request.param, server
        return
    require_postgres()  # in CI a missing server fails the test, as every PostgreSQL test does
    with new_postgres_database() as url:
        monkeypatch.setattr(config, "DATABASE_URL", url)
        with live_site(url, users) as server:
            yield request.param, server


def _shot(page, name: str, database: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"log-{database}-{name}.png"), full_page=True)


def _chart(patient: str) -> dict[str, str]:
    return CHART_DATES | form_fields(json.loads((PATIENTS / patient).read_text()))


def _submit(page) -> None:
    """Screen; a value asked about ("usually a slip") is confirmed as typed, as a coordinator would after checking."""
    page.click('button[value="screen"]')
    boxes = page.locator('input[type="checkbox"][name^="confirm."]')
    if boxes.count():
        for i in range(boxes.count()):
            boxes.nth(i).check()
        page.click('button[value="screen"]')
    page.wait_for_load_state()  # a click waits for the navigation to start, not for the page it loads


def _screen(page, server, patient: str, number: str, as_of: str, changes: dict | None = None) -> None:
    page.goto(f"{server}/screen?trial={TRIAL}")
    page.fill('[name="as_of"]', as_of)
    page.fill('[name="screening_number"]', number)
    fill(page, _chart(patient) | (changes or {}))
    _submit(page)


def _outcome(page, server, number: str, **fields) -> None:
    page.goto(f"{server}/children/{number}")
    page.select_option("#o-trial", TRIAL)
    page.select_option("#o-outcome", fields.pop("outcome"))
    for name, value in fields.items():
        if name == "reason":
            page.select_option("#o-reason", value)
        else:
            page.fill(f'[name="{name}"]', value)
    page.click("button:has-text('Record the outcome')")
    page.wait_for_load_state()


def test_a_coordinators_screening_log_counts_three_children(site, browser):  # noqa: F811
    database, server = site
    context, page = _signed_in(browser, server, "coordinator")

    # SCR-0001: platelets typed as 14 instead of 142 (an ineligible slip), then corrected from the result page.
    _screen(page, server, "eligible.json", "SCR-0001", "2026-11-22", {"lab.platelets.value": "14"})
    assert "INELIGIBLE" in page.locator(".banner").first.inner_text()
    _shot(page, "1-typo-result", database)
    page.click("a:has-text('correct')")
    assert page.input_value('[name="screening_number"]') == "SCR-0001"
    assert page.input_value('[name="lab.platelets.value"]') == "14"  # the stored record, filled in server-side
    assert page.input_value('[name="as_of"]') == "2026-11-22"
    assert "?" not in page.url.split("/screenings/")[1]  # the address names the screening only, no record value
    page.fill('[name="lab.platelets.value"]', "142")
    page.click('button[value="screen"]')
    assert page.locator("#f-correction_reason-error").count() == 1  # the reason is required
    page.fill('[name="correction_reason"]', "platelets typed as 14 instead of 142")
    _shot(page, "2-correction-form", database)
    _submit(page)
    assert "ELIGIBLE" in page.locator(".banner").first.inner_text()

    # A test screening of SCR-0001, voided.
    _screen(page, server, "incomplete.json", "SCR-0001", "2026-11-22")
    page.click("a:has-text('void')")
    page.check("#v-test")
    page.fill("#v-note", "training run")
    _shot(page, "3-void-form", database)
    page.click("button:has-text('Void the screening')")
    page.wait_for_load_state()
    assert page.url.endswith("/children/SCR-0001")
    _shot(page, "4-child-SCR-0001", database)
    rows = page.locator("table.screenings tbody tr")
    assert rows.count() == 3
    states = page.locator("table.screenings").inner_text()
    assert "VOIDED: test screening (training run)" in states and "corrected by" in states
    assert "platelets typed as 14 instead of 142" in states
    _outcome(page, server, "SCR-0001", outcome="consented", date="2026-12-02")

    # SCR-0002: ineligible on 22 Nov (steroids), re-screened from its prefilled form on 27 Nov: eligible.
    _screen(page, server, "ineligible-waiting.json", "SCR-0002", "2026-11-22")
    assert "INELIGIBLE" in page.locator(".banner").first.inner_text()
    page.click("a:has-text('Re-screen this child')")
    assert page.input_value('[name="screening_number"]') == "SCR-0002"
    assert page.input_value('[name="lab.platelets.value"]') != ""
    _shot(page, "5-rescreen-prefilled", database)
    page.fill('[name="as_of"]', "2026-11-27")
    _submit(page)
    assert "ELIGIBLE" in page.locator(".banner").first.inner_text()
    _shot(page, "6-rescreen-result", database)
    _outcome(page, server, "SCR-0002", outcome="eligible_not_enrolled", reason="declined",
             note="family chose another centre")

    # SCR-0003: eligible and enrolled.
    _screen(page, server, "eligible.json", "SCR-0003", "2026-11-22")
    _outcome(page, server, "SCR-0003", outcome="enrolled", date="2026-12-01", study_number="NK-0003")
    _shot(page, "7-child-SCR-0003", database)
    assert "enrolled on 1 Dec 2026, study number NK-0003" in page.locator("table.summary").inner_text()
    page.goto(f"{server}/children")
    _shot(page, "8-children", database)
    assert page.locator("table.children tbody tr").count() == 3
    page.fill("#f-number", "SCR-0002")
    page.click("button:has-text('Find')")
    # count() reads the page as it is; expect() waits (up to its timeout) for the search's page to show one child.
    expect(page.locator("table.children tbody tr")).to_have_count(1)
    assert "SCR-0002" in page.locator("table.children").inner_text()
    context.close()

    # The auditor's log: three children, their outcomes.
    context, auditor = _signed_in(browser, server, "inspector")
    auditor.goto(f"{server}/audit/log?trial={TRIAL}")
    _shot(auditor, "9-consort", database)
    svg = auditor.locator("svg.consort").inner_html()
    for words in ("Children screened: n = 3", "Eligible: n = 3", "Outcomes recorded: n = 3", "1 · consented",
                  "1 · eligible, not enrolled", "1 · enrolled", "1 · not enrolled: family declined",
                  "6 screenings recorded; not counted:", "1 voided", "1 corrected by a later screening",
                  "1 an earlier screening of a child screened again"):
        assert words in svg, words
    with auditor.expect_download() as download:
        auditor.click("a:has-text('sponsor')")
    text = open(download.value.path(), encoding="utf-8").read()
    sponsor = {row["screening_number"]: row for row in csv.DictReader(io.StringIO(text))}
    assert {n: (r["verdict"], r["outcome"]) for n, r in sponsor.items()} == {
        "SCR-0001": ("eligible", "consented"), "SCR-0002": ("eligible", "eligible, not enrolled"),
        "SCR-0003": ("eligible", "enrolled")}
    assert (sponsor["SCR-0002"]["first_screened"], sponsor["SCR-0002"]["counted_as_of"]) == ("2026-11-22", "2026-11-27")
    assert sponsor["SCR-0003"]["study_number"] == "NK-0003"
    context.close()

    verified = CliRunner().invoke(__import__("screener.cli", fromlist=["main"]).main, ["audit", "verify"])
    assert verified.exit_code == 0 and verified.output.startswith("OK:"), verified.output
    from screener.audit import open_store

    actions = [(e.action, json.loads(e.details_json)) for e in open_store().events()]
    assert sum(1 for a, d in actions if a == "screening.recorded" and d.get("correction_reason")) == 1
    assert [d["reason"] for a, d in actions if a == "screening.voided"] == ["test"]
    assert sorted(d["outcome"] for a, d in actions if a == "outcome.recorded") == [
        "consented", "eligible_not_enrolled", "enrolled"]
