"""The pages' language: Persian or English per reader, chosen per request, with the words from the gettext
catalogues (Flask-Babel) and dates in the reader's calendar.

The language is the signed-in account's stored preference, else the `lang` cookie the switch sets, else the best
match of the browser's Accept-Language, else English. The JSON API and FHIR stay English whatever the request asks
(issue 30 point 4: the API's reasons are worded by the service, never by these catalogues).
"""
import re
from collections.abc import Callable
from datetime import date

from flask import Blueprint, Flask, current_app, g, redirect, request, session
from flask_babel import Babel, get_locale, lazy_gettext
from flask_babel import gettext as _gettext
from markupsafe import Markup
from werkzeug.wrappers import Response

from ..model.language import DEFAULT_LANGUAGE, LANGUAGE_NAMES, LANGUAGES, RIGHT_TO_LEFT, Language, persian_digits
from ..wording.catalogues import CATALOGUE_DIR, DOMAINS, unreviewed
from ..wording.dates import numeric_in, when_in
from ..wording.text import spell_dates

bp = Blueprint("language", __name__)
COOKIE = "lang"
COOKIE_DAYS = 365
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
# Text with a Latin letter and no Arabic-script one: English words that no catalogue translated.
_LATIN = re.compile(r"[A-Za-z]")
_ARABIC_SCRIPT = re.compile(r"[\u0600-\u06FF]")


def _machine_request() -> bool:
    return request.path.startswith(("/api/", "/fhir/", "/cds-services")) or request.authorization is not None


def N_(text: str) -> str:  # noqa: N802 (gettext's own name for it)
    """Marks words for the catalogue without translating them where they are written: words kept in data (a problem's
    title, a form's label) are shown in the reader's language by the `words` filter, and stay English in JSON."""
    return text


# The roles as a reader reads them (the stored role names stay English: they are codes).
ROLE_WORDS = {"screener": lazy_gettext("screener"), "investigator": lazy_gettext("investigator"),
              "auditor": lazy_gettext("auditor"), "admin": lazy_gettext("admin")}


def role_words(role: str) -> str:
    return str(ROLE_WORDS.get(role, role))


# The channels a screening came through (audit/_models.py Screening.channel), as the provenance names them.
# English pages show the stored value itself, as they always have.
CHANNEL_WORDS = {"form": lazy_gettext("form"), "api": lazy_gettext("api"), "cli": lazy_gettext("cli"),
                 "batch": lazy_gettext("batch"), "cds-hooks": lazy_gettext("cds-hooks"),
                 "verify": lazy_gettext("verify")}


def channel_words(channel: str) -> str:
    return str(CHANNEL_WORDS.get(channel, channel))


def choose_language() -> Language:
    """The reader's language for this request: account preference > cookie > Accept-Language > English."""
    if _machine_request():
        return DEFAULT_LANGUAGE
    principal = g.get("principal")
    preferred = getattr(principal, "language", None)
    if preferred in LANGUAGES:
        return preferred
    cookie = request.cookies.get(COOKIE)
    if cookie in LANGUAGES:
        return cookie  # type: ignore[return-value]  # narrowed by the membership test
    best = request.accept_languages.best_match(LANGUAGES, default=DEFAULT_LANGUAGE)
    return best if best in LANGUAGES else DEFAULT_LANGUAGE  # type: ignore[return-value]


def page_language() -> Language:
    """The language this request's page is in (Flask-Babel asks choose_language once and keeps it); English in an
    app without Flask-Babel. The one place the web layer asks."""
    if "babel" not in current_app.extensions:
        return DEFAULT_LANGUAGE
    locale = get_locale()
    language = locale.language if locale is not None else DEFAULT_LANGUAGE
    return language if language in LANGUAGES else DEFAULT_LANGUAGE  # type: ignore[return-value]


def page_direction() -> str:
    return "rtl" if page_language() in RIGHT_TO_LEFT else "ltr"


def unreviewed_notice() -> bool:
    """Whether the page must say its translation is not yet reviewed by a clinical reader."""
    return bool(unreviewed(page_language()))


def digits(value: object) -> str:
    """A count or date in text as the reader writes digits (Persian digits on a Persian page); never for ids, codes
    or values put in inputs."""
    text = str(value)
    return persian_digits(text) if page_language() == "fa" else text


def _as_date(value: object) -> date | None:
    if isinstance(value, date):
        return value
    found = _ISO_DATE.match(str(value or ""))
    if found is None:
        return None
    try:
        return date(int(found[1]), int(found[2]), int(found[3]))
    except ValueError:
        return None


def shown_date(value: object) -> str | Markup:
    """A date as the reader reads it. English: as before (24 Nov 2026). Persian: Solar Hijri in a <time> element
    holding the ISO date, with the Gregorian date as its title (shown on hover, and beside it on paper)."""
    language = page_language()
    day = _as_date(value)
    if language == DEFAULT_LANGUAGE or day is None:
        return spell_dates(value)
    other = when_in(day, DEFAULT_LANGUAGE)
    return Markup('<time datetime="{}" title="{}">{}</time>').format(day.isoformat(), other, when_in(day, language))


