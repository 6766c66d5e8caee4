"""Issue 30 point 2: on a Persian page the screening form's dates are typed in the Solar Hijri calendar (or the
Gregorian, if chosen), stored as ISO Gregorian; a form prefilled from a stored record shows its dates in the page's
calendar; and the same child screened with every date typed in either calendar gets identical reports, across
Nowruz and the Esfand leap day (age on the birthdays, a lab's day window, an "eligible from" date).

The page's language is Flask-Babel's (web/calendar_input.page_language); these tests set it there, the one place the
form asks, so they hold whichever way the locale is chosen."""
import datetime as dt
import re
import uuid

import pytest
from babel.messages.pofile import read_po
from flask import Flask
from freezegun import freeze_time

from screener.model.calendars import typed
from screener.model.language import persian_digits
from screener.web import calendar_input
from screener.wording.catalogues import catalogue_path

from .helpers import authorised, make_app

TRIAL = "NCT06674265"
D = dt.date
# Every date input of the NCT06674265 form with its history lists' first rows
DATE_INPUTS = ("as_of", "demographics.birth_date", "demographics.weight_date", "demographics.height_date",
               "findings.assessed_on", "attestations.assessed_on", "lab.platelets.date", "lab.alt.date",
               "history.medications.0.start", "history.medications.0.end",
               "history.transfusions.0.date", "history.imaging.0.date", "history.transplants.0.date")
LABS = {"platelets": ("150", "10*3/uL"), "anc": ("1500", "/uL"), "hemoglobin": ("11", "g/dL"),
        "creatinine": ("0.4", "mg/dL"), "bilirubin": ("0.5", "mg/dL"), "alt": ("30", "U/L"),
        "measured_gfr": ("100", "mL/min/1.73m2"), "shortening_fraction": ("35", "%"), "ejection_fraction": ("60", "%"),
        "spo2": ("98", "%")}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """One app for the module, served once on each page language before any clock is frozen (code first run under
    freezegun builds pydantic schemas against its fake date class, which breaks later tests)."""
    app = make_app(tmp_path_factory.mktemp("calendar"), WTF_CSRF_ENABLED=False)
    client = authorised(app, "screener")
    for how in ("iso", "solar_hijri"):
        with _page(how):
            assert client.get(f"/screen?trial={TRIAL}").status_code == 200
            warm = {"as_of": _typed(D(2026, 11, 22), how), "demographics.birth_date": _typed(D(2018, 3, 14), how)}
            assert _post(client, how, warm).status_code == 303
    return app


class _page:
    """The page in Persian (how: solar_hijri or gregorian, the calendar chosen on it) or English (iso)."""

    def __init__(self, how: str):
        self.how, self.patch = how, pytest.MonkeyPatch()

    def __enter__(self):
        self.patch.setattr(calendar_input, "page_language", lambda: "en" if self.how == "iso" else "fa")

    def __exit__(self, *exc):
        self.patch.undo()


def _typed(day: D, how: str) -> str:
    """A day as a coordinator types it: Solar Hijri in Persian digits, Gregorian with dots, ISO on English pages."""
    if how == "solar_hijri":
        return persian_digits(typed(day, "solar_hijri"))
    if how == "gregorian":
        return typed(day, "gregorian").replace("/", ".")
    return day.isoformat()


def _post(client, how: str, fields: dict[str, str], trial: str = TRIAL):
    calendar = {} if how == "iso" else {"calendar": how}
    with _page(how):
        return client.post("/screen", data={"trial": trial, "demographics.sex": "female", **calendar, **fields})


def _stored(client) -> int:
    from screener.web.storage import get_store

    with client.application.app_context():
        return len(get_store().screenings())


def _rows(client, response):
    from screener.web.storage import get_store

    assert response.status_code == 303, re.findall(r'class="error"[^>]*>[^<]*', response.get_data(as_text=True))
    with client.application.app_context():
        return get_store().request(response.headers["Location"].rsplit("/", 1)[1])


def _shown(page: str, name: str) -> str | None:
    found = re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*value="([^"]*)"', page)
    return found[1] if found else None


