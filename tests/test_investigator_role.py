"""The investigator role (issue 26): screens as a screener does, on every child of the site; reads every screening,
the screening log and the sponsor's export; records rule-set approvals; not the raw trail export, the chain check or
the users. The route x role table is in test_web_auth.py; this checks what the role sees and does with real data."""

import pytest
from freezegun import freeze_time

from .helpers import authorised, make_app, signed_in_browser
from .helpers import csrf_token as _token

PASSWORD = "a long enough password"
TRIAL = "NCT06674265"
SCREEN = f"/api/v1/trials/{TRIAL}/screen?as_of=2026-11-22"


def _signed_in(app, username: str):
    """A browser signed in with a password; returns the client and where the sign-in landed."""
    client, signed = signed_in_browser(app, username, PASSWORD)
    return client, signed.headers["Location"]


@pytest.fixture
def site(tmp_path, eligible_json):
    from screener.audit import Accounts
    from screener.web.storage import get_store

    app = make_app(tmp_path)
    with app.app_context():
        Accounts(get_store()).create_user("ivy", "investigator", PASSWORD, "test")
    # A child another user screened: the investigator did not screen SCR-0007.
    alice = authorised(app, "screener", "alice")
    screened = alice.post(SCREEN, json={**eligible_json, "screening_number": "SCR-0007"})
    assert screened.status_code == 200
    return app, alice, screened.get_json()


def _events(app):
    from screener.web.storage import get_store

    with app.app_context():
        return get_store().events()


def test_an_investigator_sees_a_child_and_screening_another_user_recorded(site, eligible_json):
    app, alice, screened = site
    screening_id = screened["screening_id"]
    # The contrast: another screener sees none of it.
    bob = authorised(app, "screener", "bob")
    assert bob.get("/api/v1/patients/SCR-0007").status_code == 404
    assert bob.get(f"/audit/screenings/{screening_id}").status_code == 404
    ivy = authorised(app, "investigator", "ivy-api")
    child = ivy.get("/api/v1/patients/SCR-0007")
    assert child.status_code == 200
    assert [s["screening_id"] for s in child.get_json()["screenings"]] == [screening_id]
    assert ivy.get(f"/audit/screenings/{screening_id}").status_code == 200
    assert screening_id[:12] in ivy.get("/audit/screenings").get_data(as_text=True)
    assert "SCR-0007" in ivy.get("/children").get_data(as_text=True)
    page = ivy.get("/children/SCR-0007")
    assert page.status_code == 200 and screening_id in page.get_data(as_text=True)
    # The screening log and the sponsor's export, built from every screening; not the raw export or the chain check.
    assert ivy.get(f"/audit/log?trial={TRIAL}").status_code == 200
    sponsor = ivy.get(f"/audit/sponsor.csv?trial={TRIAL}")
    assert sponsor.status_code == 200 and "SCR-0007" in sponsor.get_data(as_text=True)
    assert ivy.get("/audit/export/screenings.json").status_code == 403
    assert ivy.get("/audit/verify").status_code == 403
    # What the investigator screens, the screener does not see: alice still sees only her own.
    mine = ivy.post(SCREEN, json={**eligible_json, "screening_number": "SCR-0008"})
    assert mine.status_code == 200 and alice.get("/api/v1/patients/SCR-0008").status_code == 404


@freeze_time("2026-12-06")
def test_an_investigator_acts_on_a_child_another_user_screened(site):
    app, _, screened = site
    ivy = authorised(app, "investigator", "ivy-api")
    outcome = ivy.post("/api/v1/patients/SCR-0007/outcomes",
                       json={"trial_id": TRIAL, "outcome": "consented", "date": "2026-12-01"})
    assert outcome.status_code == 201
    voided = ivy.post(f"/api/v1/screenings/{screened['screening_id']}/void", json={"reason": "test"})
    assert voided.status_code == 200
    mine = [e.action for e in _events(app) if e.actor.endswith("(ivy-api)")]
    assert mine == ["outcome.recorded", "screening.voided"]


def test_an_investigator_signs_in_to_the_form_and_is_shown_what_the_role_may_open(site):
    app, _, _ = site
    ivy, landed = _signed_in(app, "ivy")
    assert landed == "/"  # where a screener lands: the investigator screens too
    nav = ivy.get("/").get_data(as_text=True)
    for shown in ('href="/">Screen a patient', 'href="/children"', 'href="/audit/screenings"', 'href="/audit/log"',
                  'href="/approvals"'):
        assert shown in nav, shown
    assert 'href="/admin"' not in nav
    history = ivy.get("/audit/screenings").get_data(as_text=True)
    assert "/audit/export/" not in history and "/audit/verify" not in history  # the trail's own exports are not theirs
    assert "re-screen" in history  # acts on every child's screening


def test_an_investigator_records_a_rule_set_approval(site):
    from screener.screening import rule_set_for

    app, _, _ = site
    ivy, _ = _signed_in(app, "ivy")
    page = ivy.get("/approvals").get_data(as_text=True)
    assert 'action="/approvals"' in page
    done = ivy.post("/approvals", data={"csrf_token": _token(page), "trial_id": TRIAL,
                                        "version": rule_set_for(TRIAL).version, "approved_from": "2026-11-01",
                                        "reference": "REC 24/LO/0123", "kind": "approved"})
    assert done.status_code == 303
    assert [e.actor for e in _events(app) if e.action == "approval.recorded"] == ["user:ivy"]
