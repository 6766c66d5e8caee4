"""The language a reader asked for: of a page (the locale Flask-Babel chose for the request) and of the API's
reasons (Accept-Language). English unless Persian was asked for; nothing else is offered."""
from flask import current_app, request

from ..model.language import DEFAULT_LANGUAGE, Language


def page_language() -> Language:
    """The page's language: Flask-Babel's locale for this request when the app has Flask-Babel, else English."""
    if "babel" not in current_app.extensions:
        return DEFAULT_LANGUAGE
    from flask_babel import get_locale  # type: ignore[import-untyped]  # only where the app initialised it

    locale = get_locale()
    return "fa" if locale is not None and locale.language == "fa" else DEFAULT_LANGUAGE


def reasons_language() -> Language:
    """The language of an API screening's reasons (reasons, summary, to_settle, verdict_text), from
    Accept-Language: fa (or fa-IR, ...) when the client prefers it to English, else English; a malformed or other
    header reads as English. Everything else the API says (field names, codes, ISO dates, errors) is English."""
    for tag, quality in request.accept_languages:  # highest quality first, the client's order among equals
        primary = tag.split("-", 1)[0].lower()
        if quality > 0 and primary in ("fa", "en"):
            return "fa" if primary == "fa" else DEFAULT_LANGUAGE
    return DEFAULT_LANGUAGE