def _input(page: str, name: str) -> str:
    return re.search(rf'<input id="[^"]*" name="{re.escape(name)}"[^>]*>(?: <span class="calendar-name[^<]*</span>)?',
                     page)[0]


def _error(page: str, name: str) -> str | None:
    found = re.search(rf'id="f-{re.escape(name).replace(".", "-")}-error">([^<]*)<', page)
    return found[1] if found else None


# --- the form's inputs ----------------------------------------------------------------------------------------------
@freeze_time("2026-11-22")
def test_an_english_page_keeps_the_native_date_inputs(site):
    client = authorised(site, "screener")  # a token issued on the frozen day
    with _page("iso"):
        page = client.get(f"/screen?trial={TRIAL}").get_data(as_text=True)
    assert 'name="calendar"' not in page and "calendar-name" not in page and 'value="calendar:' not in page
    for name in DATE_INPUTS:
        assert 'type="date"' in _input(page, name), name
    assert _shown(page, "as_of") == "2026-11-22"


@freeze_time("2026-11-22")
def test_on_a_persian_page_every_date_is_typed_in_the_solar_hijri_calendar_by_default(site):
    client = authorised(site, "screener")  # a token issued on the frozen day
    with _page("solar_hijri"):
        page = client.get(f"/screen?trial={TRIAL}").get_data(as_text=True)
    assert 'type="date"' not in page
    for name in DATE_INPUTS:
        control = _input(page, name)
        assert 'type="text" dir="ltr" placeholder="۱۴۰۵/۰۹/۰۱"' in control, name
        named = r'aria-describedby="f-[\w-]+-calendar"[^>]*> <span[^>]*>هجری شمسی، سال/ماه/روز</span>$'
        assert re.search(named, control), name
    choice = re.search(r'<fieldset class="choices"><legend>تقویم تاریخ‌های این فرم</legend>.*?</fieldset>', page,
                       re.S)[0]
    assert re.findall(r'name="calendar" value="(\w+)" (checked)?', choice) == [("solar_hijri", "checked"),
                                                                              ("gregorian", "")]
    assert "> هجری شمسی</label>" in choice and "> میلادی</label>" in choice
    assert _shown(page, "as_of") == "۱۴۰۵/۰۹/۰۱"  # today, in the form's calendar


@freeze_time("2026-11-22")
def test_the_gregorian_calendar_chosen_on_a_persian_page(site):
    client = authorised(site, "screener")  # a token issued on the frozen day
    with _page("gregorian"):
        page = client.get(f"/screen?trial={TRIAL}&calendar=gregorian").get_data(as_text=True)
    assert 'placeholder="۲۰۲۶/۱۱/۲۲"' in _input(page, "demographics.birth_date")
    assert _input(page, "demographics.birth_date").endswith(">میلادی، سال/ماه/روز</span>")
    assert re.search(r'name="calendar" value="gregorian" checked', page)
    assert _shown(page, "as_of") == "۲۰۲۶/۱۱/۲۲"


@freeze_time("2026-11-22")
def test_the_paper_worksheet_names_the_forms_calendar(site):
    client = authorised(site, "screener")  # a token issued on the frozen day
    with _page("solar_hijri"):
        form = client.get(f"/screen?trial={TRIAL}&calendar=gregorian").get_data(as_text=True)
        link = re.search(r'href="(/screen/worksheet[^"]*)"', form)[1].replace("&amp;", "&")
        assert link == f"/screen/worksheet?trial={TRIAL}&calendar=gregorian"
        paper = client.get(link).get_data(as_text=True)
        assert "year-month-day" not in paper
        assert '____ / __ / __</span> <span class="small">(میلادی، سال/ماه/روز)' in paper
        assert "Date<br><span class=\"small\">هجری شمسی، سال/ماه/روز<" in client.get(
            f"/screen/worksheet?trial={TRIAL}").get_data(as_text=True)
    with _page("iso"):
        paper = client.get(f"/screen/worksheet?trial={TRIAL}").get_data(as_text=True)
    assert '____ - __ - __</span> <span class="small">(year-month-day)' in paper and "سال" not in paper


