"""The coordinator's form in a real browser: Playwright driving Debian's Chromium, JavaScript off.

Screenshots of the form and of each result page are saved under artifacts/screenshots/.
"""
import contextlib
import json
import os
import re
import threading
from pathlib import Path

import pytest

from screener.model.labs import lab_for_test

from .helpers import PATIENTS, REPO, trial_ids

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = REPO / "artifacts" / "screenshots"

if not CHROMIUM.exists():
    if os.environ.get("CI") == "true":
        raise RuntimeError("/usr/bin/chromium is missing: scripts/test installs it; in CI browser tests must run")
    pytest.skip("Debian's chromium is not installed (./scripts/test installs it)", allow_module_level=True)

from playwright.sync_api import expect, sync_playwright  # noqa: E402


@contextlib.contextmanager
def live_site(database_url: str, users: dict[str, str], **settings):
    """The app served on a free local port, with these users (username: role) signed up, for Chromium to open;
    stopped when the block ends; settings: further app config. Every browser test module starts its site here."""
    from werkzeug.serving import make_server

    from screener.audit import Accounts
    from screener.web import create_app
    from screener.web.storage import get_store

    # Each test signs in afresh, all from 127.0.0.1: more than the 10 a minute one client may try (throttling is
    # tested in test_web_auth, not here).
    app = create_app({"TESTING": False, "DATABASE_URL": database_url, "LOGIN_ATTEMPTS_PER_CLIENT_PER_MINUTE": 1000,
                      "LOGIN_ATTEMPTS_PER_MINUTE": 1000, **settings})
    with app.app_context():
        for username, role in users.items():
            Accounts(get_store()).create_user(username, role, PASSWORD, "test")
    http = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=http.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{http.server_port}"
    finally:
        http.shutdown()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    database = tmp_path_factory.mktemp("browser") / "b.sqlite3"
    with live_site(f"sqlite:///{database}", {"coordinator": "screener", "inspector": "auditor"}) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        # The browser's language picks how a date input shows dates (chromium-l10n holds the formats); the page's
        # locale alone does not.
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            env={**os.environ, **LOCALE_ENV},
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


PASSWORD = "correct horse battery staple"
LOCALE_ENV = {"LANGUAGE": "en_GB", "LANG": "en_GB.UTF-8"}


def _signed_in(browser, server, username):
    # A coordinator whose browser writes dates day first: the form shows 22/11/2026 and still submits ISO.
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900}, locale="en-GB")
    page = context.new_page()
    page.goto(f"{server}/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button:has-text('Sign in')")
    return context, page


@pytest.fixture
def page(browser, server):
    context, page = _signed_in(browser, server, "coordinator")
    yield page
    context.close()


@pytest.fixture
def auditor_page(browser, server):
    context, page = _signed_in(browser, server, "inspector")
    yield page
    context.close()


def form_fields(record: dict) -> dict[str, str]:
    """A record's values as the form's fields: what a coordinator would type from the chart."""
    fields = {"record_id": record["record_id"]} if record.get("record_id") else {}
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
        fields.update(
            {f"lab.{lab}.value": str(obs["value"]), f"lab.{lab}.unit": obs["unit"], f"lab.{lab}.date": obs["date"]}
        )
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


# When the chart's blocks were written, for demo records that do not say: a screening reads findings and attestations
# without a date as not recorded, and a weight without a date as undated.
CHART_DATES = {
    "demographics.weight_date": "2026-11-18",
    "demographics.height_date": "2026-11-18",
    "findings.assessed_on": "2026-11-19",
    "attestations.assessed_on": "2026-11-20",
}


def fill(page, fields: dict[str, str]) -> None:
    for name, value in fields.items():
        locator = page.locator(f'[name="{name}"]')
        if locator.count() == 0:
            continue  # a field this trial does not ask for
        if locator.count() > 1:  # a radio group
            page.check(f'[name="{name}"][value="{value}"]')
        elif locator.evaluate("e => e.tagName") == "SELECT":
            locator.select_option(value)
        else:
            locator.fill(value)


def screen_patient(page, server, trial: str, patient: str, shot: str, as_of: str = "2026-11-22"):
    page.goto(f"{server}/")
    page.check(f"#t-{trial}")
    page.click("text=Open the form")
    page.fill('[name="as_of"]', as_of)
    fill(page, CHART_DATES | form_fields(json.loads((PATIENTS / patient).read_text())))
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"form-{shot}.png"), full_page=True)
    page.click('button[value="screen"]')
    page.screenshot(path=str(SHOTS / f"result-{shot}.png"), full_page=True)


