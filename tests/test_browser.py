"""The coordinator's form in a real browser: Playwright driving Debian's Chromium, JavaScript off.

Screenshots of the form and of each result page are saved under artifacts/screenshots/.
"""
import json
import os
import threading
from pathlib import Path

import pytest

from screener.model.labs import lab_for_test

from .conftest import PATIENTS, REPO

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = REPO / "artifacts" / "screenshots"

if not CHROMIUM.exists():
    if os.environ.get("CI") == "true":
        raise RuntimeError("/usr/bin/chromium is missing: scripts/test installs it; in CI browser tests must run")
    pytest.skip("Debian's chromium is not installed (./scripts/test installs it)", allow_module_level=True)

from playwright.sync_api import expect, sync_playwright  # noqa: E402


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from werkzeug.serving import make_server

    from screener.web import create_app

    database = tmp_path_factory.mktemp("browser") / "b.sqlite3"
    app = create_app({"TESTING": False, "DATABASE_URL": f"sqlite:///{database}"})
    from screener.audit._accounts import Accounts
    from screener.web.storage import get_store

    with app.app_context():
        Accounts(get_store()).create_user("coordinator", "screener", PASSWORD, "test")
    http = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{http.server_port}"
    http.shutdown()


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        yield browser
        browser.close()


PASSWORD = "correct horse battery staple"


@pytest.fixture
def page(browser, server):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{server}/login")
    page.fill("#username", "coordinator")
    page.fill("#password", PASSWORD)
    page.click("button:has-text('Sign in')")
    yield page
    context.close()


def form_fields(record: dict) -> dict[str, str]:
    """A record's values as the form's fields: what a coordinator would type from the chart."""
    fields = {}
    for section in ("demographics", "diagnosis", "findings", "attestations"):
        for key, value in record.get(section, {}).items():
            if isinstance(value, dict):
                for sub, v in value.items():
                    if v is not None:
                        fields[f"{section}.{key}.{sub}"] = str(v)
            elif value is not None:
                fields[f"{section}.{key}"] = ("yes" if value else "no") if isinstance(value, bool) else str(value)
    for obs in record.get("observations", []):
        lab = lab_for_test(obs["test"]).name
        fields.update({f"lab.{lab}.value": str(obs["value"]), f"lab.{lab}.unit": obs["unit"], f"lab.{lab}.date": obs["date"]})
        if "reference_high" in obs:
            fields[f"lab.{lab}.reference_high"] = str(obs["reference_high"])
    for name, rows in (record.get("history") or {}).items():
        if rows is None:
            continue
        fields[f"history.{name}.status"] = "complete"
        for i, row in enumerate(rows):
            for column, v in row.items():
                if v is not None:
                    fields[f"history.{name}.{i}.{column}"] = ("yes" if v else "no") if isinstance(v, bool) else str(v)
    return fields


def fill(page, fields: dict[str, str]) -> None:
    for name, value in fields.items():
        locator = page.locator(f'[name="{name}"]')
        if locator.count() == 0:
            continue  # a field this trial does not ask for
        if locator.evaluate("e => e.tagName") == "SELECT":
            locator.select_option(value)
        else:
            locator.fill(value)


def screen_patient(page, server, trial: str, patient: str, shot: str, as_of: str = "2026-11-22"):
    page.goto(f"{server}/")
    page.check(f"#t-{trial}")
    page.click("text=Open the form")
    page.fill('[name="as_of"]', as_of)
    fill(page, form_fields(json.loads((PATIENTS / patient).read_text())))
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"form-{shot}.png"), full_page=True)
    page.click('button[value="screen"]')
    page.screenshot(path=str(SHOTS / f"result-{shot}.png"), full_page=True)


def test_eligible_case(page, server):
    screen_patient(page, server, "NCT06674265", "eligible.json", "eligible")
    expect(page.locator(".banner")).to_contain_text("ELIGIBLE — every criterion passes")
    row = page.locator("tr", has_text="Inadequate bone marrow function")
    expect(row).to_contain_text("PASS")
    expect(row).to_contain_text("Platelet count ≤ 50,000 /uL? no (142 10*3/uL (= 142,000 /uL), 2026-11-18)")


