"""The chain's HMAC key: read it, create it for a new store only, and refuse a store whose key is missing.

A new key beside existing events would chain new events under it; putting the real key back later would then
break the trail at the first new event ("TAMPERED at event 1" after a restore without audit.key). So a key is
created only when the store holds no events yet; otherwise the key must be restored (docs/operations.md).
"""
import hashlib
import os
import secrets
from pathlib import Path

from sqlalchemy import create_engine, inspect, text

from .. import config
from ._errors import store_boundary
from ._files import private_folder

KEY_FILE = "audit.key"


class MissingKey(Exception):
    """The store holds audit events but neither SCREENER_AUDIT_KEY nor instance/audit.key is there."""

    def __init__(self, path: Path, events: int):
        self.path, self.events = path, events
        super().__init__(
            f"the audit store holds {events} audit events but their key is missing: neither SCREENER_AUDIT_KEY nor "
            f"{path} is set. Restore the key from where it is kept (docs/operations.md, key custody); a new key "
            "would break the trail, so none is created"
        )


def fingerprint(key: bytes) -> str:
    """A public name for a key (SHA-256 of a hash of it): says which key, reveals nothing usable."""
    return hashlib.sha256(b"screener audit key\0" + key).hexdigest()


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


def load_key(instance_path: Path, url: str) -> bytes:
    """SCREENER_AUDIT_KEY, else instance/audit.key; created (owner-only) only for a store without events."""
    if config.SCREENER_AUDIT_KEY:
        return config.SCREENER_AUDIT_KEY.encode()
    path = private_folder(instance_path) / KEY_FILE
    if not path.exists():
        events = count_events(url)  # a database that cannot be read raises StoreError: no key is made then either
        if events:
            raise MissingKey(path, events)
        write_key(path, secrets.token_hex(32).encode())
    return path.read_text().strip().encode()


def write_key(path: Path, key: bytes) -> None:
    """Write a key file readable by the owner only; never over an existing one."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key.decode() + "\n")
