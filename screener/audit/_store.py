"""The append-only store: record screenings with their audit events in one transaction, query, verify."""
import re
from datetime import datetime, timezone
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from sqlalchemy import create_engine, event, select, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from .. import config
from ..model.record import PatientRecord
from ..model.report import Report
from ._access import check_all
from ._chain import GENESIS, RECORDED_ROWS, Verification, canonical, event_hash, verify
from ._errors import MigrationFailed, StoreTooNew, store_boundary
from ._files import private_sqlite_file
from ._models import RECORDED_MODELS, AuditEvent, Screening
from ._schema import schema_problems

_MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_ADVISORY_LOCK = 727_361  # PostgreSQL: one writer of the chain at a time
# The chain's head, read by every writer: one statement object, built once. Built anew it cost about as much CPU as
# running it, and a statement equal to the one SQLAlchemy compiled first, but another object, has its result columns
# matched to the compiled ones again on every execution.
CHAIN_HEAD = select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)


@lru_cache(maxsize=4)
def engine_version(engine: str) -> str:
    # Cached: reading package metadata parses files (about 1 ms, profiled), and versions cannot change in a process.
    return f"{engine}; screener {metadata.version('trial-screener')}; durable_rules {metadata.version('durable_rules')}"


@lru_cache(maxsize=1)
def _revisions() -> tuple[frozenset[str], frozenset[str]] | None:
    """(revisions, their parents) named by the migration files, read without importing alembic; None when a file
    names no revision (then alembic decides)."""
    revisions, parents = set(), set()
    for path in (_MIGRATIONS / "versions").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        revision = re.search(r"^revision\s*=\s*[\"'](\w+)[\"']", source, re.M)
        parent = re.search(r"^down_revision\s*=\s*[\"'](\w+)[\"']", source, re.M)
        if revision is None:
            return None
        revisions.add(revision[1])
        if parent:
            parents.add(parent[1])
    return frozenset(revisions), frozenset(parents)


def head_revision() -> str | None:
    """The latest migration's revision; None when the files do not form one line of revisions."""
    known = _revisions()
    heads = known[0] - known[1] if known else set()
    return next(iter(heads)) if len(heads) == 1 else None


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _sqlite_engine(url: str, begin: str = "BEGIN IMMEDIATE", synchronous: str | None = None) -> Engine:
    private_sqlite_file(url)
    engine = create_engine(url, connect_args={"timeout": 30})
    synchronous = synchronous or config.SCREENER_SQLITE_SYNCHRONOUS

    # pysqlite's own transaction handling defers BEGIN; the chain needs the write lock from the first read of
    # its head, so every transaction starts BEGIN IMMEDIATE (SQLAlchemy's documented recipe).
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        dbapi_connection.execute("PRAGMA foreign_keys = ON")
        # Write-ahead log: readers never wait for the writer and a commit appends instead of rewriting pages.
        # synchronous stays FULL: when the API answers, the screening and its audit event are on disk.
        dbapi_connection.execute("PRAGMA journal_mode = WAL")
        dbapi_connection.execute(f"PRAGMA synchronous = {synchronous}")

    @event.listens_for(engine, "begin")
    def _begin(connection):
        connection.exec_driver_sql(begin)

    return engine


