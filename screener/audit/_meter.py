"""Per-token API rate limits counted in memory and flushed into the shared counters by the group commit.

The shared counter (table rate_limits, the same row `Limits.take` uses) is what every worker process sees. Writing
it on every call cost a write lock per request; here each process counts its own calls and adds them to the
shared row in the group commit's transaction, or on their own (unsynced) at least every FLUSH_SECONDS. A process
admits a call when the shared count it last saw plus its own unflushed calls is under the limit. It learns the
shared count at each of its flushes and, when that is older than REFRESH_SECONDS, by a read that takes no lock.

Correct enough: a process never exceeds the limit on its own; what it cannot see are the other processes' calls
since their last flush and since its own last look, at most FLUSH_SECONDS + REFRESH_SECONDS (0.35 s) of their
traffic. So in one minute's window a token gets at most the limit plus what the other workers admitted in the last
0.35 s before it was reached. Counts not yet flushed when a process dies are lost (under-counted, never refused
wrongly).
"""
import math
import threading
import time
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import Float, Integer, bindparam, case, select, text
from sqlalchemy.dialects import postgresql, sqlite

from ._limits import _key
from ._models import RateLimit

FLUSH_SECONDS = 0.1
REFRESH_SECONDS = 0.25


@dataclass
class _Seen:
    start: float  # the window it belongs to
    shared: int  # the shared count as last read or written
    at: float  # when it was seen (this meter's clock)


class TokenMeter:
    """One process's view of the per-token counters. clock is injectable (looked up per call, so freezegun moves it)."""

    flush_seconds = FLUSH_SECONDS

    def __init__(self, store, clock=None):
        self.store, self._clock = store, clock
        self._lock = threading.Lock()
        self._seen: dict[str, _Seen] = {}
        # key -> (window start, calls not yet flushed, time of the last one)
        self._pending: dict[str, tuple[float, int, float]] = {}

    def clock(self) -> float:
        return (self._clock or time.time)()

    def pending(self) -> bool:
        with self._lock:
            return bool(self._pending)

    def take(self, what: str, limit: int, window: int) -> float:
        """Count one call of `what`: 0 when allowed, else the seconds until it is again."""
        now = self.clock()
        start = math.floor(now / window) * window
        key = _key("rate", what, str(window))
        with self._lock:
            seen = self._seen.get(key)
        if seen is None or seen.start != start or now - seen.at > REFRESH_SECONDS:
            seen = self._look(key, start, now)
        with self._lock:
            pending_start, calls, _ = self._pending.get(key, (start, 0, now))
            calls = calls if pending_start == start else 0
            if seen.shared + calls >= limit:
                return start + window - now
            self._pending[key] = (start, calls + 1, now)
        return 0.0

    def _look(self, key: str, start: float, now: float) -> _Seen:
        with self.store.reader.connect() as connection:  # a read that takes no write lock
            row = connection.execute(select(RateLimit.window_start, RateLimit.hits).where(RateLimit.key == key)).first()
        seen = _Seen(start, row.hits if row is not None and row.window_start == start else 0, now)
        with self._lock:
            self._seen[key] = seen
        return seen

    def unsynced(self, connection) -> None:
        """A transaction that only flushes counters need not wait for the disk (SQLite's counter engine skips the
        sync likewise): losing a second of counts in a power cut only under-counts."""
        if connection.dialect.name == "postgresql":
            connection.execute(text("SET LOCAL synchronous_commit TO OFF"))

    def flush(self, connection) -> None:
        """Add this process's unflushed calls to the shared counters, in the caller's transaction."""
        with self._lock:
            pending, self._pending = self._pending, {}
        statement = _flush_statement(connection.dialect.name)
        # No clock is read here: the writer thread runs on its own time (and freezegun leaves threads on real time).
        for key, (start, calls, last) in pending.items():
            hits = connection.execute(statement, {"key": key, "start": start, "calls": calls}).scalar_one_or_none()
            if hits is not None:
                with self._lock:
                    self._seen[key] = _Seen(start, hits, last)


@lru_cache(maxsize=2)
def _flush_statement(dialect: str):
    """The counter's upsert, built once with bound values: building it anew in every batch (and SQLAlchemy's cache
    key for it) was half the group-commit writer's CPU under load (py-spy)."""
    start, calls = bindparam("start", type_=Float), bindparam("calls", type_=Integer)
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(RateLimit)
    return (
        insert.values(key=bindparam("key"), window_start=start, hits=calls, locked_until=0.0)
        .on_conflict_do_update(
            index_elements=[RateLimit.key],
            set_={
                "hits": case((RateLimit.window_start == start, RateLimit.hits + calls), else_=calls),
                "window_start": start,
            },
            where=RateLimit.window_start <= start,  # never move a counter back to an older window
        )
        .returning(RateLimit.hits)
    )
