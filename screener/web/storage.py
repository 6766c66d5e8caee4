"""The app's audit store, opened (and migrated) on first use, so probes and docs never need the database."""
from pathlib import Path

from flask import current_app

from ..audit import AuditStore, open_store


def get_store() -> AuditStore:
    store = current_app.extensions.get("audit_store")
    if store is None:
        store = open_store(current_app.config["DATABASE_URL"], Path(current_app.instance_path))
        current_app.extensions["audit_store"] = store
    return store