# --- reading what was typed ----------------------------------------------------------------------------------------
@freeze_time("2026-12-06")
def test_dates_typed_in_solar_hijri_are_stored_as_iso_gregorian(site):
    client = authorised(site, "screener")  # a token issued on the frozen day
    response = _post(client, "solar_hijri", {
        "as_of": "۱۴۰۵/۰۹/۰۱", "demographics.birth_date": "١٣٩٦-١٢-٢٣", "demographics.weight_kg": "20",
        "demographics.weight_date": "1405.08.28", "lab.platelets.value": "45", "lab.platelets.unit": "10*3/uL",
        "lab.platelets.date": "1405/8/29", "history.medications.status": "complete",
        "history.medications.0.name": "fluconazole", "history.medications.0.route": "oral",
        "history.medications.0.start": "۱۴۰۵/۰۸/۰۱", "history.medications.0.end": "1405/08/20",
    })
    row = _rows(client, response)[0]
    assert row.as_of == "2026-11-22"
    record = client.get(response.headers["Location"] + "/record.json").get_json()
    assert record["demographics"]["birth_date"] == "2018-03-14"
    assert record["demographics"]["weight_date"] == "2026-11-19"
    assert record["observations"][0]["date"] == "2026-11-20"
    assert record["history"]["medications"][0]["start"] == "2026-10-23"
    assert record["history"]["medications"][0]["end"] == "2026-11-11"


@freeze_time("2026-12-06")
@pytest.mark.parametrize("how,name,text,error", [
    ("solar_hijri", "demographics.birth_date", "1404/12/30",
     "این روز در تقویم هجری شمسی وجود ندارد: ماه و روز را بررسی کنید (سال/ماه/روز)."),  # 1404 is not a leap year
    ("solar_hijri", "lab.platelets.date", "1405/07/31",
     "این روز در تقویم هجری شمسی وجود ندارد: ماه و روز را بررسی کنید (سال/ماه/روز)."),
    ("solar_hijri", "demographics.birth_date", "2018/03/14",  # a Gregorian date with Solar Hijri chosen
     "سال هجری شمسی بین ۱۳۰۰ و ۱۴۹۹ است: برای تاریخ میلادی، تقویم میلادی را در بالای فرم انتخاب کنید."),
    ("gregorian", "demographics.birth_date", "1396/12/23",  # a Solar Hijri date with Gregorian chosen
     "سال میلادی بین ۱۹۰۰ و ۲۱۰۰ است: برای تاریخ هجری شمسی، تقویم هجری شمسی را در بالای فرم انتخاب کنید."),
    ("gregorian", "lab.platelets.date", "2025-02-29",
     "این روز در تقویم میلادی وجود ندارد: ماه و روز را بررسی کنید (سال/ماه/روز)."),
    ("solar_hijri", "as_of", "01/09/1405", "تاریخ را به هجری شمسی و به صورت سال/ماه/روز وارد کنید."),
    ("gregorian", "as_of", "22/11/2026", "تاریخ را به میلادی و به صورت سال/ماه/روز وارد کنید."),
], ids=["no-esfand-30-in-1404", "no-mehr-31", "gregorian-year-as-solar-hijri", "solar-hijri-year-as-gregorian",
        "no-29-feb-2025", "day-first-solar-hijri", "day-first-gregorian"])
def test_a_date_that_does_not_read_in_the_forms_calendar_is_the_fields_error_and_nothing_is_stored(
        site, how, name, text, error):
    client = authorised(site, "screener")  # a token issued on the frozen day
    client = authorised(site, "screener")  # a token issued on the frozen day
    day = "1405/09/10" if how == "solar_hijri" else "2026-12-01"
    fields = {"as_of": day, "demographics.birth_date": "1396/12/23" if how == "solar_hijri" else "2018-03-14",
              "lab.platelets.value": "150", "lab.platelets.unit": "10*3/uL", "lab.platelets.date": day, name: text}
    before = _stored(client)
    response = _post(client, how, fields)
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and _stored(client) == before
    assert _error(page, name) == error and text not in error
    summary = re.search(r'<div class="error-summary".*?</div>', page, re.S)[0]
    assert f'<a href="#f-{name.replace(".", "-")}">' in summary and error in summary  # the field, named
    assert _shown(page, name) == text  # kept as typed, to correct
    assert f'aria-describedby="f-{name.replace(".", "-")}-error f-{name.replace(".", "-")}-calendar"' in _input(
        page, name)


