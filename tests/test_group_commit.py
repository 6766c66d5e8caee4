"""Group commit (audit/_group_commit.py) on SQLite and PostgreSQL: batches keep the chain's order and validity, and
a writer killed in the middle of a batch loses no acknowledged screening."""
import json
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import date

import pytest
from sqlalchemy import select, text

from screener.audit import AuditEvent, Screening
from screener.audit._group_commit import GroupCommit, prepare
from screener.screening import parse_record, screen

from .helpers import PATIENTS, REPO

AS_OF = date(2026, 11, 22)


def _screened():
    record = parse_record((PATIENTS / "eligible.json").read_text())
    return record, screen(record, "NCT06674265", AS_OF, "reference")


def test_screenings_waiting_together_share_one_transaction_in_the_order_they_came(store):
    record, report = _screened()
    committer = GroupCommit(store)
    with committer._lock:  # every submission is waiting when the writer starts
        submissions = [prepare(record, [report], actor=f"client-{i}", channel="api") for i in range(20)]
        for submission in submissions:
            committer._queue.put(submission)
    committer.submit(None)
    for submission in submissions:
        submission.future.result(30)
    assert committer.batches == 1 and committer.committed == 20
    with store.sessions() as session:
        subjects = session.scalars(select(AuditEvent.subject).order_by(AuditEvent.seq)).all()
    assert subjects == [s.ids[0] for s in submissions]
    result = store.verify()
    assert result.ok and result.events == 20 and result.screenings == 20


def test_many_threads_recording_at_once_keep_the_chain_valid(store):
    record, report = _screened()
    committer = GroupCommit(store)
    ids, errors = [], []

    def client():
        try:
            for _ in range(10):
                ids.extend(committer.record(record, [report], actor="client", channel="api")[1])
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=client) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors and len(set(ids)) == 80
    result = store.verify()
    assert result.ok and result.screenings == 80


def test_a_correction_of_an_unknown_screening_is_refused_alone(store):
    record, report = _screened()
    committer = GroupCommit(store)
    good = prepare(record, [report], actor="a", channel="api")
    bad = prepare(record, [report], actor="b", channel="api", corrects="no-such-screening")
    with committer._lock:
        committer._queue.put(bad)
        committer._queue.put(good)
    committer.submit(None)
    good.future.result(30)
    assert isinstance(bad.future.exception(30), KeyError)
    assert store.screening(good.ids[0]) is not None and store.screening(bad.ids[0]) is None
    assert store.verify().ok


# --- a writer killed mid-batch -------------------------------------------------------------------------------------
_CHILD = """
import sys, threading, time
from screener.audit import open_store
from screener.audit._group_commit import GroupCommit
from tests.test_group_commit import _screened

store = open_store(sys.argv[1], sys.argv[2])
record, report = _screened()
print_lock = threading.Lock()
batches = []

def say(line):
    with print_lock:
        sys.stdout.write(line + "\\n")
        sys.stdout.flush()

def before_commit(batch):
    batches.append(batch)
    if len(batches) == 6:  # inside the open transaction of the sixth batch: its rows are written, not committed
        say("IN-BATCH " + " ".join(i for s in batch for i in s.ids))
        time.sleep(120)

committer = GroupCommit(store, before_commit=before_commit)

def client():
    while True:
        _, ids, _ = committer.record(record, [report], actor="client", channel="api")
        say("ACK " + ids[0])

for _ in range(6):
    threading.Thread(target=client, daemon=True).start()
time.sleep(120)
"""


