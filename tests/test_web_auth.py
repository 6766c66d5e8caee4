"""Access control: every route x role, tokens and sessions, throttling, headers, attribution."""
import re

import pytest
from freezegun import freeze_time
from sqlalchemy import text

from screener.roles import ROLES as USER_ROLES
from screener.web.auth import INVESTIGATORS, PUBLIC, ROUTE_ROLES

from .helpers import PATIENTS, authorised, make_app, token_for

ROLES = ("anonymous", *USER_ROLES)
# What each role is refused (403), written out from the decisions rather than read from ROUTE_ROLES, so a change of
# the policy nobody decided fails here; a new route refused to a role is added to that role's set.
_USERS = {"admin.index", "admin.add_user", "admin.set_status", "admin.set_role", "admin.reset_password"}
_TRAIL = {"audit.export", "audit.verify"}  # the raw export and the chain check: auditor and admin only
_LOG = {"audit.log_page", "audit.log_csv", "audit.log_png", "audit.log_monthly_csv", "audit.sponsor_export"}
_SCREENING = {"api.screen_one", "api.screen_every_trial", "api.void_screening", "api.record_outcome", "form.index",
              "form.screen_form", "form.screen_submit", "form.worksheet", "form.kept_form", "form.discard_kept",
              "form.rescreen", "form.correct", "children.outcome_submit", "children.void_form", "children.void_submit"}
# Signing an eligibility verification and recording a protocol deviation: the investigator's alone (issue 26).
_SIGNING = {"verification.sign", "verification.deviation"}
# Recording a rule set's review or a reviewer's comment: the investigator's alone (issue 28), a clinical judgement.
_REVIEWING = {"rules_review.comment", "rules_review.record_review"}
REFUSED = {
    "screener": _USERS | _TRAIL | _LOG | _SIGNING | _REVIEWING | {"approvals.record"},
    # Screens as a screener does, reads every child, the log and the sponsor's export, records approvals (issue 26).
    "investigator": _USERS | _TRAIL,
    "auditor": _USERS | _SCREENING | _SIGNING | _REVIEWING | {"approvals.record"},
    "admin": _SIGNING | _REVIEWING,
}
SAMPLE = {"trial_id": "NCT06674265", "screening_id": "0" * 32, "request_id": "0" * 32, "screening_number": "SCR-0001",
          "number": "SCR-0001",
          "what": "screenings",
          "fmt": "csv", "filename": "screener.css", "username": "no-such-user",
          "draft_id": "0" * 32, "verification_id": "0" * 32, "service_id": "trial-candidates",
          "group": "NCT06674265-eligibility"}


def _calls(app):
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule.endpoint, method, re.sub(r"<(?:\w+:)?(\w+)>", lambda m: SAMPLE[m[1]], rule.rule)


@pytest.fixture(scope="module")
def clients(tmp_path_factory):
    app = make_app(tmp_path_factory.mktemp("auth"), WTF_CSRF_ENABLED=False)
    return app, {"anonymous": app.test_client(), **{role: authorised(app, role) for role in ROLES[1:]}}


def test_every_route_has_an_access_rule(clients):
    app, _ = clients
    assert {rule.endpoint for rule in app.url_map.iter_rules()} <= set(ROUTE_ROLES)


def test_each_role_is_refused_what_was_decided():
    assert set(REFUSED) == set(USER_ROLES)
    for role in USER_ROLES:
        refused = {endpoint for endpoint, roles in ROUTE_ROLES.items() if roles is not PUBLIC and role not in roles}
        assert refused == REFUSED[role], (role, refused ^ REFUSED[role])
    # A misspelt role in a set would refuse everyone it meant silently.
    assert set().union(*ROUTE_ROLES.values()) <= {*USER_ROLES, "public"}
    # Only an investigator signs an eligibility verification: an admin is a system role, not a clinician's attestation.
    assert INVESTIGATORS == {"investigator"}


def test_route_by_role(clients):
    app, by_role = clients
    body = (PATIENTS / "eligible.json").read_text()
    checked = 0
    for endpoint, method, path in _calls(app):
        allowed = ROUTE_ROLES[endpoint]
        for role in ROLES:
            client = by_role[role]
            if method == "POST":
                content = "application/json" if path.startswith("/api/") else "application/x-www-form-urlencoded"
                data = body if path.startswith("/api/") else {"trial": "NCT06674265"}
                response = client.post(path, data=data, content_type=content)
            else:
                response = client.get(path)
            status = response.status_code
            if endpoint.startswith("cds_hooks."):
                # No session or token of this app opens the CDS Hooks endpoints: only a registered EHR's JWT.
                assert status == 401 and response.data == b"", (endpoint, role, status)
            elif allowed is PUBLIC:
                # Signing in with no credentials is a 401 of its own, not an access refusal.
                assert status != 403 and (status != 401 or endpoint == "auth.login_submit"), (endpoint, role, status)
            elif role == "anonymous":
                assert status == 401 or (status == 302 and "/login" in response.headers["Location"]), (
                    endpoint,
                    role,
                    status,
                )
            elif role not in allowed:
                assert status == 403, (endpoint, role, status)
            elif endpoint in _SIGNING:
                # These clients carry bearer tokens: a signature or a deviation is given by a person signed in at a
                # page, never with a token, the investigator's included (test_web_verification signs at the page).
                assert status == 403, (endpoint, role, status)
            else:
                assert status not in (401, 403), (endpoint, role, status)
            checked += 1
    assert checked >= len(ROLES) * 50


