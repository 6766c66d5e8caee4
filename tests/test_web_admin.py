"""User management in the web pages (admins only): add, disable, enable, reset a password, change a role; each an
event of the chain through the same Accounts methods as `screener users …`, with CSRF tokens as every form."""
import re

import pytest
from click.testing import CliRunner

from .helpers import make_app

PASSWORD = "an admin's long password"


def _token(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page)[1]


def _signed_in(app, username: str, password: str = PASSWORD):
    """A browser-like client signed in with a password (session cookie), the CSRF token of its pages."""
    client = app.test_client()
    token = _token(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"username": username, "password": password, "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def _post(client, path: str, **data):
    token = _token(client.get("/admin").get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, **data})


@pytest.fixture
def site(tmp_path):
    from screener.audit import Accounts
    from screener.web.storage import get_store

    app = make_app(tmp_path)
    with app.app_context():
        accounts = Accounts(get_store())
        accounts.create_user("boss", "admin", PASSWORD, "test")
        accounts.create_user("sam", "screener", "sam's own long password", "test")
    return app, _signed_in(app, "boss")


def _events(app):
    from screener.web.storage import get_store

    with app.app_context():
        return [(e.actor, e.action, e.subject) for e in get_store().events()]


def _verified(app):
    from screener.web.storage import get_store

    with app.app_context():
        return get_store().verify()


def test_the_page_lists_users_with_their_actions(site):
    app, admin = site
    page = admin.get("/admin").get_data(as_text=True)
    assert 'id="user-sam"' in page and 'id="user-boss"' in page and "boss (you)" in page
    for action in ("/admin/users/sam/role", "/admin/users/sam/status", "/admin/users/sam/password", "/admin/users"):
        assert f'action="{action}"' in page
    # An admin resets their own password on /password, with the current one: no reset button for themselves.
    assert 'action="/admin/users/boss/password"' not in page


def test_add_a_user_who_must_choose_a_password_at_first_sign_in(site):
    app, admin = site
    response = _post(admin, "/admin/users", username="Nora", role="auditor")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    password = re.search(r'<code id="generated-password">([^<]+)</code>', page)[1]
    assert ("user:boss", "user.created", "nora") in _events(app)
    nora = app.test_client()
    token = _token(nora.get("/login").get_data(as_text=True))
    signed = nora.post("/login", data={"username": "nora", "password": password, "csrf_token": token})
    assert signed.headers["Location"] == "/password"
    assert nora.get("/audit/screenings").headers["Location"] == "/password"  # nothing else opens first
    assert password not in str(_events(app)) and password not in admin.get("/admin").get_data(as_text=True)
    assert _verified(app).ok


def test_reset_password_forces_a_new_one_and_ends_the_users_sessions(site):
    app, admin = site
    sam = _signed_in(app, "sam", "sam's own long password")
    assert sam.get("/").status_code == 200
    response = _post(admin, "/admin/users/sam/password")
    password = re.search(r'<code id="generated-password">([^<]+)</code>', response.get_data(as_text=True))[1]
    assert response.headers["Cache-Control"] == "no-store"
    assert sam.get("/").status_code == 302  # the session sam had is over
    again = _signed_in(app, "sam", password)
    assert again.get("/").headers["Location"] == "/password"
    token = _token(again.get("/password").get_data(as_text=True))
    changed = again.post("/password", data={"csrf_token": token, "current_password": password,
                                            "new_password": "sam's newer long password",
                                            "repeat_password": "sam's newer long password"})
    assert changed.status_code == 302 and again.get("/").status_code == 200
    assert ("user:boss", "user.password_reset", "sam") in _events(app)
    assert ("user:sam", "user.password_changed", "sam") in _events(app)
    assert _verified(app).ok


