"""The form's Child part (issue 25 points 1-3): the screening number checked next to its field with nothing
stored, re-screen and correct filled in server-side by id, a correction's reason required and its screening one
this person may see, of the trial screened."""
import re

import pytest

from .helpers import authorised, make_app

BASE = {"trial": "NCT06674265", "as_of": "2026-11-22", "demographics.birth_date": "2018-03-14",
        "demographics.sex": "female", "action": "screen"}


@pytest.fixture
def app(tmp_path):
    return make_app(tmp_path, WTF_CSRF_ENABLED=False)


def _events(app) -> int:
    from screener.web.storage import get_store

    with app.app_context():
        return len(get_store().events())


def _screened(client, **fields) -> str:
    response = client.post("/screen", data={**BASE, **fields})
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    return response.headers["Location"].rsplit("/", 1)[1]


@pytest.mark.parametrize("number", ["Jane Doe", "12345678", "SCR-12", "scr-0001"])
def test_a_number_that_is_not_a_screening_number_is_refused_beside_its_field(app, number):
    client = authorised(app, "screener")
    before = _events(app)
    page = client.post("/screen", data={**BASE, "screening_number": number})
    text = page.get_data(as_text=True)
    assert page.status_code == 422 and 'id="f-screening_number-error"' in text
    assert "Screening number: Must be SCR- and 4 digits" in text
    assert _events(app) == before


def test_an_empty_number_is_assigned_and_a_rescreen_keeps_it(app):
    client = authorised(app, "screener")
    request_id = _screened(client)
    page = client.get(f"/results/{request_id}").get_data(as_text=True)
    assert "<strong>SCR-0001</strong> (screening number)" in page
    again = client.get(f"/results/{request_id}/rescreen").get_data(as_text=True)
    assert 'name="screening_number" type="text" value="SCR-0001"' in again
    assert 'name="corrects"' not in again  # a re-screen is a new screening, not a correction


def test_a_correction_needs_a_reason_a_visible_screening_and_its_trial(app):
    client = authorised(app, "screener", "coordinator")
    request_id = _screened(client, screening_number="SCR-0005")
    screening_id = re.search(r"/screenings/([0-9a-f]{32})/correct",
                             client.get(f"/results/{request_id}").get_data(as_text=True))[1]
    form = client.get(f"/screenings/{screening_id}/correct").get_data(as_text=True)
    assert f'name="corrects" value="{screening_id}"' in form and 'value="2026-11-22"' in form
    someone_else = authorised(app, "screener", "someone-else")  # (their account and token are events too)
    before = _events(app)
    no_reason = client.post("/screen", data={**BASE, "screening_number": "SCR-0005", "corrects": screening_id})
    assert no_reason.status_code == 422 and 'id="f-correction_reason-error"' in no_reason.get_data(as_text=True)
    other_trial = client.post("/screen", data={**BASE, "trial": "NCT06694701", "corrects": screening_id,
                                               "correction_reason": "x"})
    assert other_trial.status_code == 400
    assert someone_else.get(f"/screenings/{screening_id}/correct").status_code == 404
    assert someone_else.post("/screen", data={**BASE, "corrects": screening_id,
                                              "correction_reason": "x"}).status_code == 404
    assert _events(app) == before
    _screened(client, screening_number="SCR-0005", corrects=screening_id, correction_reason="sex was wrong")
    child = client.get("/children/SCR-0005").get_data(as_text=True)
    assert "sex was wrong" in child and "corrected by" in child


def test_a_void_needs_a_reason_from_the_list(app):
    client = authorised(app, "screener")
    request_id = _screened(client)
    screening_id = re.search(r"/screenings/([0-9a-f]{32})/void",
                             client.get(f"/results/{request_id}").get_data(as_text=True))[1]
    before = _events(app)
    assert client.post(f"/screenings/{screening_id}/void", data={"reason": "bored"}).status_code == 422
    assert client.post(f"/screenings/{screening_id}/void", data={}).status_code == 422
    assert _events(app) == before
    assert client.post(f"/screenings/{screening_id}/void", data={"reason": "wrong_patient"}).status_code == 303
    assert client.post(f"/screenings/{screening_id}/void", data={"reason": "test"}).status_code == 409
    result = client.get(f"/results/{request_id}").get_data(as_text=True)
    assert "<strong>voided</strong> (wrong patient)" in result and f"/screenings/{screening_id}/void" not in result
