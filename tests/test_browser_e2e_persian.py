"""Issue 30's "done when", end to end in Chromium: a coordinator whose browser asks for Persian signs in, screens a
child with the dates typed in Solar Hijri, reads the result and its print right to left with every criterion's title
and reason in Persian, switches to English with the page's own switch and sees the same verdict, criterion by
criterion, and the dates typed shown as their Gregorian days.

The screening date is given on the form (as_of), so the server's today does not enter the verdicts. Screenshots are
saved under artifacts/screenshots/ (e2e-fa-*.png, e2e-en-*.png) to be looked at.
"""
import json
import re
from datetime import date

from screener.model.calendars import typed
from screener.model.language import persian_digits
from screener.wording.dates import when

from .helpers import PATIENTS
from .test_browser import CHART_DATES, PASSWORD, SHOTS, browser, fill, form_fields, server  # noqa: F401 (fixtures)
from .test_browser_persian import shots_at_each_width
from .test_web_persian_pages import _LATIN_RUN, _QUOTED

NCT = "NCT06674265"
AS_OF = date(2026, 11, 22)
_PERSIAN_LETTER = "[\u0600-\u06FF]"
_ABBREVIATION = re.compile(r"[A-Z0-9][A-Z0-9-]*")  # FDG PET, CTCAE: terms a Persian chart keeps in Latin script


def _english_phrases(text: str) -> list[str]:
    """English phrases of two words or more in a Persian text (as tests/test_web_persian_pages reads a page: the
    source's words quoted in «» or a term glossed in brackets are allowed, so are runs of abbreviations)."""
    runs = _LATIN_RUN.findall(_QUOTED.sub(" ", text))
    return [run for run in runs if not all(_ABBREVIATION.fullmatch(word) for word in run.split())]


def _solar_hijri(fields: dict[str, str]) -> dict[str, str]:
    """The form's date fields as a coordinator copies them from a Persian chart: Solar Hijri, the birth date and every
    other date in Persian digits, the rest in Western digits (both are read)."""
    typed_fields = {}
    for i, (name, value) in enumerate(fields.items()):
        try:
            day = date.fromisoformat(value)
        except ValueError:
            typed_fields[name] = value
            continue
        text = typed(day, "solar_hijri")
        typed_fields[name] = persian_digits(text) if name == "demographics.birth_date" or i % 2 else text
    return typed_fields


def _shots(page, name: str) -> None:
    shots_at_each_width(page, f"e2e-{name}")


# A cell's text without what is marked as English (the registry's place, quoted source words) and without the
# criterion's id.
_CELL_TEXT = """cell => { const c = cell.cloneNode(true);
  c.querySelectorAll('[lang="en"], .id, details').forEach(e => e.remove()); return c.textContent.trim(); }"""


def _rows(page) -> dict[str, dict[str, str]]:
    """Every criterion row of the result: id -> its status tone, title cell and reason cell as a reader sees them."""
    rows = {}
    table = page.locator("table.criteria tr[class^=row-]")
    for i in range(table.count()):
        row = table.nth(i)
        criterion = row.locator("td").first.locator(".id").inner_text().strip()
        rows[criterion] = {
            "tone": row.get_attribute("class"),
            "title": row.locator("td").first.evaluate(_CELL_TEXT),
            "reason": row.locator("td[data-label]").last.evaluate(_CELL_TEXT),
        }
    return rows


