"""Auditing: every screening stored append-only with a tamper-evident, hash-chained audit trail."""
from pathlib import Path

from .. import config
from ..lazy import lazy_exports
from ._chain import Verification
from ._errors import StoreError, StoreTooNew, store_boundary
from ._files import private_folder
from ._models import AuditEvent, Screening
from ._store import AuditStore, load_key, record_of, report_of


def database_url(instance_path: Path | None = None) -> str:
    """DATABASE_URL, else a SQLite file in the instance folder (created on first use)."""
    if config.DATABASE_URL:
        return config.DATABASE_URL
    path = private_folder(instance_path or config.SCREENER_INSTANCE_PATH)
    return f"sqlite:///{path / 'screener.sqlite3'}"


@store_boundary
def open_store(url: str | None = None, instance_path: Path | None = None) -> AuditStore:
    """The store at url (default: database_url()), migrated to the latest schema."""
    instance = Path(instance_path or config.SCREENER_INSTANCE_PATH)
    store = AuditStore(url or database_url(instance), load_key(instance))
    store.migrate()
    return store


# Loaded on first use: accounts need werkzeug's hashing, exports marshmallow, the log's chart matplotlib, the
# amendment impact the whole screening pipeline; a CLI screening that only records needs none of them.
_LAZY = {
    "Accounts": "._accounts",
    "AccountError": "._accounts",
    "FIRST_ADMIN_PASSWORD_FILE": "._accounts",
    "Principal": "._accounts",
    "Limits": "._limits",
    "cannot_write": "._ready",
    "export": "._export",
    "screening_log": "._log",
    "log_csv": "._log",
    "log_chart": "._log",
    "AmendmentImpact": ".impact",
    "Impact": ".impact",
    "amendment_impact": ".impact",
    "GroupCommit": "._group_commit",
    "TokenMeter": "._meter",
    "TokenCache": "._token_cache",
}

__getattr__, __dir__ = lazy_exports(__name__, _LAZY)

__all__ = [
    "AuditEvent",
    "AuditStore",
    "Screening",
    "StoreError",
    "StoreTooNew",
    "Verification",
    "database_url",
    "open_store",
    "private_folder",
    "record_of",
    "report_of",
    *_LAZY,
]
