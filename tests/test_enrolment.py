"""Enrolment-day eligibility verification (issue 26 points 2-5), through the service every channel calls: the
checklist is the day's re-screen; only an investigator signs, with the password entered again, a challenge used
once and every criterion confirmed; nothing not passing, not approved or from a partial rule set is signed; a
deviation names the criteria not passing; a signature is superseded, never edited; its validity ends with the
registration window or the first day the record would no longer screen eligible; editing any stored byte of a
verification or deviation is caught by the chain on SQLite and PostgreSQL."""
import datetime as dt
import json

import pytest
from freezegun import freeze_time

from screener import enrolment, service
from screener.audit import Accounts
from screener.model.approvals import ApprovalRequest
from screener.model.record import PatientRecord
from screener.model.verification import DeviationRequest, SignRequest
from screener.screening import rule_set_for

from .helpers import PATIENTS, tamper

TRIAL = "NCT06674265"
DAY = dt.date(2026, 11, 22)
PASSWORD = "correct horse battery staple"


def _record(**changes) -> PatientRecord:
    record = PatientRecord.model_validate_json((PATIENTS / "eligible.json").read_text())
    return record.model_copy(update=changes)


def _screen(store, record: PatientRecord, on: dt.date = DAY) -> str:
    done = service.screen_and_record(record, on, channel=service.Channel.CLI, actor="cli:coordinator",
                                     recorder=store, trial=TRIAL)
    return done.screening_number


def _approve(store, on: dt.date = dt.date(2026, 11, 1)) -> None:
    service.record_approval(store, TRIAL, ApprovalRequest(version=rule_set_for(TRIAL).version, approved_from=on,
                                                          reference="REC 24/LO/0123"), actor="admin")


def _people(store) -> None:
    accounts = Accounts(store)
    accounts.create_user("dr-rahimi", "investigator", PASSWORD, "test")
    accounts.create_user("coordinator", "screener", PASSWORD, "test")


def _request(store, checklist, *, username="dr-rahimi", password=PASSWORD, reviewed=None, challenge=None):
    return SignRequest(
        password=password, printed_name="Leila Rahimi", fingerprint=checklist.fingerprint,
        challenge=challenge or enrolment.issue_challenge(store, username, checklist.fingerprint),
        reviewed=reviewed if reviewed is not None else [c.id for c in checklist.report.criteria],
        meaning_confirmed=True)


@pytest.fixture
def site(store):
    _people(store)
    return store


@freeze_time("2026-11-22")
def test_an_investigator_signs_the_days_checklist_linked_to_screening_digest_and_approval_in_the_chain(site):
    _approve(site)
    number = _screen(site, _record())
    found = enrolment.checklist(site, number, TRIAL, sees=None, on=DAY)
    assert found.can_sign and found.blockers == [] and found.verification_date == DAY
    assert found.waivers == "none" and f"rule-set version {rule_set_for(TRIAL).version}" in found.meaning
    signed = enrolment.sign(site, number, TRIAL, _request(site, found), username="dr-rahimi", role="investigator",
                            on=DAY)
    assert signed.status == "verified" and signed.verified_on == DAY
    assert signed.signature.printed_name == "Leila Rahimi" and signed.signature.username == "dr-rahimi"
    assert signed.signature.meaning == found.meaning and signed.rule_set_digest == rule_set_for(TRIAL).digest()
    assert signed.approval.reference == "REC 24/LO/0123"
    assert signed.reviewed == [c.id for c in found.report.criteria]
    stored = site.screening(signed.screening_id)
    assert stored.channel == "verify" and stored.screening_number == number and stored.as_of == DAY.isoformat()
    assert signed.screening_content_hash == stored.content_hash
    event = next(e for e in site.events() if e.action == "verification.signed")
    details = json.loads(event.details_json)
    assert event.actor == "user:dr-rahimi" and event.subject == signed.verification_id
    assert details["screening_content_hash"] == stored.content_hash
    assert details["approval_id"] == signed.approval.approval_id
    assert "Leila" not in event.details_json  # the name is in the hashed row, the trail names the account
    assert site.verify().ok


@freeze_time("2026-11-22")
def test_the_validity_ends_with_the_window_or_the_day_before_the_record_would_no_longer_screen_eligible(site):
    _approve(site)
    # The echocardiogram (2026-11-12) is at most 14 days old through 2026-11-26: the window would reach 11-29.
    number = _screen(site, _record())
    assert enrolment.checklist(site, number, TRIAL, sees=None, on=DAY).valid_through == dt.date(2026, 11, 26)
    # Every dated value fresh: the registration window (7 days, day 0 the verification day) decides.
    fresh = json.loads((PATIENTS / "eligible.json").read_text().replace("2026-11-12", "2026-11-20")
                       .replace("2026-11-18", "2026-11-21"))
    number = _screen(site, PatientRecord.model_validate(fresh))
    window = rule_set_for(TRIAL).enrolment.registration_window_days
    assert enrolment.checklist(site, number, TRIAL, sees=None, on=DAY).valid_through == DAY + dt.timedelta(window)


