"""Group commit: every screening waiting at one moment is appended to the chain in one transaction and one sync.

Why: a synced commit costs the same for one screening as for fifty, and the chain's head is one lock, so
recording each screening in its own transaction caps the service at one sync per screening. Here each process has
one writer thread. A request thread prepares its rows (their JSON and hashing, the CPU-heavy part) and puts them
on the writer's queue, then waits on a future. The writer takes everything queued at that moment, appends it in queue
order under the chain's lock (SQLite's write lock, PostgreSQL's advisory lock, which also serialise the batches of
other processes), commits, and only then resolves the futures: no request is answered before its screening is
durable. If the process dies mid-batch the transaction is rolled back by the database, and none of that batch's
requests has been answered: an acknowledged screening is never lost, an unacknowledged one may be (the client
saw no answer and retries).
"""
import fcntl
import hashlib
import os
import queue
import threading
import time
import uuid
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import NamedTuple

from sqlalchemy import bindparam, func, insert, select
from sqlalchemy.exc import SQLAlchemyError

from ..model.children import SCREENING_NUMBER
from ..model.errors import ScreenerError
from ._chain import GENESIS, canonical, event_hash, screening_content
from ._errors import store_boundary
from ._models import AuditEvent, Screening
from ._store import CHAIN_HEAD, _now, engine_version

# A batch is everything queued when the writer looks, up to this many submits (bounds one transaction's size).
MAX_BATCH = 256
# A request waits this long for its batch; past it the request fails (503) rather than hold its thread forever.
WAIT_SECONDS = 30.0
# An idle writer thread ends after this long and is started again by the next submit (tests build many apps).
IDLE_SECONDS = 5.0


class RecordingFailed(SQLAlchemyError, ScreenerError):
    """The batch holding a screening was not committed (or not within WAIT_SECONDS): nothing is acknowledged."""


# Stand for the recording time and an assigned screening number in a screening's content while it is prepared (a
# control character cannot occur in a stored field: free text refuses them, so each one's JSON form is found exactly
# once). Both are fixed under the chain's lock; everything else is hashed before it.
_LATER = "\x00recorded_at\x00"
_NUMBER_LATER = "\x00screening_number\x00"
_FILLED_LATER = {"recorded_at": canonical(_LATER).encode(), "screening_number": canonical(_NUMBER_LATER).encode()}


@dataclass
class Submission:
    """One submit's screenings, prepared outside the chain's lock; resolved to (request id, screening ids)."""

    request_id: str
    actor: str
    channel: str
    corrects: str | None
    rows: list[dict]
    future: Future = field(default_factory=Future)
    # Per row: the content hash fed up to the recording time, and the content's bytes after it, split where an
    # assigned number goes (_content_hash_parts). Writing the ~50 KB of canonical JSON outside the lock keeps the lock
    # (which other processes wait for) short.
    hashing: list[tuple] = field(default_factory=list)
    correction_reason: str | None = None
    # No number given: the next free one is assigned under the chain's lock (two submits never share one).
    assign_number: bool = False

    @property
    def ids(self) -> list[str]:
        return [row["id"] for row in self.rows]

    @property
    def screening_number(self) -> str | None:
        return self.rows[0].get("screening_number") if self.rows else None

    def recorded(self) -> "Recorded":
        return Recorded(self.request_id, self.ids, self.screening_number)


class Recorded(NamedTuple):
    """What one submit stored: the request, each screening's id, the child's screening number."""

    request_id: str
    ids: list[str]
    screening_number: str | None


# The writer's statements, built once: building them in every batch was about as much CPU as running them (a
# select with its ordering ~120 µs of next_numbers' ~160 µs, thread CPU, load ~4).
_HIGHEST_NUMBER = (
    select(Screening.screening_number).where(Screening.screening_number.is_not(None))
    .order_by(func.length(Screening.screening_number).desc(), Screening.screening_number.desc()).limit(1)
)
_SCREENING_BY_ID = select(Screening.id).where(Screening.id == bindparam("id"))
_NUMBER_BY_ID = select(Screening.screening_number).where(Screening.id == bindparam("id"))
_INSERT_SCREENINGS, _INSERT_EVENTS = insert(Screening), insert(AuditEvent)


