"""The chain's HMAC key: read it, create it for a new store only, and refuse a store whose key is missing.

A new key beside existing events would chain new events under it; putting the real key back later would then
break the trail at the first new event ("TAMPERED at event 1" after a restore without audit.key). So a key is
created only when the store holds no events yet; otherwise the key must be restored (docs/operations.md).
"""
import os
import secrets
from pathlib import Path

from sqlalchemy import create_engine, inspect, text

from .. import config
from ..model.errors import ScreenerError
from ._errors import store_boundary
from ._files import private_folder

KEY_FILE = "audit.key"


class MissingKey(ScreenerError):
    """The store holds audit events but neither SCREENER_AUDIT_KEY nor instance/audit.key is there."""

    def __init__(self, path: Path, events: int):
        self.path, self.events = path, events
        super().__init__(
            f"the audit store holds {events} audit event{'s' if events != 1 else ''} but their key is missing: "
            f"SCREENER_AUDIT_KEY is not set and {path} does not exist. Restore the key from where it is kept "
            "(docs/operations.md, key custody); a new key would break the trail, so none is created"
        )


@store_boundary
def count_events(url: str) -> int:
    """How many audit events the store at url holds; 0 when it has no trail yet (no file, no table). Does not create
    the SQLite file."""
    if url.startswith("sqlite"):
        path = url.removeprefix("sqlite:///").split("?", 1)[0]
        if ":memory:" in url or not os.path.exists(path) or os.path.getsize(path) == 0:
            return 0
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            if not inspect(connection).has_table("audit_events"):
                return 0
            return connection.execute(text("SELECT count(*) FROM audit_events")).scalar_one()
    finally:
        engine.dispose()


def key_path(instance_path: Path) -> Path:
    return Path(instance_path) / KEY_FILE


def load_keys(instance_path: Path, url: str) -> tuple[bytes, ...]:
    """The key ring, oldest first, the last one in use: SCREENER_AUDIT_KEY (one key), else instance/audit.key (one
    key a line: `screener audit rotate-key` adds a line). Created (owner-only) only for a store without events."""
    if config.SCREENER_AUDIT_KEY:
        return (config.SCREENER_AUDIT_KEY.encode(),)
    path = private_folder(instance_path) / KEY_FILE
    keys = read_keys(path) if path.exists() else ()
    if not keys:  # no file, or an empty one
        events = count_events(url)  # a database that cannot be read raises StoreError: no key is made then either
        if events:
            raise MissingKey(path, events)
        keys = (new_key(),)
        write_key(path, keys, replace=path.exists())
    return keys


def load_key(instance_path: Path, url: str) -> bytes:
    """The key in use (see load_keys)."""
    return load_keys(instance_path, url)[-1]


def new_key() -> bytes:
    return secrets.token_hex(32).encode()


def read_keys(path: Path) -> tuple[bytes, ...]:
    return tuple(line.strip().encode() for line in path.read_text().splitlines() if line.strip())


def write_key(path: Path, keys: tuple[bytes, ...], replace: bool = False) -> None:
    """Write a key file readable by the owner only, one key a line; over an existing one only when replace (then
    atomically: a crash leaves the old file or the new one, never half of one)."""
    staging = path.with_name(path.name + ".new") if replace else path
    fd = os.open(staging, os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if replace else os.O_EXCL), 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write("".join(key.decode() + "\n" for key in keys))
        handle.flush()
        os.fsync(handle.fileno())
    if replace:
        os.replace(staging, path)
