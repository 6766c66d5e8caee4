"""Stores made by earlier releases upgrade, start and verify; a store from a newer release is refused in one line
(issue 23, finding 4). The stores in tests/fixtures/stores were made by each release's own code
(scripts/make-release-stores): screenings and, from the first release with accounts (0002) on, users (one
disabled) and API tokens (one revoked), on SQLite and as PostgreSQL dumps. The first release's store (0001) has
screenings and audit events only: its CLI had no users or tokens."""
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from freezegun import freeze_time

from screener import config

from .helpers import PATIENTS, REPO, make_app

STORES = REPO / "tests" / "fixtures" / "stores"
RELEASES = sorted(path.stem for path in STORES.glob("*.sqlite3"))
# The schema of each landing.
RELEASED_SCHEMAS = ["0001", "0002", "0003", "0004", "0005", "0006", "0007", "0010", "0012", "0014", "0015"]
FIRST_WITH_ACCOUNTS = "0002"  # migration 0002 brought users and API tokens
WITH_ACCOUNTS = [release for release in RELEASES if release >= FIRST_WITH_ACCOUNTS]
KEY = "fixture-stores-audit-key-not-a-secret"  # scripts/make-release-stores made every fixture chain with it
TOKENS = json.loads((STORES / "tokens.json").read_text())
SCREENER = str(Path(sys.executable).parent / "screener")
SCREEN = "/api/v1/trials/NCT06674265/screen?as_of=2026-11-22"


