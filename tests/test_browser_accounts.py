"""In Chromium (JavaScript off): a form whose session ends mid-entry loses nothing, an admin resets a user's
password in the web page, after which that user must choose a new one, and makes a user an investigator, who is then
shown the screening log but not the users. Screenshots under artifacts/screenshots/."""
import json

import pytest

from .helpers import PATIENTS
from .test_browser import (  # noqa: F401 (fixture)
    CHART_DATES,
    LOCALE_ENV,
    PASSWORD,
    SHOTS,
    browser,
    fill,
    form_fields,
    live_site,
)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    database = tmp_path_factory.mktemp("browser-accounts") / "b.sqlite3"
    users = {"coordinator": "screener", "boss": "admin", "nurse": "screener", "dr-ivy": "screener"}
    with live_site(f"sqlite:///{database}", users) as url:
        yield url


def _context(browser):  # noqa: F811 (the fixture's value)
    return browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900}, locale="en-GB")


def _sign_in(page, server, username, password=PASSWORD):
    page.goto(f"{server}/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button:has-text('Sign in')")


def _shown(page, name: str) -> str:
    return page.locator(f'[name="{name}"]').first.input_value()


def _sign_out_in_another_tab(context, server):
    other_tab = context.new_page()  # the same browser: signing out here ends the session the form belongs to
    other_tab.goto(f"{server}/")
    other_tab.click("button:has-text('Sign out')")
    other_tab.close()


def _idle_timeout(context, server):
    # Past 30 idle minutes the browser drops the session cookie (its Max-Age), and the server would refuse it
    # anyway (its signed timestamp): the form arrives with no session at all.
    session = [c for c in context.cookies() if c["name"] == "session"]
    assert session and session[0]["expires"] > 0  # a cookie that expires: 30 minutes after the last request
    context.clear_cookies(name="session")


@pytest.mark.parametrize("session_ends", [_sign_out_in_another_tab, _idle_timeout], ids=["sign-out", "idle"])
def test_a_form_sent_after_its_session_ended_keeps_every_entry(browser, server, session_ends):  # noqa: F811
    SHOTS.mkdir(parents=True, exist_ok=True)
    shot = "draft" if session_ends is _sign_out_in_another_tab else "draft-idle"
    context = _context(browser)
    page = context.new_page()
    _sign_in(page, server, "coordinator")
    page.check("#t-NCT06674265")
    page.click("text=Open the form")
    page.fill('[name="as_of"]', "2026-11-22")
    typed = CHART_DATES | form_fields(json.loads((PATIENTS / "eligible.json").read_text()))
    fill(page, typed)
    typed = {name: value for name, value in typed.items() if page.locator(f'[name="{name}"]').count() == 1}
    assert len(typed) > 40  # most of a real form's entries
    page.screenshot(path=str(SHOTS / f"{shot}-1-form-filled.png"), full_page=True)
    session_ends(context, server)

    page.click('button[value="screen"]')
    assert page.url == f"{server}/login"
    kept = page.locator("#login-kept")
    assert kept.is_visible() and "nothing was screened" in kept.inner_text()
    page.screenshot(path=str(SHOTS / f"{shot}-2-sign-in-says-kept.png"), full_page=True)

    _sign_in(page, server, "coordinator")
    assert "/screen/kept/" in page.url and page.locator("#kept-form").is_visible()
    page.screenshot(path=str(SHOTS / f"{shot}-3-form-restored.png"), full_page=True)
    assert {name: _shown(page, name) for name in typed} == typed
    assert _shown(page, "as_of") == "2026-11-22"

    page.click('button[value="screen"]')
    assert "/results/" in page.url and page.locator(".banner").first.is_visible()
    page.goto(f"{server}/")
    assert page.locator("#kept-forms").count() == 0  # screened: the draft is gone
    context.close()


def test_an_admin_resets_a_password_and_the_user_must_choose_a_new_one(browser, server):  # noqa: F811
    SHOTS.mkdir(parents=True, exist_ok=True)
    admin = _context(browser)
    page = admin.new_page()
    _sign_in(page, server, "boss")
    page.click("nav >> text=Users")
    assert page.url == f"{server}/admin"
    page.locator("#user-nurse").get_by_role("button", name="Reset password").click()
    generated = page.locator("#generated-password").inner_text()
    assert len(generated) >= 12
    page.screenshot(path=str(SHOTS / "admin-password-reset.png"), full_page=True)
    page.fill("#new-username", "newcomer")
    page.select_option("#new-role", "auditor")
    page.click("button:has-text('Add the user')")
    assert page.locator("#generated-password").is_visible()
    page.goto(f"{server}/admin")
    assert "must choose a new password" in page.locator("#user-newcomer").inner_text()
    page.screenshot(path=str(SHOTS / "admin-users.png"), full_page=True)
    admin.close()

    nurse = _context(browser)
    page = nurse.new_page()
    _sign_in(page, server, "nurse")  # the old password is gone
    assert page.locator("#login-error").is_visible()
    _sign_in(page, server, "nurse", generated)
    assert page.url == f"{server}/password" and page.locator("#password-forced").is_visible()
    page.goto(f"{server}/")  # nothing else opens first
    assert page.url == f"{server}/password"
    page.screenshot(path=str(SHOTS / "password-must-change.png"), full_page=True)
    page.fill("#current_password", generated)
    page.fill("#new_password", "the nurse's own passphrase")
    page.fill("#repeat_password", "the nurse's own passphrase")
    page.click("button:has-text('Change password')")
    assert page.url == f"{server}/" and page.locator("text=Screen a patient").first.is_visible()
    nurse.close()


def test_an_admin_makes_a_user_an_investigator_who_sees_the_log_but_not_the_users(browser, server):  # noqa: F811
    SHOTS.mkdir(parents=True, exist_ok=True)
    admin = _context(browser)
    page = admin.new_page()
    _sign_in(page, server, "boss")
    page.goto(f"{server}/admin")
    row = page.locator("#user-dr-ivy")
    row.locator('select[name="role"]').select_option("investigator")
    row.get_by_role("button", name="Change role").click()
    assert "dr-ivy is now investigator" in page.locator("#admin-done").inner_text()
    assert page.locator("#user-dr-ivy select[name='role']").input_value() == "investigator"
    admin.close()

    ivy = _context(browser)
    page = ivy.new_page()
    _sign_in(page, server, "dr-ivy")
    assert page.url == f"{server}/"  # an investigator screens too: the form, as for a screener
    nav = page.locator("nav[aria-label='Main']")
    for shown in ("Screen a patient", "Children", "Screening history", "Screening log", "Approvals"):
        assert nav.get_by_role("link", name=shown).count() == 1, shown
    assert nav.get_by_role("link", name="Users").count() == 0
    assert "(investigator)" in nav.inner_text()
    page.screenshot(path=str(SHOTS / "investigator-nav.png"), full_page=True)
    ivy.close()
