"""`screener backup` and `screener restore` on SQLite and PostgreSQL: consistent under load, the key always with
the data, the trail verified before a restore is accepted; and no store with events runs without its key."""
import json
import multiprocessing
import os
import sqlite3
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from screener import config
from screener.audit import Accounts, open_store
from screener.cli import main
from screener.screening import parse_record, screen

from .conftest import new_postgres_database
from .helpers import PATIENTS

AS_OF = date(2026, 11, 22)


def _cli(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def _record(store, count=1):
    record = parse_record((PATIENTS / "eligible.json").read_text())
    report = screen(record, "NCT06674265", AS_OF)
    for _ in range(count):
        store.record(record, [report], actor="test", channel="cli")


def _point_at(monkeypatch, url, instance):
    monkeypatch.setattr(config, "DATABASE_URL", url)
    monkeypatch.setattr(config, "SCREENER_INSTANCE_PATH", instance)


@pytest.fixture
def second_url(database_url, tmp_path):
    """A second, empty store of the same kind, to restore into."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'restored' / 'screener.sqlite3'}"
        return
    with new_postgres_database() as url:
        yield url


@pytest.fixture
def site(database_url, tmp_path, monkeypatch):
    instance = tmp_path / "instance"
    _point_at(monkeypatch, database_url, instance)
    store = open_store(database_url, instance)
    accounts = Accounts(store)
    accounts.create_user("screener1", "screener", None, "test")
    token, secret = accounts.create_token("screener1", "EHR", 30, "test")
    _record(store, 3)
    return {"store": store, "instance": instance, "secret": secret, "url": database_url}


def test_backup_then_restore_into_a_new_store_verifies_and_keeps_access(site, second_url, tmp_path, monkeypatch):
    dest = tmp_path / "backup"
    made = _cli("backup", dest)
    assert made.exit_code == 0, made.output
    manifest = json.loads((dest / "manifest.json").read_text())
    assert manifest["counts"] == {"audit_events": 5, "screenings": 3, "users": 1, "api_tokens": 1}
    assert manifest["chain_head"]["seq"] == 5 and set(manifest["files"]) >= {"audit.key"}
    assert {oct(os.stat(p).st_mode & 0o777) for p in dest.iterdir()} == {"0o600"}
    assert oct(os.stat(dest).st_mode & 0o777) == "0o700"
    assert site["store"].events()[-1].action == "backup.made"  # the live trail says a backup was taken

    restored_instance = tmp_path / "restored-instance"
    _point_at(monkeypatch, second_url, restored_instance)
    done = _cli("restore", dest)
    assert done.exit_code == 0, done.output
    assert (restored_instance / "audit.key").read_text() == (site["instance"] / "audit.key").read_text()
    verified = _cli("audit", "verify")
    assert verified.exit_code == 0 and verified.output.startswith("OK: 6 events, 3 screenings"), verified.output
    restored = open_store(second_url, restored_instance)
    assert restored.events()[-1].action == "backup.restored"
    assert Accounts(restored).token_principal(site["secret"]).username == "screener1"


def _writer(url: str, instance: str, count: int) -> None:
    _record(open_store(url, Path(instance)), count)


def test_backup_under_load_is_consistent_and_restores(site, second_url, tmp_path, monkeypatch):
    context = multiprocessing.get_context("spawn")
    writers = [context.Process(target=_writer, args=(site["url"], str(site["instance"]), 40)) for _ in range(2)]
    for w in writers:
        w.start()
    try:
        while site["store"].verify().screenings < 10 and all(w.is_alive() for w in writers):
            pass  # until the writers are writing
        made = _cli("backup", tmp_path / "backup")
    finally:
        for w in writers:
            w.join(180)
    assert made.exit_code == 0, made.output
    assert all(w.exitcode == 0 for w in writers)
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    assert 10 <= manifest["counts"]["screenings"] <= 83
    _point_at(monkeypatch, second_url, tmp_path / "restored-instance")
    done = _cli("restore", tmp_path / "backup")
    assert done.exit_code == 0, done.output
    assert _cli("audit", "verify").exit_code == 0


def test_restore_refuses_an_altered_backup_and_writes_nothing(site, second_url, tmp_path, monkeypatch):
    dest = tmp_path / "backup"
    assert _cli("backup", dest).exit_code == 0
    data = next(p for p in dest.iterdir() if p.name.startswith("screener."))
    original = data.read_bytes()
    data.write_bytes(original[:-1] + bytes([original[-1] ^ 1]))
    target = tmp_path / "restored-instance"
    _point_at(monkeypatch, second_url, target)
    refused = _cli("restore", dest)
    assert refused.exit_code == 2 and "differs from its manifest digest" in refused.output
    assert not (target / "audit.key").exists()


def test_restore_refuses_a_backup_whose_trail_does_not_verify(tmp_path, monkeypatch):
    """The digests made to match again after an edit: the chain still tells."""
    url = f"sqlite:///{tmp_path / 'live.sqlite3'}"
    _point_at(monkeypatch, url, tmp_path / "instance")
    _record(open_store(url, tmp_path / "instance"), 2)
    dest = tmp_path / "backup"
    assert _cli("backup", dest).exit_code == 0
    with sqlite3.connect(dest / "screener.sqlite3") as connection:
        connection.execute("DROP TRIGGER screenings_no_update")
        connection.execute("UPDATE screenings SET verdict = 'ineligible'")
    manifest = json.loads((dest / "manifest.json").read_text())
    import hashlib

    manifest["files"]["screener.sqlite3"] = hashlib.sha256((dest / "screener.sqlite3").read_bytes()).hexdigest()
    (dest / "manifest.json").write_text(json.dumps(manifest))
    target = tmp_path / "restored"
    _point_at(monkeypatch, f"sqlite:///{target / 'screener.sqlite3'}", target)
    refused = _cli("restore", dest)
    assert refused.exit_code == 2 and "does not verify" in refused.output, refused.output
    assert not (target / "screener.sqlite3").exists() and not (target / "audit.key").exists()


def test_restore_refuses_a_store_with_events_and_another_key(site, tmp_path, monkeypatch):
    dest = tmp_path / "backup"
    assert _cli("backup", dest).exit_code == 0
    into_itself = _cli("restore", dest)  # the configured store is the one backed up: it has events
    assert into_itself.exit_code == 2 and "already holds audit events" in into_itself.output
    other = tmp_path / "other"
    other.mkdir()
    (other / "audit.key").write_text("another key\n")
    _point_at(monkeypatch, f"sqlite:///{other / 'screener.sqlite3'}", other)
    refused = _cli("restore", dest)
    assert refused.exit_code == 2 and "another key than the backup's" in refused.output


def test_a_store_with_events_and_no_key_is_refused_and_no_key_is_made(site, monkeypatch):
    key = site["instance"] / "audit.key"
    key.unlink()
    for command in (["audit", "verify"], ["users", "list"], ["backup", site["instance"] / "b"]):
        refused = _cli(*command)
        assert refused.exit_code == 2, refused.output
        assert "holds 5 audit events but their key is missing" in refused.output and "Traceback" not in refused.output
        assert not key.exists()
    monkeypatch.setenv("SCREENER_INSTANCE_PATH", str(site["instance"]))
    from screener.web import create_app

    with pytest.raises(SystemExit) as exited:
        create_app()
    assert exited.value.code == 2 and not key.exists()


def test_a_new_store_gets_its_key(tmp_path, monkeypatch):
    _point_at(monkeypatch, f"sqlite:///{tmp_path / 'new.sqlite3'}", tmp_path / "instance")
    assert _cli("audit", "verify").exit_code == 0
    assert oct(os.stat(tmp_path / "instance" / "audit.key").st_mode & 0o777) == "0o600"


def test_rotate_key_signs_a_rotation_event_and_the_trail_verifies_across_it(site, second_url, tmp_path, monkeypatch):
    old = (site["instance"] / "audit.key").read_text()
    rotated = _cli("audit", "rotate-key")
    assert rotated.exit_code == 0, rotated.output
    ring = (site["instance"] / "audit.key").read_text().splitlines()
    assert len(ring) == 2 and ring[0] == old.strip()
    store = open_store(site["url"], site["instance"])
    assert store.events()[-1].action == "audit.key_rotated" and store.key == ring[1].encode()
    _record(store)  # chained under the new key
    assert Accounts(store).token_principal(site["secret"]).username == "screener1"  # made under the old key
    assert _cli("audit", "verify").exit_code == 0
    dest = tmp_path / "backup"
    assert _cli("backup", dest).exit_code == 0  # the backup carries the whole ring
    restored = tmp_path / "restored"
    _point_at(monkeypatch, second_url, restored)
    assert _cli("restore", dest).exit_code == 0
    assert _cli("audit", "verify").exit_code == 0
    # Without the old key, the events before the rotation cannot be verified; with only the old key, those after.
    (restored / "audit.key").write_text(ring[1] + "\n")
    assert _cli("audit", "verify").exit_code == 1
    (restored / "audit.key").write_text(ring[0] + "\n")
    assert _cli("audit", "verify").exit_code == 1
