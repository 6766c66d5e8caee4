"""Hostile review of the enrolment-day verification (issue 26): what the first build let through. Each test failed
before its fix: a signature reached with a bearer token, a screening recorded between the checklist's reading and
the signature's write (the signed re-screen would hide the newer data and store a record the report did not judge),
a validity running past the day the signed rule-set version stops being in force at the site."""
import datetime as dt
import json

import pytest
from freezegun import freeze_time

from screener import enrolment, service
from screener.audit import Accounts
from screener.model.approvals import ApprovalRequest
from screener.model.record import PatientRecord
from screener.model.verification import SignRequest
from screener.screening import rule_set_for

from .helpers import PATIENTS, make_app, signed_in_browser
from .helpers import csrf_token as _token
from .test_web_verification import _form

TRIAL = "NCT06674265"
DAY = dt.date(2026, 11, 22)
PASSWORD = "correct horse battery staple"
VERSION = rule_set_for(TRIAL).version


def _record(text: str | None = None) -> PatientRecord:
    return PatientRecord.model_validate_json(text or (PATIENTS / "eligible.json").read_text())


def _fresh() -> PatientRecord:
    """Every dated value fresh: only the registration window ends the validity."""
    return PatientRecord.model_validate(json.loads((PATIENTS / "eligible.json").read_text()
                                                   .replace("2026-11-12", "2026-11-20")
                                                   .replace("2026-11-18", "2026-11-21")))


def _screen(store, record: PatientRecord, on: dt.date = DAY) -> str:
    return service.screen_and_record(record, on, channel=service.Channel.CLI, actor="cli:coordinator",
                                     recorder=store, trial=TRIAL).screening_number


def _approve(store, on: dt.date = dt.date(2026, 11, 1), kind: str = "approved") -> None:
    service.record_approval(store, TRIAL, ApprovalRequest(version=VERSION, approved_from=on, kind=kind,
                                                          reference="REC 24/LO/0123"), actor="admin")


def _request(store, found) -> SignRequest:
    return SignRequest(password=PASSWORD, printed_name="Leila Rahimi", fingerprint=found.fingerprint,
                       challenge=enrolment.issue_challenge(store, "dr-rahimi", found.fingerprint),
                       reviewed=[c.id for c in found.report.criteria], meaning_confirmed=True)


@pytest.fixture
def site(store):
    Accounts(store).create_user("dr-rahimi", "investigator", PASSWORD, "test")
    return store


@freeze_time("2026-11-22")
def test_data_recorded_between_the_checklists_reading_and_the_signatures_write_is_not_hidden_by_it(
        site, monkeypatch):
    _approve(site)
    number = _screen(site, _record())
    shown = enrolment.checklist(site, number, TRIAL, sees=None, on=DAY)
    reading = enrolment.checklist

    def reading_then_new_data(*args, **kwargs):
        found = reading(*args, **kwargs)
        # A screener records platelets 40,000/uL for the child while the signature is being checked.
        failing = (PATIENTS / "eligible.json").read_text().replace('"value": 142,', '"value": 40,')
        service.screen_and_record(_record(failing).model_copy(update={"screening_number": number}), DAY,
                                  channel=service.Channel.CLI, actor="cli:coordinator", recorder=site, trial=TRIAL)
        return found

    monkeypatch.setattr(enrolment, "checklist", reading_then_new_data)
    with pytest.raises(service.InvalidRecord) as refused:
        enrolment.sign(site, number, TRIAL, _request(site, shown), username="dr-rahimi", role="investigator", on=DAY)
    assert refused.value.errors[0].path == ("fingerprint",)
    assert not [e for e in site.events() if e.action == "verification.signed"]
    # The child's counted screening is the new data (failing), not a signed re-screen of the old.
    monkeypatch.setattr(enrolment, "checklist", reading)
    assert "not_eligible" in enrolment.checklist(site, number, TRIAL, sees=None, on=DAY).blockers


