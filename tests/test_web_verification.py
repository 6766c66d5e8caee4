"""Enrolment-day verification pages (issue 26 points 2-4): the checklist shows every criterion with a box to tick;
an investigator signs with every box ticked and the password entered again, and lands on the signed checklist with
its signature block; a wrong password, a box left empty, a replayed form, a missing CSRF token or another role signs
nothing; a wrong password counts toward the sign-in lockout; a child failing a criterion has no sign form, and the
protocol deviation recorded for it shows on the child's page."""
import re

import pytest
from freezegun import freeze_time

from screener.model.verification import BLOCKER_WORDS, meaning
from screener.screening import rule_set_for

from .helpers import PATIENTS, make_app, signed_in_browser
from .helpers import csrf_token as _token

PASSWORD = "a long enough password"
TRIAL = "NCT06674265"
VERSION = rule_set_for(TRIAL).version
USERS = {"ivy": "investigator", "sam": "screener", "ada": "auditor", "boss": "admin", "other": "screener"}


def _signed_in(app, username: str):
    return signed_in_browser(app, username, PASSWORD)[0]


@pytest.fixture
def day():
    with freeze_time("2026-11-22 10:00:00"):
        yield


@pytest.fixture
def site(tmp_path, day):
    from screener.audit import Accounts
    from screener.web.storage import get_store

    app = make_app(tmp_path)
    with app.app_context():
        accounts = Accounts(get_store())
        for name, role in USERS.items():
            accounts.create_user(name, role, PASSWORD, "test")
    return app, {name: _signed_in(app, name) for name in USERS}


def _approve(app) -> None:
    import datetime as dt

    from screener import service
    from screener.model.approvals import ApprovalRequest
    from screener.web.storage import get_store

    with app.app_context():
        service.record_approval(get_store(), TRIAL, ApprovalRequest(version=VERSION, approved_from=dt.date(2026, 11, 1),
                                                                    reference="REC 24/LO/0123"), actor="user:boss")


def _screen(app, record_json: str, actor: str = "user:sam") -> str:
    import datetime as dt

    from screener import service
    from screener.model.record import PatientRecord
    from screener.web.storage import get_store

    with app.app_context():
        done = service.screen_and_record(PatientRecord.model_validate_json(record_json), dt.date(2026, 11, 22),
                                         channel=service.Channel.FORM, actor=actor, recorder=get_store(), trial=TRIAL)
    return done.screening_number


def _eligible() -> str:
    return (PATIENTS / "eligible.json").read_text()


def _failing() -> str:
    """Platelets 40,000/µL: the marrow criterion fails."""
    return _eligible().replace('"value": 142,', '"value": 40,')


def _events(app, action: str) -> list:
    from screener.web.storage import get_store

    with app.app_context():
        return [e for e in get_store().events() if e.action == action]


def _form(page: str) -> dict:
    """What the sign form holds, every criterion ticked, the meaning confirmed, the right password."""
    form = re.search(r'<form method="post" action="[^"]*/sign" class="verify" id="sign-form">(.*?)</form>', page,
                     re.S)[1]
    data = {name: value for name, value in re.findall(r'type="hidden" name="(\w+)" value="([^"]*)"', form)}
    data.update(reviewed=re.findall(r'name="reviewed" value="([^"]+)"', form), meaning_confirmed="yes",
                printed_name="Ivy Okafor", password=PASSWORD)
    return data


def _url(number: str, what: str = "") -> str:
    return f"/children/{number}/verify/{TRIAL}{what}"


def test_a_signable_child_shows_every_criterion_with_its_box_and_the_sign_form(site):
    app, clients = site
    _approve(app)
    number = _screen(app, _eligible())
    response = clients["ivy"].get(_url(number))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    criteria = rule_set_for(TRIAL).criteria
    boxes = re.findall(r'<input type="checkbox" name="reviewed" value="([^"]+)" aria-label="Reviewed: [^"]+" required>',
                       page)
    assert boxes == [c.id for c in criteria] and len(boxes) == 21
    for criterion in criteria:
        assert f'id="c-{criterion.id}"' in page
    assert f"{number}, {TRIAL}" in page and "22 Nov 2026" in page and f"version {VERSION}" in page
    assert "reference REC 24/LO/0123, in force from 1 Nov 2026" in page
    assert "no criterion is waived" in page and "Valid through" in page
    assert meaning(TRIAL, VERSION) in page
    assert 'name="password" type="password" autocomplete="current-password" required' in page
    assert 'name="meaning_confirmed" value="yes" required' in page and 'name="challenge" value="' in page
    # the sign form's, the sign-out form's and the language switch's (on every page, issue 30)
    assert page.count('name="csrf_token"') == 3
    assert 'id="deviation-form"' not in page and 'id="blockers"' not in page