def test_a_writer_killed_mid_batch_loses_no_acknowledged_screening(store, database_url, tmp_path):
    child = subprocess.Popen([sys.executable, "-c", _CHILD, database_url, str(tmp_path)], cwd=REPO,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                             env={**os.environ, "PYTHONPATH": str(REPO)})
    lines, reached = [], threading.Event()

    def read():
        for line in child.stdout:
            lines.append(line.split())
            if line.startswith("IN-BATCH"):
                reached.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        reached.wait(90)
        time.sleep(1)  # any answer given while the batch is open would be read in this second
    finally:
        child.send_signal(signal.SIGKILL)  # no clean-up, no rollback by the process: the database's own recovery
        child.wait(30)
        reader.join(30)
    acknowledged = [words[1] for words in lines if words[0] == "ACK"]
    in_flight = next((words[1:] for words in lines if words[0] == "IN-BATCH"), [])
    assert acknowledged and in_flight, "the writer never reached its sixth batch"
    with store.sessions() as session:
        stored = set(session.scalars(select(Screening.id)))
    assert set(acknowledged) <= stored  # every screening a client was told about is there
    assert not set(in_flight) & stored  # the batch that was open when the process died was rolled back
    assert not set(in_flight) & set(acknowledged)
    result = store.verify()
    assert result.ok and result.screenings == len(stored)
    # The chain goes on after the crash.
    record, report = _screened()
    GroupCommit(store).record(record, [report], actor="after", channel="api")
    assert store.verify().ok


def test_the_next_screening_number_is_read_from_an_index_not_a_sort_of_every_number(store):
    """Migration 0014: next_numbers runs under the chain's lock for every screening sent without a number; ordered
    by length then number, it sorted every stored number until an index served that order (issue 29)."""
    from screener.audit._group_commit import next_numbers

    record, report = _screened()
    committer = GroupCommit(store)
    for _ in range(3):
        committer.record(record, [report], actor="api:sam", channel="api", assign_number=True)
    with store.engine.connect() as connection:
        assert next_numbers(connection, 2) == ["SCR-0004", "SCR-0005"]
        query = ("SELECT screening_number FROM screenings WHERE screening_number IS NOT NULL "
                 "ORDER BY length(screening_number) DESC, screening_number DESC LIMIT 1")
        if connection.dialect.name == "sqlite":
            plan = " ".join(str(row[-1]) for row in connection.execute(text("EXPLAIN QUERY PLAN " + query)))
            assert "ix_screenings_number_order" in plan and "TEMP B-TREE" not in plan, plan
        else:
            connection.execute(text("SET enable_seqscan = off"))  # a table this small is otherwise scanned
            plan = " ".join(connection.execute(text("EXPLAIN " + query)).scalars())
            assert "ix_screenings_number_order" in plan and "Sort" not in plan, plan


def test_content_bytes_are_canonical_json_for_every_character():
    """The content hash is over canonical(content) in UTF-8; canonical_bytes writes it with pydantic's serialiser.
    Each serialiser escapes a character on its own, so every code point is checked (in runs of 256), with the quote,
    backslash and control characters among them; a lone surrogate fails as canonical(...).encode() does."""
    from screener.audit._chain import canonical, canonical_bytes

    for start in range(0, 0x110000, 256):
        text_ = "".join(chr(c) for c in range(start, start + 256) if not 0xD800 <= c <= 0xDFFF)
        content = {"report_json": text_, "id": "x", "corrects_id": None, "a\"b": text_[::-1]}
        assert canonical_bytes(content) == canonical(content).encode(), hex(start)
    from screener.model.verdict import Verdict

    for content in ({"x": 1, "y": "z"}, {}, {"n": None}, {"f": 1e16}, {"verdict": next(iter(Verdict)), "b": "\\"}):
        assert canonical_bytes(content) == canonical(content).encode()
    with pytest.raises(UnicodeEncodeError):
        canonical_bytes({"a": "\ud800"})


def test_a_number_assigned_under_the_lock_is_covered_by_the_content_hash(store):
    """The content is hashed before the lock up to the recording time, then the rest around the number the writer
    assigns: the stored rows verify, and a number changed afterwards would not (tampering is caught)."""
    from screener.audit._chain import screening_content_hash

    record, report = _screened()
    committer = GroupCommit(store)
    first = committer.record(record, [report, report], actor="api:sam", channel="api", assign_number=True)
    numbered = committer.record(record.model_copy(update={"screening_number": "SCR-0100"}), [report], actor="api:sam",
                                channel="api", assign_number=True)
    after = committer.record(record, [report], actor="api:sam", channel="api", assign_number=True)
    assert (first.screening_number, numbered.screening_number, after.screening_number) == (
        "SCR-0001", "SCR-0100", "SCR-0101")
    assert store.verify().ok
    with store.sessions() as session:
        rows = session.scalars(select(Screening).where(Screening.id.in_(first.ids))).all()
        assert [r.screening_number for r in rows] == ["SCR-0001", "SCR-0001"]
        events = {e.subject: e for e in session.scalars(select(AuditEvent))}
        for row in rows:
            assert screening_content_hash(row) == row.content_hash == json.loads(
                events[row.id].details_json)["content_hash"]
            row.screening_number = "SCR-0002"
            assert screening_content_hash(row) != row.content_hash
        session.rollback()