@freeze_time("2026-12-06")
def test_a_form_is_read_in_the_calendar_it_names_whatever_the_page_language_has_become(site):
    client = authorised(site, "screener")  # a token issued on the frozen day
    # typed on a Persian page, sent after the reader switched to English in another tab: still read as Solar Hijri
    fields = {"calendar": "solar_hijri", "as_of": "1405/09/01", "demographics.birth_date": "1396/12/23"}
    with _page("iso"):
        response = client.post("/screen", data={"trial": TRIAL, "demographics.sex": "female", **fields})
    assert _rows(client, response)[0].as_of == "2026-11-22"
    # and an English page's ISO date is never read as Solar Hijri
    with _page("solar_hijri"):
        response = client.post("/screen", data={"trial": TRIAL, "demographics.sex": "female",
                                                "as_of": "2026-11-22", "demographics.birth_date": "2018-03-14"})
    assert _rows(client, response)[0].as_of == "2026-11-22"
    record = client.get(response.headers["Location"] + "/record.json").get_json()
    assert record["demographics"]["birth_date"] == "2018-03-14"


@freeze_time("2026-12-06")
def test_switching_the_calendar_rewrites_the_dates_typed_so_far_and_screens_nothing(site):
    client = authorised(site, "screener")  # a token issued on the frozen day
    typed_in = {"as_of": "۱۴۰۵/۰۹/۱۵", "demographics.birth_date": "1399/12/30", "lab.platelets.date": "1404/12/29",
                "lab.platelets.value": "150", "demographics.weight_date": "1404/12/30"}  # not a day: kept as typed
    before = _stored(client)
    with _page("solar_hijri"):
        form = client.get(f"/screen?trial={TRIAL}").get_data(as_text=True)
        assert '<button type="submit" name="action" value="calendar:gregorian" formnovalidate>' \
               "نمایش تاریخ‌های واردشده به میلادی</button>" in form
        response = client.post("/screen", data={"trial": TRIAL, "calendar": "solar_hijri",
                                                "action": "calendar:gregorian", **typed_in})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and _stored(client) == before and 'class="error"' not in page
    assert [_shown(page, name) for name in typed_in] == ["۲۰۲۶/۱۲/۰۶", "۲۰۲۱/۰۳/۲۰", "۲۰۲۶/۰۳/۲۰", "150", "1404/12/30"]
    assert re.search(r'name="calendar" value="gregorian" checked', page)
    assert 'value="calendar:solar_hijri"' in page and 'placeholder="۲۰۲۶/۱۱/۲۲"' in page
    back = {name: _shown(page, name) for name in typed_in}
    with _page("gregorian"):
        again = client.post("/screen", data={"trial": TRIAL, "calendar": "gregorian",
                                             "action": "calendar:solar_hijri", **back}).get_data(as_text=True)
    assert [_shown(again, name) for name in typed_in] == ["۱۴۰۵/۰۹/۱۵", "۱۳۹۹/۱۲/۳۰", "۱۴۰۴/۱۲/۲۹", "150", "1404/12/30"]