def numeric_date(value: object) -> str | Markup:
    """A date as digits in the reader's calendar (ISO in English, ۱۴۰۵/۰۹/۰۱ in Persian, ISO on hover)."""
    day = _as_date(value)
    language = page_language()
    if day is None or language == DEFAULT_LANGUAGE:
        return str(value or "")
    return Markup('<time datetime="{}" title="{}">{}</time>').format(day.isoformat(), day.isoformat(),
                                                                       numeric_in(day, language))


def _lookup(text: str) -> str:
    """text in the reader's language; a label the form capitalised from a data word ("Pathological diagnosis
    confirmed", the catalogue's "pathological diagnosis confirmed") is found by its data word's msgid."""
    translated = _gettext(text)
    if translated == text and text[:1].isupper() and not text[1:2].isupper():
        lowered = text[:1].lower() + text[1:]
        found = _gettext(lowered)
        if found != lowered:
            return found
    return translated


def words(text: object) -> str | Markup:
    """Words from outside the templates (an error's detail, a report's words) in the reader's language when a
    catalogue has them; on a Persian page, English that none has is marked lang="en", so screen readers and the
    coverage test know it for what it is."""
    if isinstance(text, Markup):  # already the template's own words, translated there
        return text
    text = "" if text is None else str(text)
    if page_language() == DEFAULT_LANGUAGE or not text:
        return text
    translated = _lookup(text) if "%" not in text else text
    if translated == text and _LATIN.search(text) and not _ARABIC_SCRIPT.search(text):
        return Markup('<span lang="en" dir="ltr">{}</span>').format(text)
    return translated


def translated(text: object) -> str:
    """Words kept in data, in the reader's language when a catalogue has them, else as they are, with no markup (for
    places markup cannot go: an SVG's text, an attribute)."""
    text = "" if text is None else str(text)
    if page_language() == DEFAULT_LANGUAGE or not text or "%" in text:
        return text
    return _lookup(text)


def lang_attribute(text: object) -> Markup:
    """ lang="en" for an element whose words no catalogue translated, on a page in another language (an SVG's text,
    where no <span> can carry it)."""
    text = "" if text is None else str(text)
    english = translated(text) == text and _LATIN.search(text) and not _ARABIC_SCRIPT.search(text)
    return Markup(' lang="en"') if page_language() != DEFAULT_LANGUAGE and english else Markup("")


def in_english(text: object) -> str | Markup:
    """Words that stay in the source's language (a registry's verbatim English, a trial's registered title): marked
    lang="en" dir="ltr" on a page in another language, as they are on an English one."""
    text = "" if text is None else str(text)
    if page_language() == DEFAULT_LANGUAGE or not text:
        return text
    return Markup('<span lang="en" dir="ltr">{}</span>').format(text)


def other_languages() -> list[tuple[str, str]]:
    """The switch's choices: each language named in its own words."""
    return [(code, LANGUAGE_NAMES[code]) for code in LANGUAGES]


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", ";".join(str(CATALOGUE_DIR) for _ in DOMAINS))
    app.config.setdefault("BABEL_DOMAIN", ";".join(DOMAINS))
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    Babel(app, locale_selector=choose_language)
    globals_: dict[str, Callable[[], object]] = {
        "page_language": page_language, "page_direction": page_direction, "unreviewed_notice": unreviewed_notice,
        "languages": other_languages}
    for name, function in globals_.items():
        app.add_template_global(function, name)
    filters: dict[str, Callable[..., object]] = {
        "digits": digits, "dates": shown_date, "numeric_date": numeric_date, "words": words, "translated": translated,
        "lang_attribute": lang_attribute, "role": role_words, "channel": channel_words, "en": in_english}
    for name, filter_ in filters.items():
        app.add_template_filter(filter_, name)
    app.register_blueprint(bp)


@bp.post("/language")
def switch():
    """The language switch on every page: the cookie always, and the account's preference when signed in; back to
    the page it was pressed on (a path on this service only)."""
    from .auth import safe_next
    from .errors import problem

    chosen = request.form.get("language", "")
    if chosen not in LANGUAGES:
        return problem(400, "Bad Request", "language must be one of " + ", ".join(LANGUAGES))
    return remember_language(redirect(safe_next(request.form.get("next")) or "/"), chosen)


def remember_language(response: Response, chosen: str) -> Response:
    """The switch's choice kept: in the lang cookie always, and as the account's preference when signed in."""
    from .auth import accounts

    if session.get("user"):
        principal = accounts().user(session["user"])
        if principal is not None and session.get("generation") == principal.session_generation:
            accounts().set_language(principal.username, chosen)
    response.set_cookie(COOKIE, chosen, max_age=COOKIE_DAYS * 86400, secure=current_app.config["SESSION_COOKIE_SECURE"],
                        httponly=True, samesite="Lax")
    return response
