"""The other date inputs of a Persian page, typed in Solar Hijri like the screening form's (issue 30 point 2): a child's
outcome date, an approval's "in force from" date, the screening history's and the screening log's date filters.
Each is read in the calendar the form names (web/calendar_input.py, model/calendars.py) into ISO before anything is
checked or stored; one that does not read is refused naming the field, the value not echoed, nothing stored. English
pages keep the browser's native ISO date inputs."""
import re

import pytest
from freezegun import freeze_time

from screener.screening import rule_set_for

from .helpers import make_app, signed_in_browser

PASSWORD = "a long enough password 2"
TRIAL = "NCT06674265"
PERSIAN = {"Accept-Language": "fa-IR,fa;q=0.9"}
SCREEN = {"trial": TRIAL, "as_of": "2026-11-22", "demographics.birth_date": "2018-03-14", "demographics.sex": "female",
          "action": "screen"}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """One app, every page used once before a clock is frozen (code first run under freezegun builds pydantic schemas
    against its fake date class); a screening recorded on 22 Nov 2026 (1 Azar 1405) for the filters."""
    from screener.audit import Accounts
    from screener.web.storage import get_store

    app = make_app(tmp_path_factory.mktemp("small-forms"), WTF_CSRF_ENABLED=False)
    with app.app_context():
        for name, role in (("sam", "screener"), ("ada", "auditor"), ("boss", "admin")):
            Accounts(get_store()).create_user(name, role, PASSWORD, "test")
    clients = {name: signed_in_browser(app, name, PASSWORD)[0] for name in ("sam", "ada", "boss")}
    warm = clients["sam"].post("/screen", data=SCREEN)
    assert warm.status_code == 303, warm.headers.get("Location")  # warm; recorded today, outside the filter
    with freeze_time("2026-11-22 09:30:00"):  # a session started then (one from the real today would have lapsed)
        assert _session(app, "sam").post("/screen", data=SCREEN).status_code == 303  # SCR-0002, on 1 Azar 1405
    for path in ("/children/SCR-0002", "/approvals", "/audit/screenings", "/audit/log"):
        assert clients["ada"].get(path, headers=PERSIAN).status_code == 200
    return app, clients


def _session(app, name: str):
    return signed_in_browser(app, name, PASSWORD)[0]


def _events(app, action: str | None = None) -> list:
    from screener.web.storage import get_store

    with app.app_context():
        return [e for e in get_store().events() if action is None or e.action == action]


def _input(page: str, name: str) -> str:
    return re.search(rf'<input[^>]*name="{name}"[^>]*>', page)[0]


# --- a child's outcome date -------------------------------------------------------------------------------------------
def test_the_outcome_date_is_typed_in_solar_hijri_on_a_persian_page_and_stored_gregorian(site):
    app, clients = site
    page = clients["sam"].get("/children/SCR-0002", headers=PERSIAN).get_data(as_text=True)
    assert 'type="text"' in _input(page, "date") and 'placeholder="۱۴۰۵/۰۹/۰۱"' in _input(page, "date")
    assert 'name="calendar"' in page
    english = clients["sam"].get("/children/SCR-0002").get_data(as_text=True)
    assert 'type="date"' in _input(english, "date") and 'name="calendar"' not in english
    with freeze_time("2026-11-25"):
        sent = _session(app, "sam").post("/children/SCR-0002/outcomes", headers=PERSIAN, data={
            "trial_id": TRIAL, "outcome": "consented", "date": "۱۴۰۵/۰۹/۰۲", "calendar": "solar_hijri"})
    assert sent.status_code == 303, sent.get_data(as_text=True)[-800:]
    shown = clients["sam"].get("/children/SCR-0002").get_data(as_text=True)
    assert "on 23 Nov 2026" in shown  # 2 Azar 1405, as the English page reads it


@pytest.mark.parametrize(("typed", "words"), [
    ("۱۴۰۴/۱۲/۳۰", "Not a day of the Solar Hijri calendar"),  # 1404 is not a leap year
    ("2026/11/23", "A Solar Hijri year is between"),  # a Gregorian date typed as Solar Hijri: refused, not misread
    ("yesterday", "Enter a Solar Hijri date"),
])
def test_an_outcome_date_that_does_not_read_is_refused_naming_the_field_with_nothing_stored(site, typed, words):
    from screener.wording.catalogues import translations

    app, clients = site
    with freeze_time("2026-11-25"):
        client = _session(app, "sam")
        before = len(_events(app))  # after the sign-in's own event
        sent = client.post("/children/SCR-0002/outcomes", headers=PERSIAN, data={
            "trial_id": TRIAL, "outcome": "consented", "date": typed, "calendar": "solar_hijri"})
    page = sent.get_data(as_text=True)
    assert sent.status_code == 422
    summary = re.search(r'<div class="error-summary".*?</div>', page, re.S)[0]
    persian_words = translations("calendar", "fa").gettext
    assert "date:" in summary
    assert any(persian_words(message).split("{")[0][:20] in summary for message in _calendar_errors(words))
    assert typed not in summary
    assert len(_events(app)) == before


