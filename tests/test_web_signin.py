"""Sign-in under attack: throttled per client and overall, lockouts per username and client, bounded hashing."""
import fcntl
import os

import pytest
from freezegun import freeze_time

from .helpers import make_app

PASSWORD = "a long enough password"


def _app(tmp_path, **config):
    from screener.audit import Accounts
    from screener.web.storage import get_store

    app = make_app(tmp_path, WTF_CSRF_ENABLED=False, **config)
    with app.app_context():
        accounts = Accounts(get_store())
        if accounts.user("bob") is None:
            accounts.create_user("bob", "auditor", PASSWORD, "test")
    return app


def _client(app, address="192.0.2.1"):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _login(client, username="bob", password="wrong"):
    return client.post("/login", data={"username": username, "password": password})


def test_sign_in_flood_is_throttled_per_client_shared_across_workers_and_restarts(tmp_path):
    # Two app objects on one database stand for two gunicorn workers, or a worker before and after a restart.
    first, second = (
        _app(tmp_path, LOGIN_ATTEMPTS_PER_CLIENT_PER_MINUTE=3),
        _app(tmp_path, LOGIN_ATTEMPTS_PER_CLIENT_PER_MINUTE=3),
    )
    with freeze_time("2026-11-22 10:00:05"):
        assert _login(_client(first), username="random1").status_code == 401
        assert _login(_client(second), username="random2").status_code == 401
        assert _login(_client(first), username="random3").status_code == 401
        refused = _login(_client(second), username="random4")
        assert refused.status_code == 429 and 1 <= int(refused.headers["Retry-After"]) <= 60
        assert _login(_client(first, "192.0.2.2"), username="random5").status_code == 401  # another client
    with freeze_time("2026-11-22 10:01:01"):  # the next minute
        assert _login(_client(second), username="random6").status_code == 401


def test_sign_in_flood_is_throttled_overall(tmp_path):
    app = _app(tmp_path, LOGIN_ATTEMPTS_PER_MINUTE=4)
    with freeze_time("2026-11-22 10:00:05"):
        statuses = [_login(_client(app, f"198.51.100.{i}"), username=f"user{i}").status_code for i in range(6)]
    assert statuses == [401, 401, 401, 401, 429, 429]


def test_refused_attempts_hash_nothing_and_write_no_audit_event(tmp_path, monkeypatch):
    from screener.audit import Accounts
    from screener.web.storage import get_store

    app = _app(tmp_path, LOGIN_ATTEMPTS_PER_CLIENT_PER_MINUTE=1)
    with freeze_time("2026-11-22 10:00:05"):
        _login(_client(app))
        with app.app_context():
            events = len(get_store().events())
        monkeypatch.setattr(Accounts, "authenticate", lambda *a: pytest.fail("a refused attempt hashed a password"))
        assert _login(_client(app)).status_code == 429
    with app.app_context():
        assert len(get_store().events()) == events