@freeze_time("2026-11-22")
def test_a_child_who_turns_17_inside_the_window_is_valid_through_the_day_before_the_birthday(site):
    _approve(site)
    fresh = json.loads((PATIENTS / "eligible.json").read_text().replace("2026-11-12", "2026-11-20")
                       .replace("2026-11-18", "2026-11-21").replace('"2018-03-14"', '"2009-11-25"'))
    number = _screen(site, PatientRecord.model_validate(fresh))
    found = enrolment.checklist(site, number, TRIAL, sees=None, on=DAY)
    assert found.can_sign and found.valid_through == dt.date(2026, 11, 24)


@freeze_time("2026-11-22")
@pytest.mark.parametrize(("username", "role", "password"), [
    ("coordinator", "screener", PASSWORD),  # a screener cannot sign, even with their own password
    ("dr-rahimi", "admin", PASSWORD),  # the role the caller was given decides, not the account's name
])
def test_only_an_investigator_signs(site, username, role, password):
    _approve(site)
    number = _screen(site, _record())
    found = enrolment.checklist(site, number, TRIAL, sees=None, on=DAY)
    with pytest.raises(enrolment.NotPermitted):
        enrolment.sign(site, number, TRIAL, _request(site, found, username=username), username=username, role=role,
                       on=DAY)
    assert not [e for e in site.events() if e.action == "verification.signed"]


@freeze_time("2026-11-22")
def test_no_signature_without_the_password_entered_again(site):
    _approve(site)
    number = _screen(site, _record())
    found = enrolment.checklist(site, number, TRIAL, sees=None, on=DAY)
    with pytest.raises(service.InvalidRecord) as refused:
        enrolment.sign(site, number, TRIAL, _request(site, found, password="wrong password"), username="dr-rahimi",
                       role="investigator", on=DAY)
    assert refused.value.errors[0].path == ("password",)
    assert not [e for e in site.events() if e.action == "verification.signed"]


@freeze_time("2026-11-22")
def test_a_replayed_signature_is_refused_and_a_challenge_of_another_person_or_checklist_is_not_accepted(site):
    _approve(site)
    number = _screen(site, _record())
    found = enrolment.checklist(site, number, TRIAL, sees=None, on=DAY)
    request = _request(site, found)
    enrolment.sign(site, number, TRIAL, request, username="dr-rahimi", role="investigator", on=DAY)
    # The same request again: the checklist now rests on the signed re-screen, so its fingerprint changed; with the
    # new fingerprint the challenge (issued for the old one) is refused; and a fresh page's challenge, used twice,
    # signs once.
    with pytest.raises(service.InvalidRecord):
        enrolment.sign(site, number, TRIAL, request, username="dr-rahimi", role="investigator", on=DAY)
    again = enrolment.checklist(site, number, TRIAL, sees=None, on=DAY)
    with pytest.raises(service.InvalidRecord) as stale:
        enrolment.sign(site, number, TRIAL, _request(site, again, challenge=request.challenge),
                       username="dr-rahimi", role="investigator", on=DAY)
    assert stale.value.errors[0].path == ("challenge",)
    Accounts(site).create_user("dr-other", "investigator", PASSWORD, "test")
    theirs = enrolment.issue_challenge(site, "dr-other", again.fingerprint)
    with pytest.raises(service.InvalidRecord):
        enrolment.sign(site, number, TRIAL, _request(site, again, challenge=theirs), username="dr-rahimi",
                       role="investigator", on=DAY)
    fresh = _request(site, again)
    second = enrolment.sign(site, number, TRIAL, fresh, username="dr-rahimi", role="investigator", on=DAY)
    assert len([e for e in site.events() if e.action == "verification.signed"]) == 2
    assert second.supersedes is not None