def _calendar_errors(starting: str) -> list[str]:
    from screener.web.calendar_input import ERRORS

    return [message for message in ERRORS.values() if message.startswith(starting)]


def test_an_outcome_date_after_today_in_solar_hijri_is_refused_as_a_gregorian_one_would_be(site):
    app, clients = site
    with freeze_time("2026-11-25"):
        client = _session(app, "sam")
        before = len(_events(app))  # after the sign-in's own event
        sent = client.post("/children/SCR-0002/outcomes", headers=PERSIAN, data={
            "trial_id": TRIAL, "outcome": "consented", "date": "1405/09/05", "calendar": "solar_hijri"})  # 26 Nov
    assert sent.status_code == 422 and len(_events(app)) == before


# --- an approval's "in force from" date -----------------------------------------------------------------------------
def test_an_approval_date_is_typed_in_solar_hijri_and_stored_gregorian(site):
    from screener import service
    from screener.web.storage import get_store

    app, clients = site
    page = clients["boss"].get("/approvals", headers=PERSIAN).get_data(as_text=True)
    assert 'type="text"' in _input(page, "approved_from") and 'name="calendar"' in page
    assert 'type="date"' in _input(clients["boss"].get("/approvals").get_data(as_text=True), "approved_from")
    bad = clients["boss"].post("/approvals", headers=PERSIAN, data={
        "trial_id": TRIAL, "version": rule_set_for(TRIAL).version, "approved_from": "۱۴۰۵/۰۷/۳۱",  # Mehr has 30 days
        "reference": "IR.IUMS.REC.1405.123", "kind": "approved", "calendar": "solar_hijri"})
    assert bad.status_code == 422 and "approved_from:" in bad.get_data(as_text=True)
    assert "۱۴۰۵/۰۷/۳۱" not in bad.get_data(as_text=True) and _events(app, "approval.recorded") == []
    sent = clients["boss"].post("/approvals", headers=PERSIAN, data={
        "trial_id": TRIAL, "version": rule_set_for(TRIAL).version, "approved_from": "1405/01/01",  # Nowruz
        "reference": "IR.IUMS.REC.1405.123", "kind": "approved", "calendar": "solar_hijri"})
    assert sent.status_code == 303, sent.get_data(as_text=True)[-800:]
    with app.app_context():
        history = service.approvals_of(get_store(), TRIAL).history
    assert [entry.approved_from.isoformat() for entry in history] == ["2026-03-21"]


# --- the screening history's and the screening log's date filters -------------------------------------------------
@pytest.mark.parametrize("path", ["/audit/screenings", "/audit/log"])
def test_the_date_filters_read_solar_hijri_and_show_it_back(site, path):
    _, clients = site
    query = {"trial": TRIAL, "from": "۱۴۰۵/۰۹/۰۱", "to": "1405/09/01", "calendar": "solar_hijri"}
    page = clients["ada"].get(path, query_string=query, headers=PERSIAN).get_data(as_text=True)
    assert 'class="error"' not in page
    assert 'value="۱۴۰۵/۰۹/۰۱"' in _input(page, "from") and 'value="۱۴۰۵/۰۹/۰۱"' in _input(page, "to")
    iso = clients["ada"].get(path, query_string={"trial": TRIAL, "from": "2026-11-22", "to": "2026-11-22"})
    english = iso.get_data(as_text=True)
    assert 'type="date"' in _input(english, "from") and 'value="2026-11-22"' in _input(english, "from")
    if path == "/audit/screenings":  # the one screening recorded that day, as with the ISO filter
        assert page.count('href="/audit/screenings/') == english.count('href="/audit/screenings/') == 1
    else:
        assert "2026-11-22" in re.search(r'href="/audit/log\.csv\?[^"]*"', page)[0]  # exports keep the ISO period


@pytest.mark.parametrize("path", ["/audit/screenings", "/audit/log"])
def test_a_date_filter_that_does_not_read_names_the_filter_and_is_not_echoed(site, path):
    _, clients = site
    page = clients["ada"].get(path, query_string={"from": "1405/13/01", "calendar": "solar_hijri"},
                              headers=PERSIAN).get_data(as_text=True)
    error = re.search(r'<p class="error" role="alert">(.*?)</p>', page, re.S)[1]
    assert error.startswith("&#39;from&#39;:") or error.startswith("'from':")
    assert "1405/13/01" not in error and 'value=""' in _input(page, "from")  # (the language switch keeps the query)