def test_the_validity_says_why_it_ends_before_the_window(site):
    app, clients = site
    _approve(app)
    number = _screen(app, _eligible())  # the echocardiogram of 12 Nov is too old from 27 Nov
    page = clients["ivy"].get(_url(number)).get_data(as_text=True)
    assert re.search(r"26 Nov 2026</strong> — earlier than the 7-day registration window: from 2026-11-27", page)


def test_an_investigator_signs_and_lands_on_the_signed_checklist_with_its_signature_block(site):
    app, clients = site
    _approve(app)
    number = _screen(app, _eligible())
    signed = clients["ivy"].post(_url(number, "/sign"), data=_form(clients["ivy"].get(_url(number)).get_data(
        as_text=True)))
    assert signed.status_code == 303, signed.get_data(as_text=True)[:2000]
    location = signed.headers["Location"]
    assert re.fullmatch(r"/verifications/[0-9a-f]{32}", location)
    (event,) = _events(app, "verification.signed")
    assert event.actor == "user:ivy" and location.endswith(event.subject)
    page = clients["ivy"].get(location).get_data(as_text=True)
    block = page[page.index('id="signature"'):]
    assert "Ivy Okafor" in block and "ivy" in block and "22 Nov 2026 10:00:00 UTC" in block
    assert meaning(TRIAL, VERSION) in block
    assert "Verified</strong>: every criterion passes; valid through 26 Nov 2026" in page
    assert "reference REC 24/LO/0123, in force from 1 Nov 2026" in page and f'href="{location}.pdf"' in page
    pdf = clients["ivy"].get(f"{location}.pdf")  # the link reaches the PDF route, not this page's
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert page.count('<span class="status status-pass">PASS</span>') == 21
    # The child's page shows the standing, who signed, and links the signed checklist.
    child = clients["sam"].get(f"/children/{number}").get_data(as_text=True)
    assert "verified</strong> on 22 Nov 2026, valid through 26 Nov 2026, signed by Ivy Okafor" in child
    assert f'href="{location}"' in child
    # The screener who screened the child reads it; another screener does not.
    assert clients["sam"].get(location).status_code == 200
    assert clients["other"].get(location).status_code == 404
    with freeze_time("2026-11-27 09:00:00"):  # past its validity: it says so
        later = _signed_in(app, "ada").get(location).get_data(as_text=True)
    assert 'id="standing"' in later and "Verified, expired</strong>: valid through 26 Nov 2026 only" in later


def test_a_wrong_password_signs_nothing_names_the_password_and_counts_toward_the_lockout(site):
    app, clients = site
    _approve(app)
    number = _screen(app, _eligible())
    ivy = clients["ivy"]
    allowed = app.config["LOGIN_FAILURES_ALLOWED"]
    for _ in range(allowed):
        data = _form(ivy.get(_url(number)).get_data(as_text=True)) | {"password": "not my password at all"}
        refused = ivy.post(_url(number, "/sign"), data=data)
        page = refused.get_data(as_text=True)
        assert refused.status_code == 422 and "password: is not your password" in page
        assert 'id="password-error"' in page and "not my password at all" not in page
        assert 'checked' in page and 'value="Ivy Okafor"' in page  # the boxes and the name are kept, not the password
    assert _events(app, "verification.signed") == []
    assert len(_events(app, "signature.password_failed")) == allowed
    # Locked out as after as many failed sign-ins: the right password is refused too, here and at the sign-in page.
    data = _form(ivy.get(_url(number)).get_data(as_text=True))
    locked = ivy.post(_url(number, "/sign"), data=data)
    assert locked.status_code == 429 and "Retry-After" in locked.headers
    assert _events(app, "verification.signed") == []
    login = app.test_client()
    token = _token(login.get("/login").get_data(as_text=True))
    assert login.post("/login", data={"username": "ivy", "password": PASSWORD, "csrf_token": token}).status_code == 429


