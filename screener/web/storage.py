"""The app's audit store, opened (and migrated) on first use, so probes and docs never need the database; and the
per-process parts beside it: the group commit (with the token counters it flushes) and the token cache."""
from pathlib import Path

from flask import current_app

from ..audit import (
    ApprovalsSeen,
    AuditStore,
    GroupCommit,
    TokenCache,
    TokenMeter,
    open_store,
    report_access_problems,
)


def get_store() -> AuditStore:
    store = current_app.extensions.get("audit_store")
    if store is None:
        store = open_store(current_app.config["DATABASE_URL"], Path(current_app.instance_path))
        if current_app.extensions.setdefault("audit_store", store) is store:  # request threads: the first one wins
            report_access_problems(store)  # each unaccounted principal is also refused on its own (Accounts)
        store = current_app.extensions["audit_store"]
    return store


def get_committer() -> GroupCommit:
    """The process's group commit: screenings from every request thread, one transaction per batch."""
    committer = current_app.extensions.get("group_commit")
    if committer is None:
        committer = current_app.extensions.setdefault("group_commit", GroupCommit(get_store(), TokenMeter(get_store())))
    return committer


def get_token_cache() -> TokenCache:
    cache = current_app.extensions.get("token_cache")
    if cache is None:
        cache = current_app.extensions.setdefault(
            "token_cache", TokenCache(get_store(), current_app.config["TOKEN_CACHE_SECONDS"]))
    return cache


def get_approvals_seen() -> ApprovalsSeen:
    """The approvals this process has read, kept while its group commit finds no other writer's event (a recorded
    screening's approval standing reads no trail when nothing was appended elsewhere since)."""
    seen = current_app.extensions.get("approvals_seen")
    if seen is None:
        seen = current_app.extensions.setdefault("approvals_seen", ApprovalsSeen(get_store(), get_committer()))
    return seen
