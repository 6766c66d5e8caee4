"""The drug-name library's dictionary as an on-disk SQLite index, built once and then only read where needed.

Unpickling the library's data file and indexing its ~107,000 names costs a process about 0.9 s of CPU; a
screening looks up a few dozen names. So the dictionary is compiled once into a read-only SQLite file in the
instance folder (else the user's cache folder) and each process opens it and reads only the rows it asks for.

The file's name carries everything its content depends on: the library's version, a hash of its data file and
a hash of this module's source (the build and the punctuation-blind key live here). A library upgrade or a
change to this code therefore names a new file, which is built; nothing stale is ever opened. A file that
fails its checks on opening (not SQLite, truncated, a build that did not finish, sentinels that do not match)
is rebuilt, not trusted. Builds write a temporary file in the same folder and rename it into place, under a
lock file, so concurrent processes (gunicorn workers, Dask workers) build it once and never read a half file.
Where no folder is writable the index is built in memory: slower to start, same answers.
"""
import bz2
import fcntl
import hashlib
import importlib.util
import os
import pickle
import re
import sqlite3
import tempfile
import threading
from pathlib import Path

from .. import config

LIBRARY = "drug_named_entity_recognition"
DATA_FILE = "drug_ner_dictionary.pkl.bz2"
_SEP = "\x1f"  # between a name's canonical names in one column; no name contains it (checked when building)
_SENTINELS = 16  # names whose rows are recorded in the meta table and checked on opening


def loose(text: str) -> str | None:
    """Punctuation-blind form: "St. John's Wort", "St Johns wort" and "st johns-wort" meet here."""
    key = " ".join(re.sub(r"[^a-z0-9 ]+", " ", text.replace("'", "")).split())
    # Names of only punctuation or foreign script have an empty key, and very short keys collide: neither is used.
    return key if len(key) >= 3 and re.search(r"[a-z]", key) else None


def data_path() -> Path:
    spec = importlib.util.find_spec(LIBRARY)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"the {LIBRARY} package is not installed (pyproject.toml lists it)")
    return Path(next(iter(spec.submodule_search_locations))) / DATA_FILE


Library = tuple[dict[str, tuple[str, ...]], frozenset[str], dict[str, tuple[str, ...]], frozenset[str]]


def from_library(path: Path | None = None) -> Library:
    """The library's name -> canonical names, its canonical names, an unambiguous punctuation-blind index, and
    the names its consumer lists carry (MedlinePlus/NHS generics and brands, marked with variant data: the
    other names are DrugBank/MeSH synonyms, foreign spellings and fragments, fit to recognise but not to offer).

    Read from the package's data file without importing its module: importing it would read a pickle from the
    user's home folder and can call a web service; the data file itself ships inside the installed package.
    """
    with bz2.open(path or data_path(), "rb") as stream:
        data = pickle.load(stream)  # the package's own data file: trusted like its code
    names = {name: tuple(canonicals) for name, canonicals in data["drug_variant_to_canonical"].items()}
    canonicals = frozenset(c for found in names.values() for c in found) | frozenset(data["drug_canonical_to_data"])
    for canonical in canonicals:
        names.setdefault(canonical, (canonical,))  # some canonical names ("estradiol") are not listed as names
    loose_index: dict[str, tuple[str, ...] | None] = {}
    for name, found in names.items():
        key = loose(name)
        if key:
            loose_index[key] = found if loose_index.get(key, found) == found else None  # two drugs meet: dropped
    listed = frozenset(data["drug_variant_to_variant_data"]) & frozenset(names)
    return names, canonicals, {k: v for k, v in loose_index.items() if v}, listed


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version("drug-named-entity-recognition")
    except PackageNotFoundError:  # an unpacked copy without metadata: the data file's hash still keys the cache
        return "unknown"


def cache_key(path: Path) -> str:
    """What the index's content depends on: library version, data file, this module's code."""
    data = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    code = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:12]
    return f"{_version()}-{data}-{code}"


