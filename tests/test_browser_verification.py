"""Enrolment-day verification in Chromium (issue 26 points 2-4): an investigator opens a child's checklist from the
child's page, ticks every criterion, confirms the meaning, types the name and the password again, signs, and lands
on the signed checklist, which prints on at most two A4 (and Letter) pages with the signature block; a child failing
a criterion has no sign form, and the protocol deviation recorded for it shows on the child's page. The site runs on
today's real date (the server's clock is not frozen): the demo record's dates are moved to end on today as the
eligible record ends on its own day. Screenshots and PDFs under artifacts/screenshots/ (verify-*.png, verify-*.pdf)."""
import datetime as dt
import json
import re

import pytest

from screener.model.verification import meaning
from screener.screening import rule_set_for

from .helpers import PATIENTS
from .test_browser import PASSWORD, SHOTS, _signed_in, browser, expect, live_site  # noqa: F401 (fixtures)
from .test_browser_result import PAPER, _pdf_pages

NCT = "NCT06674265"
DEMO_DAY = dt.date(2026, 11, 22)  # the day seeds/patients/eligible.json is eligible on


def _moved_to_today(text: str) -> str:
    """The record with every date moved by as many days as today is after the demo day: the same child, as fresh
    today as the demo record is on its day."""
    shift = dt.date.today() - DEMO_DAY
    return re.sub(r"\d{4}-\d{2}-\d{2}", lambda m: (dt.date.fromisoformat(m[0]) + shift).isoformat(), text)


