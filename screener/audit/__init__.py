"""Auditing: every screening stored append-only with a tamper-evident, hash-chained audit trail."""
from pathlib import Path

from .. import config
from ._chain import Verification
from ._files import private_folder
from ._models import AuditEvent, Screening
from ._store import AuditStore, load_key, record_of, report_of


def database_url(instance_path: Path | None = None) -> str:
    """DATABASE_URL, else a SQLite file in the instance folder (created on first use)."""
    if config.DATABASE_URL:
        return config.DATABASE_URL
    path = private_folder(instance_path or config.SCREENER_INSTANCE_PATH)
    return f"sqlite:///{path / 'screener.sqlite3'}"


def open_store(url: str | None = None, instance_path: Path | None = None) -> AuditStore:
    """The store at url (default: database_url()), migrated to the latest schema."""
    instance = Path(instance_path or config.SCREENER_INSTANCE_PATH)
    store = AuditStore(url or database_url(instance), load_key(instance))
    store.migrate()
    return store


__all__ = ["AuditEvent", "AuditStore", "Screening", "Verification", "database_url", "open_store", "record_of", "report_of"]