@freeze_time("2026-11-22")
def test_a_deviation_is_recorded_against_the_data_it_was_judged_on(site, monkeypatch):
    _approve(site)
    failing = (PATIENTS / "eligible.json").read_text().replace('"value": 142,', '"value": 40,')
    number = _screen(site, _record(failing))
    shown = enrolment.checklist(site, number, TRIAL, sees=None, on=DAY)
    reading = enrolment.checklist

    def reading_then_new_data(*args, **kwargs):
        found = reading(*args, **kwargs)
        _screen(site, _fresh().model_copy(update={"screening_number": number}))
        return found

    monkeypatch.setattr(enrolment, "checklist", reading_then_new_data)
    from screener.model.verification import DeviationRequest

    with pytest.raises(service.InvalidRecord):
        enrolment.record_deviation(site, number, TRIAL, DeviationRequest(reason="enrolled on the PI's decision",
                                                                          fingerprint=shown.fingerprint),
                                   username="dr-rahimi", role="investigator", on=DAY)
    assert not [e for e in site.events() if e.action == "deviation.recorded"]


@freeze_time("2026-11-22")
def test_the_validity_ends_the_day_before_the_signed_version_stops_being_in_force(site):
    _approve(site)
    _approve(site, on=dt.date(2026, 11, 25), kind="withdrawn")  # recorded already: withdrawn from the 25th
    number = _screen(site, _fresh())
    found = enrolment.checklist(site, number, TRIAL, sees=None, on=DAY)
    assert found.can_sign and found.valid_through == dt.date(2026, 11, 24)
    signed = enrolment.sign(site, number, TRIAL, _request(site, found), username="dr-rahimi", role="investigator",
                            on=DAY)
    assert signed.valid_through == dt.date(2026, 11, 24)
    assert enrolment.view(site, signed.verification_id, sees=None, on=dt.date(2026, 11, 25)).status == \
        "verified_expired"


PAGE_PASSWORD = "a long enough password"


@pytest.fixture
def web(tmp_path):
    with freeze_time("2026-11-22 10:00:00"):
        from screener.web.storage import get_store

        app = make_app(tmp_path)
        with app.app_context():
            Accounts(get_store()).create_user("ivy", "investigator", PAGE_PASSWORD, "test")
            _approve(get_store())
            number = _screen(get_store(), _record())
            secret = Accounts(get_store()).create_token("ivy", "tests", 30, "test")[1]
        yield app, number, secret


def test_a_bearer_token_does_not_reach_the_signature_or_the_deviation(web):
    app, number, secret = web
    with freeze_time("2026-11-22 10:00:00"):
        token = app.test_client()
        token.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
        seen = token.get(f"/children/{number}/verify/{TRIAL}").get_data(as_text=True)
        # The token reads the checklist as any page, but is offered no sign form ...
        assert 'id="sign-form"' not in seen
        # ... and with the page's CSRF token (its session cookie kept) and every field, it signs nothing.
        page = signed_in_browser(app, "ivy", PAGE_PASSWORD)[0].get(f"/children/{number}/verify/{TRIAL}")
        signed_form = _form(page.get_data(as_text=True)) | {"csrf_token": _token(seen), "password": PAGE_PASSWORD}
        posted = token.post(f"/children/{number}/verify/{TRIAL}/sign", data=signed_form)
        assert posted.status_code in (400, 401, 403)
        assert token.post(f"/children/{number}/verify/{TRIAL}/deviation",
                          data={"csrf_token": _token(seen), "reason": "no"}).status_code in (400, 401, 403)
        from screener.web.storage import get_store

        with app.app_context():
            assert not [e for e in get_store().events() if e.action in ("verification.signed", "deviation.recorded")]


