"""Issue 26's "done when", end to end in Chromium, each step by the person who does it at a site: an admin records
NCT06674265's rule-set version approved at the site from a date; a screener prepares SCR-0007 on the form; an
investigator verifies and signs it (password entered again); the signed checklist prints in at most two pages with
the signature block; a second child with one failing criterion cannot be signed, and the deviation recorded for it
appears in the sponsor export; editing the stored signature is caught by the trail's verification. The site runs on
today's real date, so the demo record's dates are moved to end today as they end on the demo day. Screenshots under
artifacts/screenshots/ (enrolment-day-*.png)."""
import csv
import datetime as dt
import io
import json
import re

import pytest

from screener.screening import rule_set_for

from .helpers import PATIENTS, tamper
from .test_browser import CHART_DATES, PASSWORD, SHOTS, _signed_in, browser, expect, fill, form_fields, live_site  # noqa: F401
from .test_browser_result import _pdf_pages

NCT = "NCT06674265"
DEMO_DAY = dt.date(2026, 11, 22)  # the day seeds/patients/eligible.json is eligible on


def _moved_to_today(fields: dict[str, str]) -> dict[str, str]:
    shift = dt.date.today() - DEMO_DAY
    return {name: re.sub(r"^\d{4}-\d{2}-\d{2}$", lambda m: (dt.date.fromisoformat(m[0]) + shift).isoformat(), value)
            for name, value in fields.items()}


def _app(database_url: str):
    from screener.web import create_app

    return create_app({"TESTING": True, "DATABASE_URL": database_url})


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    database = f"sqlite:///{tmp_path_factory.mktemp('enrolment-day') / 'b.sqlite3'}"
    users = {"boss": "admin", "coordinator": "screener", "dr-rahimi": "investigator", "audrey": "auditor"}
    with live_site(database, users) as url:
        yield url, database


def _prepare(browser, url: str, number: str, record: dict, shot: str) -> None:
    """The screener types the child's chart into the form under the child's screening number, as of today."""
    context, page = _signed_in(browser, url, "coordinator")
    page.goto(f"{url}/")
    page.check(f"#t-{NCT}")
    page.click("text=Open the form")
    page.fill('[name="as_of"]', dt.date.today().isoformat())
    page.fill('[name="screening_number"]', number)
    fill(page, _moved_to_today(CHART_DATES | form_fields(record)))
    page.click('button[value="screen"]')
    expect(page.locator("section.report .banner")).to_contain_text("Protocol version at this site: approved")
    page.screenshot(path=str(SHOTS / f"enrolment-day-{shot}.png"), full_page=True)
    context.close()


def test_enrolment_day_from_approval_to_signature_deviation_and_tamper_check(browser, site):  # noqa: F811
    url, database = site
    SHOTS.mkdir(parents=True, exist_ok=True)
    version = rule_set_for(NCT).version
    approved_from = (dt.date.today() - dt.timedelta(days=30)).isoformat()

    # 1. The admin records the ethics committee's approval of the version loaded, from a date.
    context, admin = _signed_in(browser, url, "boss")
    admin.goto(f"{url}/approvals")
    section = admin.locator(f"#trial-{NCT}")
    section.locator("summary").click()
    section.locator('[name="approved_from"]').fill(approved_from)
    section.locator('[name="reference"]').fill("REC 24/LO/0123")
    section.locator("button[type=submit]").click()
    expect(admin.locator("#approval-done")).to_contain_text(f"approved from {approved_from}")
    expect(admin.locator(f"#trial-{NCT} table.approval-history")).to_contain_text(f"{version}")
    admin.screenshot(path=str(SHOTS / "enrolment-day-approval.png"), full_page=True)
    context.close()

    # 2. The screener prepares SCR-0007 (eligible) and SCR-0008 (platelets 40,000/µL: exclusion 1 fails).
    eligible = json.loads((PATIENTS / "eligible.json").read_text())
    _prepare(browser, url, "SCR-0007", eligible, "prepared")
    failing = json.loads((PATIENTS / "eligible.json").read_text())
    next(o for o in failing["observations"] if o["test"] == "777-3")["value"] = 40
    _prepare(browser, url, "SCR-0008", failing, "prepared-failing")

    # 3. The investigator verifies SCR-0007: every criterion reviewed, the password entered again, signed.
    context, page = _signed_in(browser, url, "dr-rahimi")
    page.goto(f"{url}/children/SCR-0007")
    page.click(f"#verification-{NCT} >> text=Verify eligibility")
    expect(page.locator("#approval")).to_contain_text("REC 24/LO/0123")
    boxes = page.locator('input[name="reviewed"]')
    assert boxes.count() == len(rule_set_for(NCT).criteria)
    for i in range(boxes.count()):
        boxes.nth(i).check()
    page.check('input[name="meaning_confirmed"]')
    page.fill("#printed-name", "Leila Rahimi")
    page.fill("#sign-password", PASSWORD)
    page.screenshot(path=str(SHOTS / "enrolment-day-checklist.png"), full_page=True)
    page.click("#sign-form button[type=submit]")
    assert re.search(r"/verifications/([0-9a-f]{32})$", page.url), page.url
    verification_id = page.url.rsplit("/", 1)[1]
    expect(page.locator("#standing")).to_contain_text("Verified")
    expect(page.locator("#signature")).to_contain_text("Leila Rahimi")
    page.screenshot(path=str(SHOTS / "enrolment-day-signed.png"), full_page=True)

    # 4. The signed checklist prints in at most two pages, the signature block on the last.
    printed = [text.replace("\ufb01", "fi") for text in _pdf_pages(page, "enrolment-day-signed", "A4")]
    assert len(printed) <= 2
    assert "SCR-0007" in printed[0] and "Signature" in printed[-1] and "Leila Rahimi" in printed[-1]

    # 5. SCR-0008 cannot be signed; the investigator records the deviation.
    page.goto(f"{url}/children/SCR-0008/verify/{NCT}")
    expect(page.locator("#blockers")).to_contain_text("cannot be signed")
    assert page.locator("#sign-form").count() == 0
    page.fill("#deviation-reason", "Enrolled after sponsor review of the platelet count")
    page.click("button:has-text('Record protocol deviation')")
    expect(page.locator(f"#deviations-{NCT}")).to_contain_text(f"{NCT}-E1")
    page.screenshot(path=str(SHOTS / "enrolment-day-deviation.png"), full_page=True)
    context.close()

    # 6. The sponsor export (read by the auditor) carries the verification and the deviation.
    context, auditor = _signed_in(browser, url, "audrey")
    answer = context.request.get(f"{url}/audit/sponsor.csv?trial={NCT}")
    assert answer.status == 200, answer.status
    rows = {row["screening_number"]: row for row in csv.DictReader(io.StringIO(answer.text()))}
    assert rows["SCR-0007"]["verification_id"] == verification_id
    assert rows["SCR-0008"]["deviation_criteria"].startswith(f"{NCT}-E1")
    assert "sponsor review" in rows["SCR-0008"]["deviation_reasons"]
    context.close()

    # 7. Editing the stored signature is caught.
    app = _app(database)
    with app.app_context():
        from screener.web.storage import get_store

        store = get_store()
        assert store.verify().ok
        tamper(store, f"UPDATE verifications SET printed_name = 'Someone Else' WHERE id = '{verification_id}'")
        found = store.verify()
        assert not found.ok and verification_id in found.problem
