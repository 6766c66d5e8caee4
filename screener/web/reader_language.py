"""The language of the API's reasons, from Accept-Language (a page's language is i18n.page_language). English
unless Persian was asked for; nothing else is offered."""
from flask import request

from ..model.language import DEFAULT_LANGUAGE, Language


def reasons_language() -> Language:
    """The language of an API screening's reasons (reasons, summary, to_settle, verdict_text), from
    Accept-Language: fa (or fa-IR, ...) when the client prefers it to English, else English; a malformed or other
    header reads as English. Everything else the API says (field names, codes, ISO dates, errors) is English."""
    if not request.headers.get("Accept-Language"):  # most integrations send none: nothing to parse
        return DEFAULT_LANGUAGE
    for tag, quality in request.accept_languages:  # highest quality first, the client's order among equals
        primary = tag.split("-", 1)[0].lower()
        if quality > 0 and primary in ("fa", "en"):
            return "fa" if primary == "fa" else DEFAULT_LANGUAGE
    return DEFAULT_LANGUAGE
