"""Nothing typed is lost (issue 25, point 6): a screening form sent after its session ended is kept, encrypted,
for the user who typed it, and opens again when they sign in; it expires, and nobody else ever sees it."""
import logging
import re
from pathlib import Path

import pytest
from freezegun import freeze_time

from screener.audit import Drafts, open_store

from .helpers import make_app

PASSWORD = "a long enough password"
TYPED = {"as_of": "2026-11-22", "record_id": "SCR-KEEP-7731", "demographics.birth_date": "2018-03-14",
         "demographics.sex": "female", "lab.platelets.value": "142", "lab.platelets.unit": "10*3/uL",
         "lab.platelets.date": "2026-11-18"}
SECRET_VALUE = "SCR-KEEP-7731"  # typed into the form; must appear nowhere in the database or the log


def _hidden(page: str, name: str) -> str:
    return re.search(rf'name="{name}" value="([^"]*)"', page)[1]


def _shown(page: str, name: str) -> str | None:
    """The value a form input shows: a text or date input's value, a select's selected option."""
    select = re.search(rf'<select[^>]*name="{re.escape(name)}".*?</select>', page, re.S)
    if select:
        chosen = re.search(r'<option value="([^"]*)" selected', select[0])
        return chosen[1] if chosen else None
    found = re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*value="([^"]*)"', page)
    return found[1] if found else None


@pytest.fixture
def clock():
    """A test's clock, frozen once the app or store exists and has served once (requested after them): code
    first run under freezegun builds pydantic schemas against its fake date class, which breaks later tests."""
    with freeze_time("2026-12-06 09:00:00") as frozen:
        yield frozen


@pytest.fixture
def site(tmp_path):
    from screener.audit import Accounts
    from screener.web.storage import get_store

    app = make_app(tmp_path)
    with app.app_context():
        for name, role in (("alice", "screener"), ("bob", "screener"), ("mallory", "screener")):
            Accounts(get_store()).create_user(name, role, PASSWORD, "test")
        Drafts(get_store()).kept("nobody")
    warm = app.test_client()  # every path the tests take, once, before a clock is frozen
    _sign_in(warm, "bob")
    hidden = _open_form(warm)
    assert warm.post("/screen", data={**hidden, **TYPED, "record_id": "WARM-UP"}).status_code == 303
    warm.get("/login")
    return app


def _sign_in(client, username: str):
    token = _hidden(client.get("/login").get_data(as_text=True), "csrf_token")
    return client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token})


def _open_form(client, trial: str = "NCT06674265") -> dict:
    page = client.get(f"/screen?trial={trial}").get_data(as_text=True)
    return {"trial": trial, "csrf_token": _hidden(page, "csrf_token"), "draft_token": _hidden(page, "draft_token")}


def _rows(app) -> list:
    from sqlalchemy import text

    from screener.web.storage import get_store

    with app.app_context(), get_store().engine.connect() as connection:
        return connection.execute(text("SELECT id, username, trial, sealed FROM form_drafts")).all()


def _kept_after_idle_timeout(app, clock):
    """alice fills the form, leaves it 31 minutes, sends it: the redirect, and her client."""
    alice = app.test_client()
    assert _sign_in(alice, "alice").status_code == 302
    hidden = _open_form(alice)
    clock.tick(31 * 60)  # past the 30-minute idle timeout, measured by the session cookie's signed timestamp
    return alice.post("/screen", data={**hidden, **TYPED}), alice


