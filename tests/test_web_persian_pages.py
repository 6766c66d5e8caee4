"""Persian pages: every word the web layer and its templates say has a Persian translation in web.po, and the main
pages read in Persian, right to left, with no English left outside what is marked lang="en" (the registry's verbatim
words, trial titles, and words another layer has not translated yet)."""
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from screener.wording.catalogues import catalogue_path

from .helpers import REPO, make_app

PASSWORD = "a long enough password 1"
# Latin words a Persian chart keeps in Latin script: codes, units, lab abbreviations, formats, product names.
ALLOWED = {"UTC", "API", "JSON", "NK", "SCR", "NCT", "kg", "cm", "MRN", "CSRF", "status", "draft", "ALT", "AST",
           "ANC", "mg", "dL", "L", "uL", "mL", "µmol", "umol", "g", "x", "IU", "U", "m", "min", "GFR", "eGFR", "PDF",
           "FHIR", "ISO", "mm", "mmol", "mol", "kat", "n"}
_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")


def test_every_web_msgid_has_a_persian_translation(tmp_path):
    pot = tmp_path / "web.pot"
    pybabel = Path(sys.executable).parent / "pybabel"
    subprocess.run([str(pybabel), "-q", "extract", "--no-location", "-F", str(REPO / "babel.cfg"), "-k", "_l", "-k",
                    "N_", "-k", "lazy_gettext", "-o", str(pot), str(REPO / "screener" / "web")],
                   check=True, capture_output=True)
    with pot.open("rb") as handle:
        extracted = {m.id for m in read_po(handle) if m.id}
    with catalogue_path("web", "fa").open("rb") as handle:
        catalogue = read_po(handle)
    translated = {m.id for m in catalogue if m.id and not m.fuzzy
                  and all(m.string if isinstance(m.string, tuple) else [m.string])}
    assert len(extracted) > 150
    assert extracted - translated == set()


class _Visible(HTMLParser):
    """The text a reader sees, leaving out what is marked lang="en" (and scripts, styles)."""

    def __init__(self):
        super().__init__()
        self.stack: list[tuple[str, bool]] = []
        self.text: list[str] = []

    def _english(self) -> bool:
        return any(skip for _, skip in self.stack)

    def handle_starttag(self, tag, attrs):
        if tag in ("br", "input", "meta", "link", "img", "hr", "col"):
            return
        attributes = dict(attrs)
        skip = attributes.get("lang") == "en" and tag != "html" or tag in ("script", "style", "code", "pre")
        self.stack.append((tag, skip))

    def handle_endtag(self, tag):
        while self.stack:
            opened, _ = self.stack.pop()
            if opened == tag:
                break

    def handle_data(self, data):
        if not self._english():
            self.text.append(data)


_ARABIC_SCRIPT = re.compile(r"[\u0600-\u06FF]")
# The source's own words quoted in a Persian note («…»), or a term glossed in English in brackets after its Persian:
# they stay in the source's language.
_QUOTED = re.compile(r"«[^»]*»|\([A-Za-z][A-Za-z '’-]*\)")
_LATIN_RUN = re.compile(r"(?<![\w/.])[A-Za-z][A-Za-z'’-]*(?: +[A-Za-z][A-Za-z'’-]*)+(?![\w/.])")


def _persian_text(node: str) -> str:
    """A Persian sentence keeps the Latin terms charts keep (a drug, a unit, a file: one word or a path each) and may
    quote the source's English words; an English phrase of two words or more inside it is not Persian."""
    node = _QUOTED.sub(" ", node)
    runs = _LATIN_RUN.findall(node)
    return " ".join(runs)


def _english_left(page: str) -> list[str]:
    parser = _Visible()
    parser.feed(page)
    text = " ".join(_persian_text(node) if _ARABIC_SCRIPT.search(node) else node for node in parser.text)
    # ids and codes (NCT06674265, IRCT…N1, SCR-0042, hex ids), abbreviations, the signed-in account's name
    text = re.sub(r"\b([A-Z][A-Za-z0-9-]*[0-9][A-Za-z0-9-]*|[0-9a-f]{8,}|[A-Z]{2,})\b", " ", text)
    text = re.sub(r"(user:)?parisa(\.\w+)?", " ", text)  # the accounts' names, as actors too
    return sorted({w for w in _LATIN_WORD.findall(text) if w not in ALLOWED})


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    app = make_app(tmp_path_factory.mktemp("fa"), WTF_CSRF_ENABLED=False)
    from screener.audit import Accounts
    from screener.web.storage import get_store

    with app.app_context():
        Accounts(get_store()).create_user("parisa", "screener", PASSWORD, "test")
        Accounts(get_store()).create_user("parisa.admin", "admin", PASSWORD, "test")
        Accounts(get_store()).create_user("parisa.pi", "investigator", PASSWORD, "test")
    return app