@pytest.mark.parametrize(("change", "field"), [
    (lambda d: d | {"reviewed": d["reviewed"][:-1]}, "reviewed"),
    (lambda d: d | {"reviewed": []}, "reviewed"),
    (lambda d: {k: v for k, v in d.items() if k != "meaning_confirmed"}, "meaning_confirmed"),
    (lambda d: d | {"printed_name": "jane.doe@hospital.example"}, "printed_name"),
    (lambda d: {k: v for k, v in d.items() if k != "password"}, "password"),
    (lambda d: d | {"challenge": "x" * 40}, "challenge"),
    (lambda d: d | {"fingerprint": "0" * 64}, "fingerprint"),
])
def test_an_incomplete_form_signs_nothing_and_names_the_field(site, change, field):
    app, clients = site
    _approve(app)
    number = _screen(app, _eligible())
    data = change(_form(clients["ivy"].get(_url(number)).get_data(as_text=True)))
    refused = clients["ivy"].post(_url(number, "/sign"), data=data)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and f"<li>{field}: " in page and "Nothing was signed" in page
    assert "jane.doe" not in page and PASSWORD not in page
    assert _events(app, "verification.signed") == []
    assert _events(app, "signature.password_failed") == []  # only a wrong password is a guess


@pytest.mark.parametrize("who", ["sam", "ada", "boss"])
def test_only_an_investigator_signs(site, who):
    app, clients = site
    _approve(app)
    number = _screen(app, _eligible())
    form = _form(clients["ivy"].get(_url(number)).get_data(as_text=True))
    page = clients[who].get(_url(number))
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="sign-form"' not in text and 'name="reviewed"' not in text
    assert "Read-only: only an investigator signs" in text
    assert text.count('<span class="status status-pass">PASS</span>') == 21
    token = _token(text)
    assert clients[who].post(_url(number, "/sign"), data=form | {"csrf_token": token}).status_code == 403
    assert clients[who].post(_url(number, "/deviation"), data={"csrf_token": token, "reason": "Enrolled anyway",
                                                               "fingerprint": form["fingerprint"]}).status_code == 403
    assert _events(app, "verification.signed") == [] and _events(app, "deviation.recorded") == []


def test_a_screener_opens_only_the_checklists_of_children_they_screened(site):
    app, clients = site
    _approve(app)
    number = _screen(app, _eligible())
    assert clients["sam"].get(_url(number)).status_code == 200
    assert clients["other"].get(_url(number)).status_code == 404
    assert clients["ivy"].get(f"/children/{number}/verify/NCT00000000").status_code == 404
    assert clients["ivy"].get("/children/SCR-9999/verify/" + TRIAL).status_code == 404


def test_a_replayed_sign_form_signs_once(site):
    app, clients = site
    _approve(app)
    number = _screen(app, _eligible())
    data = _form(clients["ivy"].get(_url(number)).get_data(as_text=True))
    assert clients["ivy"].post(_url(number, "/sign"), data=data).status_code == 303
    again = clients["ivy"].post(_url(number, "/sign"), data=data)
    assert again.status_code in (409, 422) and "Nothing was signed" in again.get_data(as_text=True)
    assert len(_events(app, "verification.signed")) == 1


def test_the_forms_need_their_csrf_token(site):
    app, clients = site
    _approve(app)
    number = _screen(app, _eligible())
    data = _form(clients["ivy"].get(_url(number)).get_data(as_text=True))
    del data["csrf_token"]
    assert clients["ivy"].post(_url(number, "/sign"), data=data).status_code == 400
    failing = _screen(app, _failing())
    fingerprint = re.search(r'name="fingerprint" value="([0-9a-f]{64})"',
                            clients["ivy"].get(_url(failing)).get_data(as_text=True))[1]
    refused = clients["ivy"].post(_url(failing, "/deviation"), data={"reason": "Enrolled", "fingerprint": fingerprint})
    assert refused.status_code == 400
    assert _events(app, "verification.signed") == [] and _events(app, "deviation.recorded") == []


def test_a_failing_child_cannot_be_signed_and_its_deviation_shows_on_the_child_page(site):
    app, clients = site
    _approve(app)
    number = _screen(app, _failing())
    page = clients["ivy"].get(_url(number)).get_data(as_text=True)
    assert 'id="sign-form"' not in page and 'name="reviewed"' not in page and 'name="password"' not in page
    blockers = page[page.index('id="blockers"'):page.index("</div>", page.index('id="blockers"'))]
    assert BLOCKER_WORDS["not_eligible"][1:] in blockers
    deviation = page[page.index('id="deviation-form"'):]
    assert 'name="reason"' in deviation and "Record protocol deviation" in deviation
    assert "<code>NCT06674265-E1</code>" in page[page.index("Record a protocol deviation"):]
    # Signing anyway (a form built by hand) is a conflict: nothing is signed.
    form = {"csrf_token": _token(page), "fingerprint": re.search(r'name="fingerprint" value="([^"]+)"', page)[1]}
    assert _events(app, "verification.signed") == []
    too_short = clients["ivy"].post(_url(number, "/deviation"), data=form | {"reason": "xq"})
    assert too_short.status_code == 422 and "deviation reason: " in too_short.get_data(as_text=True)
    assert ">xq<" not in too_short.get_data(as_text=True)  # named, not shown back
    done = clients["ivy"].post(_url(number, "/deviation"), data=form | {"reason": "Enrolled after sponsor review"})
    assert done.status_code == 303 and done.headers["Location"] == f"/children/{number}#deviations-{TRIAL}"
    (event,) = _events(app, "deviation.recorded")
    child = clients["sam"].get(f"/children/{number}").get_data(as_text=True)
    shown = child[child.index(f'id="deviations-{TRIAL}"'):]
    assert "NCT06674265-E1: Enrolled after sponsor review — recorded by user:ivy on 22 Nov 2026 10:00 UTC" in shown