def test_a_form_sent_after_the_idle_timeout_is_kept_and_opens_again_after_sign_in(site, clock):
    sent, alice = _kept_after_idle_timeout(site, clock)
    assert sent.status_code == 302 and sent.headers["Location"] == "/login"
    login = alice.get("/login").get_data(as_text=True)
    assert 'id="login-kept"' in login and "nothing was screened" in login
    [(draft_id, owner, trial, _)] = _rows(site)
    assert owner == "alice" and trial == "NCT06674265" and re.fullmatch(r"[0-9a-f]{32}", draft_id)
    signed = _sign_in(alice, "alice")
    assert signed.headers["Location"] == f"/screen/kept/{draft_id}"
    page = alice.get(signed.headers["Location"]).get_data(as_text=True)
    assert 'id="kept-form"' in page and "nothing was screened" in page
    assert {name: _shown(page, name) for name in TYPED} == TYPED
    # Screened from the restored page: recorded, and the draft has done its work.
    again = {"trial": "NCT06674265", "csrf_token": _hidden(page, "csrf_token"),
             "draft_token": _hidden(page, "draft_token"), "draft_id": _hidden(page, "draft_id")}
    screened = alice.post("/screen", data={**again, **TYPED})
    assert screened.status_code == 303 and screened.headers["Location"].startswith("/results/")
    assert _rows(site) == [] and alice.get(f"/screen/kept/{draft_id}").status_code == 404


def test_a_form_sent_after_signing_out_in_another_tab_is_kept(site):
    alice, other_tab = site.test_client(), site.test_client()
    _sign_in(alice, "alice")
    hidden = _open_form(alice)
    _sign_in(other_tab, "alice")
    token = _hidden(other_tab.get("/").get_data(as_text=True), "csrf_token")
    assert other_tab.post("/logout", data={"csrf_token": token}).status_code == 302  # ends all of alice's sessions
    sent = alice.post("/screen", data={**hidden, **TYPED})  # the cookie is still there, its generation is over
    assert sent.headers["Location"] == "/login" and len(_rows(site)) == 1
    assert _sign_in(alice, "alice").headers["Location"].startswith("/screen/kept/")


def test_another_user_on_the_same_browser_never_sees_the_form(site, clock):
    sent, browser = _kept_after_idle_timeout(site, clock)
    [(draft_id, *_)] = _rows(site)
    assert _sign_in(browser, "bob").headers["Location"] == "/"
    assert "kept-forms" not in browser.get("/").get_data(as_text=True)
    assert browser.get(f"/screen/kept/{draft_id}").status_code == 404
    token = _hidden(browser.get("/").get_data(as_text=True), "csrf_token")
    browser.post(f"/screen/kept/{draft_id}/discard", data={"csrf_token": token})  # not bob's to discard
    assert len(_rows(site)) == 1
    # alice, from anywhere, finds it listed on the form's first page.
    alice = site.test_client()
    _sign_in(alice, "alice")
    index = alice.get("/").get_data(as_text=True)
    assert 'id="kept-forms"' in index and f"/screen/kept/{draft_id}" in index
    assert SECRET_VALUE in alice.get(f"/screen/kept/{draft_id}").get_data(as_text=True)


def test_kept_forms_expire_after_24_hours_and_are_purged(site, clock):
    alice = site.test_client()
    _sign_in(alice, "alice")
    hidden = _open_form(alice)
    clock.tick(31 * 60)
    alice.post("/screen", data={**hidden, **TYPED})
    [(draft_id, *_)] = _rows(site)
    clock.tick(24 * 3600 - 1)  # the last second of its day
    _sign_in(alice, "alice")
    assert alice.get(f"/screen/kept/{draft_id}").status_code == 200
    clock.tick(1)
    assert alice.get(f"/screen/kept/{draft_id}").status_code == 404
    assert "kept-forms" not in alice.get("/").get_data(as_text=True)
    assert _rows(site) == []  # deleted, not only hidden


def test_a_form_shown_more_than_24_hours_ago_is_not_kept_and_the_page_says_so(site, clock):
    alice = site.test_client()
    _sign_in(alice, "alice")
    hidden = _open_form(alice)
    clock.tick(24 * 3600 + 1)
    assert alice.post("/screen", data={**hidden, **TYPED}).headers["Location"] == "/login"
    assert _rows(site) == []
    assert 'id="login-lost"' in alice.get("/login").get_data(as_text=True)