def test_revoked_expired_and_disabled_credentials_are_refused(tmp_path):
    from screener.audit import Accounts
    from screener.web.storage import get_store

    app = make_app(tmp_path)
    ttl = app.config["TOKEN_CACHE_SECONDS"]
    secret = token_for(app, "screener", "alice")
    headers = {"Authorization": f"Bearer {secret}"}
    client = app.test_client()
    with freeze_time() as clock:
        assert client.get("/api/v1/trials", headers=headers).status_code == 200
        assert client.get("/api/v1/trials", headers={"Authorization": "Bearer scr_guessed"}).status_code == 401
        with app.app_context():
            accounts = Accounts(get_store())
            token_id = accounts.tokens()[-1][0].id
            accounts.revoke_token(token_id, "test")
        # Token look-ups are cached per process for TOKEN_CACHE_SECONDS (no database read per call): a revocation
        # takes effect within that time, in every worker.
        clock.tick(ttl - 0.5)
        assert client.get("/api/v1/trials", headers=headers).status_code == 200
        clock.tick(0.5)
        assert client.get("/api/v1/trials", headers=headers).status_code == 401
    secret = token_for(app, "screener", "alice")
    with app.app_context():
        with get_store().engine.begin() as connection:
            connection.execute(text("UPDATE api_tokens SET expires_at = '2000-01-01T00:00:00Z'"))
    assert client.get("/api/v1/trials", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    secret = token_for(app, "screener", "alice")
    with app.app_context():
        Accounts(get_store()).set_active("alice", False, "test")
    response = client.get("/api/v1/trials", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 401 and response.headers["WWW-Authenticate"].startswith("Bearer")


def test_login_logout_and_failed_logins_throttled(tmp_path):
    from screener.audit import Accounts
    from screener.web.storage import get_store

    app = make_app(tmp_path, WTF_CSRF_ENABLED=False)
    with app.app_context():
        Accounts(get_store()).create_user("bob", "auditor", "a long enough password", "test")
    client = app.test_client()
    assert client.get("/audit/screenings").status_code == 302
    assert client.post("/login", data={"username": "bob", "password": "wrong"}).status_code == 401
    response = client.post(
        "/login", data={"username": "bob", "password": "a long enough password", "next": "/audit/screenings"}
    )
    assert response.status_code == 302 and response.headers["Location"] == "/audit/screenings"
    # The session cookie (sign-in also sets the known-browser cookie, see test_web_signin.py)
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert client.get("/audit/screenings").status_code == 200
    assert client.post("/logout").status_code == 302
    assert client.get("/audit/screenings").status_code == 302
    for _ in range(5):
        client.post("/login", data={"username": "bob", "password": "wrong"})
    assert client.post("/login", data={"username": "bob", "password": "a long enough password"}).status_code == 429
    assert client.post("/login", data={"username": "x", "password": "y", "next": "//evil.example"}).status_code == 401


def test_open_redirect_refused(tmp_path):
    from screener.audit import Accounts
    from screener.web.storage import get_store

    app = make_app(tmp_path, WTF_CSRF_ENABLED=False)
    with app.app_context():
        Accounts(get_store()).create_user("carol", "screener", "a long enough password", "test")
    response = app.test_client().post(
        "/login", data={"username": "carol", "password": "a long enough password", "next": "//evil.example/x"}
    )
    assert response.headers["Location"] == "/"


def test_security_headers(client):
    response = client.get("/api/v1/trials")
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
    assert (
        response.headers["X-Content-Type-Options"] == "nosniff" and response.headers["Referrer-Policy"] == "no-referrer"
    )
    assert "Strict-Transport-Security" not in response.headers
    assert "Strict-Transport-Security" in client.get("/healthz", base_url="https://localhost").headers


def test_actor_is_the_token_and_screeners_see_only_their_own(app):
    alice, bob = authorised(app, "screener", "alice"), authorised(app, "screener", "bob")
    auditor = authorised(app, "auditor")
    body = (PATIENTS / "eligible.json").read_text()
    first = alice.post(
        "/api/v1/trials/NCT06674265/screen?as_of=2026-11-22", data=body, content_type="application/json"
    ).get_json()
    bob.post("/api/v1/trials/NCT06674265/screen?as_of=2026-11-22", data=body, content_type="application/json")
    rows = auditor.get("/audit/export/screenings.json").get_json()
    assert sorted(r["actor"].split("(")[1] for r in rows) == ["alice)", "bob)"]
    assert all(r["actor"].startswith("token:") for r in rows)
    assert bob.get(f"/audit/screenings/{first['screening_id']}").status_code == 404
    assert alice.get(f"/audit/screenings/{first['screening_id']}").status_code == 200
    assert auditor.get(f"/audit/screenings/{first['screening_id']}").status_code == 200
    assert bob.get("/audit/screenings").get_data(as_text=True).count("status-") == 1


def test_first_start_creates_an_admin_once(tmp_path):
    from screener.audit import Accounts, open_store

    accounts = Accounts(open_store(f"sqlite:///{tmp_path / 'a.sqlite3'}", tmp_path))
    password = accounts.ensure_first_admin()
    assert password and len(password) >= 12 and accounts.authenticate("admin", password).role == "admin"
    assert accounts.ensure_first_admin() is None
    assert accounts.store.verify().ok  # account changes are in the chain too


def test_weak_passwords_and_bad_usernames_refused(tmp_path):
    from screener.audit import AccountError, Accounts, open_store

    accounts = Accounts(open_store(f"sqlite:///{tmp_path / 'a.sqlite3'}", tmp_path))
    with pytest.raises(AccountError):
        accounts.create_user("dave", "screener", "short", "test")
    with pytest.raises(AccountError):
        accounts.create_user("Robert'); DROP TABLE users;--", "screener", None, "test")
    with pytest.raises(AccountError):
        accounts.create_user("erin", "superuser", None, "test")