@freeze_time("2026-11-22")
def test_two_posts_of_one_request_at_the_same_moment_sign_once(site):
    """Both pass the fingerprint check before either is stored: the stored challenge is unique, so one is refused."""
    from screener.audit import ChallengeUsed, add_verification, record_of, report_of, verifications

    _approve(site)
    number = _screen(site, _record())
    found = enrolment.checklist(site, number, TRIAL, sees=None, on=DAY)
    signed = enrolment.sign(site, number, TRIAL, _request(site, found), username="dr-rahimi", role="investigator",
                            on=DAY)
    row = site.screening(signed.screening_id)
    stored = verifications(site, number)[0]
    fields = {name: getattr(stored, name) for name in (
        "screening_number", "trial_id", "rule_set_version", "rule_set_digest", "approval_id", "verified_on",
        "valid_through", "registration_window_days", "reviewed", "printed_name", "meaning", "challenge")}
    events = len(site.events())
    with pytest.raises(ChallengeUsed):
        add_verification(site, record=record_of(row), report=report_of(row), actor="dr-rahimi", based_on=row.id,
                         fields=fields)
    assert len(site.events()) == events  # nothing of the refused one, not even its re-screen, is stored


@freeze_time("2026-11-22")
def test_a_challenge_older_than_30_minutes_is_refused(site):
    _approve(site)
    number = _screen(site, _record())
    found = enrolment.checklist(site, number, TRIAL, sees=None, on=DAY)
    with freeze_time("2026-11-22 00:00:00"):
        old = enrolment.issue_challenge(site, "dr-rahimi", found.fingerprint)
    with freeze_time("2026-11-22 00:30:01"), pytest.raises(service.InvalidRecord) as refused:
        enrolment.sign(site, number, TRIAL, _request(site, found, challenge=old), username="dr-rahimi",
                       role="investigator", on=DAY)
    assert refused.value.errors[0].path == ("challenge",)


@freeze_time("2026-11-22")
def test_every_criterion_must_be_confirmed_one_by_one(site):
    _approve(site)
    number = _screen(site, _record())
    found = enrolment.checklist(site, number, TRIAL, sees=None, on=DAY)
    ids = [c.id for c in found.report.criteria]
    for reviewed in (ids[:-1], ids + [ids[0]], [*ids[:-1], "NCT06674265-NOPE"]):
        with pytest.raises(service.InvalidRecord) as refused:
            enrolment.sign(site, number, TRIAL, _request(site, found, reviewed=reviewed), username="dr-rahimi",
                           role="investigator", on=DAY)
        assert refused.value.errors[0].path == ("reviewed",)


@freeze_time("2026-11-22")
def test_a_rule_set_not_approved_today_cannot_verify(site):
    number = _screen(site, _record())
    found = enrolment.checklist(site, number, TRIAL, sees=None, on=DAY)
    assert not found.can_sign and found.blockers == ["not_approved"] and found.valid_through is None
    with pytest.raises(service.Conflict):
        enrolment.sign(site, number, TRIAL, _request(site, found), username="dr-rahimi", role="investigator",
                       on=DAY)
    _approve(site, on=dt.date(2026, 11, 23))  # approved from tomorrow: still not in force today
    assert enrolment.checklist(site, number, TRIAL, sees=None, on=DAY).blockers == ["not_approved"]


@freeze_time("2026-11-22")
def test_stale_data_is_unknown_on_the_day_so_the_checklist_cannot_be_signed(site):
    _approve(site)
    with freeze_time("2026-11-19"):
        number = _screen(site, _record(), on=dt.date(2026, 11, 19))  # eligible as of its own day
    later = dt.date(2026, 12, 6)  # labs of 2026-11-18 are 18 days old
    with freeze_time("2026-12-06"):
        found = enrolment.checklist(site, number, TRIAL, sees=None, on=later)
    assert "not_eligible" in found.blockers and not found.can_sign


@freeze_time("2026-11-22")
def test_a_child_failing_a_criterion_cannot_be_signed_and_a_deviation_names_the_criteria_not_passing(site):
    _approve(site)
    data = json.loads((PATIENTS / "eligible.json").read_text())
    data["observations"] = [lab for lab in data["observations"] if lab["test"] != "777-3"] + [
        {"test": "777-3", "value": 40, "unit": "10*3/uL", "date": "2026-11-18"}]  # platelets 40,000/µL
    number = _screen(site, PatientRecord.model_validate(data))
    found = enrolment.checklist(site, number, TRIAL, sees=None, on=DAY)
    assert found.blockers == ["not_eligible"]
    with pytest.raises(service.Conflict):
        enrolment.sign(site, number, TRIAL, _request(site, found), username="dr-rahimi", role="investigator",
                       on=DAY)
    with pytest.raises(enrolment.NotPermitted):
        enrolment.record_deviation(site, number, TRIAL, DeviationRequest(reason="Sponsor informed", fingerprint=(
            found.fingerprint)), username="coordinator", role="screener", on=DAY)
    deviation = enrolment.record_deviation(
        site, number, TRIAL, DeviationRequest(reason="Enrolled after sponsor review", fingerprint=found.fingerprint),
        username="dr-rahimi", role="investigator", on=DAY)
    failing = [c.id for c in found.report.criteria if c.status.value != "pass"]
    assert deviation.criterion_ids == failing and "NCT06674265-E1" in failing
    assert deviation.recorded_by == "user:dr-rahimi"
    course = next(t for t in enrolment.patient(site, number, sees=None, on=DAY).trials if t.trial_id == TRIAL)
    assert [d.deviation_id for d in course.deviations] == [deviation.deviation_id] and course.verification is None
    assert site.verify().ok