def test_what_was_typed_is_encrypted_at_rest_and_never_logged(site, clock, caplog):
    caplog.set_level(logging.DEBUG)
    _kept_after_idle_timeout(site, clock)
    [(draft_id, _, _, sealed)] = _rows(site)
    assert SECRET_VALUE.encode() not in bytes(sealed) and b"142" not in bytes(sealed)
    database = Path(site.config["DATABASE_URL"].removeprefix("sqlite:///"))
    for path in database.parent.glob(database.name + "*"):  # the file, its write-ahead log and its index
        assert SECRET_VALUE.encode() not in path.read_bytes(), path.name
    assert SECRET_VALUE not in caplog.text and SECRET_VALUE not in draft_id


def test_a_cross_site_request_cannot_plant_a_form(site):
    """No session travels with a cross-site POST (SameSite=Lax): it looks like an expired one. It is refused by
    origin, a forged token is refused by signature, and a token of the attacker's own keeps a form only the
    attacker can open."""
    mallory = site.test_client()
    _sign_in(mallory, "mallory")
    own = _open_form(mallory)
    victim = site.test_client()
    for headers in ({"Sec-Fetch-Site": "cross-site"}, {"Origin": "https://evil.example"}):
        answer = victim.post("/screen", data={**own, **TYPED}, headers=headers)
        assert answer.headers["Location"].startswith("/login") and "Set-Cookie" not in answer.headers
    from itsdangerous import URLSafeTimedSerializer

    made_up = URLSafeTimedSerializer("not the service's key", salt="screener-form-draft").dumps(
        {"u": "alice", "d": "ab" * 16})
    forged = {**own, "draft_token": made_up}
    victim.post("/screen", data={**forged, **TYPED}, headers={"Sec-Fetch-Site": "same-origin"})
    assert _rows(site) == []
    victim.post("/screen", data={**own, **TYPED}, headers={"Sec-Fetch-Site": "same-origin"})
    [(draft_id, owner, *_)] = _rows(site)
    assert owner == "mallory"
    assert _sign_in(victim, "alice").headers["Location"] == "/"
    assert victim.get(f"/screen/kept/{draft_id}").status_code == 404


def test_a_sealed_form_moved_to_another_user_does_not_open(store, clock):
    """The id, the user and the trial are bound into the seal: a row edited to name someone else opens for
    nobody (SQLite and PostgreSQL)."""
    from sqlalchemy import text

    drafts = Drafts(store)
    draft_id = "ab" * 16
    drafts.keep(draft_id, "alice", "NCT06674265", {"record_id": SECRET_VALUE}, 24, 10)
    assert drafts.open(draft_id, "alice").fields == {"record_id": SECRET_VALUE}
    assert drafts.open(draft_id, "bob") is None and drafts.kept("bob") == []
    with store.engine.begin() as connection:
        connection.execute(text("UPDATE form_drafts SET username = 'bob'"))
    assert drafts.open(draft_id, "bob") is None
    for n in range(12):  # at most 10 a user: the oldest go
        clock.tick(1)
        drafts.keep(f"{n:032x}", "carol", "all", {"n": str(n)}, 24, 10)
    assert [k.id for k in drafts.kept("carol")] == [f"{n:032x}" for n in range(11, 1, -1)]


def test_screener_drafts_purge_deletes_the_expired_ones(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from screener import config
    from screener.cli import main

    monkeypatch.setattr(config, "SCREENER_INSTANCE_PATH", tmp_path)
    monkeypatch.setattr(config, "DATABASE_URL", f"sqlite:///{tmp_path / 'purge.sqlite3'}")
    drafts = Drafts(open_store())
    assert drafts.kept("alice") == [] and CliRunner().invoke(main, ["drafts", "purge"]).exit_code == 0
    with freeze_time("2026-12-06 09:00:00") as clock:
        drafts.keep("ab" * 16, "alice", "all", {"record_id": SECRET_VALUE}, 24, 10)
        clock.tick(3600)
        drafts.keep("cd" * 16, "alice", "all", {"record_id": SECRET_VALUE}, 24, 10)
        clock.tick(23 * 3600)  # the first is a day old, the second not yet
        assert CliRunner().invoke(main, ["drafts", "purge"]).output == "deleted 1 expired form draft\n"
        assert [kept.id for kept in drafts.kept("alice")] == ["cd" * 16]