def next_numbers(connection, count: int) -> list[str]:
    """The next `count` free screening numbers (SCR-0001 on): one past the highest stored, which the caller reads
    under the chain's lock. Ordered by length first, so SCR-10000 follows SCR-9999."""
    return _numbers_after(connection.execute(_HIGHEST_NUMBER).scalar(), count)


def _numbers_after(highest: str | None, count: int) -> list[str]:
    start = int(highest[4:]) + 1 if highest else 1
    return [f"SCR-{n:04d}" for n in range(start, start + count)]


def _highest(numbers: list[str]) -> str | None:
    """The highest of screening numbers in _HIGHEST_NUMBER's order, when every one has the form a number is given
    in (SCR- and 4 or 5 digits, where that order is the same in Python and in any collation); None otherwise."""
    if not all(SCREENING_NUMBER.fullmatch(number) for number in numbers):
        return None
    return max(numbers, key=lambda number: (len(number), number), default=None)


def _content_hash_parts(row: dict) -> tuple:
    """The row's content hash fed up to its first field fixed under the lock, then (field, the content's bytes after
    it) for each such field in the order the canonical JSON holds them: the recording time, and the screening number
    when one is assigned there (the row's screening_number is then _NUMBER_LATER)."""
    content = screening_content(SimpleNamespace(**row, recorded_at=_LATER))
    later = sorted((content.find(placeholder), name, placeholder) for name, placeholder in _FILLED_LATER.items()
                   if name == "recorded_at" or row["screening_number"] == _NUMBER_LATER)
    if any(at < 0 or content.rfind(placeholder) != at for at, _, placeholder in later):  # once, and only once
        raise ValueError("a stored field holds a control character")
    ends = [at for at, _, _ in later[1:]] + [len(content)]
    tails = tuple((name, content[at + len(placeholder):end])
                  for (at, name, placeholder), end in zip(later, ends, strict=True))
    return hashlib.sha256(content[:later[0][0]]), tails


def _content_hash(parts: tuple, row: dict) -> str:
    digest = parts[0].copy()
    for name, tail in parts[1]:
        digest.update(canonical(row[name]).encode())
        digest.update(tail)
    return digest.hexdigest()


def prepare(record, reports, *, actor: str, channel: str, corrects: str | None = None,
            report_texts: list[str] | None = None, correction_reason: str | None = None,
            assign_number: bool = False) -> Submission:
    """The rows of one submit (every stored field but the time and the content hash, fixed in the transaction).

    report_texts: the reports' model_dump_json(), when the caller answers with them too (one serialisation).
    Stored as pydantic writes it (its core, in Rust), not as a sorted-key stdlib dump of model_dump's dict: that
    was ~350 µs of a ~40 KB report against ~85 µs, profiled. Either form reads back with report_of/record_of, and
    the content hash covers the stored text whatever its key order (rows stored before keep theirs)."""
    request_id = uuid.uuid4().hex
    record_json = record.model_dump_json()
    texts = report_texts if report_texts is not None else [report.model_dump_json() for report in reports]
    assign = assign_number and record.screening_number is None
    number = _NUMBER_LATER if assign else record.screening_number
    rows = [{"id": uuid.uuid4().hex, "request_id": request_id, "actor": actor, "channel": channel,
             "trial_id": report.trial_id, "rule_set_version": report.rule_set_version,
             "rule_set_digest": report.rule_set_digest, "engine": engine_version(report.engine),
             "as_of": report.as_of.isoformat(), "verdict": report.verdict, "record_json": record_json,
             "report_json": text, "corrects_id": corrects, "screening_number": number}
            for report, text in zip(reports, texts, strict=True)]
    return Submission(request_id, actor, channel, corrects, rows, hashing=[_content_hash_parts(row) for row in rows],
                      correction_reason=correction_reason, assign_number=assign)


@dataclass
class Heads:
    """The chain's head hash as append found it (under the lock) and as it left it. And the highest screening number
    stored when the head was `numbered`, which the caller keeps between batches: read again (under the lock) only
    when the head found is another (another writer appended, which may have stored numbers), or it is not known."""

    before: str | None = None
    after: str | None = None
    numbered: str | None = None
    highest: str | None = None


