"""API token look-ups remembered for a few seconds per process, so a busy integration costs no read per call.

A revoked token, or one whose user was disabled, is refused by every worker at most TTL_SECONDS after the change
(each process looks the token up again once its entry is that old); an expired token is refused at its expiry
exactly (the expiry is kept with the entry). Unknown tokens are never remembered, so a new token works at once.
"""
import threading
import time

from ._accounts import Accounts, Principal, _token_hash
from ._store import _now

TTL_SECONDS = 5.0
# Entries are only ever valid tokens, so this is far above any real count; it bounds memory all the same.
MAX_ENTRIES = 10_000


class TokenCache:
    """clock: injectable seconds (looked up per call, so freezegun moves it)."""

    def __init__(self, store, ttl: float = TTL_SECONDS, clock=None):
        self.store, self.ttl, self._clock = store, ttl, clock
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[float, str, Principal]] = {}  # token hash -> (looked up at, expiry, principal)

    def clock(self) -> float:
        return (self._clock or time.monotonic)()

    def principal(self, secret: str) -> Principal | None:
        digest, now = _token_hash(secret), self.clock()
        with self._lock:
            entry = self._entries.get(digest)
        if entry is not None and now - entry[0] < self.ttl:
            if entry[1] > _now():
                return entry[2]
        found = Accounts(self.store).token_lookup(secret)
        with self._lock:
            if found is None:
                self._entries.pop(digest, None)
                return None
            if len(self._entries) >= MAX_ENTRIES:
                self._entries.clear()
            self._entries[digest] = (now, found[1], found[0])
        return found[0]