def _write(connection: sqlite3.Connection, key: str, source: Path) -> None:
    names, canonicals, loose_index, listed = from_library(source)
    if any(_SEP in c for found in names.values() for c in found):
        raise RuntimeError("a canonical drug name contains the index's separator")
    connection.executescript("""
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
        CREATE TABLE name (name TEXT PRIMARY KEY, canonicals TEXT NOT NULL, canonical INTEGER NOT NULL,
                           listed INTEGER NOT NULL) WITHOUT ROWID;
        CREATE TABLE loose (key TEXT PRIMARY KEY, canonicals TEXT NOT NULL) WITHOUT ROWID;
    """)
    connection.executemany("INSERT INTO name VALUES (?, ?, ?, ?)",
                           ((n, _SEP.join(c), int(n in canonicals), int(n in listed)) for n, c in names.items()))
    connection.executemany("INSERT INTO loose VALUES (?, ?)", ((k, _SEP.join(c)) for k, c in loose_index.items()))
    ordered = sorted(names)
    sentinels = [ordered[i * (len(ordered) - 1) // (_SENTINELS - 1)] for i in range(_SENTINELS)]
    meta = {"key": key, "names": str(len(names)), "loose": str(len(loose_index)),
            **{f"sentinel:{n}": _SEP.join(names[n]) for n in sentinels}}
    connection.executemany("INSERT INTO meta VALUES (?, ?)", meta.items())
    connection.commit()


def _valid(connection: sqlite3.Connection, key: str, path: Path) -> bool:
    """Cheap checks that catch a foreign, truncated or unfinished file without reading the whole index."""
    try:
        meta = dict(connection.execute("SELECT key, value FROM meta"))
        if meta.get("key") != key or "names" not in meta:
            return False
        page_size, = connection.execute("PRAGMA page_size").fetchone()
        pages, = connection.execute("PRAGMA page_count").fetchone()
        if pages * page_size != path.stat().st_size:  # truncated or padded
            return False
        for field, value in meta.items():
            if field.startswith("sentinel:"):
                row = connection.execute("SELECT canonicals FROM name WHERE name = ?", (field[9:],)).fetchone()
                if row is None or row[0] != value:
                    return False
        return True
    except (sqlite3.DatabaseError, OSError, ValueError):
        return False


def _open(path: Path) -> sqlite3.Connection:
    # immutable: the file is never changed in place (only replaced by rename), so no locking or journal is needed
    connection = sqlite3.connect(f"{path.as_uri()}?mode=ro&immutable=1", uri=True, check_same_thread=False)
    return connection


def _folders() -> list[Path]:
    try:
        cache_home = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    except (RuntimeError, KeyError):  # no home folder: the instance folder or memory
        return [config.SCREENER_INSTANCE_PATH]
    # Straight in the instance folder, whose files are all owner-only (mkstemp's 0600): workers run as its owner.
    return [config.SCREENER_INSTANCE_PATH, Path(cache_home) / "screener"]


def _build_file(folder: Path, path: Path, key: str, source: Path, force: bool = False) -> None:
    """Build the index at path under a lock: one process builds, the others wait and then use its file."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    with open(os.open(folder / "drug-names.lock", os.O_RDWR | os.O_CREAT, 0o600)) as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if path.exists() and not force:
                connection = _open(path)
                ok = _valid(connection, key, path)
                connection.close()
                if ok:
                    return  # another process built it while this one waited
            handle, temporary = tempfile.mkstemp(prefix=".drug-names-", suffix=".tmp", dir=folder)
            os.close(handle)
            try:
                connection = sqlite3.connect(temporary)
                try:
                    connection.execute("PRAGMA journal_mode = OFF")
                    _write(connection, key, source)
                finally:
                    connection.close()
                os.replace(temporary, path)
            finally:
                if os.path.exists(temporary):
                    os.unlink(temporary)
            for old in folder.glob("drug-names-*.sqlite3"):
                if old != path:  # an index of another library version or code: never opened again
                    old.unlink(missing_ok=True)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def connect(rebuild: bool = False) -> sqlite3.Connection:
    """An open, checked index: the cached file, (re)built first if missing, failing its checks, or rebuild."""
    source = data_path()
    key = cache_key(source)
    for folder in _folders():
        path = folder / f"drug-names-{key}.sqlite3"
        try:
            if path.exists() and not rebuild:
                connection = _open(path)
                if _valid(connection, key, path):
                    return connection
                connection.close()
            _build_file(folder, path, key, source, force=rebuild)
            connection = _open(path)
            if _valid(connection, key, path):
                return connection
            connection.close()
        except OSError:
            continue  # not writable here: try the next folder
    connection = sqlite3.connect(":memory:", check_same_thread=False)
    _write(connection, key, source)
    return connection


class DrugIndex:
    """Look-ups in the index. One connection per process (a forked worker opens its own), shared by its threads."""

    def __init__(self):
        self._lock = threading.Lock()
        self._pid: int | None = None
        self._connection: sqlite3.Connection | None = None

    def _query(self, sql: str, args: tuple = ()) -> list[tuple]:
        with self._lock:
            if self._pid != os.getpid() or self._connection is None:
                self._connection, self._pid = connect(), os.getpid()
            try:
                return self._connection.execute(sql, args).fetchall()
            except sqlite3.DatabaseError:
                # damage the opening checks did not reach: rebuild once; a second failure is a real fault
                self._connection.close()
                self._connection = connect(rebuild=True)
                return self._connection.execute(sql, args).fetchall()

    def canonicals(self, name: str) -> tuple[str, ...] | None:
        """The library's canonical names for a name, or None when it does not list the name."""
        rows = self._query("SELECT canonicals FROM name WHERE name = ?", (name,))
        return tuple(rows[0][0].split(_SEP)) if rows else None

    def loose(self, key: str) -> tuple[str, ...] | None:
        """The canonical names for a punctuation-blind key, when only one drug has it."""
        rows = self._query("SELECT canonicals FROM loose WHERE key = ?", (key,))
        return tuple(rows[0][0].split(_SEP)) if rows else None

    def is_canonical(self, name: str) -> bool:
        return bool(self._query("SELECT 1 FROM name WHERE name = ? AND canonical = 1", (name,)))

    def listed(self) -> list[tuple[str, tuple[str, ...]]]:
        """The names of the library's consumer lists with their canonical names (the form's suggestions)."""
        return [(n, tuple(c.split(_SEP))) for n, c in self._query("SELECT name, canonicals FROM name WHERE listed = 1")]


INDEX = DrugIndex()
