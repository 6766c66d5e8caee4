"""Rule-set approvals in Chromium (issue 26 point 1): a screening under a version not approved at the site reads
"NOT APPROVED, pre-screening only" beside its verdict; an admin records NCT06674265's version approved from a date
on /approvals from the next day; a screening as of that day reads approved, with the reference. Screenshots under
artifacts/screenshots/ (approvals-*.png, result-not-approved.png, result-approved.png)."""
import pytest

from .test_browser import PASSWORD, SHOTS, _signed_in, browser, expect, live_site, page, screen_patient  # noqa: F401

NCT = "NCT06674265"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    database = tmp_path_factory.mktemp("approvals") / "b.sqlite3"
    with live_site(f"sqlite:///{database}", {"coordinator": "screener", "boss": "admin"}) as url:
        yield url


def test_an_admin_records_an_approval_and_results_say_whether_they_are_under_it(browser, page, server):  # noqa: F811
    screen_patient(page, server, NCT, "eligible.json", "not-approved", as_of="2026-11-22")
    banner = page.locator("section.report .banner")
    expect(banner).to_contain_text("ELIGIBLE")
    expect(banner).to_contain_text("NOT APPROVED pre-screening only — not approved at this site")
    page.screenshot(path=str(SHOTS / "result-not-approved.png"), full_page=True)

    context, admin = _signed_in(browser, server, "boss")
    admin.goto(f"{server}/approvals")
    section = admin.locator(f"#trial-{NCT}")
    expect(section).to_contain_text("none: not approved at this site")
    section.locator("summary").click()
    section.locator('[name="approved_from"]').fill("2026-11-23")
    section.locator('[name="reference"]').fill("REC 24/LO/0123")
    section.locator("button[type=submit]").click()
    expect(admin.locator("#approval-done")).to_contain_text("approved from 2026-11-23 (reference REC 24/LO/0123)")
    history = admin.locator(f"#trial-{NCT} table.approval-history")
    expect(history).to_contain_text("REC 24/LO/0123")
    expect(history).to_contain_text("boss")
    admin.screenshot(path=str(SHOTS / "approvals-page.png"), full_page=True)
    context.close()

    page.goto(f"{server}/")  # the coordinator sees the approvals page, without the form
    page.goto(f"{server}/approvals")
    expect(page.locator(f"#trial-{NCT}")).to_contain_text("REC 24/LO/0123")
    assert page.locator("form[action='/approvals']").count() == 0

    screen_patient(page, server, NCT, "eligible.json", "approved", as_of="2026-11-23")
    expect(page.locator("section.report .banner")).to_contain_text(
        "Protocol version at this site: approved (ref REC 24/LO/0123, from 2026-11-23)")
    page.screenshot(path=str(SHOTS / "result-approved.png"), full_page=True)
