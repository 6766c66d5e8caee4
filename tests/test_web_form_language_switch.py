"""The language switch on the screening form (issue 30): it sends the form, so a form shown again with errors (a POST's
page) is shown in the other language with everything typed, its dates rewritten in the other page's calendar, and
nothing screened; the choice is kept (cookie, account) as the header's switch keeps it."""
import re

import pytest

from .helpers import make_app, signed_in_browser

PASSWORD = "a long enough password 3"
TRIAL = "NCT06674265"


@pytest.fixture
def coordinator(tmp_path):
    from screener.audit import Accounts
    from screener.web.storage import get_store

    app = make_app(tmp_path, WTF_CSRF_ENABLED=False)
    with app.app_context():
        Accounts(get_store()).create_user("sam", "screener", PASSWORD, "test")
    return app, signed_in_browser(app, "sam", PASSWORD)[0]


def _stored(app) -> int:
    from screener.web.storage import get_store

    with app.app_context():
        return len(get_store().screenings())


def _value(page: str, name: str) -> str:
    return re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*value="([^"]*)"', page)[1]


def test_the_form_page_switch_sends_the_form(coordinator):
    _, client = coordinator
    page = client.get(f"/screen?trial={TRIAL}", headers={"Accept-Language": "fa"}).get_data(as_text=True)
    assert '<form id="screening-form"' in page
    assert re.search(r'<button type="submit" form="screening-form" name="action" value="language:en"', page)
    assert 'action="/language"' not in page  # not the header's switch, which would lose what is typed


def test_a_persian_form_with_errors_switched_to_english_keeps_what_was_typed_in_gregorian(coordinator):
    app, client = coordinator
    typed = {"trial": TRIAL, "calendar": "solar_hijri", "as_of": "۱۴۰۵/۰۹/۰۱", "demographics.birth_date": "1396/12/23",
             "lab.platelets.value": "abc", "lab.platelets.date": "۱۴۰۵/۰۸/۲۷"}
    refused = client.post("/screen", headers={"Accept-Language": "fa"}, data={**typed, "action": "screen"})
    assert refused.status_code == 422 and '<html lang="fa" dir="rtl">' in refused.get_data(as_text=True)
    switched = client.post("/screen", headers={"Accept-Language": "fa"}, data={**typed, "action": "language:en"})
    page = switched.get_data(as_text=True)
    assert switched.status_code == 200 and '<html lang="en">' in page
    assert _value(page, "as_of") == "2026-11-22"  # 1 Azar 1405
    assert _value(page, "demographics.birth_date") == "2018-03-14"  # 23 Esfand 1396
    assert _value(page, "lab.platelets.date") == "2026-11-18"
    assert _value(page, "lab.platelets.value") == "abc"  # as typed, to be corrected
    assert _stored(app) == 0  # nothing screened
    assert "lang=en" in switched.headers["Set-Cookie"]
    after = client.get(f"/screen?trial={TRIAL}", headers={"Accept-Language": "fa"}).get_data(as_text=True)
    assert '<html lang="en">' in after  # the choice is the account's now, over the browser's Accept-Language


def test_an_english_form_switched_to_persian_shows_its_dates_in_solar_hijri(coordinator):
    app, client = coordinator
    sent = client.post("/screen", data={"trial": TRIAL, "as_of": "2026-03-21", "demographics.birth_date": "2018-03-14",
                                        "action": "language:fa"})
    page = sent.get_data(as_text=True)
    assert sent.status_code == 200 and '<html lang="fa" dir="rtl">' in page
    assert _value(page, "as_of") == "۱۴۰۵/۰۱/۰۱"  # Nowruz
    assert _value(page, "demographics.birth_date") == "۱۳۹۶/۱۲/۲۳"
    assert _stored(app) == 0


def test_an_unknown_language_is_not_a_switch(coordinator):
    app, client = coordinator
    sent = client.post("/screen", data={"trial": TRIAL, "as_of": "2026-11-22", "action": "language:de"})
    assert sent.status_code == 422  # sent as a screening, refused for what it lacks
    assert "lang=" not in sent.headers.get("Set-Cookie", "") and _stored(app) == 0


def test_a_label_the_form_capitalises_from_a_data_word_reads_in_persian(coordinator):
    _, client = coordinator
    page = client.get(f"/screen?trial={TRIAL}", headers={"Accept-Language": "fa"}).get_data(as_text=True)
    assert "تشخیص پاتولوژیک تأیید شده" in page  # the catalogue's "pathological diagnosis confirmed"
    assert "Pathological diagnosis confirmed" not in page
    english = client.get(f"/screen?trial={TRIAL}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Pathological diagnosis confirmed" in english
