"""Backups that restore: one folder with the database, its key and a manifest, verified when made and when restored.

What the usual shortcuts got wrong (issue 23): `cp` of a SQLite file without its WAL loses committed events and
verifies as tampered; `sqlite3 .backup` copies in steps and starts over whenever a writer commits, so under load it
never finishes; a database restored without audit.key got a new key, and the trail broke at the first new event.

SQLite: the online backup API copying every page in one step (Python's Connection.backup with pages=-1), which
reads one consistent snapshot while writers go on (WAL). PostgreSQL: pg_dump in the custom format, reading the
snapshot this process exported (pg_export_snapshot), so the manifest describes exactly what was dumped.
The folder holds the key, so it must be kept as carefully as the key (docs/operations.md).
"""
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from ..model.errors import ScreenerError
from ._chain import Verification
from ._chain import key_fingerprint as fingerprint
from ._key import KEY_FILE, read_keys, write_key
from ._models import ApiToken, AuditEvent, Screening, User
from ._store import AuditStore, head_revision, verify_session

MANIFEST = "manifest.json"
FORMAT = "screener-backup 1"
SQLITE_FILE = "screener.sqlite3"
PG_FILE = "screener.pgdump"


class BackupError(ScreenerError):
    """The backup or restore was refused; the message says why (one line, no secret)."""


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database:  # sqlite:// is an in-memory database: no file to back up or restore
        raise BackupError("the SQLite URL names no database file")
    return Path(database)


def _libpq(url: str) -> tuple[str, dict]:
    """pg_dump's --dbname and environment for a SQLAlchemy URL: the password travels in PGPASSWORD, not argv."""
    parsed = make_url(url)
    env = {**os.environ}
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    conninfo = parsed.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return conninfo, env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} is not installed (Debian: apt-get install postgresql-client)")
    return path


