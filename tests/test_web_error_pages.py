"""Errors for people: 403, 404 and 500 as HTML pages in a browser, problem+json for the API; navigation by role."""
import re

import pytest

from .helpers import authorised, make_app

PASSWORD = "a long enough password"
NAV = ("Screen a patient", "Rule sets", "Screening history", "Screening log", "Users", "API")
SEES = {"screener": {"Screen a patient", "Rule sets", "Screening history", "API"},
        "auditor": {"Rule sets", "Screening history", "Screening log", "API"},
        "admin": set(NAV)}


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    # Every test signs in afresh from one client: more than the 10 sign-ins a minute allowed (tested elsewhere).
    app = make_app(tmp_path_factory.mktemp("errors"), WTF_CSRF_ENABLED=False, LOGIN_ATTEMPTS_PER_CLIENT_PER_MINUTE=1000,
                   LOGIN_ATTEMPTS_PER_MINUTE=1000)
    from screener.audit import Accounts
    from screener.web.storage import get_store

    with app.app_context():
        for role in SEES:
            Accounts(get_store()).create_user(f"{role}-person", role, PASSWORD, "test")
    return app


def _browser(app, role):
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT"] = "text/html,application/xhtml+xml,*/*;q=0.8"
    if role != "anonymous":
        assert client.post("/login", data={"username": f"{role}-person", "password": PASSWORD}).status_code == 302
    return client


def _links(page: str) -> dict[str, str]:
    nav = page[page.index('<nav aria-label="Main">'):page.index("</nav>")]
    return {words: href for href, words in re.findall(r'<a href="([^"]+)">([^<]+)</a>', nav) if words in NAV}


def _nav(page: str) -> set[str]:
    return set(_links(page))


@pytest.mark.parametrize("role", ["screener", "auditor", "admin", "anonymous"])
def test_navigation_shows_only_what_the_role_may_open(app, role):
    client = _browser(app, role)
    page = client.get("/audit/rule-sets" if role != "anonymous" else "/login").get_data(as_text=True)
    assert _nav(page) == SEES.get(role, {"API"})
    for words, href in _links(page).items():  # and every link shown opens
        assert client.get(href).status_code == 200, words


def test_403_is_a_page_for_a_person(app):
    response = _browser(app, "screener").get("/audit/log")
    page = response.get_data(as_text=True)
    assert response.status_code == 403 and response.mimetype == "text/html"
    assert "<h1>This page is not open to your role</h1>" in page and "Signed in as screener-person (screener)" in page
    assert _nav(page) == SEES["screener"]


@pytest.mark.parametrize("path", ["/no/such/page", "/results/" + "0" * 32, "/audit/rule-sets/NOPE"])
def test_404_is_a_page_with_the_signed_in_navigation(app, path):
    response = _browser(app, "auditor").get(path)
    page = response.get_data(as_text=True)
    assert response.status_code == 404 and response.mimetype == "text/html"
    assert "<h1>Page not found</h1>" in page and _nav(page) == SEES["auditor"] and "Sign out" in page


def test_500_is_a_page_with_an_incident_id_and_nothing_else(app, monkeypatch):
    import screener.service as service  # every channel screens through the service

    def boom(*args, **kwargs):
        raise RuntimeError("secret patient detail")

    monkeypatch.setattr(service, "screen", boom)
    response = _browser(app, "screener").post(
        "/screen",
        data={
            "trial": "NCT06674265",
            "as_of": "2026-11-22",
            "demographics.birth_date": "2018-03-14",
            "demographics.sex": "female",
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 500 and response.mimetype == "text/html"
    assert "<h1>Something went wrong</h1>" in page and re.search(r'id="incident-id">[0-9a-f]{12}<', page)
    assert "secret" not in page and "Traceback" not in page


def test_the_api_keeps_problem_json(app):
    browser = _browser(app, "screener")
    response = browser.get("/api/v1/trials/NOPE")  # the API takes bearer tokens only: a browser session is refused
    assert response.status_code == 401 and response.mimetype == "application/problem+json"
    response = authorised(app, "screener").get("/api/v1/trials/NOPE", headers={"Accept": "text/html"})
    assert response.status_code == 404 and response.mimetype == "application/problem+json"
    token_client = authorised(app, "screener")
    response = token_client.get("/audit/log")
    assert response.status_code == 403 and response.mimetype == "application/problem+json"
    response = token_client.post(
        "/api/v1/trials/NCT06674265/screen?as_of=2026-11-22",
        data="{",
        content_type="application/json",
        headers={"Accept": "text/html"},
    )
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    json_client = _browser(app, "auditor")
    assert json_client.get("/nope", headers={"Accept": "application/json"}).mimetype == "application/problem+json"


def test_a_404_after_sign_out_elsewhere_shows_the_signed_out_navigation(app):
    from screener.audit import Accounts
    from screener.web.storage import get_store

    client = _browser(app, "auditor")
    assert "Sign out" in client.get("/no/such/page").get_data(as_text=True)
    with app.app_context():
        Accounts(get_store()).end_sessions("auditor-person")  # every session of this person ends on the server
    page = client.get("/no/such/page").get_data(as_text=True)
    assert "<h1>Page not found</h1>" in page and _nav(page) == {"API"} and "Sign out" not in page