def append(connection, key: bytes, submissions: list[Submission], now, heads: Heads | None = None) -> list[Submission]:
    """Append the submissions' screenings and their events to the chain, in order, in the caller's transaction
    (which must hold the chain's lock). Returns the submissions refused: a correction of an unknown screening.
    heads: filled with the head hash before and after."""
    head = connection.execute(CHAIN_HEAD).first()
    seq, previous = (head.seq, head.hash) if head else (0, GENESIS)
    known = heads is not None and heads.numbered == previous
    highest = heads.highest if heads is not None and known else None
    if heads is not None:
        heads.before = previous
    screenings, events, refused = [], [], []
    batch_ids = set()
    wanted = sum(1 for submission in submissions if submission.assign_number and submission.rows)
    if wanted and not known:
        highest, known = connection.execute(_HIGHEST_NUMBER).scalar(), True
    numbers = iter(_numbers_after(highest, wanted) if wanted else [])
    for submission in submissions:
        if submission.corrects is not None and submission.corrects not in batch_ids and connection.execute(
                _SCREENING_BY_ID, {"id": submission.corrects}).first() is None:
            refused.append(submission)
            continue
        if submission.assign_number and submission.rows:
            # A correction without a number of its own is of the same child as the screening it corrects.
            number = connection.execute(_NUMBER_BY_ID, {"id": submission.corrects}).scalar(
            ) if submission.corrects else None
            number = number or next(numbers)
            for row in submission.rows:
                row["screening_number"] = number
        for row, parts in zip(submission.rows, submission.hashing, strict=True):
            row["recorded_at"] = now()
            row["content_hash"] = _content_hash(parts, row)
            facts = {"trial_id": row["trial_id"], "verdict": row["verdict"], "channel": submission.channel,
                     "content_hash": row["content_hash"], "corrects": submission.corrects}
            if submission.corrects is not None:  # who (the actor), when (the event's time) and why
                facts["correction_reason"] = submission.correction_reason
            details = canonical(facts)
            seq += 1
            digest = event_hash(key, previous, seq, row["recorded_at"], submission.actor, "screening.recorded",
                                row["id"], details)
            events.append({"seq": seq, "recorded_at": row["recorded_at"], "actor": submission.actor,
                           "action": "screening.recorded", "subject": row["id"], "details_json": details,
                           "prev_hash": previous, "hash": digest})
            screenings.append(row)
            batch_ids.add(row["id"])
            previous = digest
    if screenings:
        # Rows without a number leave the column out (NULL): one insert per set of columns.
        numbered = [row for row in screenings if row["screening_number"] is not None]
        unnumbered = [{k: v for k, v in row.items() if k != "screening_number"}
                      for row in screenings if row["screening_number"] is None]
        for rows in (numbered, unnumbered):
            if rows:
                connection.execute(_INSERT_SCREENINGS, rows)
        connection.execute(_INSERT_EVENTS, events)
    if heads is not None:
        heads.after = previous
        stored = [row["screening_number"] for row in screenings if row["screening_number"] is not None]
        highest = _highest([*stored, *([highest] if highest else [])]) if known else None
        # Kept only when known and of the usual form (else read again next time).
        heads.numbered = previous if highest is not None else None
        heads.highest = highest
    return refused