def _run(argv: list[str], env: dict) -> None:
    done = subprocess.run(argv, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise BackupError(f"{Path(argv[0]).name} failed: {last}")


def _counts(session: Session) -> dict:
    return {name: session.scalar(select(func.count()).select_from(model)) for name, model in (
        ("audit_events", AuditEvent), ("screenings", Screening), ("users", User), ("api_tokens", ApiToken))}


def _inspect(session: Session, keys: tuple[bytes, ...], head: str | None) -> tuple[Verification, dict]:
    return verify_session(session, keys, head=head), _counts(session)


def _inspect_sqlite_file(path: Path, keys: tuple[bytes, ...], head: str | None) -> tuple[Verification, dict]:
    engine = create_engine(f"sqlite:///{path}")
    try:
        with Session(engine) as session:
            return _inspect(session, keys, head)
    finally:
        engine.dispose()


def _refuse(verification: Verification, what: str) -> None:
    if not verification.ok:
        raise BackupError(f"{what} does not verify, so it is refused: {str(verification).splitlines()[0]}")


def _new_folder(dest: Path) -> None:
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise BackupError(f"{dest} exists and is not an empty folder: give a new one")
    dest.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(dest, 0o700)


def backup(store: AuditStore, dest: Path, actor: str) -> dict:
    """Copy the store into the new folder dest with its key and a manifest; the copy is verified before it is
    accepted (a trail that does not verify is not backed up). Returns the manifest."""
    _new_folder(dest)
    try:
        if store.engine.dialect.name == "sqlite":
            verification, counts = _backup_sqlite(store, dest / SQLITE_FILE)
            data = SQLITE_FILE
        else:
            verification, counts = _backup_postgresql(store, dest / PG_FILE)
            data = PG_FILE
        _refuse(verification, "the store")
        write_key(dest / KEY_FILE, store.keys)  # the whole ring: a rotated trail needs its earlier keys
        manifest: dict[str, Any] = {
            "format": FORMAT,
            "made_by": f"screener {metadata.version('trial-screener')}",
            "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z"),
            "database": store.engine.dialect.name,
            "schema_revision": head_revision(),
            "chain_head": {"seq": verification.events, "hash": verification.head},
            "counts": counts,
            "key_fingerprint": fingerprint(store.key),
            "files": {name: _sha256(dest / name) for name in (data, KEY_FILE)},
        }
        fd = os.open(dest / MANIFEST, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(manifest, handle, indent=2)
            handle.write("\n")
    except BaseException:
        shutil.rmtree(dest, ignore_errors=True)  # half a backup must not pass for one
        raise
    store.note(actor, "backup.made", manifest["database"], {"chain_head": verification.anchor, "counts": counts})
    return manifest


def _backup_sqlite(store: AuditStore, target: Path) -> tuple[Verification, dict]:
    source = sqlite3.connect(_sqlite_path(store.url), timeout=30)
    copy = sqlite3.connect(target)
    try:
        # pages=-1: every page in one step, on one read snapshot. A stepwise copy restarts whenever another
        # connection writes, which under load is always (the `.backup` that did not finish in 15 s).
        source.backup(copy, pages=-1)
        copy.execute("PRAGMA journal_mode = DELETE")  # one self-contained file, no -wal beside it
    finally:
        copy.close()
        source.close()
    os.chmod(target, 0o600)
    return _inspect_sqlite_file(target, store.keys, head_revision())


def _backup_postgresql(store: AuditStore, target: Path) -> tuple[Verification, dict]:
    conninfo, env = _libpq(store.url)
    pg_dump = _tool("pg_dump")
    with store.engine.connect() as connection:
        connection = connection.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            snapshot: str = connection.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            # pg_dump reads the snapshot this transaction holds: the dump and the check below see the same rows.
            _run([pg_dump, "--format=custom", "--no-owner", "--no-privileges", f"--snapshot={snapshot}",
                  f"--file={target}", f"--dbname={conninfo}"], env)
            with Session(bind=connection) as session:
                result = _inspect(session, store.keys, head_revision())
    os.chmod(target, 0o600)
    return result


def read_manifest(src: Path) -> tuple[dict, tuple[bytes, ...]]:
    """The manifest and key ring of a backup folder, every file checked against the manifest's digests."""
    try:
        manifest = json.loads((src / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise BackupError(f"{src / MANIFEST} is missing or unreadable: not a screener backup") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{src / MANIFEST}: not a {FORMAT} manifest")
    for name, digest in manifest.get("files", {}).items():
        path = src / Path(name).name
        if not path.is_file() or _sha256(path) != digest:
            raise BackupError(f"{name} in the backup is missing or differs from its manifest digest")
    if KEY_FILE not in manifest.get("files", {}):
        raise BackupError("the backup holds no key")
    keys = read_keys(src / KEY_FILE)
    if not keys or fingerprint(keys[-1]) != manifest.get("key_fingerprint"):
        raise BackupError("the backup's key is not the key its manifest names")
    return manifest, keys


def _matches(manifest: dict, verification: Verification, counts: dict) -> None:
    _refuse(verification, "the backup")
    head = manifest["chain_head"]
    if (verification.events, verification.head) != (head["seq"], head["hash"]) or counts != manifest["counts"]:
        raise BackupError("the backup's chain head or counts differ from its manifest: it is incomplete or altered")


def restore(src: Path, url: str, key_file: Path, env_key: bytes | None, actor: str) -> dict:
    """Restore the backup folder src into the empty store at url and put its key at key_file; nothing is kept
    unless the restored trail verifies and matches the manifest. Returns the manifest."""
    manifest, keys = read_manifest(src)
    if env_key is not None and (env_key,) != keys:
        raise BackupError("SCREENER_AUDIT_KEY is set to another key than the backup's: unset it (the backup's "
                          "audit.key is then used) or set it to the backup's key")
    if env_key is None and key_file.exists() and read_keys(key_file) != keys:
        raise BackupError(f"{key_file} holds another key than the backup's: move it away first (keep it)")
    from ._key import count_events

    if count_events(url):
        raise BackupError("the target store already holds audit events: restore into a new, empty store")
    database = "sqlite" if url.startswith("sqlite") else "postgresql"
    if manifest.get("database") != database:
        raise BackupError(f"the backup is of a {manifest.get('database')} store, the target is {database}")
    if database == "sqlite":
        _restore_sqlite(src / SQLITE_FILE, _sqlite_path(url), keys, manifest)
    else:
        _restore_postgresql(src / PG_FILE, url, keys, manifest)
    if env_key is None and not key_file.exists():
        write_key(key_file, keys)
    return manifest


def _restore_sqlite(source: Path, target: Path, keys: tuple[bytes, ...], manifest: dict) -> None:
    staging = target.with_name(target.name + ".restoring")
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    staging.unlink(missing_ok=True)
    shutil.copyfile(source, staging)
    os.chmod(staging, 0o600)
    try:
        _matches(manifest, *_inspect_sqlite_file(staging, keys, manifest.get("schema_revision")))
        for suffix in ("-wal", "-shm", "-journal"):  # of an empty target store: they would not belong to the copy
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        os.replace(staging, target)
    finally:
        staging.unlink(missing_ok=True)


def _restore_postgresql(source: Path, url: str, keys: tuple[bytes, ...], manifest: dict) -> None:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            if inspect(connection).get_table_names():
                raise BackupError("the target database has tables: restore into a new, empty database (createdb)")
        conninfo, env = _libpq(url)
        _run([_tool("pg_restore"), "--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error",
              f"--dbname={conninfo}", str(source)], env)
        try:
            with Session(engine) as session:
                _matches(manifest, *_inspect(session, keys, manifest.get("schema_revision")))
        except BaseException:
            with engine.begin() as connection:  # the target was empty: leave it so
                connection.execute(text("DROP SCHEMA public CASCADE"))
                connection.execute(text("CREATE SCHEMA public"))
            raise
    finally:
        engine.dispose()