def test_approvals_seen_are_read_again_once_another_writer_appended(store, monkeypatch):
    """The web app's approval standings read the trail's approvals once and keep them while its group commit finds
    only its own events on the chain; an approval recorded elsewhere (another process, or this one outside the
    group commit) is read by the first screening committed after it."""
    from screener.audit import _approvals
    from screener.audit._approvals import ApprovalsSeen, add_approval

    reads = []
    read = _approvals.approvals
    monkeypatch.setattr(_approvals, "approvals", lambda *a: reads.append(a) or read(*a))
    record, report = _screened()
    committer = GroupCommit(store)
    seen = ApprovalsSeen(store, committer)
    committer.record(record, [report], actor="api:sam", channel="api")
    assert seen(report.trial_id) == [] and len(reads) == 1
    for _ in range(3):
        committer.record(record, [report], actor="api:sam", channel="api")
        assert seen(report.trial_id) == [] and len(reads) == 1  # only this writer's events since: not read again
    approval = add_approval(store, trial_id=report.trial_id, kind="approved", version=report.rule_set_version,
                            digest=report.rule_set_digest, approved_from="2026-01-01", reference="REC 1", actor="admin")
    committer.record(record, [report], actor="api:sam", channel="api")
    assert [row.id for row in seen(report.trial_id)] == [approval.id] and len(reads) == 2
    committer.record(record, [report], actor="api:sam", channel="api")
    assert len(seen(report.trial_id)) == 1 and len(reads) == 2
    assert store.verify().ok


def test_a_failed_batch_leaves_the_approvals_seen_to_be_read_again(store):
    """Whatever a failed batch left, the writer no longer knows the chain's head as its own."""
    from screener.audit import StoreError
    from screener.audit._approvals import ApprovalsSeen

    record, report = _screened()

    def fail(batch):
        raise RuntimeError("the disk is gone")

    committer = GroupCommit(store)
    seen = ApprovalsSeen(store, committer)
    committer.record(record, [report], actor="api:sam", channel="api")
    seen(report.trial_id)
    generation = committer.generation
    committer._before_commit = fail
    with pytest.raises(StoreError):
        committer.record(record, [report], actor="api:sam", channel="api")
    committer._before_commit = None
    committer.record(record, [report], actor="api:sam", channel="api")
    assert committer.generation == generation + 1


def test_the_highest_number_is_read_again_only_after_another_writer_appended(store):
    """The writer keeps the highest screening number it stored with the chain's head it left; a screening recorded
    by another writer in between (here the store's own, one transaction per screening) is found by its head."""
    from sqlalchemy import event

    from screener.audit._group_commit import _HIGHEST_NUMBER

    reads = []

    @event.listens_for(store.engine, "before_execute")
    def count(_connection, statement, *_args):
        if statement is _HIGHEST_NUMBER:
            reads.append(statement)

    record, report = _screened()
    committer = GroupCommit(store)
    numbers = [committer.record(record, [report], actor="api:sam", channel="api", assign_number=True).screening_number]
    numbers.append(store.record(record, [report], actor="cli", channel="cli", assign_number=True).screening_number)
    for _ in range(3):
        numbers.append(committer.record(record, [report], actor="api:sam", channel="api",
                                        assign_number=True).screening_number)
    given = record.model_copy(update={"screening_number": "SCR-0500"})
    numbers.append(committer.record(given, [report], actor="api:sam", channel="api").screening_number)
    numbers.append(committer.record(record, [report], actor="api:sam", channel="api",
                                    assign_number=True).screening_number)
    assert numbers == ["SCR-0001", "SCR-0002", "SCR-0003", "SCR-0004", "SCR-0005", "SCR-0500", "SCR-0501"]
    assert len(reads) == 3  # the first batch; the store's own (no cache); the first batch after it
    assert store.verify().ok