def test_a_persian_coordinator_screens_in_solar_hijri_and_switches_to_english(browser, server):  # noqa: F811
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900}, locale="fa-IR",
                                  extra_http_headers={"Accept-Language": "fa-IR,fa;q=0.9"})
    page = context.new_page()
    try:
        page.goto(f"{server}/login")
        assert page.locator("html").get_attribute("lang") == "fa"
        assert page.locator("html").get_attribute("dir") == "rtl"
        _shots(page, "fa-login")
        page.fill("#username", "coordinator")
        page.fill("#password", PASSWORD)
        page.click("main button[type=submit]")

        page.goto(f"{server}/")
        page.check(f"#t-{NCT}")
        page.click("main form[method=get] button[type=submit]")
        assert page.locator('[name="calendar"][value="solar_hijri"]').is_checked()
        record = json.loads((PATIENTS / "ineligible-waiting.json").read_text())
        entered = CHART_DATES | form_fields(record)
        solar = _solar_hijri({"as_of": AS_OF.isoformat(), **entered})
        assert solar["demographics.birth_date"] == "۱۳۹۳/۰۵/۰۸"  # 30 Jul 2014
        assert any(v.isascii() and "/" in v for v in solar.values())  # and some typed in Western digits
        fill(page, solar)
        _shots(page, "fa-form")
        page.click('button[value="screen"]')

        assert page.locator("section.report").count() == 1, page.locator(".error-summary").all_inner_texts()
        assert page.locator("html").get_attribute("dir") == "rtl"
        assert page.locator("#unreviewed-translation").is_visible()
        persian_verdict = page.locator(".banner").first.get_attribute("class")
        persian_rows = _rows(page)
        assert len(persian_rows) == 21
        english_left = {(criterion, part): row[part] for criterion, row in persian_rows.items()
                        for part in ("title", "reason")
                        if not re.search(_PERSIAN_LETTER, row[part]) or _english_phrases(row[part])}
        assert english_left == {}, "\n".join(f"{k}: {v}" for k, v in english_left.items())
        # The verdict's sentence and the worklist, composed by the page, are Persian too (eligible from in Solar Hijri).
        for words in (page.locator(".banner").first, *page.locator("ul.todos li").all()):
            text = words.evaluate(_CELL_TEXT)
            assert re.search(_PERSIAN_LETTER, text) and not _english_phrases(text), text
        assert "۶ آذر ۱۴۰۵" in page.locator(".banner").first.inner_text()  # eligible from 27 Nov 2026
        # The as-of date typed in Solar Hijri reads back as the Gregorian day (the <time> holds it).
        assert page.locator(f'dl.provenance time[datetime="{AS_OF.isoformat()}"]').count() == 1
        _shots(page, "fa-result")

        page.emulate_media(media="print")  # the print page is the result printed
        assert page.locator("header.site").is_hidden()
        assert page.locator(".signature").is_visible()
        assert page.locator("html").get_attribute("dir") == "rtl"
        after = page.locator("dl.provenance time").last.evaluate("e => getComputedStyle(e, '::after').content")
        assert when(AS_OF) in after  # on paper a date shows both calendars
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "e2e-fa-print.png"), full_page=True)
        page.emulate_media(media="screen")

        page.click('form.language button[value="en"]')
        assert page.locator("html").get_attribute("lang") == "en"
        assert page.locator("html").get_attribute("dir") is None
        assert page.locator(".banner").first.get_attribute("class") == persian_verdict
        assert page.locator(".banner").first.inner_text().startswith("INELIGIBLE")
        english_rows = _rows(page)
        assert list(english_rows) == list(persian_rows)
        for criterion in persian_rows:
            assert english_rows[criterion]["tone"] == persian_rows[criterion]["tone"], criterion
        text = page.locator("main").inner_text()
        assert f"As of\n{when(AS_OF)}" in text or when(AS_OF) in page.locator("dl.provenance").inner_text()
        for name in ("lab.platelets.date", "demographics.weight_date"):
            assert when(date.fromisoformat(entered[name])) in text, name
        _shots(page, "en-result")

        # The record the Persian form built holds the Gregorian days typed: the English form filled in from it.
        page.click("a.button:has-text('Re-screen this child')")
        for name, value in entered.items():
            if name.endswith("date") or name.endswith(("start", "end", "assessed_on")):
                field = page.locator(f'[name="{name}"]')
                if field.count() == 1:
                    assert field.input_value() == value, name
        _shots(page, "en-rescreen-form")
    finally:
        context.close()