def test_eligible_case(page, server):
    screen_patient(page, server, "NCT06674265", "eligible.json", "eligible")
    expect(page.locator(".banner")).to_contain_text("ELIGIBLE — Every criterion passes (21 of 21).")
    row = page.locator("tr", has_text="Inadequate bone marrow function")
    expect(row).to_contain_text("PASS")
    expect(row).to_contain_text(
        "Platelets 142 ×10³/µL (= 142,000 /µL) on 18 Nov 2026 — needs more than 50,000 /µL ✔"
    )  # issue 14 wording
    cardiac = page.locator("tr", has_text="Inadequate cardiac function")
    expect(cardiac.locator("td").first).to_contain_text("Exclusion 3- (the registry's second list)")


def test_ineligible_case_with_eligible_from(page, server):
    screen_patient(page, server, "NCT06674265", "ineligible-waiting.json", "ineligible")
    expect(page.locator(".banner")).to_contain_text("INELIGIBLE")
    expect(page.locator(".banner")).to_contain_text(  # by title, not NCT06674265-E7
        "2 of 21 criteria fail: Inadequate bone marrow function; Systemic corticosteroids ≥ 0.5 mg/kg/day"
    )
    expect(page.locator(".banner")).to_contain_text(
        "Every fail clears by waiting: eligible from 27 Nov 2026 if nothing else changes."
    )
    e7 = page.locator("tr", has_text="Systemic corticosteroids ≥ 0.5 mg/kg/day")
    expect(e7).to_contain_text("FAIL")
    expect(e7).to_contain_text("Clears by waiting: passes from 27 Nov 2026")


def test_incomplete_case_lists_what_to_record(page, server):
    screen_patient(page, server, "NCT06674265", "incomplete.json", "incomplete")
    expect(page.locator(".banner")).to_contain_text("INCOMPLETE")
    expect(page.locator(".banner")).to_contain_text("No criterion fails; 5 of 21 criteria cannot be judged yet.")
    expect(page.locator("h3", has_text="To do: 6 items, by action")).to_be_visible()
    expect(page.locator("ul.todos > li")).to_have_count(6)  # the count is of what is listed
    expect(page.locator("li", has_text="Record the transfusion history")).to_contain_text(
        "Settles: Inadequate bone marrow function (Exclusion 1)"
    )


def test_validation_error_round_trip(page, server):
    page.goto(f"{server}/screen?trial=NCT06674265")
    page.fill('[name="demographics.birth_date"]', "2018-03-14")
    page.fill('[name="lab.platelets.value"]', "-5")
    page.select_option('[name="lab.platelets.unit"]', "/uL")
    page.select_option('[name="lab.hemoglobin.unit"]', "g/dL")
    page.fill('[name="lab.platelets.date"]', "2026-11-20")
    page.fill('[name="lab.hemoglobin.value"]', "ten")
    page.click('button[value="screen"]')
    # Sex starts empty (no silent "female"), so leaving it is a fourth problem.
    expect(page.locator("#error-summary")).to_contain_text("Please correct 4 problems")
    expect(page.locator("#error-summary")).to_contain_text("Sex: Required.")
    expect(page.locator("#error-summary")).to_contain_text("Platelet count, value: Impossible value")
    expect(page.locator("#f-lab-platelets-value-error")).to_contain_text("Impossible value for Platelet count")
    expect(page.locator("#f-lab-hemoglobin-value-error")).to_have_text("Enter a number.")
    expect(page.locator("#f-lab-hemoglobin-date-error")).to_have_text("Enter the date of this result.")
    expect(page.locator('[name="lab.platelets.value"]')).to_have_value("-5")
    expect(page.locator('[name="lab.hemoglobin.value"]')).to_have_value("ten")
    expect(page.locator('[name="lab.platelets.value"]')).to_have_attribute("aria-invalid", "true")
    page.screenshot(path=str(SHOTS / "form-validation-errors.png"), full_page=True)