# --- a form filled in from a stored record or a kept draft --------------------------------------------------------
@freeze_time("2026-12-06")
def test_a_correction_and_a_rescreen_show_the_stored_dates_in_the_pages_calendar(site):
    client = authorised(site, "screener")  # a token issued on the frozen day
    typed_in = {"as_of": "۱۴۰۵/۰۹/۰۱", "demographics.birth_date": "1399/12/30", "lab.platelets.value": "150",
                "lab.platelets.unit": "10*3/uL", "lab.platelets.date": "1404/12/29"}
    response = _post(client, "solar_hijri", typed_in)
    row = _rows(client, response)[0]
    with _page("solar_hijri"):
        page = client.get(f"/screenings/{row.id}/correct").get_data(as_text=True)
    assert _shown(page, "as_of") == "۱۴۰۵/۰۹/۰۱" and _shown(page, "demographics.birth_date") == "۱۳۹۹/۱۲/۳۰"
    assert _shown(page, "lab.platelets.date") == "۱۴۰۴/۱۲/۲۹"
    assert re.search(r'name="calendar" value="solar_hijri" checked', page)
    with _page("iso"):
        english = client.get(f"/screenings/{row.id}/correct").get_data(as_text=True)
    assert _shown(english, "as_of") == "2026-11-22" and _shown(english, "demographics.birth_date") == "2021-03-20"
    assert _shown(english, "lab.platelets.date") == "2026-03-20" and 'name="calendar"' not in english

    # the correction sent back as shown records the same days
    shown = {name: _shown(page, name) for name in ("as_of", "demographics.birth_date", "lab.platelets.date")}
    corrected = _post(client, "solar_hijri", {**typed_in, **shown, "corrects": row.id,
                                               "correction_reason": "sex was wrong"})
    again = client.get(corrected.headers["Location"] + "/record.json").get_json()
    assert _rows(client, corrected)[0].as_of == "2026-11-22"
    assert again["demographics"]["birth_date"] == "2021-03-20" and again["observations"][0]["date"] == "2026-03-20"

    with _page("solar_hijri"):
        rescreen = client.get(response.headers["Location"] + "/rescreen").get_data(as_text=True)
    assert _shown(rescreen, "as_of") == "۱۴۰۵/۰۹/۱۵"  # today, 2026-12-06
    assert _shown(rescreen, "demographics.birth_date") == "۱۳۹۹/۱۲/۳۰"


@freeze_time("2026-12-06")
def test_a_kept_draft_opens_in_the_pages_calendar(site):
    client = authorised(site, "screener")  # a token issued on the frozen day
    from screener.audit import Drafts
    from screener.web.storage import get_store

    english = {"as_of": "2026-11-22", "demographics.birth_date": "2018-03-21", "lab.platelets.date": "not a date"}
    persian = {"calendar": "solar_hijri", "as_of": "1405/09/01", "demographics.birth_date": "۱۳۹۷/۰۱/۰۱"}
    ids = {}
    with client.application.app_context():
        for name, fields in (("english", english), ("persian", persian)):
            ids[name] = uuid.uuid4().hex
            Drafts(get_store()).keep(ids[name], "test-screener", TRIAL, fields, 24, 10)
    with _page("solar_hijri"):
        page = client.get(f"/screen/kept/{ids['english']}").get_data(as_text=True)
    assert _shown(page, "as_of") == "۱۴۰۵/۰۹/۰۱" and _shown(page, "demographics.birth_date") == "۱۳۹۷/۰۱/۰۱"
    assert _shown(page, "lab.platelets.date") == "not a date"  # not a date in any calendar: left for correcting
    with _page("iso"):
        page = client.get(f"/screen/kept/{ids['persian']}").get_data(as_text=True)
    assert _shown(page, "as_of") == "2026-11-22" and _shown(page, "demographics.birth_date") == "2018-03-21"
    assert 'name="calendar"' not in page
    with _page("solar_hijri"):
        page = client.get(f"/screen/kept/{ids['persian']}").get_data(as_text=True)
    assert _shown(page, "as_of") == "1405/09/01" and _shown(page, "demographics.birth_date") == "۱۳۹۷/۰۱/۰۱"


# --- the same child in either calendar: identical reports ---------------------------------------------------------
def _reports(site, fields: dict[str, D | str], today: D) -> dict[str, list[dict]]:
    """The reports of one child screened three times, every date typed in Solar Hijri and in Gregorian on a
    Persian page and in ISO on an English one; they must be identical, so one is returned with its statuses."""
    reports = {}
    with freeze_time(today):
        client = authorised(site, "screener")  # a token issued on the frozen day
        for how in ("solar_hijri", "gregorian", "iso"):
            typed_fields = {k: _typed(v, how) if isinstance(v, D) else v for k, v in fields.items()}
            response = _post(client, how, typed_fields)
            from screener.audit import report_of

            reports[how] = [report_of(row).model_dump(mode="json") for row in _rows(client, response)]
            record = client.get(response.headers["Location"] + "/record.json").get_json()
            reports[how + " record"] = [record]
    assert reports["solar_hijri"] == reports["gregorian"] == reports["iso"]
    assert reports["solar_hijri record"] == reports["gregorian record"] == reports["iso record"]
    return reports