def test_a_rule_set_not_approved_cannot_be_signed(site):
    app, clients = site
    number = _screen(app, _eligible())
    page = clients["ivy"].get(_url(number)).get_data(as_text=True)
    assert 'id="sign-form"' not in page and "NOT APPROVED" in page
    assert BLOCKER_WORDS["not_approved"][1:] in page and 'id="deviation-form"' not in page


def test_the_child_page_offers_verify_to_an_investigator_and_the_checklist_to_a_screener(site):
    app, clients = site
    _approve(app)
    number = _screen(app, _eligible())
    link = f'href="{_url(number)}"'
    ivy = clients["ivy"].get(f"/children/{number}").get_data(as_text=True)
    assert f'<a class="button" {link}>Verify eligibility</a>' in ivy
    sam = clients["sam"].get(f"/children/{number}").get_data(as_text=True)
    assert f"<a {link}>Checklist</a> (read-only" in sam and "Verify eligibility" not in sam
    assert "not verified" in sam


def test_a_hand_built_signature_of_a_failing_child_is_a_409_naming_why(site):
    from screener import enrolment
    from screener.web.storage import get_store

    app, clients = site
    _approve(app)
    number = _screen(app, _failing())
    page = clients["ivy"].get(_url(number)).get_data(as_text=True)
    fingerprint = re.search(r'name="fingerprint" value="([0-9a-f]{64})"', page)[1]
    with app.app_context():
        challenge = enrolment.issue_challenge(get_store(), "ivy", fingerprint)
    ids = [c.id for c in rule_set_for(TRIAL).criteria]
    refused = clients["ivy"].post(_url(number, "/sign"), data={
        "csrf_token": _token(page), "fingerprint": fingerprint, "challenge": challenge, "reviewed": ids,
        "meaning_confirmed": "yes", "printed_name": "Ivy Okafor", "password": PASSWORD})
    text = refused.get_data(as_text=True)
    assert refused.status_code == 409 and "Not signed: not every criterion passes on the day" in text
    assert _events(app, "verification.signed") == []


def test_a_verification_id_that_is_not_one_is_a_404(site):
    _app, clients = site
    for bad in ("0" * 32, "not-an-id", "../../etc"):
        assert clients["ada"].get(f"/verifications/{bad}").status_code == 404


def test_a_child_screened_again_after_signing_shows_the_signature_no_longer_stands(site):
    app, clients = site
    _approve(app)
    number = _screen(app, _eligible())
    location = clients["ivy"].post(_url(number, "/sign"), data=_form(
        clients["ivy"].get(_url(number)).get_data(as_text=True))).headers["Location"]
    _screen(app, _eligible().replace('"record_id": "DEMO-NB-001"', f'"screening_number": "{number}"'))
    page = clients["ada"].get(location).get_data(as_text=True)
    assert "Verified, screened again since: verify again</strong>. This verification no longer stands." in page
    child = clients["sam"].get(f"/children/{number}").get_data(as_text=True)
    assert "verified, screened again since: verify again</strong>" in child


def test_the_children_index_shows_each_trials_verification_standing(site):
    app, clients = site
    _approve(app)
    number = _screen(app, _eligible())
    clients["ivy"].post(_url(number, "/sign"), data=_form(clients["ivy"].get(_url(number)).get_data(as_text=True)))
    failing = _screen(app, _failing())
    page = clients["ivy"].get(_url(failing)).get_data(as_text=True)
    clients["ivy"].post(_url(failing, "/deviation"), data={
        "csrf_token": _token(page), "reason": "Enrolled after sponsor review",
        "fingerprint": re.search(r'name="fingerprint" value="([^"]+)"', page)[1]})
    index = clients["sam"].get("/children").get_data(as_text=True)
    rows = {re.search(r"<strong>(SCR-\d{4})</strong>", row)[1]: row for row in index.split("<tr>")[2:]}
    assert "verified (valid through 2026-11-26)" in rows[number]
    assert "protocol deviation" in rows[failing] and "verified" not in rows[failing]