def _load(release: str, database_url: str) -> None:
    """The release's store at database_url (an empty database from the database_url fixture)."""
    if database_url.startswith("sqlite"):
        shutil.copyfile(STORES / f"{release}.sqlite3", database_url.removeprefix("sqlite:///"))
        return
    import psycopg

    with psycopg.connect(database_url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as db:
        db.execute((STORES / f"{release}.sql").read_text())


def _cli(database_url: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": database_url, "SCREENER_AUDIT_KEY": KEY,
           "SCREENER_INSTANCE_PATH": str(tmp_path / "instance")}
    return subprocess.run([SCREENER, *args], env=env, capture_output=True, text=True, timeout=120)


def _revision(database_url: str) -> list[str]:
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    finally:
        engine.dispose()


def test_the_fixtures_cover_every_release_from_the_first():
    from screener.audit._store import head_revision

    assert RELEASES[0] == "0001" and WITH_ACCOUNTS[0] == FIRST_WITH_ACCOUNTS
    # Each release (each landing) up to the one this suite was written against has its store; a migration added
    # later is tested by upgrading these (a new release adds its own store with scripts/make-release-stores).
    # Migrations 0008 and 0009 landed together with 0010, so no store was ever at those revisions.
    assert RELEASES == RELEASED_SCHEMAS[:len(RELEASES)] and RELEASES[-1] >= "0010"
    assert int(RELEASES[-1]) <= int(head_revision())
    # Every release with accounts issued tokens; the first had none to issue.
    assert set(TOKENS) == set(WITH_ACCOUNTS) and all((STORES / f"{r}.sql").is_file() for r in RELEASES)


@pytest.mark.parametrize("release", WITH_ACCOUNTS)
def test_every_release_store_upgrades_starts_and_verifies(release, database_url, tmp_path, monkeypatch):
    from screener.audit._store import head_revision

    _load(release, database_url)
    assert _revision(database_url) == [release]
    # The command line first: it upgrades the store, and the chain made by the old release verifies.
    verified = _cli(database_url, tmp_path, "audit", "verify")
    assert verified.returncode == 0, verified.stderr
    assert verified.stdout.startswith("OK: ") and "3 screenings" in verified.stdout
    assert _revision(database_url) == [head_revision()]
    listed = _cli(database_url, tmp_path, "users", "list")
    assert listed.returncode == 0, listed.stderr
    assert [line.split()[:3] for line in sorted(listed.stdout.splitlines())] == [
        ["admin", "admin", "active"], ["audrey", "auditor", "disabled"], ["sam", "screener", "active"]]

    # Then the service: the API token the old release issued still screens, and the new screening is chained.
    # The fixture tokens were issued on 6 Dec 2026 for 90 days: the clock is set the next day.
    monkeypatch.setattr(config, "SCREENER_AUDIT_KEY", KEY)
    app = make_app(tmp_path, DATABASE_URL=database_url)
    client = app.test_client()
    backend = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    with freeze_time("2026-12-07 12:00:00", tick=True):
        assert client.get("/healthz").status_code == 200
        answer = client.post(SCREEN, data=(PATIENTS / "eligible.json").read_bytes(),
                             content_type="application/json",
                             headers={"Authorization": f"Bearer {TOKENS[release][backend]}"})
        assert answer.status_code == 200, answer.get_data(as_text=True)
        assert client.post(SCREEN, data=b"{}", content_type="application/json",
                           headers={"Authorization": "Bearer not-a-token"}).status_code == 401
    verified = _cli(database_url, tmp_path, "audit", "verify")
    assert verified.returncode == 0 and "4 screenings" in verified.stdout, verified.stdout + verified.stderr


@pytest.mark.parametrize("release", [release for release in RELEASES if release >= "0010"])
def test_the_screening_log_of_an_earlier_release_survives_the_upgrade(release, database_url, tmp_path):
    """A release with the screening log kept an approval and outcomes (scripts/make-release-stores): after the
    upgrade they are read as before and the chain that carries their content hashes still verifies."""
    _load(release, database_url)
    assert _cli(database_url, tmp_path, "audit", "verify").returncode == 0
    approvals = _cli(database_url, tmp_path, "rules", "approvals", "NCT06674265")
    assert approvals.returncode == 0 and "REC 24/LO/0123" in approvals.stdout, approvals.stdout + approvals.stderr
    failed = _cli(database_url, tmp_path, "patients", "show", "SCR-0002")
    assert failed.returncode == 0 and "screen failed" in failed.stdout, failed.stdout + failed.stderr
    consented = _cli(database_url, tmp_path, "patients", "show", "SCR-0001")
    assert consented.returncode == 0 and "consented" in consented.stdout, consented.stdout + consented.stderr


def _screenings(database_url: str) -> set[tuple[str, str]]:
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return {tuple(row) for row in connection.execute(text("SELECT id, verdict FROM screenings"))}
    finally:
        engine.dispose()


def test_the_first_release_store_without_accounts_upgrades_starts_and_verifies(database_url, tmp_path, monkeypatch):
    """The first release (schema 0001) kept screenings and their events, no users and no tokens: the upgrade adds
    the account tables empty, invents no account and no baseline event, and the service works on the store."""
    from screener.audit._store import head_revision

    from .helpers import token_for

    _load("0001", database_url)
    assert _revision(database_url) == ["0001"]
    old = _screenings(database_url)
    assert {verdict for _, verdict in old} == {"eligible", "ineligible", "incomplete"}
    # What the first release's own `audit verify` said of this chain (scripts/make-release-stores): 3 events,
    # 3 screenings; the upgrade adds no event to a store without accounts.
    verified = _cli(database_url, tmp_path, "audit", "verify")
    assert verified.returncode == 0, verified.stderr
    assert verified.stdout.startswith("OK: 3 events, 3 screenings, ")
    assert _revision(database_url) == [head_revision()]
    listed = _cli(database_url, tmp_path, "users", "list")
    assert listed.returncode == 0 and listed.stdout.strip() == "", listed.stdout + listed.stderr
    exported = _cli(database_url, tmp_path, "audit", "export", "screenings")
    assert exported.returncode == 0, exported.stderr
    assert {(s["id"], s["verdict"]) for s in json.loads(exported.stdout)} == old

    # The service starts on it; accounts made now are chained, and a screening through the API is recorded.
    monkeypatch.setattr(config, "SCREENER_AUDIT_KEY", KEY)
    app = make_app(tmp_path, DATABASE_URL=database_url)
    client = app.test_client()
    assert client.get("/healthz").status_code == 200
    assert client.post(SCREEN, data=b"{}", content_type="application/json",
                       headers={"Authorization": "Bearer not-a-token"}).status_code == 401
    answer = client.post(SCREEN, data=(PATIENTS / "eligible.json").read_bytes(), content_type="application/json",
                         headers={"Authorization": f"Bearer {token_for(app, 'screener')}"})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert old < _screenings(database_url) and len(_screenings(database_url)) == 4
    verified = _cli(database_url, tmp_path, "audit", "verify")
    assert verified.returncode == 0 and "4 screenings" in verified.stdout, verified.stdout + verified.stderr


def test_after_an_upgrade_sqlite_enforces_foreign_keys_again(tmp_path, monkeypatch):
    """The upgrade turns foreign keys off for the table rebuilds; every connection after it has them on."""
    from sqlalchemy.exc import IntegrityError

    from screener.audit import open_store

    monkeypatch.setattr(config, "SCREENER_AUDIT_KEY", KEY)  # a store with events opens only with its key

    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    _load("0003", url)
    store = open_store(url, tmp_path)
    for _ in range(3):  # the pool's connections, the one the upgrade used among them
        with pytest.raises(IntegrityError), store.engine.begin() as connection:
            connection.exec_driver_sql(
                "INSERT INTO api_tokens (id, user_id, name, token_hash, created_at, expires_at) "
                "VALUES ('orphan', 999, 'x', 'x', '2026-01-01', '2027-01-01')"
            )


def test_an_upgrade_that_would_leave_a_dangling_reference_is_rolled_back(tmp_path, monkeypatch):
    """PRAGMA foreign_key_check before the commit, as SQLite's table-rebuild procedure says: a token whose user is
    missing (written with foreign keys off) stops the upgrade, and the store stays as the old release left it."""
    from screener.audit import StoreError, open_store

    monkeypatch.setattr(config, "SCREENER_AUDIT_KEY", KEY)
    path = tmp_path / "old.sqlite3"
    _load("0003", f"sqlite:///{path}")
    with sqlite3.connect(path) as db:
        db.execute("INSERT INTO api_tokens (id, user_id, name, token_hash, created_at, expires_at) "
                   "VALUES ('orphan', 999, 'x', 'x', '2026-01-01', '2027-01-01')")
    with pytest.raises(StoreError) as refused:
        open_store(f"sqlite:///{path}", tmp_path)
    assert refused.value.kind == "MigrationFailed"
    assert _revision(f"sqlite:///{path}") == ["0003"]
    with sqlite3.connect(path) as db:
        assert "session_generation" not in {row[1] for row in db.execute("PRAGMA table_info(users)")}


def test_a_store_from_a_newer_release_is_refused_in_one_line(database_url, tmp_path):
    """A release that meets a schema revision it has no migration for (a later release upgraded the store) says
    so and changes nothing: exit 2, one line, no traceback."""
    _load(RELEASES[-1], database_url)
    assert _cli(database_url, tmp_path, "audit", "verify").returncode == 0  # upgraded to this release's head
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    for command in (["audit", "verify"], ["users", "ensure-admin"], ["users", "list"]):
        refused = _cli(database_url, tmp_path, *command)
        assert refused.returncode == 2, refused.stderr
        assert refused.stderr.strip().count("\n") == 0 and "Traceback" not in refused.stderr
        assert "made by a newer release (schema revision 9999)" in refused.stderr
    assert _revision(database_url) == ["9999"]