def test_lab_units_are_picked_as_people_write_them_and_submit_the_code(page, server):
    page.goto(f"{server}/screen?trial=NCT06674265")
    page.select_option('[name="lab.platelets.unit"]', label="×10³/µL")
    expect(page.locator('[name="lab.platelets.unit"]')).to_have_value("10*3/uL")
    page.select_option('[name="lab.bilirubin.unit"]', label="µmol/L")
    expect(page.locator('[name="lab.bilirubin.unit"]')).to_have_value("umol/L")
    assert page.locator('[name="lab.platelets.unit"] option').all_inner_texts() == [
        "— unit —",
        "/µL",
        "/mm³",
        "×10³/µL",
        "×10³/mm³",
        "×10⁹/L",
    ]
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.locator("fieldset.section", has=page.locator('[name="lab.platelets.unit"]')).screenshot(
        path=str(SHOTS / "form-lab-units.png")
    )


def test_ctcae_grades_are_selects_of_the_allowed_grades(page, server):
    page.goto(f"{server}/screen?trial=NCT06674265")
    renal = page.locator('[name="findings.ctcae_grades.renal"]')
    assert renal.evaluate("e => e.tagName") == "SELECT"
    assert renal.locator("option").all_inner_texts() == ["not recorded", "0", "1", "2", "3", "4", "5"]
    renal.select_option("2")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.locator("fieldset.section", has=renal).screenshot(path=str(SHOTS / "form-findings-ctcae.png"))


def test_medication_suggestions_are_real_names(page, server):
    page.goto(f"{server}/screen?trial=NCT06674265")
    offered = page.locator("#medication-names option").evaluate_all("options => options.map(o => o.value)")
    assert {"decadron", "medrol", "tegretol", "kaletra"} <= set(offered)
    assert not {"ears and nose", "and veldex", "sone", "carbamazepina"} & set(offered)
    name = page.locator('[name="history.medications.0.name"]')
    assert name.get_attribute("list") == "medication-names"
    name.fill("Decadron")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.locator("fieldset.section", has=name).screenshot(path=str(SHOTS / "form-medications.png"))


def _boxes_overlap(a, b) -> bool:
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"]
        and b["y"] < a["y"] + a["height"]
    )


@pytest.mark.parametrize("width", [1280, 800])
def test_labels_never_run_into_inputs_and_radios_sit_with_their_labels(page, server, width):
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{server}/screen?trial=all")
    fields = page.locator(".field")
    assert fields.count() > 30
    for i in range(fields.count()):
        label = fields.nth(i).locator("label").first.bounding_box()
        control = fields.nth(i).locator("input, select").first.bounding_box()
        assert not _boxes_overlap(label, control), fields.nth(i).inner_text()
        assert label["x"] + label["width"] <= control["x"] or label["y"] + label["height"] <= control["y"]
    choices = page.locator("label.choice")
    assert choices.count() >= 8  # two per history list
    for i in range(choices.count()):
        label, radio = choices.nth(i).bounding_box(), choices.nth(i).locator("input[type=radio]").bounding_box()
        words = choices.nth(i).inner_text().strip()
        assert words and radio["x"] >= label["x"] and radio["x"] + radio["width"] <= label["x"] + label["width"]
        assert label["y"] <= radio["y"] and radio["y"] + radio["height"] <= label["y"] + label["height"] + 1
    assert page.evaluate("document.documentElement.scrollWidth") <= width  # no sideways scrolling of the page
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"form-layout-{width}.png"), full_page=True)


def test_dates_show_in_the_locale_and_submit_iso(page, server):
    page.goto(f"{server}/")
    page.screenshot(path=str(SHOTS / "index.png"), full_page=True)
    page.check("#t-NCT06674265")
    page.click("text=Open the form")
    birth = page.locator('[name="demographics.birth_date"]')
    assert birth.get_attribute("type") == "date"
    birth.fill("2018-03-14")
    assert birth.input_value() == "2018-03-14"  # what the form submits, whatever the screen shows
    page.locator("fieldset.section").first.screenshot(path=str(SHOTS / "form-patient-en-GB.png"))
    page.click('button[value="screen"]')  # sex left empty: the round trip keeps the date as entered
    expect(page.locator('[name="demographics.birth_date"]')).to_have_value("2018-03-14")


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
    summary = page.locator("table.summary")
    expect(summary).to_contain_text("IRCT20170122032121N6")
    first_row = summary.locator("tbody tr").first
    expect(first_row).to_contain_text("NO KNOWN EXCLUSION — PARTIAL, 2 criteria encoded")  # never a bare ELIGIBLE
    # Relapsed: not N7's population (newly diagnosed grade 3-4 glioma).
    expect(page.locator("section[aria-labelledby='r-IRCT20170122032121N7'] .banner")).to_contain_text("INELIGIBLE")
    # Every trial starts folded: the page is the summary, the one worklist for all trials, and one line per trial,
    # not 10,000 px of tables (the partial rule sets' summaries say at length what they leave out, hence 2,500 px
    # besides the worklist rather than less).
    expect(page.locator("details.trial")).to_have_count(len(trial_ids()))
    expect(page.locator("#r-IRCT20170122032121N6")).to_be_hidden()
    worklist = page.locator("section.overview .worklist").bounding_box()["height"]
    assert page.evaluate("document.documentElement.scrollHeight") - worklist < 2500
    page.click('a[href="#r-IRCT20170122032121N6"]')  # a link from the summary opens its trial
    expect(page.locator("#r-IRCT20170122032121N6")).to_be_visible()
    page.screenshot(path=str(SHOTS / "result-all-trials-one-open.png"), full_page=True)
    page.emulate_media(media="print")  # the binder's copy prints every trial expanded
    expect(page.locator("section[aria-labelledby='r-IRCT20170122032121N7'] .banner")).to_be_visible()
    page.pdf(path=str(SHOTS / "result-all-trials-print.pdf"))


