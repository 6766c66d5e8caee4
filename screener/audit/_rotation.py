"""`screener audit rotate-key`: a new key for the events to come, announced by an event signed with the old one.

The rotation event names the new key by its fingerprint and is chained under the key in use; every later event is
chained under the new key. Someone who learnt the old key can no longer add events (the next event after the
rotation needs the new key), nor rewrite the earlier ones (the first event after the rotation links to them).
The old keys stay in the ring (audit.key, oldest first): the earlier events are verified with them.
Run it with the service stopped: a running worker would go on chaining under the old key.
"""
from pathlib import Path

from ..model.errors import ScreenerError
from ._chain import ROTATED, key_fingerprint
from ._key import KEY_FILE, new_key, write_key
from ._store import AuditStore


class RotationRefused(ScreenerError):
    pass


def rotate_key(store: AuditStore, instance_path: Path, actor: str, env_key: bool) -> int:
    """Rotate the key of the store; returns the rotation event's sequence number."""
    if env_key:
        raise RotationRefused("the key comes from SCREENER_AUDIT_KEY: rotation keeps a key ring in instance/audit.key;"
                              " move the key there (and unset the variable) first")
    result = store.verify()
    if not result.ok:
        raise RotationRefused(f"the trail does not verify, so its key is not rotated: {str(result).splitlines()[0]}")
    path = Path(instance_path) / KEY_FILE
    key = new_key()
    ring = (*store.keys, key)
    # The ring with the new key is on disk (beside, fsynced) before the event that puts it in use is committed.
    staging = path.with_name(KEY_FILE + ".rotating")
    staging.unlink(missing_ok=True)
    write_key(staging, ring)
    try:
        seq = store.note(actor, ROTATED, "audit.key", {"new_key": key_fingerprint(key),
                                                          "previous_key": key_fingerprint(store.key)})
    except BaseException:
        staging.unlink(missing_ok=True)
        raise
    staging.replace(path)
    store.key, store.keys = key, ring
    return seq