def test_password_hashing_is_bounded_across_workers(tmp_path):
    app = _app(tmp_path)
    # Another worker holds the only hashing slot: this one answers at once instead of queueing behind it.
    fd = os.open(os.path.join(app.instance_path, "signin-0.lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        busy = _login(_client(app), password=PASSWORD)
        assert busy.status_code == 429 and busy.headers["Retry-After"] == "1"
    finally:
        os.close(fd)
    assert _login(_client(app), password=PASSWORD).status_code == 302


@pytest.fixture
def fast_flood(monkeypatch):
    """Flood usernames fail at once instead of running scrypt: the throttles under test come before the hash."""
    from screener.audit._accounts import Accounts

    real = Accounts.authenticate
    monkeypatch.setattr(
        Accounts, "authenticate", lambda self, u, p: None if u.startswith("flood") else real(self, u, p)
    )


def _flood(app, addresses: int = 20, each: int = 10) -> list[int]:
    return [
        _login(_client(app, f"198.51.100.{i}"), username=f"flood{i}-{n}").status_code
        for i in range(addresses)
        for n in range(each)
    ]


def test_a_flood_from_twenty_addresses_does_not_stop_a_known_user_signing_in(tmp_path, fast_flood):
    app = _app(tmp_path)  # the default limits: 10 a minute per address, 60 a minute overall
    bob = _client(app, "192.0.2.1")
    with freeze_time("2026-11-22 09:00:00"):
        assert _login(bob, password=PASSWORD).status_code == 302  # signed in before: this browser is known
        assert bob.post("/logout").status_code == 302  # signing out does not forget it
    with freeze_time("2026-11-22 10:00:05"):
        statuses = _flood(app)
        assert statuses.count(401) == 60 and statuses.count(429) == 140  # everyone's budget is spent
        assert (
            _login(_client(app, "192.0.2.77"), username="bob", password=PASSWORD).status_code == 429
        )  # unknown browser
        assert _login(bob, password=PASSWORD).status_code == 302
        bob.environ_base["REMOTE_ADDR"] = "203.0.113.50"  # the same browser from another network
        assert _login(bob, password=PASSWORD).status_code == 302
        assert _login(bob, username="carol", password=PASSWORD).status_code == 429  # known as bob, not as carol


def test_a_known_browser_has_its_own_budget_and_hashing_slot(tmp_path, fast_flood):
    app = _app(tmp_path, LOGIN_KNOWN_ATTEMPTS_PER_MINUTE=3)
    bob = _client(app, "192.0.2.1")
    with freeze_time("2026-11-22 10:00:05"):
        assert _login(bob, password=PASSWORD).status_code == 302
        # The flood holds the only general hashing slot (another worker hashing): a known browser takes the
        # reserved one.
        fd = os.open(os.path.join(app.instance_path, "signin-0.lock"), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            assert _login(_client(app, "192.0.2.9"), password=PASSWORD).status_code == 429
            assert _login(bob, password=PASSWORD).status_code == 302
        finally:
            os.close(fd)
        assert _login(bob).status_code == 401 and _login(bob).status_code == 401
        assert _login(bob, password=PASSWORD).status_code == 429  # its own budget (3 a minute here) is bounded too


@pytest.mark.parametrize("cookie", ["made-up", "signed with another key"])
def test_a_made_up_known_browser_cookie_counts_for_nothing(tmp_path, fast_flood, cookie):
    from itsdangerous import URLSafeTimedSerializer

    from screener.web.auth import KNOWN_COOKIE

    app = _app(tmp_path, LOGIN_ATTEMPTS_PER_MINUTE=1)
    value = (
        "made-up"
        if cookie == "made-up"
        else URLSafeTimedSerializer("another key", salt="screener-signin-known").dumps("bob")
    )
    with freeze_time("2026-11-22 10:00:05"):
        _login(_client(app), username="flood")
        attacker = _client(app, "198.51.100.1")
        attacker.set_cookie(KNOWN_COOKIE, value, path="/login")
        assert _login(attacker, password=PASSWORD).status_code == 429


def test_a_browser_is_known_for_30_days(tmp_path, fast_flood):
    app = _app(tmp_path, LOGIN_ATTEMPTS_PER_MINUTE=1)
    bob = _client(app, "192.0.2.1")
    with freeze_time("2026-10-01 10:00:05"):
        assert _login(bob, password=PASSWORD).status_code == 302
    with freeze_time("2026-10-31 10:00:00"):  # 29 days 23 h 59 min later: still known
        _login(_client(app), username="flood")
        assert _login(bob, password=PASSWORD).status_code == 302
    with freeze_time("2026-11-30 10:00:10"):  # 30 days and 10 s after that sign-in renewed it: no longer known
        _login(_client(app), username="flood")
        assert _login(bob, password=PASSWORD).status_code == 429


def test_lockout_is_per_username_and_client_so_nobody_locks_out_another(tmp_path):
    attacker, owner = "203.0.113.9", "192.0.2.1"
    app = _app(tmp_path)
    with freeze_time("2026-11-22 10:00:00"):
        for _ in range(5):
            assert _login(_client(app, attacker)).status_code == 401
        assert _login(_client(app, attacker), password=PASSWORD).status_code == 429  # locked, even with the password
        assert _login(_client(app, owner), password=PASSWORD).status_code == 302  # the owner is not


def test_lockout_delays_grow_and_are_stored_in_the_database(tmp_path):
    app = _app(tmp_path)
    with freeze_time("2026-11-22 10:00:00") as clock:
        for _ in range(5):
            _login(_client(app))
        # Fifth failure: locked 60 s. A restarted worker (a new app on the same database) still sees it.
        restarted = _app(tmp_path)
        assert _login(_client(restarted), password=PASSWORD).status_code == 429
        clock.tick(61)
        assert _login(_client(restarted)).status_code == 401  # sixth failure: now 120 s
        clock.tick(100)
        locked = _login(_client(restarted), password=PASSWORD)
        assert locked.status_code == 429 and 15 <= int(locked.headers["Retry-After"]) <= 21
        clock.tick(21)
        assert _login(_client(restarted), password=PASSWORD).status_code == 302
        clock.tick(1)
        _login(_client(restarted))  # a success cleared the streak: one failure is no lockout
        assert _login(_client(restarted), password=PASSWORD).status_code == 302


def test_usernames_are_not_stored_in_the_counters(tmp_path):
    from sqlalchemy import text

    from screener.web.storage import get_store

    app = _app(tmp_path)
    _login(_client(app), username="hunter2-typed-in-the-wrong-box")
    with app.app_context(), get_store().engine.connect() as connection:
        keys = [row[0] for row in connection.execute(text("SELECT key FROM rate_limits"))]
    assert keys and all(len(k) == 64 and "hunter2" not in k for k in keys)


def test_counters_and_lockouts_on_both_databases(store):
    from screener.audit import Limits

    now = [1_800_000_000.0]
    limits = Limits(store, clock=lambda: now[0])
    assert [limits.take("x", 2, 60) for _ in range(3)][:2] == [0, 0] and limits.take("x", 2, 60) > 0
    now[0] += 60
    assert limits.take("x", 2, 60) == 0
    assert [limits.failed("bob", "c", 2, 10, 25) for _ in range(4)] == [0, 10, 20, 25]
    assert limits.locked_for("bob", "c") == 25 and limits.locked_for("bob", "other") == 0
    limits.succeeded("bob", "c")
    assert limits.locked_for("bob", "c") == 0
    now[0] += 2 * 86_400
    limits.take("y", 1, 60, prune=True)  # forgotten counters are removed
    assert limits.take("x", 2, 60) == 0


def test_behind_a_proxy_the_forwarded_client_is_throttled(tmp_path):
    app = _app(tmp_path, LOGIN_ATTEMPTS_PER_CLIENT_PER_MINUTE=1, PROXY_HOPS=1)
    with freeze_time("2026-11-22 10:00:05"):
        proxy = _client(app, "10.0.0.1")
        assert (
            proxy.post(
                "/login", data={"username": "a", "password": "b"}, headers={"X-Forwarded-For": "192.0.2.7"}
            ).status_code
            == 401
        )
        assert (
            proxy.post(
                "/login", data={"username": "a", "password": "b"}, headers={"X-Forwarded-For": "192.0.2.8"}
            ).status_code
            == 401
        )
        assert (
            proxy.post(
                "/login", data={"username": "a", "password": "b"}, headers={"X-Forwarded-For": "192.0.2.8"}
            ).status_code
            == 429
        )


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/x",
        "/\t/evil.example",
        "/%09/evil.example",
        "/\n/evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "https://evil.example/",
        "/\r\nSet-Cookie: x=1",
        "javascript:alert(1)",
        "/ /evil.example",
        "/\x00",
        "evil.example",
        "/\u2028/evil.example",
        "///evil.example",
    ],
)
def test_sign_in_redirects_only_to_a_path_on_this_service(tmp_path, target):
    from urllib.parse import unquote

    app = _app(tmp_path)
    response = _client(app).post("/login", data={"username": "bob", "password": PASSWORD, "next": unquote(target)})
    # The unsafe next is dropped: bob lands where an auditor lands (the history; the form is not the role's).
    assert response.status_code == 302 and response.headers["Location"] == "/audit/screenings"
    page = _client(app).get("/login", query_string={"next": unquote(target)})
    assert page.status_code == 200 and 'name="next" value=""' in page.get_data(as_text=True)


def test_sign_in_keeps_a_local_next(tmp_path):
    app = _app(tmp_path)
    response = _client(app).post(
        "/login", data={"username": "bob", "password": PASSWORD, "next": "/audit/screenings?trial=NCT06674265"}
    )
    assert response.headers["Location"] == "/audit/screenings?trial=NCT06674265"


def test_a_session_cookie_stops_working_after_sign_out(tmp_path):
    app = _app(tmp_path)
    browser = _client(app)
    assert _login(browser, password=PASSWORD).status_code == 302
    stolen = browser.get_cookie("session").value
    other_device = _client(app)
    assert _login(other_device, password=PASSWORD).status_code == 302
    assert browser.get("/audit/screenings").status_code == 200
    assert browser.post("/logout").status_code == 302
    replay = _client(app)
    replay.set_cookie("session", stolen)
    assert replay.get("/audit/screenings").status_code == 302  # to the sign-in page
    assert other_device.get("/audit/screenings").status_code == 302  # sign-out ends every session of the user
    assert _login(browser, password=PASSWORD).status_code == 302 and browser.get("/audit/screenings").status_code == 200


def test_the_api_takes_bearer_tokens_only_not_session_cookies(tmp_path):
    app = _app(tmp_path)
    browser = _client(app)
    assert _login(browser, password=PASSWORD).status_code == 302
    assert browser.get("/audit/screenings").status_code == 200
    refused = browser.get("/api/v1/trials")
    assert refused.status_code == 401 and refused.headers["WWW-Authenticate"].startswith("Bearer")
    assert (
        browser.post("/api/v1/screen?as_of=2026-11-22", data="{}", content_type="application/json").status_code == 401
    )


@pytest.mark.parametrize(
    "path", ["/healthz", "/readyz", "/login", "/api/v1/docs", "/api/v1/openapi.json", "/static/screener.css"]
)
def test_public_routes_ignore_credentials_they_do_not_need(tmp_path, path):
    app = _app(tmp_path)
    client = _client(app)
    response = client.get(path, headers={"Authorization": "Bearer scr_revoked_or_made_up"})
    assert response.status_code == 200
    client.set_cookie("session", "not-a-valid-signed-cookie")
    assert client.get(path).status_code == 200


def test_first_admin_password_goes_to_a_0600_file_when_not_interactive_and_must_be_changed(tmp_path, monkeypatch):
    import stat

    from click.testing import CliRunner

    from screener import config
    from screener.cli import main

    monkeypatch.setattr(config, "SCREENER_INSTANCE_PATH", tmp_path)
    result = CliRunner().invoke(main, ["users", "ensure-admin"])  # CliRunner's output is not a terminal
    path = tmp_path / "first-admin-password"
    password = path.read_text().strip()
    assert result.exit_code == 0 and str(path) in result.output and password not in result.output
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and len(password) >= 12
    assert CliRunner().invoke(main, ["users", "ensure-admin"]).output == ""  # first start only

    app = make_app(tmp_path, WTF_CSRF_ENABLED=False, DATABASE_URL=f"sqlite:///{tmp_path / 'screener.sqlite3'}")
    app.instance_path = str(tmp_path)
    admin = _client(app)
    signed_in = admin.post("/login", data={"username": "admin", "password": password, "next": "/admin"})
    assert signed_in.status_code == 302 and signed_in.headers["Location"] == "/password"
    for path_ in ("/admin", "/audit/screenings", "/"):
        assert admin.get(path_).headers.get("Location") == "/password"
    assert "choose your own" in admin.get("/password").get_data(as_text=True)
    change = {"current_password": password, "new_password": "short", "repeat_password": "short"}
    assert admin.post("/password", data=change).status_code == 422
    change = {
        "current_password": "wrong" * 4,
        "new_password": "my own long passphrase",
        "repeat_password": "my own long passphrase",
    }
    assert admin.post("/password", data=change).status_code == 422
    change["current_password"] = password
    assert admin.post("/password", data=change).status_code == 302
    assert admin.get("/admin").status_code == 200 and not path.exists()
    assert _login(_client(app), "admin", password).status_code == 401
    assert _login(_client(app), "admin", "my own long passphrase").headers["Location"] == "/"


def test_first_admin_password_is_shown_on_an_interactive_terminal(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from screener import cli, config

    monkeypatch.setattr(config, "SCREENER_INSTANCE_PATH", tmp_path)
    monkeypatch.setattr(cli, "_interactive", lambda: True)
    result = CliRunner().invoke(cli.main, ["users", "ensure-admin"])
    assert "generated password" in result.output and not (tmp_path / "first-admin-password").exists()


def test_a_password_typed_as_the_username_is_not_kept_in_the_trail_or_the_export(tmp_path):
    from screener.audit import Accounts
    from screener.web.storage import get_store

    from .helpers import authorised

    typed = "Tr0ub4dor&3-Horse!Battery"  # bob's password, typed into the username field
    app = _app(tmp_path)
    with app.app_context():
        Accounts(get_store()).create_user("carl", "screener", PASSWORD, "test")
        Accounts(get_store()).set_active("carl", False, "test")
    assert _login(_client(app), username=typed, password="bob").status_code == 401
    assert _login(_client(app), username="bob").status_code == 401  # an account's name is kept: it is no secret
    assert _login(_client(app), username="carl", password=PASSWORD).status_code == 401  # disabled, still an account
    with app.app_context():
        failed = [(e.actor, e.subject) for e in get_store().events() if e.action == "login.failed"]
        trail = repr([(e.actor, e.subject, e.details_json) for e in get_store().events()])
    assert failed == [("login:(unknown user)", "(unknown user)"), ("login:bob", "bob"), ("login:carl", "carl")]
    auditor = authorised(app, "auditor")
    exports = [auditor.get(f"/audit/export/events.{fmt}").get_data(as_text=True) for fmt in ("csv", "json")]
    assert "(unknown user)" in exports[0] and "(unknown user)" in exports[1]
    for text in (trail, *exports):
        assert typed.lower() not in text.lower() and "tr0ub4dor" not in text.lower()
