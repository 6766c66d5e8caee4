"""Readiness: whether the store can commit a write now, answered within a bounded time.

A probe that only loaded the rule sets answered 200 while every screening answered 503 (a read-only database, a
full disk, PostgreSQL stopped). The probe commits one small write, the same kind the sign-in counters make (one
fixed row of rate_limits, updated in place), on a worker thread: a database that hangs cannot hold the request
longer than the timeout, and at most one probe per process waits on it. A result is reused for a second, so
unauthenticated probes cannot turn into a stream of writes.
"""
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as Timeout

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from ._limits import Limits, _key

_KEY = _key("readyz")

_PROBE = ThreadPoolExecutor(max_workers=1, thread_name_prefix="readyz")
_last: dict[int, tuple[float, str | None]] = {}
_lock = threading.Lock()


def _write(store, timeout: float) -> None:
    limits = Limits(store)
    connection, transaction = limits._begin()
    with connection, transaction:
        if store.counters.dialect.name == "postgresql":
            # Bounded in the server too, so a probe stuck on a lock does not keep its connection for ever.
            milliseconds = max(1, int(timeout * 1000))
            connection.execute(text(f"SET LOCAL statement_timeout = {milliseconds}"))
            connection.execute(text(f"SET LOCAL lock_timeout = {milliseconds}"))
        connection.execute(limits._upsert(_KEY, time.time(), 1))


def cannot_write(store, timeout: float, reuse_seconds: float = 1.0) -> str | None:
    """None when a write was committed within timeout seconds; else why not, in words without data (the error's
    type, or "timed out")."""
    now = time.monotonic()
    with _lock:
        cached = _last.get(id(store))
        if cached is not None and now - cached[0] < reuse_seconds:
            return cached[1]
    future = _PROBE.submit(_write, store, timeout)
    try:
        future.result(timeout=timeout)
        why = None
    except Timeout:
        why = f"no write committed within {timeout:g} s"
    except SQLAlchemyError as exc:
        why = f"the write failed ({type(exc).__name__})"
    except Exception as exc:  # the store's own boundary turns database errors into StoreError
        why = f"the write failed ({getattr(exc, 'kind', type(exc).__name__)})"
    with _lock:
        _last[id(store)] = (time.monotonic(), why)
    return why