def _status(report: dict, criterion: str) -> str:
    return next(c["status"] for c in report["criteria"] if c["id"] == f"{TRIAL}-{criterion}")


BIRTHDAYS = [  # (born, as of, age criterion): the 2nd birthday passes from its day, the 17th fails from its day
    # born on Nowruz 1397; the Gregorian birthday 21 March, Nowruz 1399 and 1414 fall on 20 and 21 March
    (D(2018, 3, 21), D(2020, 3, 20), "fail"), (D(2018, 3, 21), D(2020, 3, 21), "pass"),
    (D(2018, 3, 21), D(2020, 3, 22), "pass"),
    (D(2018, 3, 21), D(2035, 3, 20), "pass"), (D(2018, 3, 21), D(2035, 3, 21), "fail"),
    (D(2018, 3, 21), D(2035, 3, 22), "fail"),
    # born on Esfand 30 of the leap year 1399: the 2nd birthday is 1401/12/29, the 17th Esfand 30 of 1416
    (D(2021, 3, 20), D(2023, 3, 19), "fail"), (D(2021, 3, 20), D(2023, 3, 20), "pass"),
    (D(2021, 3, 20), D(2023, 3, 21), "pass"),
    (D(2021, 3, 20), D(2038, 3, 19), "pass"), (D(2021, 3, 20), D(2038, 3, 20), "fail"),
    (D(2021, 3, 20), D(2038, 3, 21), "fail"),
    # born on Esfand 30 of 1403: the 2nd birthday falls on the last day of 1405, which has no Esfand 30
    (D(2025, 3, 20), D(2027, 3, 19), "fail"), (D(2025, 3, 20), D(2027, 3, 20), "pass"),
    (D(2025, 3, 20), D(2027, 3, 21), "pass"),
]


def test_the_pinned_solar_hijri_days_of_the_birthdays():
    assert [typed(day, "solar_hijri") for day in (D(2018, 3, 21), D(2021, 3, 20), D(2025, 3, 20))] == [
        "1397/01/01", "1399/12/30", "1403/12/30"]
    assert [typed(day, "solar_hijri") for day in (D(2020, 3, 20), D(2035, 3, 21), D(2023, 3, 20), D(2038, 3, 20),
                                                  D(2027, 3, 20))] == [
        "1399/01/01", "1414/01/01", "1401/12/29", "1416/12/30", "1405/12/29"]


@pytest.mark.parametrize("born,as_of,age", BIRTHDAYS, ids=[f"{b}-{a}" for b, a, _ in BIRTHDAYS])
def test_age_on_the_birthdays_is_the_same_in_either_calendar(site, born, as_of, age):
    reports = _reports(site, {"as_of": as_of, "demographics.birth_date": born}, today=as_of)
    assert _status(reports["iso"][0], "AGE") == age
    assert reports["iso"][0]["verdict"] == ("ineligible" if age == "fail" else "incomplete")


LAB_CRITERIA = ("E1", "E2", "E3", "E3b")


