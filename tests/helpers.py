"""Helpers the tests import: repository paths, an app on a throwaway database, API clients with a token, a raw
HTTP exchange with a server on loopback."""
import socket
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PATIENTS = REPO / "seeds" / "patients"


def make_app(tmp_path, **config):
    from screener.web import create_app

    return create_app({"TESTING": True, "SESSION_COOKIE_SECURE": False,
                       "DATABASE_URL": f"sqlite:///{tmp_path / 'test.sqlite3'}", **config})


def token_for(app, role: str, username: str | None = None) -> str:
    """A user of that role and a bearer token for them."""
    from screener.audit import Accounts
    from screener.web.storage import get_store

    username = username or f"test-{role}"
    with app.app_context():
        accounts = Accounts(get_store())
        if accounts.user(username) is None:
            accounts.create_user(username, role, None, "test")
        return accounts.create_token(username, "tests", 30, "test")[1]


def authorised(app, role: str = "screener", username: str | None = None):
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token_for(app, role, username)}"
    return client


def raw_http(port: int, request: bytes) -> bytes:
    """Send request as bytes to 127.0.0.1:port; everything the server answers until it closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
        connection.sendall(request)
        chunks = []
        while chunk := connection.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def trial_ids() -> list[str]:
    """Every trial in criteria/, read by the project's own loader. A test about all trials takes its list from here,
    never by hand, so adding a trial is its rule file, its golden cases and its source record."""
    from screener.rules import load_rule_sets

    return list(load_rule_sets())


def tamper(store, *statements, put_triggers_back: bool = True):
    """Write around the append-only triggers, as someone with direct database access could; a careful intruder
    puts the SQLite triggers back afterwards (PostgreSQL's are only switched off for this session)."""
    from sqlalchemy import text

    from screener.audit._schema import APPEND_ONLY, _sqlite_trigger

    sqlite = store.engine.dialect.name == "sqlite"
    with store.engine.begin() as connection:
        if not sqlite:
            connection.execute(text("SET session_replication_role = replica"))  # triggers off for this session
        else:
            for table in APPEND_ONLY:
                for event in ("update", "delete"):
                    connection.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_{event}"))
        for statement in statements:
            connection.execute(text(statement))
        if sqlite and put_triggers_back:
            for table in APPEND_ONLY:
                for event in ("UPDATE", "DELETE"):
                    connection.execute(text(_sqlite_trigger(table, event)))


def csrf_token(page: str) -> str:
    """The CSRF token of the first form on a page."""
    import re

    return re.search(r'name="csrf_token" value="([^"]+)"', page)[1]


def signed_in_browser(app, username: str, password: str):
    """A test client signed in through the sign-in form (session cookie and CSRF, as a browser); returns it and
    the sign-in's response."""
    client = app.test_client()
    token = csrf_token(client.get("/login").get_data(as_text=True))
    signed = client.post("/login", data={"username": username, "password": password, "csrf_token": token})
    assert signed.status_code == 302, username
    return client, signed


def draft_criteria(tmp_path, trial: str = "NCT06674265", *, only: bool = False) -> Path:
    """A criteria folder (the repository's tables and rule files) where TRIAL's rule file says `status: draft` and
    its age criterion carries a draft mark, as `screener rules draft` would leave it. only: TRIAL's file alone."""
    folder = tmp_path / "criteria"
    folder.mkdir()
    (folder / "tables").symlink_to(REPO / "criteria" / "tables")
    for path in sorted((REPO / "criteria").glob("*.yaml")):
        if only and path.stem != trial:
            continue
        text = path.read_text(encoding="utf-8")
        if path.stem == trial:
            text = text.replace("\nstatus: reviewed\n", "\nstatus: draft\n", 1)
            text = text.replace(f"  - id: {trial}-AGE\n", f"  - id: {trial}-AGE\n    draft: {{pattern: age-structured, "
                                                          f"matched: \"2 Years ... 16 Years\"}}\n", 1)
            assert "status: draft" in text and "draft: {pattern" in text
        (folder / path.name).write_text(text, encoding="utf-8")
    return folder
