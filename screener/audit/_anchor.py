"""The last verified chain head, remembered outside the database (instance/audit.anchor), per store.

A hash chain cut back at its tail, the service then writing on, is consistent in itself: only a head recorded
elsewhere earlier shows the cut. `screener audit verify` checks against the remembered head and, when the trail
verifies, remembers the new one; a restore remembers the backup's head. The file lives in the instance folder, so
it stops someone who can write the database but not that folder (any PostgreSQL user, a copied database file);
anchors kept on another machine (`--anchor`) stop the folder's owner too (docs/operations.md).
"""
import hashlib
import json
import os
from pathlib import Path

from sqlalchemy.engine import make_url

from ._files import private_folder

ANCHOR_FILE = "audit.anchor"


def _store_id(url: str) -> str:
    # Which store the head belongs to (an instance folder may serve a SQLite file, then a PostgreSQL database);
    # the URL without its password, hashed so the file names no host or path.
    return hashlib.sha256(make_url(url).render_as_string(hide_password=True).encode()).hexdigest()[:32]


def _read(path: Path) -> dict:
    try:
        heads = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except ValueError:
        raise ValueError(f"{path} is damaged") from None  # not ignored: spoiling it must not switch the check off
    if not isinstance(heads, dict):
        raise ValueError(f"{path} is damaged")
    return heads


def remembered(instance_path: Path, url: str) -> dict[int, str]:
    path = Path(instance_path) / ANCHOR_FILE
    head = _read(path).get(_store_id(url))
    if head is None:
        return {}
    seq, _, digest = str(head).partition(":")
    if not seq.isdigit() or len(digest) != 64:
        raise ValueError(f"{path} is damaged")
    return {int(seq): digest} if int(seq) else {}


def remember(instance_path: Path, url: str, seq: int, digest: str) -> None:
    """Replace the store's remembered head atomically (owner-only file)."""
    path = private_folder(instance_path) / ANCHOR_FILE
    try:
        heads = _read(path)
    except ValueError:
        heads = {}
    heads[_store_id(url)] = f"{seq}:{digest}"
    staging = path.with_name(ANCHOR_FILE + ".new")
    fd = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(heads, handle, indent=1)
    os.replace(staging, path)