@pytest.mark.parametrize("as_of,drawn,counted", [
    (D(2025, 4, 3), D(2025, 3, 20), True),  # 1404/01/14: the window's first day is the Esfand leap day 1403/12/30
    (D(2025, 4, 3), D(2025, 3, 19), False),  # 1403/12/29: 15 days old, too old
    (D(2025, 4, 3), D(2025, 4, 3), True),  # the window's last day, the screening day
    (D(2026, 4, 3), D(2026, 3, 20), True),  # 1405/01/14: the first day is 1404/12/29, the last of a common year
    (D(2026, 4, 3), D(2026, 3, 19), False),
    (D(2025, 3, 21), D(2025, 3, 21), True),  # Nowruz 1404, both the screening day and the draw
    (D(2025, 3, 21), D(2025, 3, 7), True),  # 1403/12/17, 14 days before Nowruz
    (D(2025, 3, 21), D(2025, 3, 6), False),
])
def test_a_labs_day_window_is_the_same_in_either_calendar(site, as_of, drawn, counted):
    fields: dict[str, D | str] = {"as_of": as_of, "demographics.birth_date": D(2018, 3, 21),
                                  "history.transfusions.status": "complete"}
    for lab, (value, unit) in LABS.items():
        fields.update({f"lab.{lab}.value": value, f"lab.{lab}.unit": unit, f"lab.{lab}.date": drawn})
    reports = _reports(site, fields, today=as_of + dt.timedelta(days=7))
    assert [_status(reports["iso"][0], c) for c in LAB_CRITERIA] == ["pass" if counted else "unknown"] * 4


@pytest.mark.parametrize("as_of,last_dose,eligible_from", [
    (D(2025, 3, 15), D(2025, 3, 13), D(2025, 3, 20)),  # eligible from the Esfand leap day, 1403/12/30
    (D(2025, 3, 15), D(2025, 3, 14), D(2025, 3, 21)),  # from Nowruz 1404
    (D(2026, 3, 15), D(2026, 3, 13), D(2026, 3, 20)),  # from 1404/12/29, the last day of a common year
    (D(2026, 3, 22), D(2026, 3, 20), D(2026, 3, 27)),  # a last dose on 1404/12/29, eligible from 1405/01/07
])
def test_an_eligible_from_date_is_the_same_in_either_calendar(site, as_of, last_dose, eligible_from):
    fields: dict[str, D | str] = {
        "as_of": as_of, "demographics.birth_date": D(2018, 3, 21), "history.medications.status": "complete",
        "history.medications.0.name": "fluconazole", "history.medications.0.route": "oral",
        "history.medications.0.start": D(2025, 2, 1) if as_of.year == 2025 else D(2026, 2, 1),
        "history.medications.0.end": last_dose,
    }
    report = _reports(site, fields, today=as_of)["iso"][0]
    e8 = next(c for c in report["criteria"] if c["id"] == f"{TRIAL}-E8")
    assert e8["status"] == "fail" and e8["eligible_from"] == eligible_from.isoformat()
    assert report["verdict"] == "ineligible"


# --- the locale, and the words ---------------------------------------------------------------------------------
def test_the_page_language_is_flask_babels_and_english_without_it():
    from flask_babel import Babel

    plain = Flask(__name__)
    with plain.test_request_context():
        assert calendar_input.page_language() == "en"
    for locale, language in (("fa", "fa"), ("fa_IR", "fa"), ("en", "en"), ("de", "en")):
        app = Flask(__name__)
        Babel(app, locale_selector=lambda chosen=locale: chosen)
        with app.test_request_context():
            assert calendar_input.page_language() == language


def test_every_calendar_word_has_its_persian_in_the_calendar_catalogue():
    with catalogue_path("calendar", "fa").open("rb") as po:
        catalogue = {m.id: m.string for m in read_po(po) if m.id}
    for message in calendar_input.MESSAGES:
        assert catalogue.get(message) and catalogue[message] != message, message
        assert calendar_input._(message, "fa") == catalogue[message]  # the compiled .mo says the same
        assert calendar_input._(message, "en") == message


def test_the_year_errors_say_the_plausible_years_the_model_holds():
    from screener.model.calendars import CalendarDateError

    for language, words in (("en", ("1300 and 1499", "1900 and 2100")), ("fa", ("۱۳۰۰ و ۱۴۹۹", "۱۹۰۰ و ۲۱۰۰"))):
        for calendar, years in zip(("solar_hijri", "gregorian"), words, strict=True):
            inputs = calendar_input.DateInputs(language, calendar)
            message = inputs.error(CalendarDateError(calendar, "year"))
            assert message and years in message and "{" not in message
    assert calendar_input.DateInputs("fa", None).error(ValueError("not a calendar's")) is None