def test_ineligible_case_with_eligible_from(page, server):
    screen_patient(page, server, "NCT06674265", "ineligible-waiting.json", "ineligible")
    expect(page.locator(".banner")).to_contain_text("INELIGIBLE")
    expect(page.locator(".banner")).to_contain_text("Eligible from 2026-11-27")
    e7 = page.locator("tr", has_text="Systemic corticosteroids ≥ 0.5 mg/kg/day")
    expect(e7).to_contain_text("FAIL")
    expect(e7).to_contain_text("Clears by waiting: passes from 2026-11-27")


def test_incomplete_case_lists_what_to_record(page, server):
    screen_patient(page, server, "NCT06674265", "incomplete.json", "incomplete")
    expect(page.locator(".banner")).to_contain_text("INCOMPLETE")
    expect(page.locator(".banner")).to_contain_text("5 open items")
    expect(page.locator("h3", has_text="To settle this, record")).to_be_visible()
    expect(page.locator("li", has_text="record the transfusion history")).to_be_visible()


def test_validation_error_round_trip(page, server):
    page.goto(f"{server}/screen?trial=NCT06674265")
    page.fill('[name="demographics.birth_date"]', "2018-03-14")
    page.fill('[name="lab.platelets.value"]', "-5")
    page.fill('[name="lab.platelets.date"]', "2026-11-20")
    page.fill('[name="lab.hemoglobin.value"]', "ten")
    page.click('button[value="screen"]')
    expect(page.locator("#error-summary")).to_contain_text("Please correct 3 problems")
    expect(page.locator("#error-summary")).to_contain_text("Platelet count, value: Impossible value")
    expect(page.locator("#f-lab-platelets-value-error")).to_contain_text("Impossible value for Platelet count")
    expect(page.locator("#f-lab-hemoglobin-value-error")).to_have_text("Enter a number.")
    expect(page.locator("#f-lab-hemoglobin-date-error")).to_have_text("Enter the date of this result.")
    expect(page.locator('[name="lab.platelets.value"]')).to_have_value("-5")
    expect(page.locator('[name="lab.hemoglobin.value"]')).to_have_value("ten")
    expect(page.locator('[name="lab.platelets.value"]')).to_have_attribute("aria-invalid", "true")
    page.screenshot(path=str(SHOTS / "form-validation-errors.png"), full_page=True)


def test_csrf_rejection(page, server):
    page.goto(f"{server}/screen?trial=NCT06674265")
    page.fill('[name="demographics.birth_date"]', "2018-03-14")
    # A forged page would not know the token: replace it (done with JavaScript in a second, JS-enabled page).
    html = page.content().replace('name="csrf_token" value="', 'name="csrf_token" value="forged')
    page.set_content(html.replace('action="/screen"', f'action="{server}/screen"'))
    page.click('button[value="screen"]')
    expect(page.locator("body")).to_contain_text("CSRF Check Failed")


def test_all_trials_view(page, server):
    screen_patient(page, server, "all", "glioma-recurrent.json", "all-trials")
    summary = page.locator("table").first
    expect(summary).to_contain_text("IRCT20170122032121N6")
    first_row = summary.locator("tbody tr").first
    expect(first_row).to_contain_text("NO KNOWN EXCLUSION — PARTIAL, 2 criteria encoded")  # never a bare ELIGIBLE
    expect(page.locator("section[aria-labelledby='r-IRCT20170122032121N7'] .banner")).to_contain_text("INCOMPLETE")
    page.click('a[href="#r-IRCT20170122032121N6"]')
    expect(page.locator("#r-IRCT20170122032121N6")).to_be_visible()


def test_print_layout_hides_navigation(page, server):
    screen_patient(page, server, "NCT06674265", "eligible.json", "print")
    page.emulate_media(media="print")
    expect(page.locator("header.site")).to_be_hidden()
    page.pdf(path=str(SHOTS / "result-print.pdf"))
