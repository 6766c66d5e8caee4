"""A database failure leaves the audit package as its own StoreError, chained from SQLAlchemy's, and reaches the web
layer as a clean 503 and the CLI as a clean exit, neither of which knows the database library."""
import sqlite3

import pytest
from click.testing import CliRunner
from sqlalchemy.exc import SQLAlchemyError

from screener.audit import Accounts, StoreError, open_store
from screener.cli import main

from .helpers import PATIENTS, make_app, token_for

run = CliRunner().invoke


def _drop_screenings(path) -> None:
    with sqlite3.connect(path) as connection:  # the schema gone under a running store: every write fails
        connection.execute("DROP TABLE screenings")


def test_store_error_is_ours_and_chains_the_database_error(tmp_path):
    assert not issubclass(StoreError, SQLAlchemyError)
    store = open_store(f"sqlite:///{tmp_path / 'a.sqlite3'}", tmp_path)
    _drop_screenings(tmp_path / "a.sqlite3")
    with pytest.raises(StoreError) as caught:
        store.screenings()
    assert isinstance(caught.value.__cause__, SQLAlchemyError) and caught.value.kind == "OperationalError"
    with sqlite3.connect(tmp_path / "a.sqlite3") as connection:
        connection.execute("DROP TABLE users")
    with pytest.raises(StoreError):
        Accounts(store).users()


def test_a_store_that_cannot_be_opened_is_a_store_error(tmp_path):
    with pytest.raises(StoreError) as caught:
        open_store("not-a-database-url", tmp_path)
    assert isinstance(caught.value.__cause__, SQLAlchemyError)


def test_a_failed_write_reaches_the_api_as_a_clean_503(tmp_path):
    app = make_app(tmp_path)
    secret = token_for(app, "screener")
    _drop_screenings(tmp_path / "test.sqlite3")
    response = app.test_client().post(
        "/api/v1/trials/NCT06674265/screen?as_of=2026-11-22", data=(PATIENTS / "eligible.json").read_text(),
        content_type="application/json", headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 503 and response.content_type == "application/problem+json"
    assert b"nothing was written" in response.data and b"Traceback" not in response.data


def test_a_failed_write_reaches_the_cli_as_a_clean_exit(tmp_path, monkeypatch):
    import screener.audit as audit

    monkeypatch.setattr(audit.config, "DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    monkeypatch.setattr(audit.config, "SCREENER_INSTANCE_PATH", tmp_path)
    open_store()
    _drop_screenings(tmp_path / "cli.sqlite3")
    result = run(main, ["screen", str(PATIENTS / "eligible.json"), "--trial", "NCT06674265", "--as-of", "2026-11-22"])
    assert result.exit_code == 3, result.output
    assert "could not be recorded (OperationalError)" in result.stderr and "Traceback" not in result.output
