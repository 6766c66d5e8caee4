"""Auditing: every screening stored append-only with a tamper-evident, hash-chained audit trail."""
import logging
from pathlib import Path

from .. import config
from ..lazy import lazy_exports
from ._chain import Verification
from ._errors import StoreError, StoreTooNew, store_boundary
from ._files import private_folder
from ._key import MissingKey, key_path, load_key, load_keys
from ._models import AuditEvent, Screening
from ._store import AuditStore, record_of, report_of


def database_url(instance_path: Path | str | None = None) -> str:
    """DATABASE_URL, else a SQLite file in the instance folder (created on first use)."""
    if config.DATABASE_URL:
        return config.DATABASE_URL
    path = private_folder(instance_path or config.SCREENER_INSTANCE_PATH)
    return f"sqlite:///{path / 'screener.sqlite3'}"


@store_boundary
def open_store(url: str | None = None, instance_path: Path | None = None) -> AuditStore:
    """The store at url (default: database_url()), migrated to the latest schema."""
    instance = Path(instance_path or config.SCREENER_INSTANCE_PATH)
    url = url or database_url(instance)
    *old_keys, key = load_keys(instance, url)
    store = AuditStore(url, key, tuple(old_keys))
    store.migrate()
    return store


def require_key(url: str, instance_path: Path) -> None:
    """At start: MissingKey for a store that holds events but has no key (a new store gets its key). A database
    that cannot be reached now is checked again when it is first used."""
    try:
        load_key(Path(instance_path), url)
    except StoreError:
        pass


def report_access_problems(store: AuditStore) -> list[str]:
    """At start: log every users or api_tokens row the trail does not account for and every missing protection
    (each such principal is refused on its own, see Accounts); returns them."""
    try:
        problems = store.access_problems()
    except StoreError:
        return []
    for problem in problems:
        logging.getLogger(__name__).error("audit trail check: %s", problem)
    return problems


# Loaded on first use: accounts need werkzeug's hashing, exports marshmallow, the log's chart matplotlib, the
# amendment impact the whole screening pipeline; a CLI screening that only records needs none of them.
_LAZY = {
    "Accounts": "._accounts",
    "AccountError": "._accounts",
    "FIRST_ADMIN_PASSWORD_FILE": "._accounts",
    "ROLES": "._accounts",
    "Principal": "._accounts",
    "Limits": "._limits",
    "Drafts": "._drafts",
    "cannot_write": "._ready",
    "export": "._export",
    "screening_log": "._log",
    "log_csv": "._log",
    "log_chart": "._log",
    "monthly_csv": "._log",
    "sponsor_csv": "._sponsor",
    "NOT_COUNTED": "._log",
    "AmendmentImpact": ".impact",
    "Impact": ".impact",
    "amendment_impact": ".impact",
    "GroupCommit": "._group_commit",
    "TokenMeter": "._meter",
    "TokenCache": "._token_cache",
    "SeenTokens": "._jti",
    "EhrPatients": "._jti",
    "BackupError": "._backup",
    "backup": "._backup",
    "restore": "._backup",
    "remembered": "._anchor",
    "remember": "._anchor",
    "rotate_key": "._rotation",
    "AlreadyVoided": "._children",
    "Ledger": "._children",
    "ledger": "._children",
    "child_key": "._children",
    "children_summary": "._children",
    "child_screenings": "._children",
    "child_outcomes": "._children",
    "void": "._children",
    "add_outcome": "._children",
    "RotationRefused": "._rotation",
    "add_approval": "._approvals",
    "rescreens_of": "._children",
    "add_verification": "._verifications",
    "add_deviation": "._verifications",
    "verifications": "._verifications",
    "verification": "._verifications",
    "deviations": "._verifications",
    "ChallengeUsed": "._verifications",
    "ChecklistChanged": "._verifications",
    "verification_standings": "._verifications",
    "UNVERIFIED_ENROLMENT": "._verifications",
    "approvals": "._approvals",
    "ApprovalsSeen": "._approvals",
    "add_rule_set_review": "._reviews",
    "rule_set_reviews": "._reviews",
}

__getattr__, __dir__ = lazy_exports(__name__, _LAZY)

__all__ = [
    "AuditEvent",
    "AuditStore",
    "MissingKey",
    "Screening",
    "StoreError",
    "StoreTooNew",
    "Verification",
    "database_url",
    "key_path",
    "open_store",
    "private_folder",
    "record_of",
    "report_access_problems",
    "require_key",
    "report_of",
    *_LAZY,
]