def test_disable_enable_and_change_role_are_events_of_the_chain(site):
    app, admin = site
    sam = _signed_in(app, "sam", "sam's own long password")
    assert _post(admin, "/admin/users/sam/status", active="no").status_code == 303
    assert "sam is disabled" in admin.get("/admin").get_data(as_text=True)
    assert sam.get("/").status_code == 302
    assert _post(admin, "/admin/users/sam/status", active="yes").status_code == 303
    assert _post(admin, "/admin/users/sam/role", role="auditor").status_code == 303
    assert "sam is now auditor" in admin.get("/admin").get_data(as_text=True)
    events = _events(app)
    for action in ("user.disabled", "user.enabled", "user.role_changed"):
        assert ("user:boss", action, "sam") in events
    assert _verified(app).ok


def test_the_last_active_admin_cannot_disable_or_demote_themselves(site):
    app, admin = site
    before = _events(app)
    for path, data in (("/admin/users/boss/status", {"active": "no"}), ("/admin/users/boss/role", {"role": "auditor"})):
        response = _post(admin, path, **data)
        assert response.status_code == 422 and "only active admin" in response.get_data(as_text=True)
    assert _events(app) == before and admin.get("/admin").status_code == 200
    # With a second admin the first may step down; the second then cannot.
    assert _post(admin, "/admin/users/sam/role", role="admin").status_code == 303
    assert _post(admin, "/admin/users/boss/role", role="screener").status_code == 303
    sam = _signed_in(app, "sam", "sam's own long password")
    response = _post(sam, "/admin/users/sam/status", active="no")
    assert response.status_code == 422 and "only active admin" in response.get_data(as_text=True)
    assert _verified(app).ok


def test_refusals_name_the_problem_and_change_nothing(site):
    app, admin = site
    before = _events(app)
    for path, data, words in (
        ("/admin/users", {"username": "sam", "role": "screener"}, "That username exists"),
        ("/admin/users", {"username": "x y", "role": "screener"}, "Username: 2-64"),
        ("/admin/users", {"username": "newbie", "role": "superuser"}, "Role must be one of"),
        ("/admin/users/nobody/role", {"role": "auditor"}, "No such user"),
        ("/admin/users/sam/role", {"role": "root"}, "Role must be one of"),
        ("/admin/users/nobody/password", {}, "No such user"),
        ("/admin/users/boss/password", {}, "Change password page"),
    ):
        response = _post(admin, path, **data)
        assert response.status_code == 422 and words in response.get_data(as_text=True), (path, data)
    assert _events(app) == before


def test_every_admin_form_needs_its_csrf_token(site):
    app, admin = site
    before = _events(app)
    for path, data in (("/admin/users", {"username": "mallory", "role": "admin"}),
                       ("/admin/users/sam/role", {"role": "admin"}), ("/admin/users/sam/status", {"active": "no"}),
                       ("/admin/users/sam/password", {})):
        response = admin.post(path, data=data)
        assert response.status_code == 400 and b"CSRF" in response.data, path
    assert _events(app) == before


def test_screener_audit_verify_accounts_for_every_change_made_in_the_page(site, monkeypatch, tmp_path):
    """Every row the page changed is what its events say: the command line's verify passes, and names the
    changes' events in the chain."""
    from pathlib import Path

    from screener import config
    from screener.cli import main

    app, admin = site
    _post(admin, "/admin/users", username="nora", role="auditor")
    _post(admin, "/admin/users/nora/role", role="screener")
    _post(admin, "/admin/users/nora/status", active="no")
    _post(admin, "/admin/users/nora/status", active="yes")
    _post(admin, "/admin/users/nora/password")
    # The command's own instance folder (it writes audit.anchor there), holding the app's key.
    instance = tmp_path / "cli-instance"
    instance.mkdir()
    (instance / "audit.key").write_bytes((Path(app.instance_path) / "audit.key").read_bytes())
    monkeypatch.setattr(config, "SCREENER_INSTANCE_PATH", instance)
    monkeypatch.setattr(config, "DATABASE_URL", app.config["DATABASE_URL"])
    verified = CliRunner().invoke(main, ["audit", "verify"])
    assert verified.exit_code == 0 and verified.output.startswith("OK"), verified.output
    actions = [action for actor, action, subject in _events(app) if subject == "nora" and actor == "user:boss"]
    assert actions == ["user.created", "user.role_changed", "user.disabled", "user.enabled", "user.password_reset"]