def test_print_layout_hides_navigation(page, server):
    screen_patient(page, server, "NCT06674265", "eligible.json", "print")
    note = page.locator("details.interpretation").first
    expect(note.locator("summary")).to_be_visible()
    assert not note.evaluate("d => d.open")
    page.emulate_media(media="print")
    expect(page.locator("header.site")).to_be_hidden()
    # The binder's copy: which record, who screened it, when, which rule set; every interpretation note expanded.
    provenance = page.locator("dl.provenance")
    expect(provenance).to_be_visible()
    expect(provenance).to_contain_text("DEMO-NB-001")
    expect(provenance).to_contain_text("coordinator")
    expect(provenance).to_contain_text("NCT06674265 version")
    expect(provenance.locator("dt", has_text="Screened at")).to_be_visible()
    # Interpretation notes are the rule set's, the same for every child: the result's print says where they print
    # once (the rule set's page), and keeps the registry's words and the reason of every criterion.
    notes = page.locator("details.interpretation")
    assert notes.count() > 3
    for i in range(notes.count()):
        expect(notes.nth(i)).to_be_hidden()
    expect(page.locator("p.print-only", has_text="Interpretation notes")).to_contain_text(
        "printed once on the page of rule set NCT06674265 version"
    )
    row = page.locator("tr", has_text="Inadequate bone marrow function")
    expect(row.locator("td.source")).to_contain_text("Insufficient bone marrow function")
    expect(row.locator("td[data-label=Why]")).to_contain_text("needs more than 50,000 /µL")
    expect(page.locator(".signature")).to_contain_text("Screened by (name)")
    page.goto(f"{server}/audit/rule-sets/NCT06674265")
    words = page.locator("tr", has_text="Inadequate bone marrow function").locator("td").last
    expect(words).to_be_visible()
    assert len(words.inner_text()) > 60  # the note's text prints there
    page.go_back()
    page.screenshot(path=str(SHOTS / "result-print-media.png"), full_page=True)
    page.pdf(path=str(SHOTS / "result-print.pdf"))


def test_error_pages_and_navigation_for_people(page, auditor_page, server):
    nav = page.locator("header.site nav")
    expect(nav.locator("a", has_text="Screen a patient")).to_be_visible()
    expect(nav.locator("a", has_text="Screening log")).to_have_count(0)  # the screener role may not open it
    expect(nav.locator("a", has_text="Users")).to_have_count(0)
    response = page.goto(f"{server}/audit/log")
    assert response.status == 403
    expect(page.locator("h1")).to_have_text("This page is not open to your role")
    page.screenshot(path=str(SHOTS / "error-403.png"), full_page=True)
    response = page.goto(f"{server}/results/{'0' * 32}")
    assert response.status == 404
    expect(page.locator("h1")).to_have_text("Page not found")
    expect(page.locator("header.site")).to_contain_text("coordinator (screener)")
    page.screenshot(path=str(SHOTS / "error-404.png"), full_page=True)
    auditor_nav = auditor_page.locator("header.site nav")
    expect(auditor_nav.locator("a", has_text="Screening log")).to_be_visible()
    expect(auditor_nav.locator("a", has_text="Screen a patient")).to_have_count(0)
    response = auditor_page.goto(f"{server}/screen?trial=NCT06674265")
    assert response.status == 403
    auditor_page.screenshot(path=str(SHOTS / "error-403-auditor.png"), full_page=True)


