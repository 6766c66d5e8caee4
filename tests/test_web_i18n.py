"""The pages' language (web/i18n.py): chosen per request (account preference > lang cookie > Accept-Language >
English), switched on every page (CSRF, a bad value refused naming the field, back to a relative path only), kept
with the account (migration 0015), and never applied to the JSON API."""
import re

import pytest

from .helpers import csrf_token, make_app, signed_in_browser

PASSWORD = "a long enough password 1"


def _lang(page: str) -> str:
    return re.search(r"<html lang=\"(\w+)\"", page)[1]


@pytest.fixture
def app(tmp_path):
    app = make_app(tmp_path)
    from screener.audit import Accounts
    from screener.web.storage import get_store

    with app.app_context():
        Accounts(get_store()).create_user("nurse", "screener", PASSWORD, "test")
    return app


def _accounts(app):
    from screener.audit import Accounts
    from screener.web.storage import get_store

    with app.app_context():
        return Accounts(get_store())


def test_accept_language_decides_without_cookie_or_preference(app):
    client = app.test_client()
    assert _lang(client.get("/login").get_data(as_text=True)) == "en"
    page = client.get("/login", headers={"Accept-Language": "fa-IR,fa;q=0.9,en;q=0.5"}).get_data(as_text=True)
    assert '<html lang="fa" dir="rtl">' in page and "ورود" in page
    # A language the pages do not have falls to the best one they do, else English.
    assert _lang(client.get("/login", headers={"Accept-Language": "de, fa;q=0.3"}).get_data(as_text=True)) == "fa"
    assert _lang(client.get("/login", headers={"Accept-Language": "de"}).get_data(as_text=True)) == "en"


def test_the_cookie_beats_accept_language(app):
    client = app.test_client()
    client.set_cookie("lang", "en")
    assert _lang(client.get("/login", headers={"Accept-Language": "fa"}).get_data(as_text=True)) == "en"
    client.set_cookie("lang", "fa")
    assert _lang(client.get("/login", headers={"Accept-Language": "en"}).get_data(as_text=True)) == "fa"
    client.set_cookie("lang", "xx")  # a made-up cookie counts for nothing
    assert _lang(client.get("/login", headers={"Accept-Language": "en"}).get_data(as_text=True)) == "en"


def test_the_account_preference_beats_cookie_and_accept_language(app):
    _accounts(app).set_language("nurse", "fa")
    client, _ = signed_in_browser(app, "nurse", PASSWORD)
    client.set_cookie("lang", "en")
    page = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="fa" dir="rtl">' in page and "غربالگری بیمار" in page


def test_the_api_stays_english_whatever_the_browser_asks(app):
    client = app.test_client()
    answer = client.get("/api/v1/no-such-thing", headers={"Accept-Language": "fa"})
    assert answer.status_code in (401, 404)
    assert answer.mimetype == "application/problem+json"
    assert not re.search("[\u0600-\u06FF]", answer.get_data(as_text=True))


def test_the_switch_sets_the_cookie_and_returns_to_the_same_page(app):
    client = app.test_client()
    page = client.get("/login?next=/screen").get_data(as_text=True)
    assert 'action="/language"' in page and 'name="language" value="fa"' in page
    assert 'name="next" value="/login?next=/screen"' in page
    switched = client.post("/language", data={"language": "fa", "next": "/login?next=/screen",
                                              "csrf_token": csrf_token(page)})
    assert switched.status_code == 302 and switched.headers["Location"] == "/login?next=/screen"
    assert "lang=fa" in switched.headers["Set-Cookie"]
    assert _lang(client.get("/login").get_data(as_text=True)) == "fa"


def test_the_switch_stores_the_signed_in_accounts_preference(app):
    client, _ = signed_in_browser(app, "nurse", PASSWORD)
    assert _accounts(app).user("nurse").language is None
    page = client.get("/").get_data(as_text=True)
    switched = client.post("/language", data={"language": "fa", "next": "/", "csrf_token": csrf_token(page)})
    assert switched.status_code == 302
    assert _accounts(app).user("nurse").language == "fa"
    # Another browser of the same user, with no cookie and an English browser, reads Persian.
    other, _ = signed_in_browser(app, "nurse", PASSWORD)
    assert _lang(other.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)) == "fa"


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil.example", "/\t/evil.example",
                                    "javascript:alert(1)", ""])
def test_the_switch_returns_only_to_a_path_on_this_service(app, target):
    client = app.test_client()
    token = csrf_token(client.get("/login").get_data(as_text=True))
    switched = client.post("/language", data={"language": "en", "next": target, "csrf_token": token})
    assert switched.status_code == 302 and switched.headers["Location"] == "/"


def test_a_bad_language_is_refused_naming_the_field_and_nothing_is_stored(app):
    client, _ = signed_in_browser(app, "nurse", PASSWORD)
    token = csrf_token(client.get("/").get_data(as_text=True))
    refused = client.post("/language", data={"language": "de<script>", "next": "/", "csrf_token": token},
                          headers={"Accept": "application/json"})
    assert refused.status_code == 400
    body = refused.get_json()
    assert "language" in body["detail"] and "<script>" not in refused.get_data(as_text=True)
    assert "Set-Cookie" not in refused.headers or "lang=" not in refused.headers["Set-Cookie"]
    assert _accounts(app).user("nurse").language is None


def test_the_switch_needs_the_pages_csrf_token(tmp_path):
    app = make_app(tmp_path)
    refused = app.test_client().post("/language", data={"language": "fa", "next": "/"})
    assert refused.status_code == 400
    assert "lang=" not in refused.headers.get("Set-Cookie", "")


def test_an_english_page_has_no_direction_attribute_and_no_unreviewed_notice(app):
    page = app.test_client().get("/login").get_data(as_text=True)
    assert page.startswith('<!doctype html>\n<html lang="en">\n') and "unreviewed-translation" not in page


def test_a_persian_page_says_its_translation_is_not_yet_reviewed(app, monkeypatch):
    from screener.web import i18n

    client = app.test_client()
    client.set_cookie("lang", "fa")
    assert 'id="unreviewed-translation"' in client.get("/login").get_data(as_text=True)
    monkeypatch.setattr(i18n, "unreviewed", lambda language: [])
    assert 'id="unreviewed-translation"' not in client.get("/login").get_data(as_text=True)


def test_an_upgraded_store_keeps_every_account_on_its_browsers_language(tmp_path, monkeypatch):
    """Migration 0015 adds users.language, NULL for every account an earlier release made."""
    import shutil

    from sqlalchemy import create_engine, inspect, text

    from screener import config

    from .test_upgrade import KEY, STORES

    database = tmp_path / "store.sqlite3"
    shutil.copyfile(STORES / "0012.sqlite3", database)
    monkeypatch.setattr(config, "SCREENER_AUDIT_KEY", KEY)
    app = make_app(tmp_path, DATABASE_URL=f"sqlite:///{database}")
    assert app.test_client().get("/login").status_code == 200
    with app.app_context():
        from screener.web.storage import get_store

        get_store()  # opening the store upgrades it
    engine = create_engine(f"sqlite:///{database}")
    try:
        columns = {c["name"]: c for c in inspect(engine).get_columns("users")}
        assert columns["language"]["nullable"]
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM users WHERE language IS NOT NULL")).scalar() == 0
            assert connection.execute(text("SELECT count(*) FROM users")).scalar() >= 3
            assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0015"
    finally:
        engine.dispose()