def _seed(database_url: str) -> tuple[str, str]:
    """The approval in force and two screenings by the coordinator: an eligible child and one with platelets of
    40,000/µL. Through the service, as the form would record them."""
    from screener import service
    from screener.model.approvals import ApprovalRequest
    from screener.model.record import PatientRecord
    from screener.web import create_app
    from screener.web.storage import get_store

    app = create_app({"TESTING": True, "DATABASE_URL": database_url})
    eligible = _moved_to_today((PATIENTS / "eligible.json").read_text())
    failing = json.loads(eligible)
    next(o for o in failing["observations"] if o["test"] == "777-3")["value"] = 40
    with app.app_context():
        store = get_store()
        service.record_approval(store, NCT, ApprovalRequest(
            version=rule_set_for(NCT).version, approved_from=dt.date.today() - dt.timedelta(days=30),
            reference="REC 24/LO/0123"), actor="user:boss")
        numbers = [service.screen_and_record(PatientRecord.model_validate(record), dt.date.today(),
                                             channel=service.Channel.FORM, actor="user:coordinator",
                                             recorder=store, trial=NCT).screening_number
                   for record in (json.loads(eligible), failing)]
    return numbers[0], numbers[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    database = f"sqlite:///{tmp_path_factory.mktemp('verify') / 'b.sqlite3'}"
    with live_site(database, {"coordinator": "screener", "dr-rahimi": "investigator"}) as url:
        yield url, _seed(database)


def test_an_investigator_reviews_every_criterion_signs_and_the_checklist_prints_in_two_pages(browser, server):  # noqa: F811
    url, (number, _failing) = server
    SHOTS.mkdir(parents=True, exist_ok=True)
    context, page = _signed_in(browser, url, "dr-rahimi")
    page.goto(f"{url}/children/{number}")
    expect(page.locator(f"#verification-{NCT}")).to_contain_text("not verified")
    page.click(f"#verification-{NCT} >> text=Verify eligibility")
    expect(page.locator("h1")).to_contain_text(f"Eligibility verification: {number}, {NCT}")
    expect(page.locator("#approval")).to_contain_text("reference REC 24/LO/0123")
    boxes = page.locator('input[name="reviewed"]')
    assert boxes.count() == len(rule_set_for(NCT).criteria) == 21
    page.screenshot(path=str(SHOTS / "verify-checklist.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})  # a phone: each criterion a card, nothing sideways
    page.screenshot(path=str(SHOTS / "verify-checklist-390.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.set_viewport_size({"width": 1280, "height": 900})
    page.click("#sign-form button[type=submit]")  # nothing ticked: the browser refuses to send the form
    assert "/verify/" in page.url and page.locator("#errors").count() == 0
    for i in range(boxes.count()):
        boxes.nth(i).check()
    page.check('input[name="meaning_confirmed"]')
    page.fill("#printed-name", "Leila Rahimi")
    page.fill("#sign-password", "not the password at all")
    page.click("#sign-form button[type=submit]")
    expect(page.locator("#password-error")).to_contain_text("is not your password")
    assert page.locator('input[name="reviewed"]:checked').count() == 21  # the review is kept, the password is not
    assert page.input_value("#sign-password") == ""
    page.screenshot(path=str(SHOTS / "verify-wrong-password.png"), full_page=True)
    page.fill("#sign-password", PASSWORD)
    page.click("#sign-form button[type=submit]")
    assert re.search(r"/verifications/[0-9a-f]{32}$", page.url), page.url
    expect(page.locator("#standing")).to_contain_text("Verified")
    signature = page.locator("#signature")
    expect(signature).to_contain_text("Leila Rahimi")
    expect(signature).to_contain_text("dr-rahimi")
    expect(signature).to_contain_text(meaning(NCT, rule_set_for(NCT).version))
    expect(signature).to_contain_text("UTC")
    page.screenshot(path=str(SHOTS / "verify-signed.png"), full_page=True)
    for paper in PAPER:
        # Chromium sets "fi" as one glyph, which the PDF's text gives back as the ligature.
        printed = [text.replace("\ufb01", "fi") for text in _pdf_pages(page, "verify-signed", paper)]
        assert len(printed) <= 2, (paper, len(printed))
        text = " ".join(printed)
        assert number in printed[0] and "REC 24/LO/0123" in printed[0]
        assert "Signature" in printed[-1] and "Leila Rahimi" in printed[-1] and "I confirm that this child" in text
    page.goto(f"{url}/children/{number}")
    expect(page.locator(f"#verification-{NCT}")).to_contain_text("verified")
    expect(page.locator(f"#verification-{NCT}")).to_contain_text("signed by Leila Rahimi")
    page.screenshot(path=str(SHOTS / "verify-child.png"), full_page=True)
    context.close()


def test_a_failing_child_has_no_sign_form_and_its_deviation_shows_on_the_child_page(browser, server):  # noqa: F811
    url, (_number, failing) = server
    context, page = _signed_in(browser, url, "dr-rahimi")
    page.goto(f"{url}/children/{failing}/verify/{NCT}")
    expect(page.locator("#blockers")).to_contain_text("cannot be signed (no criterion is waived)")
    assert page.locator("#sign-form").count() == 0 and page.locator('input[name="password"]').count() == 0
    page.fill("#deviation-reason", "Enrolled after sponsor review of the platelet count")
    page.screenshot(path=str(SHOTS / "verify-failing.png"), full_page=True)
    page.click("button:has-text('Record protocol deviation')")
    deviations = page.locator(f"#deviations-{NCT}")
    expect(deviations).to_contain_text(f"{NCT}-E1: Enrolled after sponsor review of the platelet count")
    expect(deviations).to_contain_text("recorded by user:dr-rahimi")
    page.screenshot(path=str(SHOTS / "verify-deviation-child.png"), full_page=True)
    context.close()
    # The coordinator who prepared the child reads the checklist, without any form.
    context, page = _signed_in(browser, url, "coordinator")
    page.goto(f"{url}/children/{failing}")
    page.click(f"#verification-{NCT} >> text=Checklist")
    expect(page.locator("#read-only")).to_contain_text("only an investigator signs")
    assert page.locator("form#deviation-form").count() == 0 and page.locator("#sign-form").count() == 0
    page.screenshot(path=str(SHOTS / "verify-screener-readonly.png"), full_page=True)
    context.close()