@freeze_time("2026-11-22")
def test_a_deviation_for_a_child_passing_everything_is_refused(site):
    _approve(site)
    number = _screen(site, _record())
    found = enrolment.checklist(site, number, TRIAL, sees=None, on=DAY)
    with pytest.raises(service.Conflict):
        enrolment.record_deviation(site, number, TRIAL, DeviationRequest(reason="no reason", fingerprint=(
            found.fingerprint)), username="dr-rahimi", role="investigator", on=DAY)


@freeze_time("2026-11-22")
def test_the_log_standing_moves_from_verified_to_expired_and_to_screened_since(site):
    _approve(site)
    number = _screen(site, _record())
    found = enrolment.checklist(site, number, TRIAL, sees=None, on=DAY)
    signed = enrolment.sign(site, number, TRIAL, _request(site, found), username="dr-rahimi",
                            role="investigator", on=DAY)
    summary = enrolment.summaries(site, number, DAY)[TRIAL]
    assert summary.status == "verified" and summary.valid_through == signed.valid_through
    assert enrolment.summaries(site, number, signed.valid_through)[TRIAL].status == "verified"
    after = signed.valid_through + dt.timedelta(days=1)
    assert enrolment.summaries(site, number, after)[TRIAL].status == "verified_expired"
    _screen(site, _record(screening_number=number))  # screened again: the data the signature covered changed
    assert enrolment.summaries(site, number, DAY)[TRIAL].status == "screened_since"


@freeze_time("2026-11-22")
def test_a_screener_sees_a_verification_only_of_a_child_they_screened(site):
    _approve(site)
    number = _screen(site, _record())
    found = enrolment.checklist(site, number, TRIAL, sees=None, on=DAY)
    signed = enrolment.sign(site, number, TRIAL, _request(site, found), username="dr-rahimi", role="investigator",
                            on=DAY)
    assert enrolment.view(site, signed.verification_id, sees="cli:coordinator", on=DAY).verification_id
    with pytest.raises(service.NotFound):
        enrolment.view(site, signed.verification_id, sees="someone-else", on=DAY)
    with pytest.raises(service.NotFound):
        enrolment.view(site, "0" * 32, sees=None, on=DAY)


@freeze_time("2026-11-22")
@pytest.mark.parametrize("column", ["printed_name", "meaning", "valid_through", "reviewed", "screening_content_hash"])
def test_editing_any_stored_byte_of_a_verification_is_caught(site, column):
    _approve(site)
    number = _screen(site, _record())
    found = enrolment.checklist(site, number, TRIAL, sees=None, on=DAY)
    signed = enrolment.sign(site, number, TRIAL, _request(site, found), username="dr-rahimi",
                            role="investigator", on=DAY)
    assert site.verify().ok
    value = {"valid_through": "'2027-12-31'", "reviewed": "'[]'", "screening_content_hash": f"'{'0' * 64}'"}.get(
        column, f"{column} || 'x'")
    tamper(site, f"UPDATE verifications SET {column} = {value} WHERE id = '{signed.verification_id}'")
    result = site.verify()
    assert not result.ok and signed.verification_id in result.problem


@freeze_time("2026-11-22")
def test_a_deviation_edited_or_inserted_outside_the_service_is_caught(site):
    _approve(site)
    data = json.loads((PATIENTS / "eligible.json").read_text())
    # No platelet count: E1 unknown.
    data["observations"] = [lab for lab in data["observations"] if lab["test"] != "777-3"]
    number = _screen(site, PatientRecord.model_validate(data))
    found = enrolment.checklist(site, number, TRIAL, sees=None, on=DAY)
    deviation = enrolment.record_deviation(site, number, TRIAL, DeviationRequest(
        reason="Platelets drawn, result pending", fingerprint=found.fingerprint), username="dr-rahimi",
        role="investigator", on=DAY)
    assert site.verify().ok
    tamper(site, f"UPDATE deviations SET criterion_ids = '[]' WHERE id = '{deviation.deviation_id}'")
    assert not site.verify().ok