def test_cli_users_add_and_reset_password_force_a_new_password(tmp_path, monkeypatch):
    """The admin who ran the command saw the password: the user replaces it at first sign-in."""
    from screener import config
    from screener.audit import Accounts, open_store
    from screener.cli import main

    monkeypatch.setattr(config, "SCREENER_INSTANCE_PATH", tmp_path)
    monkeypatch.setattr(config, "DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    added = CliRunner().invoke(main, ["users", "add", "carla", "--role", "screener"])
    assert added.exit_code == 0 and "replaced at first sign-in" in added.output
    password = added.output.rsplit(": ", 1)[1].strip()
    accounts = Accounts(open_store(config.DATABASE_URL, tmp_path))
    assert accounts.authenticate("carla", password).must_change_password
    assert "must choose a new password" in CliRunner().invoke(main, ["users", "list"]).output
    accounts.change_password("carla", password, "carla's own long password", "user:carla")
    assert not accounts.authenticate("carla", "carla's own long password").must_change_password
    reset = CliRunner().invoke(main, ["users", "reset-password", "carla"])
    assert reset.exit_code == 0
    assert accounts.authenticate("carla", reset.output.rsplit(": ", 1)[1].strip()).must_change_password
    verified = CliRunner().invoke(main, ["audit", "verify"])
    assert verified.exit_code == 0 and verified.output.startswith("OK"), verified.output


def test_an_investigator_is_added_shown_and_made_from_the_admin_page(site):
    app, admin = site
    page = admin.get("/admin").get_data(as_text=True)
    assert '<option value="investigator">investigator</option>' in page  # the add-a-user form offers the role
    assert _post(admin, "/admin/users", username="ivy", role="investigator").status_code == 200
    assert _post(admin, "/admin/users/sam/role", role="investigator").status_code == 303
    page = admin.get("/admin").get_data(as_text=True)
    assert "sam is now investigator" in page
    for name in ("ivy", "sam"):
        row = re.search(rf'<tr id="user-{name}">.*?</tr>', page, re.S)[0]
        assert '<option value="investigator" selected>' in row, name
    assert ("user:boss", "user.created", "ivy") in _events(app) and _verified(app).ok
    # The one-admin rule is about admins only: an investigator does not count as one.
    refused = _post(admin, "/admin/users/boss/role", role="investigator")
    assert refused.status_code == 422 and "only active admin" in refused.get_data(as_text=True)


def test_cli_adds_an_investigator_and_makes_one(tmp_path, monkeypatch):
    from screener import config
    from screener.audit import Accounts, open_store
    from screener.cli import main

    monkeypatch.setattr(config, "SCREENER_INSTANCE_PATH", tmp_path)
    monkeypatch.setattr(config, "DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    added = CliRunner().invoke(main, ["users", "add", "ivy", "--role", "investigator"])
    assert added.exit_code == 0 and "created ivy (investigator)" in added.output
    assert CliRunner().invoke(main, ["users", "add", "sam", "--role", "screener"]).exit_code == 0
    changed = CliRunner().invoke(main, ["users", "set-role", "sam", "investigator"])
    assert changed.exit_code == 0 and "sam is now investigator" in changed.output
    listed = CliRunner().invoke(main, ["users", "list"]).output
    rows = sorted(line.split()[:2] for line in listed.splitlines())
    assert rows == [["ivy", "investigator"], ["sam", "investigator"]]
    accounts = Accounts(open_store(config.DATABASE_URL, tmp_path))
    assert {u.username: u.role for u in accounts.users()} == {"ivy": "investigator", "sam": "investigator"}
    assert "investigator" in CliRunner().invoke(main, ["users", "add", "--help"]).output