def test_500_page_for_people(page, server, monkeypatch):
    import screener.service as service  # every channel screens through the service

    def boom(*args, **kwargs):
        raise RuntimeError("secret patient detail")

    monkeypatch.setattr(service, "screen", boom)  # the server runs in this process: the next screening fails
    page.goto(f"{server}/screen?trial=NCT06674265")
    page.fill('[name="demographics.birth_date"]', "2018-03-14")
    page.select_option('[name="demographics.sex"]', "female")
    page.click('button[value="screen"]')
    expect(page.locator("h1")).to_have_text("Something went wrong")
    expect(page.locator("#incident-id")).to_have_text(re.compile(r"^[0-9a-f]{12}$"))
    expect(page.locator("body")).not_to_contain_text("secret")
    page.screenshot(path=str(SHOTS / "error-500.png"), full_page=True)


def test_auditor_screening_log_flow_diagram(page, auditor_page, server):
    for patient, shot in (
        ("eligible.json", "log-eligible"),
        ("ineligible-waiting.json", "log-ineligible"),
        ("incomplete.json", "log-incomplete"),
    ):
        screen_patient(page, server, "NCT06674265", patient, shot)
    auditor_page.goto(f"{server}/audit/log?trial=NCT06674265")
    flow = auditor_page.locator("svg.consort")
    expect(flow).to_be_visible()
    expect(flow).to_contain_text("Children screened: n =")  # issue 25: the log counts children
    expect(flow).to_contain_text("Inadequate bone marrow function (NCT06674265-E1)")
    table = auditor_page.locator("table.log")
    # Beside the table on a wide screen: side by side, not overlapping.
    drawn, listed = flow.bounding_box(), table.bounding_box()
    assert drawn["x"] + drawn["width"] <= listed["x"] and abs(drawn["y"] - listed["y"]) < 40
    assert auditor_page.evaluate("document.documentElement.scrollWidth") <= 1280
    image = auditor_page.locator("img.chart")
    assert image.evaluate("i => i.complete && i.naturalWidth > 0")
    auditor_page.screenshot(path=str(SHOTS / "audit-log.png"), full_page=True)


def test_sign_in_and_history_pages(browser, server, auditor_page):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 700})
    anonymous = context.new_page()
    anonymous.goto(f"{server}/login")
    nav = anonymous.locator("header.site nav")
    expect(nav.locator("a")).to_have_text(["API", "Sign in"])  # nothing a signed-out visitor cannot open
    label, field = (
        anonymous.locator("label[for=username]").bounding_box(),
        anonymous.locator("#username").bounding_box(),
    )
    assert label["x"] + label["width"] <= field["x"]
    anonymous.screenshot(path=str(SHOTS / "login.png"), full_page=True)
    context.close()
    auditor_page.goto(f"{server}/audit/screenings")
    expect(auditor_page.locator("#f-verdict option")).to_contain_text(["any", "eligible"])
    auditor_page.screenshot(path=str(SHOTS / "audit-screenings.png"), full_page=True)


def test_a_value_usually_a_slip_is_confirmed_beside_its_field(page, server):
    record = json.loads((PATIENTS / "eligible.json").read_text())
    platelets = next(o for o in record["observations"] if lab_for_test(o["test"]).name == "platelets")
    platelets.update(value=3000, unit="/uL")
    page.goto(f"{server}/screen?trial=NCT06674265")
    page.fill('[name="as_of"]', "2026-11-22")
    fill(page, CHART_DATES | form_fields(record))
    page.click('button[value="screen"]')
    expect(page.locator("#confirm-summary")).to_contain_text("Check 1 value before screening")
    box = page.locator("#f-confirm-lab-platelets-value")
    expect(box).not_to_be_checked()
    expect(page.locator("#f-lab-platelets-value-confirm")).to_contain_text(
        "Platelets below 5,000 /µL: possible, but usually a slip; check the value"
    )
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "form-confirm-value.png"), full_page=True)
    page.locator("table.labs").first.screenshot(path=str(SHOTS / "form-confirm-value-labs.png"))
    box.check()
    page.click('button[value="screen"]')
    expect(page.locator(".banner")).to_contain_text("INELIGIBLE")
    expect(page.locator(".warnings")).to_contain_text("Platelets below 5,000 /µL: possible, but usually a slip")
    page.screenshot(path=str(SHOTS / "result-confirmed-value.png"), full_page=True)