@store_boundary  # a failed commit (RecordingFailed or the database's own error) leaves as StoreError
class GroupCommit:
    """A process's writer thread and its queue. meter: counters flushed in the same transactions (optional)."""

    def __init__(self, store, meter=None, before_commit=None):
        self.store, self.meter = store, meter
        self._before_commit = before_commit  # tests: a hook inside the open transaction, to kill the process there
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid = os.getpid()
        self._lock_fd: int | None = None
        self.batches = self.committed = 0  # counts for the benchmark
        # Counts the batches that found an event this writer did not append (another process's, or this process's
        # outside the group commit: an approval, a void) since its own last batch: what this process has read of the
        # trail (ApprovalsSeen) is kept while it stays the same. Raised before the batch's futures are resolved.
        self.generation = 0
        self._own_head: str | None = None  # the head this writer's last committed batch left
        self._numbered: tuple[str | None, str | None] = (None, None)  # Heads.numbered and .highest after it

    def record(self, record, reports, *, actor: str, channel: str, corrects: str | None = None,
               report_texts: list[str] | None = None, correction_reason: str | None = None,
               assign_number: bool = False) -> Recorded:
        """Store one submit's screenings; returns once they are committed (request id, screening ids, number)."""
        submission = prepare(record, reports, actor=actor, channel=channel, corrects=corrects,
                             report_texts=report_texts, correction_reason=correction_reason,
                             assign_number=assign_number)
        self.submit(submission)
        try:
            submission.future.result(WAIT_SECONDS)
        except FutureTimeout:
            raise RecordingFailed(f"not committed within {WAIT_SECONDS:.0f} s") from None
        return submission.recorded()

    def sync(self) -> None:
        """Return once everything queued so far, and the counters counted so far, is committed."""
        marker = Submission("", "", "", None, [])
        self.submit(marker)
        marker.future.result(WAIT_SECONDS)

    def take(self, what: str, limit: int, window: int) -> float:
        """Count one API call against a rate limit (see _meter.py); the writer flushes the count."""
        wait = self.meter.take(what, limit, window)
        self.submit(None)
        return wait

    def submit(self, submission: Submission | None) -> None:
        """Queue a submission (None: only make sure the writer runs, e.g. to flush counters)."""
        with self._lock:
            if self._pid != os.getpid():  # forked: the parent's thread (and what it held) does not exist here
                self._pid, self._thread, self._queue = os.getpid(), None, queue.SimpleQueue()
                self._lock_fd = None  # a file lock is per open file: the child takes its own
                self._own_head = None  # the parent's writes are another process's now
                self._numbered = (None, None)
            if submission is not None:
                self._queue.put(submission)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="group-commit", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        idle_since = time.monotonic()
        flush_every = self.meter.flush_seconds if self.meter else IDLE_SECONDS
        while True:
            try:
                first = self._queue.get(timeout=flush_every)
            except queue.Empty:
                if self.meter is not None and self.meter.pending():
                    self._commit([])
                    idle_since = time.monotonic()
                    continue
                with self._lock:
                    if self._queue.empty() and time.monotonic() - idle_since >= IDLE_SECONDS:
                        self._thread = None
                        return
                continue
            batch = [first]
            while len(batch) < MAX_BATCH:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            self._commit(batch)
            idle_since = time.monotonic()

    def _host_lock(self) -> int | None:
        """SQLite: a file lock beside the database that the writers of every process take before BEGIN IMMEDIATE.
        SQLite itself makes a blocked writer sleep and retry (1, 2, 5, 10 ... 100 ms), which under load made p99
        hundreds of milliseconds; the kernel hands a file lock to the next waiter as soon as it is released."""
        if not self.store.url.startswith("sqlite:///") or ":memory:" in self.store.url:
            return None
        if self._lock_fd is None:
            path = self.store.url.removeprefix("sqlite:///").split("?", 1)[0] + ".writer-lock"
            self._lock_fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        return self._lock_fd

    def _commit(self, batch: list[Submission]) -> None:
        if not batch and (self.meter is None or not self.meter.pending()):
            return
        lock = self._host_lock()
        try:
            if lock is not None:
                fcntl.flock(lock, fcntl.LOCK_EX)
            engine = self.store.engine if batch or self.meter is None else self.store.counters
            heads = Heads(numbered=self._numbered[0], highest=self._numbered[1])
            with engine.begin() as connection:
                if batch:
                    self.store.lock_chain(connection)
                    refused = append(connection, self.store.key, batch, _now, heads)
                else:
                    refused = []
                    self.meter.unsynced(connection)
                if self.meter is not None:
                    self.meter.flush(connection)
                if self._before_commit is not None and batch:
                    self._before_commit(batch)
        except BaseException as exc:  # noqa: BLE001 - whatever stopped the commit, no request may be told it succeeded
            self._own_head = None  # not known what the chain holds now: the next batch counts as after another's
            self._numbered = (None, None)
            failure = exc if isinstance(exc, SQLAlchemyError) else RecordingFailed(type(exc).__name__)
            for submission in batch:
                submission.future.set_exception(failure)
            if not isinstance(exc, Exception):
                raise
            return
        finally:
            if lock is not None:
                fcntl.flock(lock, fcntl.LOCK_UN)
        self.batches += bool(batch)
        if batch:
            if heads.before != self._own_head:
                self.generation += 1
            self._own_head = heads.after
            self._numbered = (heads.numbered, heads.highest)
        refused_ids = {id(submission) for submission in refused}
        for submission in batch:
            if id(submission) in refused_ids:
                submission.future.set_exception(KeyError(submission.corrects))
            else:
                self.committed += 1
                submission.future.set_result(None)
