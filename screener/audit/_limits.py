"""Rate limits and sign-in lockouts kept in the database, so every worker and every restart sees the same counts."""
import hashlib
import math
import time

from sqlalchemy import case, delete, select, text, update
from sqlalchemy.dialects import postgresql, sqlite

from ._errors import store_boundary
from ._models import RateLimit

# A counter or a failure streak untouched for a day is forgotten.
FORGET_AFTER = 86_400


def _key(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


@store_boundary
class Limits:
    """Fixed-window counters and growing lockouts; clock is injectable so tests need no sleeping."""

    def __init__(self, store, clock=None):
        self.store, self._clock = store, clock

    def clock(self) -> float:
        return (self._clock or time.time)()  # looked up per call, so freezegun moves it

    def _row(self, key: str):
        # A read that takes no write lock: a refused caller costs no write and no fsync.
        with self.store.reader.connect() as connection:
            return connection.execute(select(RateLimit.window_start, RateLimit.hits, RateLimit.locked_until)
                                      .where(RateLimit.key == key)).first()

    def _upsert(self, key: str, start: float, hits_when_existing, locked_until=0.0):
        dialect = self.store.counters.dialect.name
        insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(RateLimit)
        stmt = insert.values(key=key, window_start=start, hits=1, locked_until=locked_until)
        return stmt.on_conflict_do_update(
            index_elements=[RateLimit.key], set_={"hits": hits_when_existing, "window_start": start}
        ).returning(RateLimit.hits)

    def _begin(self):
        connection = self.store.counters.connect()
        transaction = connection.begin()
        if self.store.counters.dialect.name == "postgresql":
            # Counters are not worth a synchronous commit (SQLite's counter engine skips the fsync likewise).
            connection.execute(text("SET LOCAL synchronous_commit TO OFF"))
        return connection, transaction

    def take(self, what: str, limit: int, window: int, prune: bool = False) -> float:
        """Count one use of `what` in the current window: 0 when allowed, else the seconds until it is again."""
        now = self.clock()
        start = math.floor(now / window) * window
        key = _key("rate", what, str(window))
        row = self._row(key)
        if row is not None and row.window_start == start and row.hits >= limit:
            return start + window - now
        connection, transaction = self._begin()
        with connection, transaction:
            hits = connection.execute(
                self._upsert(key, start, case((RateLimit.window_start == start, RateLimit.hits + 1), else_=1))
            ).scalar_one()
            if prune and hits == 1:  # at most once per window of this counter
                connection.execute(
                    delete(RateLimit).where(RateLimit.window_start < now - FORGET_AFTER, RateLimit.locked_until < now)
                )
        return start + window - now if hits > limit else 0.0

    def locked_for(self, username: str, client: str) -> float:
        """Seconds this username stays locked for this client (0 when it is not)."""
        row = self._row(_key("lock", username, client))
        return max(0.0, row.locked_until - self.clock()) if row is not None else 0.0

    def failed(self, username: str, client: str, allowed: int, first_delay: float, max_delay: float) -> float:
        """Count a failed sign-in; from the allowed-th in a row, lock for a delay that doubles each time."""
        now = self.clock()
        key = _key("lock", username, client)
        connection, transaction = self._begin()
        with connection, transaction:
            failures = connection.execute(
                self._upsert(key, now, case((RateLimit.window_start < now - FORGET_AFTER, 1), else_=RateLimit.hits + 1))
            ).scalar_one()
            delay = 0.0 if failures < allowed else min(max_delay, first_delay * 2 ** min(failures - allowed, 40))
            connection.execute(update(RateLimit).where(RateLimit.key == key).values(locked_until=now + delay))
        return delay

    def succeeded(self, username: str, client: str) -> None:
        connection, transaction = self._begin()
        with connection, transaction:
            connection.execute(delete(RateLimit).where(RateLimit.key == _key("lock", username, client)))
