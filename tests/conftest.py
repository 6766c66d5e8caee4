"""Shared fixtures: repository paths, the demo patients, the app and its client, databases."""
import json
import os
import tempfile
from pathlib import Path

import pytest

# Before anything imports screener.config: the suite never touches the repository's own instance folder.
os.environ["SCREENER_INSTANCE_PATH"] = tempfile.mkdtemp(prefix="screener-test-instance-")
os.environ.pop("DATABASE_URL", None)

REPO = Path(__file__).resolve().parent.parent
PATIENTS = REPO / "seeds" / "patients"


@pytest.fixture
def eligible_json() -> dict:
    return json.loads((PATIENTS / "eligible.json").read_text())


@pytest.fixture
def eligible_record(eligible_json):
    from screener.screening import parse_record

    return parse_record(json.dumps(eligible_json))


def make_app(tmp_path, **config):
    from screener.web import create_app

    return create_app({"TESTING": True, "SESSION_COOKIE_SECURE": False,
                       "DATABASE_URL": f"sqlite:///{tmp_path / 'test.sqlite3'}", **config})


def token_for(app, role: str, username: str | None = None) -> str:
    """A user of that role and a bearer token for them."""
    from screener.audit._accounts import Accounts
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


@pytest.fixture
def app(tmp_path):
    return make_app(tmp_path)


@pytest.fixture
def client(app):
    """A screener's API client (bearer token)."""
    return authorised(app, "screener")


@pytest.fixture
def auditor_client(app):
    return authorised(app, "auditor")


POSTGRES_URL = os.environ.get("SCREENER_TEST_POSTGRES_URL")


def _fresh_postgres_database() -> str:
    """A new, empty database on the test server: every test gets its own chain."""
    import uuid

    import psycopg

    name = "t_" + uuid.uuid4().hex[:16]
    server = POSTGRES_URL.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {name}")
    return POSTGRES_URL.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """The same persistence test on SQLite and on PostgreSQL (started by scripts/test)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'audit.sqlite3'}"
    if not POSTGRES_URL:
        if os.environ.get("CI") == "true":
            pytest.fail("SCREENER_TEST_POSTGRES_URL is not set: in CI the PostgreSQL tests must run (scripts/test starts it)")
        pytest.skip("no PostgreSQL test server (run ./scripts/test, which starts one)")
    return _fresh_postgres_database()


@pytest.fixture
def store(database_url, tmp_path):
    from screener.audit import open_store

    return open_store(database_url, tmp_path)
