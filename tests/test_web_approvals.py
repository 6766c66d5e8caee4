"""The approvals page (issue 26 point 1): everyone reads the amendment history; only an admin or an investigator sees
and uses the form (route policy, hidden for the others); the form needs its CSRF token; bad input is a 422 naming the
field with nothing stored and nothing echoed; a result under a version not approved says so beside its verdict."""
import datetime as dt

import pytest

from screener.screening import rule_set_for

from .helpers import PATIENTS, make_app, signed_in_browser
from .helpers import csrf_token as _token

PASSWORD = "a long enough password"
TRIAL = "NCT06674265"
VERSION = rule_set_for(TRIAL).version


def _signed_in(app, username: str):
    return signed_in_browser(app, username, PASSWORD)[0]


@pytest.fixture
def site(tmp_path):
    from screener.audit import Accounts
    from screener.web.storage import get_store

    app = make_app(tmp_path)
    with app.app_context():
        accounts = Accounts(get_store())
        for name, role in (("boss", "admin"), ("sam", "screener"), ("ada", "auditor"), ("ivy", "investigator")):
            accounts.create_user(name, role, PASSWORD, "test")
    return app, {name: _signed_in(app, name) for name in ("boss", "sam", "ada", "ivy")}


def _approvals(app):
    from screener.web.storage import get_store

    with app.app_context():
        return [e for e in get_store().events() if e.action == "approval.recorded"]


def _record(client, **data):
    token = _token(client.get("/approvals").get_data(as_text=True))
    return client.post("/approvals", data={"csrf_token": token, "trial_id": TRIAL, "version": VERSION, **data})


def test_every_role_reads_the_history_and_only_an_admin_or_investigator_sees_and_uses_the_form(site):
    app, clients = site
    for name, client in clients.items():
        page = client.get("/approvals")
        assert page.status_code == 200 and "Amendment history at this site" in page.get_data(as_text=True)
        assert ('action="/approvals"' in page.get_data(as_text=True)) == (name in ("boss", "ivy")), name
        assert 'href="/approvals"' in client.get("/").get_data(as_text=True) or name == "ada"
    for name in ("sam", "ada"):
        token = _token(clients[name].get("/approvals").get_data(as_text=True))
        refused = clients[name].post("/approvals", data={"csrf_token": token, "trial_id": TRIAL, "version": VERSION,
                                                         "approved_from": "2026-11-01", "reference": "REC 1"})
        assert refused.status_code == 403, name
    assert app.test_client().get("/approvals").status_code in (302, 401)
    assert _approvals(app) == []


def test_an_admin_records_an_approval_and_the_history_shows_it(site):
    app, clients = site
    done = _record(clients["boss"], approved_from="2026-11-01", reference="REC 24/LO/0123", kind="approved")
    assert done.status_code == 303
    (event,) = _approvals(app)
    assert event.actor == "user:boss"
    page = clients["ada"].get("/approvals").get_data(as_text=True)
    assert "REC 24/LO/0123" in page and f"version {VERSION}</span>" in page and "boss" in page


def test_the_form_needs_its_csrf_token(site):
    app, clients = site
    response = clients["boss"].post("/approvals", data={"trial_id": TRIAL, "version": VERSION,
                                                        "approved_from": "2026-11-01", "reference": "REC 1"})
    assert response.status_code == 400 and _approvals(app) == []


@pytest.mark.parametrize(("data", "field"), [
    ({"approved_from": "2026-02-30", "reference": "REC 1"}, "approved_from"),
    ({"approved_from": "", "reference": "REC 1"}, "approved_from"),
    ({"approved_from": "2026-11-01", "reference": "jane.doe@hospital.example"}, "reference"),
    ({"approved_from": "2026-11-01", "reference": "REC 1", "version": "0.0.1"}, "version"),
    ({"approved_from": "2026-11-01", "reference": "REC 1", "kind": "maybe"}, "kind"),
])
def test_bad_input_is_a_422_naming_the_field_with_nothing_stored_or_echoed(site, data, field):
    app, clients = site
    response = _record(clients["boss"], **data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and f"{field}:" in page and "Nothing was recorded" in page
    assert "jane.doe" not in page and "2026-02-30" not in page and "maybe" not in page
    assert _approvals(app) == []


def test_a_result_under_a_version_not_approved_says_so_beside_its_verdict(site):
    app, clients = site
    sam = clients["sam"]
    from screener import service
    from screener.model.approvals import ApprovalRequest
    from screener.screening import parse_record
    from screener.web.storage import get_store

    record = parse_record((PATIENTS / "eligible.json").read_text())
    with app.app_context():
        before = service.screen_and_record(record, dt.date(2026, 10, 31), channel=service.Channel.FORM,
                                           actor="user:sam", recorder=get_store(), trial=TRIAL)  # the day before
        service.record_approval(get_store(), TRIAL, ApprovalRequest(
            version=VERSION, approved_from=dt.date(2026, 11, 1), reference="REC 24/LO/0123"),
            actor="user:boss")
        after = service.screen_and_record(record, dt.date(2026, 11, 1), channel=service.Channel.FORM,
                                          actor="user:sam", recorder=get_store(), trial=TRIAL)  # from that day
    not_approved = sam.get(f"/results/{before.request_id}").get_data(as_text=True)
    assert "NOT APPROVED</span> pre-screening only — not approved at this site" in not_approved
    approved = sam.get(f"/results/{after.request_id}").get_data(as_text=True)
    assert "Protocol version at this site: approved (ref REC 24/LO/0123, from 2026-11-01)" in approved
    assert "NOT APPROVED" not in approved
    audit_page = clients["ada"].get(f"/audit/screenings/{before.ids[0]}").get_data(as_text=True)
    assert "NOT APPROVED" in audit_page
    history = clients["ada"].get("/audit/screenings").get_data(as_text=True)
    assert history.count("not approved at this site: pre-screening") == 1 and "approved (REC 24/LO/0123)" in history