@store_boundary
class AuditStore:
    def __init__(self, url: str, key: bytes, old_keys: tuple[bytes, ...] = ()):
        self.url = url
        self.key = key  # new events are chained under this one
        self.keys = (*old_keys, key)  # every key the chain was made with, oldest first (rotate-key adds one)
        if url.startswith("sqlite"):
            self.engine = _sqlite_engine(url)
            # Long reads (exports, amendment impact) take a snapshot without the write lock, so screenings go on.
            self.reader = _sqlite_engine(url, begin="BEGIN DEFERRED")
            # Rate-limit counters: written on every sign-in and API call, worthless after a power cut, so their
            # commits skip the fsync (WAL with synchronous NORMAL still survives a process crash).
            self.counters = _sqlite_engine(url, synchronous="NORMAL")
        else:
            self.engine = create_engine(url, pool_pre_ping=True)
            self.reader = self.engine.execution_options(isolation_level="REPEATABLE READ")
            self.counters = self.engine
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    def migrate(self) -> None:
        """Bring the schema (tables, append-only triggers) to the latest migration."""
        if self._at_head():
            return  # importing alembic alone took a third of a second of every CLI command
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(_MIGRATIONS))
        with self.engine.connect() as connection:
            config.attributes["connection"] = connection
            config.attributes["audit_key"] = self.key  # migration 0007 chains baseline events
            if self.engine.dialect.name != "sqlite":
                with connection.begin():
                    command.upgrade(config, "head")
                return
            # SQLite changes a table's definition by rebuilding it (alembic's batch mode: copy, drop, rename). With
            # foreign keys enforced, dropping `users` deletes it row by row and every api_tokens row referring to it
            # fails the upgrade. SQLite's documented procedure (sqlite.org/lang_altertable.html, "Making Other
            # Kinds Of Table Schema Changes"): foreign keys off outside the transaction, rebuild, PRAGMA
            # foreign_key_check before commit, then on again. The pragma is a no-op inside a transaction, so it is
            # sent on the driver's connection before the first BEGIN.
            driver = connection.connection.driver_connection
            if driver is None:  # a pooled connection always has its driver's; the pragma cannot be skipped
                raise MigrationFailed("no driver connection to turn foreign keys off on")
            driver.execute("PRAGMA foreign_keys = OFF")
            try:
                with connection.begin():
                    command.upgrade(config, "head")
                    if connection.exec_driver_sql("PRAGMA foreign_key_check").first() is not None:
                        raise MigrationFailed("a row refers to one the upgrade lost (PRAGMA foreign_key_check)")
            finally:
                driver.execute("PRAGMA foreign_keys = ON")

    def _at_head(self) -> bool:
        head = head_revision()
        if head is None:
            return False
        try:
            with self.engine.connect() as connection:
                current: list[str] = list(
                    connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
                )
        except SQLAlchemyError:
            return False  # no schema yet: alembic creates it
        known = _revisions()
        newer = [revision for revision in current if known and revision not in known[0]]
        if newer:
            # A later release migrated this store: this code cannot know its schema, and alembic would only say it
            # cannot locate the revision. Nothing is changed.
            raise StoreTooNew(newer[0])
        return current == [head]

    def lock_chain(self, session: Session | Connection) -> None:
        """Serialise writers of the chain (PostgreSQL's advisory lock; SQLite's BEGIN IMMEDIATE already does) from
        this point of the caller's transaction."""
        if self.engine.dialect.name == "postgresql":
            session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_LOCK})

    def _append(
        self, session: Session, actor: str, action: str, subject: str, details: dict, recorded_at: str
    ) -> AuditEvent:
        head = session.execute(CHAIN_HEAD).first()
        seq, prev_hash = (head.seq + 1, head.hash) if head else (1, GENESIS)
        details_json = canonical(details)
        entry = AuditEvent(
            seq=seq,
            recorded_at=recorded_at,
            actor=actor,
            action=action,
            subject=subject,
            details_json=details_json,
            prev_hash=prev_hash,
            hash=event_hash(self.key, prev_hash, seq, recorded_at, actor, action, subject, details_json),
        )
        session.add(entry)
        session.flush()
        return entry

    def append(self, session: Session, actor: str, action: str, subject: str, details: dict) -> AuditEvent:
        """Append an event to the chain inside the caller's transaction (with the change it records, atomically)."""
        self.lock_chain(session)
        return self._append(session, actor, action, subject, details, _now())

    def record(
        self, record: PatientRecord, reports: list[Report], *, actor: str, channel: str, corrects: str | None = None,
        correction_reason: str | None = None, assign_number: bool = False, report_texts: list[str] | None = None,
    ):
        """Store one submit's screenings and their audit events atomically; returns a _group_commit.Recorded
        (request id, screening ids, screening number). assign_number: give a record without a screening number the
        next free one. (The web app batches many submits into one transaction instead: GroupCommit.)"""
        from ._group_commit import append, prepare

        submission = prepare(record, reports, actor=actor, channel=channel, corrects=corrects,
                             correction_reason=correction_reason, assign_number=assign_number,
                             report_texts=report_texts)
        with self.engine.begin() as connection:
            self.lock_chain(connection)
            if append(connection, self.key, [submission], _now):
                raise KeyError(corrects)
        return submission.recorded()

    def note(self, actor: str, action: str, subject: str, details: dict) -> int:
        """Append a non-screening event (an export, a verification, an amendment-impact run)."""
        with self.sessions.begin() as session:
            self.lock_chain(session)
            return self._append(session, actor, action, subject, details, _now()).seq

    def snapshot(self) -> Session:
        """A read session on one consistent snapshot that holds no write lock: for reads that take long (exports,
        amendment impact). The caller closes it."""
        return Session(self.reader, expire_on_commit=False)

    def stream_screenings(self, session: Session, trial_id: str | None = None):
        """Stored screenings of a snapshot, fetched in batches (rows with the columns as attributes)."""
        query = select(Screening.__table__).order_by(Screening.recorded_at, Screening.id)
        if trial_id:
            query = query.where(Screening.trial_id == trial_id)
        return session.execute(query.execution_options(yield_per=200))

    def screenings(
        self, trial_id=None, verdict=None, date_from=None, date_to=None, limit=200, offset=0, actor=None
    ) -> list[Screening]:
        """The newest screenings that match, newest first; with actor, only that person's (filtered in the query,
        so a screener's own history is not cut off by the limit when others screen more)."""
        query = select(Screening).order_by(Screening.recorded_at.desc(), Screening.id)
        if actor is not None:
            query = query.where(Screening.actor == actor)
        if trial_id:
            query = query.where(Screening.trial_id == trial_id)
        if verdict:
            query = query.where(Screening.verdict == verdict)
        if date_from:
            query = query.where(Screening.recorded_at >= date_from.isoformat())
        if date_to:
            query = query.where(Screening.recorded_at < (date_to.isoformat() + "T99"))  # whole last day
        with self.sessions() as session:
            return list(session.scalars(query.limit(limit).offset(offset)))

    def request(self, request_id: str) -> list[Screening]:
        """The screenings one submit made (indexed lookup)."""
        with self.sessions() as session:
            return list(
                session.scalars(
                    select(Screening).where(Screening.request_id == request_id).order_by(Screening.trial_id)
                )
            )

    def screening(self, screening_id: str) -> Screening | None:
        with self.sessions() as session:
            return session.get(Screening, screening_id)

    def events(self, limit: int | None = None) -> list[AuditEvent]:
        with self.sessions() as session:
            query = select(AuditEvent).order_by(AuditEvent.seq)
            return list(session.scalars(query.limit(limit) if limit else query))

    def verify(self, anchors: dict[int, str] | None = None) -> Verification:
        """The chain, then what it vouches for (access rows, triggers, schema), on one snapshot."""
        with Session(self.reader) as session, session.begin():
            return verify_session(session, self.keys, anchors)

    def access_problems(self) -> list[str]:
        """Users and api_tokens rows the chain does not account for, and missing protections (a quick check, for the
        start of the service: it trusts the events' links, which `verify` walks)."""
        with Session(self.reader) as session, session.begin():
            return schema_problems(session.connection(), head_revision()) + check_all(session)


_THIS_RELEASE = object()


def verify_session(
    session: Session, keys: tuple[bytes, ...], anchors: dict[int, str] | None = None, head=_THIS_RELEASE
) -> Verification:
    """verify() on a session's snapshot, then the access rows and the schema. head: the migration revision the
    store must be at (default: this release's; a backup names its own)."""
    events = session.scalars(select(AuditEvent).order_by(AuditEvent.seq))
    screenings = {row.id: row for row in session.scalars(select(Screening))}
    rows: dict[str, dict] = {
        table: {getattr(row, key): row for row in session.scalars(select(RECORDED_MODELS[table]))}
        for table, key, _fields in RECORDED_ROWS.values()}
    result = verify(keys, events, screenings, anchors, rows)
    head = head_revision() if head is _THIS_RELEASE else head
    return result.with_access(schema_problems(session.connection(), head) + check_all(session))


def report_of(row: Screening) -> Report:
    return Report.model_validate_json(row.report_json)


def record_of(row: Screening) -> PatientRecord:
    return PatientRecord.model_validate_json(row.record_json)
