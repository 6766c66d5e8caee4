"""The gettext catalogues: each compiled .mo says what its .po says, and a catalogue's review is read from it."""
from babel.messages.pofile import read_po
from babel.support import Translations

from screener.model.language import LANGUAGES
from screener.wording import catalogues
from screener.wording.catalogues import DOMAINS, CatalogueReview, catalogue_path, translations


def _po_messages(domain: str, language: str) -> dict:
    """The .po's translated messages keyed as a compiled catalogue keys them: a plural's forms by (msgid, index), a
    message with a context by "context\x04msgid"."""
    with catalogue_path(domain, language).open("rb") as po:
        catalog = read_po(po)
    messages: dict = {}
    for m in catalog:
        if not m.id or not m.string or m.fuzzy:
            continue
        msgid = m.id[0] if isinstance(m.id, tuple) else m.id
        key = f"{m.context}\x04{msgid}" if m.context else msgid
        if isinstance(m.id, tuple):
            messages.update({(key, i): form for i, form in enumerate(m.string)})
        else:
            messages[key] = m.string
    return messages


def test_every_domain_has_a_persian_catalogue_compiled_from_its_po():
    for domain in DOMAINS:
        assert catalogue_path(domain, "fa").exists(), domain
        assert catalogue_path(domain, "fa", ".mo").exists(), f"{domain}: run scripts/compile-translations"
        with catalogue_path(domain, "fa", ".mo").open("rb") as mo:
            compiled = {k: v for k, v in Translations(mo)._catalog.items() if k}
        assert compiled == _po_messages(domain, "fa"), f"{domain}.mo is stale: run scripts/compile-translations"


def test_english_is_the_source_language_and_needs_no_catalogue():
    assert translations("reasons", "en").gettext("every criterion passes") == "every criterion passes"
    assert catalogues.unreviewed("en") == []


def test_a_review_is_read_from_the_header_comment(tmp_path, monkeypatch):
    lc = tmp_path / "fa" / "LC_MESSAGES"
    lc.mkdir(parents=True)
    (lc / "web.po").write_text('# words\n# Clinical review: 2027-01-15 Dr A. Reader, paediatric oncologist\n'
                               'msgid ""\nmsgstr ""\n"Language: fa\\n"\n', encoding="utf-8")
    (lc / "reasons.po").write_text('# Clinical review: not yet reviewed\nmsgid ""\nmsgstr ""\n"Language: fa\\n"\n',
                                   encoding="utf-8")
    monkeypatch.setattr(catalogues, "CATALOGUE_DIR", tmp_path)
    catalogues.review.cache_clear()
    try:
        web = catalogues.review("web", "fa")
        assert web == CatalogueReview("web", "fa", web.reviewed_on, "Dr A. Reader, paediatric oncologist")
        assert str(web.reviewed_on) == "2027-01-15" and web.reviewed
        assert not catalogues.review("reasons", "fa").reviewed
        assert not catalogues.review("calendar", "fa").reviewed  # no catalogue at all: not reviewed
        assert catalogues.unreviewed("fa") == ["calendar", "reasons"]
    finally:
        catalogues.review.cache_clear()


def test_the_shipped_persian_catalogues_say_whether_they_were_reviewed():
    # Nobody has reviewed them yet: the pages must say so (web tests check the notice).
    assert set(catalogues.unreviewed("fa")) <= set(DOMAINS)
    assert "fa" in LANGUAGES
