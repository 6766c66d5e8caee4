"""Links a role cannot use are not shown: each role signs in, walks every page it is shown a link to, and
requests every link and image on them; none answers 403 (nor fails)."""
import re
from html.parser import HTMLParser
from urllib.parse import urldefrag, urlsplit

import pytest

from screener.roles import ROLES

from .helpers import PATIENTS, authorised, make_app

PASSWORD = "a long enough password"
MAX_PAGES = 200


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.found.append(attrs["href"])
        elif tag in ("img", "link", "script") and (attrs.get("src") or attrs.get("href")):
            self.found.append(attrs.get("src") or attrs["href"])
        elif tag == "form" and (attrs.get("method") or "get").lower() == "get" and attrs.get("action"):
            self.found.append(attrs["action"])


def _links(page: str) -> list[str]:
    parser = _Links()
    parser.feed(page)
    local = []
    for href in parser.found:
        path = urldefrag(href)[0]
        if path and not urlsplit(path).scheme and not urlsplit(path).netloc:
            local.append(path)
    return local


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    from screener.audit import Accounts
    from screener.web.storage import get_store

    app = make_app(tmp_path_factory.mktemp("links"), WTF_CSRF_ENABLED=False)
    with app.app_context():
        for role in ROLES:
            Accounts(get_store()).create_user(f"walk-{role}", role, PASSWORD, "test")
    # Someone else's screening (through the API), and the screener's own (through the form).
    answer = authorised(app, "screener", "someone-else").post(
        "/api/v1/trials/NCT06674265/screen?as_of=2026-11-22", data=(PATIENTS / "eligible.json").read_text(),
        content_type="application/json")
    assert answer.status_code == 200
    screener = app.test_client()
    screener.post("/login", data={"username": "walk-screener", "password": PASSWORD})
    form = {"trial": "NCT06674265", "as_of": "2026-11-22", "demographics.birth_date": "2018-03-14",
            "demographics.sex": "female"}
    assert screener.post("/screen", data=form).status_code == 303
    return app


@pytest.mark.parametrize("role", ROLES)
def test_every_link_a_role_is_shown_opens_for_it(site, role):
    client = site.test_client()
    signed = client.post("/login", data={"username": f"walk-{role}", "password": PASSWORD})
    assert signed.status_code == 302
    queue, seen, refused = [signed.headers["Location"]], set(), []
    while queue and len(seen) < MAX_PAGES:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        response = client.get(path)
        if response.status_code in (401, 403) or response.status_code >= 500:
            refused.append((path, response.status_code))
            continue
        if response.mimetype == "text/html" and response.status_code == 200:
            queue += [link for link in _links(response.get_data(as_text=True)) if link not in seen]
    assert refused == [], f"{role} is shown links it cannot use: {refused}"
    assert len(seen) < MAX_PAGES
    # The walk reached what the role is for, so a role shown nothing would not pass unnoticed.
    expected = {"screener": ["/screen", "/audit/screenings/"], "auditor": ["/audit/export/", "/audit/log.png"],
                "admin": ["/admin", "/audit/verify"],
                # Screens, and reads someone else's screening and the log with its sponsor's export.
                "investigator": ["/screen", "/audit/sponsor.csv", "/audit/log.png", "/children/"]}[role]
    for prefix in expected:
        assert any(p.startswith(prefix) for p in seen), (role, prefix, sorted(seen))
    if role == "screener":
        assert not any(re.match(r"/audit/(export|verify|log)", p) for p in seen)
    if role == "investigator":
        assert not any(re.match(r"/(audit/(export|verify)|admin)", p) for p in seen)
        assert len([p for p in seen if p.startswith("/audit/screenings/")]) == 2  # the screener's and someone else's
