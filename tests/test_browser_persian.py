"""Persian pages in Chromium (issue 30): a coordinator whose browser asks for Persian reads the form, a result and
its print right to left, in Vazirmatn, at desktop width and at 390 px, with nothing scrolling sideways.

Screenshots are saved under artifacts/screenshots/ (fa-*.png) to be looked at.
"""
import json

import pytest

from .helpers import PATIENTS
from .test_browser import CHART_DATES, PASSWORD, SHOTS, browser, fill, form_fields, server  # noqa: F401 (fixtures)

NCT = "NCT06674265"
WIDTHS = {"desktop": 1280, "390": 390}


@pytest.fixture
def persian(browser, server):  # noqa: F811
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900}, locale="fa-IR",
                                  extra_http_headers={"Accept-Language": "fa-IR,fa;q=0.9"})
    page = context.new_page()
    page.goto(f"{server}/login")
    assert page.locator("html").get_attribute("dir") == "rtl"
    page.fill("#username", "coordinator")
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    yield page
    context.close()


def shots_at_each_width(page, name: str) -> None:
    """Screenshots at desktop and phone width (kept to be looked at); nothing may scroll sideways at either."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for label, width in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(SHOTS / f"{name}-{label}.png"), full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= width, (name, label)
    page.set_viewport_size({"width": 1280, "height": 900})


def _shots(page, name: str) -> None:
    shots_at_each_width(page, f"fa-{name}")


def _persian_font_used(page) -> bool:
    """Vazirmatn, served with the pages, is what Chromium drew the Persian words in."""
    return page.evaluate("document.fonts.check('16px Vazirmatn', 'غربالگری')") and page.evaluate(
        "[...document.fonts].some(f => f.family.replace(/\"/g, '') === 'Vazirmatn' && f.status === 'loaded')")


@pytest.mark.parametrize("patient", ["ineligible-waiting.json", "incomplete.json"])
def test_the_form_a_result_and_its_print_in_persian(persian, server, patient):  # noqa: F811
    page = persian
    shot = patient.removesuffix(".json")
    page.goto(f"{server}/")
    assert page.locator("html").get_attribute("lang") == "fa"
    page.check(f"#t-{NCT}")
    page.click("main form[method=get] button[type=submit]")
    # The demo records' dates are Gregorian: typed so on the Persian form with the Gregorian calendar chosen (Solar
    # Hijri typing, the form's default, is tests/test_browser_e2e_persian.py's).
    page.check('[name="calendar"][value="gregorian"]')
    page.fill('[name="as_of"]', "2026-11-22")
    fill(page, CHART_DATES | form_fields(json.loads((PATIENTS / patient).read_text())))
    assert page.locator("#unreviewed-translation").is_visible()
    # Right to left: the first label sits to the right of its input.
    label = page.locator(".field label").first.bounding_box()
    control = page.locator(".field .control").first.bounding_box()
    assert label["x"] > control["x"]
    _shots(page, f"form-{shot}")
    page.click('button[value="screen"]')
    assert page.locator("section.report").count() == 1
    assert _persian_font_used(page)
    # The registry's words stay English, left to right, inside the right-to-left page.
    source = page.locator("td.source").first
    assert source.get_attribute("lang") == "en" and source.evaluate("e => getComputedStyle(e).direction") == "ltr"
    _shots(page, f"result-{shot}")
    page.emulate_media(media="print")
    page.screenshot(path=str(SHOTS / f"fa-print-{shot}.png"), full_page=True)
    # On paper a date shows both calendars.
    after = page.locator("section.report > p.small time").first.evaluate("e => getComputedStyle(e, '::after').content")
    assert "22 Nov 2026" in after
    page.emulate_media(media="screen")