@freeze_time("2026-11-22")
def test_a_verification_inserted_outside_the_service_is_not_shown_as_signed(site):
    from .helpers import tamper

    _approve(site)
    number = _screen(site, _record())
    found = enrolment.checklist(site, number, TRIAL, sees=None, on=DAY)
    signed = enrolment.sign(site, number, TRIAL, _request(site, found), username="dr-rahimi", role="investigator",
                            on=DAY)
    forged = "f" * 32
    columns = ("screening_number, trial_id, screening_id, screening_content_hash, rule_set_version, rule_set_digest, "
               "approval_id, verified_on, valid_through, registration_window_days, reviewed, printed_name, meaning, "
               "supersedes_id, recorded_at, actor, content_hash")
    tamper(site, f"INSERT INTO verifications (id, challenge, {columns}) SELECT '{forged}', 'forged-challenge', "
                 f"{columns} FROM verifications WHERE id = '{signed.verification_id}'")
    assert not site.verify().ok
    # The page, the PDF and the API read it through view(): no chain event, no signature.
    with pytest.raises(service.NotFound):
        enrolment.view(site, forged, sees=None, on=DAY)


def test_a_checklist_changed_since_it_was_shown_comes_back_with_no_box_ticked(web):
    """'Review it again' means again: the new checklist is shown with every box empty, not ticked from the review
    of the old one (whose password re-entered would sign data nobody reviewed)."""
    import re

    app, number, _secret = web
    with freeze_time("2026-11-22 10:00:00"):
        browser = signed_in_browser(app, "ivy", PAGE_PASSWORD)[0]
        page = browser.get(f"/children/{number}/verify/{TRIAL}").get_data(as_text=True)
        from screener.web.storage import get_store

        with app.app_context():  # new data for the child while the page is open: still eligible, other values
            _screen(get_store(), _fresh().model_copy(update={"screening_number": number}))
        refused = browser.post(f"/children/{number}/verify/{TRIAL}/sign",
                               data=_form(page) | {"csrf_token": _token(page)})
        assert refused.status_code == 422
        again = refused.get_data(as_text=True)
        assert "fingerprint" in again and 'id="sign-form"' in again
        assert not re.search(r'name="reviewed" value="[^"]+"[^>]*checked', again)
        assert not re.search(r'name="meaning_confirmed"[^>]*checked', again)


@freeze_time("2026-11-22")
def test_the_account_whose_password_signs_must_be_an_investigators(site):
    """The caller's role is checked first; the account the password authenticates is the signer, so its role is
    checked too: a screener's account named with the investigator's role (a caller's mistake, a role changed since
    the session was read) signs nothing."""
    Accounts(site).create_user("coordinator", "screener", PASSWORD, "test")
    _approve(site)
    number = _screen(site, _record())
    found = enrolment.checklist(site, number, TRIAL, sees=None, on=DAY)
    request = _request(site, found).model_copy(update={
        "challenge": enrolment.issue_challenge(site, "coordinator", found.fingerprint)})
    with pytest.raises(service.NotPermitted):
        enrolment.sign(site, number, TRIAL, request, username="coordinator", role="investigator", on=DAY)
    assert not [e for e in site.events() if e.action == "verification.signed"]


@freeze_time("2026-11-22")
@pytest.mark.parametrize("table", ["verifications", "deviations"])
def test_a_verification_or_deviation_deleted_outside_the_service_is_caught(site, table):
    from .helpers import tamper

    _approve(site)
    number = _screen(site, _record())
    found = enrolment.checklist(site, number, TRIAL, sees=None, on=DAY)
    if table == "verifications":
        subject = enrolment.sign(site, number, TRIAL, _request(site, found), username="dr-rahimi",
                                 role="investigator", on=DAY).verification_id
    else:
        from screener.model.verification import DeviationRequest

        failing = _screen(site, _record((PATIENTS / "eligible.json").read_text()
                                        .replace('"value": 142,', '"value": 40,')))
        shown = enrolment.checklist(site, failing, TRIAL, sees=None, on=DAY)
        subject = enrolment.record_deviation(site, failing, TRIAL, DeviationRequest(
            reason="enrolled on the PI's decision", fingerprint=shown.fingerprint), username="dr-rahimi",
            role="investigator", on=DAY).deviation_id
    assert site.verify().ok
    tamper(site, f"DELETE FROM {table} WHERE id = '{subject}'")
    result = site.verify()
    assert not result.ok and subject in result.problem


