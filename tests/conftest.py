"""Shared fixtures: the demo patient, the app and its clients, databases (helpers to import: tests/helpers.py)."""
import atexit
import contextlib
import json
import os
import shutil
import tempfile

import pytest

from .helpers import PATIENTS, authorised, make_app

# Everything temporary the run makes goes under one folder removed at the end: pytest's tmp_path folders, the
# instance folder, tempfile's folders in tests and in the servers and workers they start (TMPDIR).
# scripts/test makes the folder (and removes it even if pytest is killed); run directly, the suite makes its own.
_OWN_TMP = not os.environ.get("SCREENER_TEST_TMP")
TEST_TMP = os.environ["SCREENER_TEST_TMP"] = os.environ.get("SCREENER_TEST_TMP") or tempfile.mkdtemp(
    prefix="screener-tests-"
)
os.environ["TMPDIR"] = tempfile.tempdir = TEST_TMP  # processes the tests start (Dask workers import this) reuse it
# Before anything imports screener.config: the suite never touches the repository's own instance folder.
os.environ["SCREENER_INSTANCE_PATH"] = tempfile.mkdtemp(prefix="screener-test-instance-")
os.environ.pop("DATABASE_URL", None)
if _OWN_TMP:
    # Registered first, so it runs last: after pytest's and Dask's own exit-time clean-up inside this folder.
    atexit.register(shutil.rmtree, TEST_TMP, ignore_errors=True)


@pytest.fixture
def eligible_json() -> dict:
    return json.loads((PATIENTS / "eligible.json").read_text())


@pytest.fixture
def eligible_record(eligible_json):
    from screener.screening import parse_record

    return parse_record(json.dumps(eligible_json))


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


def _on_test_server(sql: str) -> None:
    import psycopg

    with psycopg.connect(POSTGRES_URL.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as connection:
        connection.execute(sql)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """The same persistence test on SQLite and on PostgreSQL (started by scripts/test).

    Each PostgreSQL test gets a new, empty database (its own chain), dropped when the test ends: the run once
    left 505 MB of them behind.
    """
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'audit.sqlite3'}"
        return
    require_postgres()
    with new_postgres_database() as url:
        yield url


def require_postgres() -> None:
    """A PostgreSQL test without its server: skipped locally, a failure in CI (scripts/test starts the server)."""
    if POSTGRES_URL:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(
            "SCREENER_TEST_POSTGRES_URL is not set: in CI the PostgreSQL tests must run (scripts/test starts it)"
        )
    pytest.skip("no PostgreSQL test server (run ./scripts/test, which starts one)")


@contextlib.contextmanager
def new_postgres_database():
    """A new, empty database on the test server, dropped afterwards."""
    import uuid

    name = "t_" + uuid.uuid4().hex[:16]
    _on_test_server(f"CREATE DATABASE {name}")
    try:
        yield POSTGRES_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        # FORCE (PostgreSQL 13+): the test's engines may still hold pooled connections.
        _on_test_server(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def store(database_url, tmp_path):
    from screener.audit import open_store

    return open_store(database_url, tmp_path)


# --- markers: a plain local `pytest` leaves these out (pyproject addopts); ./scripts/test and CI run everything ---
# Slow: each of these takes seconds here (measured with --durations), together about half of a run's time.
SLOW = {
    "test_engine_agreement.py::test_engines_agree_on_nct06674265",
    "test_web_schemathesis.py",
    "test_gunicorn.py",
    "test_fhir.py::test_every_synthea_bundle_screens_against_every_trial_without_a_server_error",
    "test_fhir.py::test_no_synthea_patient_is_a_candidate_for_any_trial",
    "test_drug_names.py::test_every_medication_in_the_synthea_bundles_resolves",
    "test_audit.py::test_two_processes_writing_at_once_keep_the_chain_valid",
    "test_engine_durable.py::test_more_evaluations_than_live_sessions_allowed",
    "test_engine_durable.py::test_an_all_passing_record_still_deletes_its_session",
    "test_scripts_cleanup.py",
    "test_slow_clients.py",
    "test_upgrade.py::test_every_release_store_upgrades_starts_and_verifies",
}


def pytest_collection_modifyitems(items):
    for item in items:
        module, _, name = item.nodeid.rpartition("/")[2].partition("::")
        if module in SLOW or f"{module}::{name.split('[')[0]}" in SLOW:
            item.add_marker("slow")
        if module.startswith("test_browser"):
            item.add_marker("browser")
        # The PostgreSQL half of every persistence test, and the tests that start the test server themselves.
        callspec = getattr(item, "callspec", None)
        if module == "test_scripts_cleanup.py" or (callspec and callspec.params.get("database_url") == "postgresql"):
            item.add_marker("postgres")