@pytest.fixture(scope="module")
def reader(site):
    client = site.test_client()
    client.set_cookie("lang", "fa")
    assert client.post("/login", data={"username": "parisa", "password": PASSWORD}).status_code == 302
    return client


def _signed_in(site, username: str):
    client = site.test_client()
    client.set_cookie("lang", "fa")
    assert client.post("/login", data={"username": username, "password": PASSWORD}).status_code == 302
    return client


def _pages(reader) -> dict[str, str]:
    form = {"trial": "NCT06674265", "as_of": "2026-11-22", "demographics.birth_date": "2018-03-14",
            "demographics.sex": "female", "lab.platelets.value": "45", "lab.platelets.unit": "10*3/uL",
            "lab.platelets.date": "2026-11-20"}
    screened = reader.post("/screen", data=form)
    assert screened.status_code == 303
    anonymous = reader.application.test_client()
    anonymous.set_cookie("lang", "fa")
    return {
        "login": anonymous.get("/login").get_data(as_text=True),
        "form index": reader.get("/").get_data(as_text=True),
        "form": reader.get("/screen?trial=NCT06674265").get_data(as_text=True),
        "form with errors": reader.post("/screen", data={**form, "demographics.birth_date": "2030-01-01"})
        .get_data(as_text=True),
        "result": reader.get(screened.headers["Location"]).get_data(as_text=True),
        "error": reader.get("/no-such-page", headers={"Accept": "text/html"}).get_data(as_text=True),
    }


def _more_pages(site, reader) -> dict[str, str]:
    """The other pages of each role: the screening log and children, the auditor's views, the admin's."""
    form = {"trial": "NCT06674265", "as_of": "2026-11-22", "demographics.birth_date": "2018-03-14",
            "demographics.sex": "female"}
    result = reader.post("/screen", data=form).headers["Location"]
    page = reader.get(result).get_data(as_text=True)
    number = re.search(r"<strong>(SCR-\d{4})</strong>", page)[1]
    screening = re.search(r"/screenings/([0-9a-f]+)/void", page)[1]
    admin = _signed_in(site, "parisa.admin")
    pi = _signed_in(site, "parisa.pi")
    get = {
        "password": (reader, "/password"), "worksheet": (reader, "/screen/worksheet?trial=NCT06674265"),
        "children": (reader, "/children"), "child": (reader, f"/children/{number}"),
        "void": (reader, f"/screenings/{screening}/void"), "history": (admin, "/audit/screenings"),
        "screening": (admin, f"/audit/screenings/{screening}"), "log": (admin, "/audit/log?trial=NCT06674265"),
        "rule sets": (admin, "/audit/rule-sets"), "rule set": (admin, "/audit/rule-sets/NCT06674265"),
        "approvals": (admin, "/approvals"), "rules review": (admin, "/rules"),
        "rule review": (pi, "/rules/NCT06674265"), "verify trail": (admin, "/audit/verify"), "users": (admin, "/admin"),
        "checklist": (pi, f"/children/{number}/verify/NCT06674265"),
    }
    pages = {}
    for name, (client, path) in get.items():
        response = client.get(path)
        assert response.status_code == 200, (name, response.status_code)
        pages[name] = response.get_data(as_text=True)
    return pages


def test_the_main_pages_read_in_persian_right_to_left(reader):
    for name, page in _pages(reader).items():
        assert '<html lang="fa" dir="rtl">' in page, name
        assert 'id="unreviewed-translation"' in page, name
        assert _english_left(page) == [], name


def test_every_other_page_reads_in_persian_right_to_left(site, reader):
    for name, page in _more_pages(site, reader).items():
        assert '<html lang="fa" dir="rtl">' in page, name
        assert _english_left(page) == [], name


def test_a_persian_result_shows_solar_hijri_dates_with_the_gregorian_on_hover(reader):
    page = _pages(reader)["result"]
    # 22 Nov 2026 is 1 Azar 1405.
    assert '<time datetime="2026-11-22" title="22 Nov 2026">۱ آذر ۱۴۰۵</time>' in page
    # Ids and codes keep their Latin digits.
    assert "NCT06674265" in page and re.search(r"<strong>SCR-\d{4}</strong>", page)