@freeze_time("2026-11-22")
@pytest.mark.parametrize("username", ["coordinator", "nobody"])
def test_a_deviation_is_recorded_only_by_an_investigators_account(site, username):
    """As for signing: the account named must be an investigator's (enabled), not only the role the caller passed."""
    from screener.model.verification import DeviationRequest

    Accounts(site).create_user("coordinator", "screener", PASSWORD, "test")
    _approve(site)
    number = _screen(site, _record((PATIENTS / "eligible.json").read_text().replace('"value": 142,', '"value": 40,')))
    shown = enrolment.checklist(site, number, TRIAL, sees=None, on=DAY)
    with pytest.raises(service.NotPermitted):
        enrolment.record_deviation(site, number, TRIAL, DeviationRequest(
            reason="enrolled on the PI's decision", fingerprint=shown.fingerprint), username=username,
            role="investigator", on=DAY)
    assert not [e for e in site.events() if e.action == "deviation.recorded"]


@freeze_time("2026-11-22")
def test_an_approval_recorded_after_the_checklist_was_shown_changes_what_is_signed(site):
    """The signature links the approval in force (reference, date): one recorded while the page was open (the same
    version, another reference) is not the one the investigator saw, so the checklist is reviewed again."""
    _approve(site)
    number = _screen(site, _record())
    shown = enrolment.checklist(site, number, TRIAL, sees=None, on=DAY)
    service.record_approval(site, TRIAL, ApprovalRequest(version=VERSION, approved_from=dt.date(2026, 11, 20),
                                                         reference="REC 24/LO/0999 amended"), actor="admin")
    with pytest.raises(service.InvalidRecord) as refused:
        enrolment.sign(site, number, TRIAL, _request(site, shown), username="dr-rahimi", role="investigator", on=DAY)
    assert refused.value.errors[0].path == ("fingerprint",)


@freeze_time("2026-11-22")
def test_voiding_the_screening_a_verification_rests_on_ends_the_verification(site):
    """The coordinator voids the screening they entered as the wrong patient after the investigator signed: the
    signed re-screen holds the same record, so the signature must no longer stand."""
    from screener.model.children import VoidRequest

    _approve(site)
    number = _screen(site, _record())
    found = enrolment.checklist(site, number, TRIAL, sees=None, on=DAY)
    signed = enrolment.sign(site, number, TRIAL, _request(site, found), username="dr-rahimi", role="investigator",
                            on=DAY)
    service.void_screening(site, found.based_on, VoidRequest(reason="wrong_patient"), actor="cli:coordinator",
                           sees=None)
    assert enrolment.view(site, signed.verification_id, sees=None, on=DAY).status == "voided"
    course = next(t for t in enrolment.patient(site, number, sees=None, on=DAY).trials if t.trial_id == TRIAL)
    assert course.verdict is None and course.screening_id is None  # the copy no longer counts: nothing eligible
    voids = [e for e in site.events() if e.action == "screening.voided"]
    assert {e.subject for e in voids} == {found.based_on, signed.screening_id}
    assert site.verify().ok


@freeze_time("2026-11-22")
def test_a_screening_a_verification_rests_on_is_not_corrected_around_its_copy(site):
    """The signed re-screen copies the record as of the verification day, so it counts above a correction of the
    earlier screening (same child, earlier as-of): such a correction is refused, naming the re-screen to correct."""
    _approve(site)
    number = _screen(site, _record())
    found = enrolment.checklist(site, number, TRIAL, sees=None, on=DAY)
    signed = enrolment.sign(site, number, TRIAL, _request(site, found), username="dr-rahimi", role="investigator",
                            on=DAY)
    with pytest.raises(service.InvalidRecord) as refused:
        service.check_correction(site, found.based_on, trial=TRIAL, screening_number=number, sees=None)
    assert refused.value.errors[0].path == ("corrects",)
    assert signed.screening_id[:12] in refused.value.errors[0].message
    assert service.check_correction(site, signed.screening_id, trial=TRIAL, screening_number=number,
                                    sees=None).id == signed.screening_id
