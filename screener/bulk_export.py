"""A FHIR Bulk Data `$export` folder as one Bundle per patient, joined on disk so memory does not grow with the export.

An export holds one NDJSON file per resource type (or several: Observation.1.ndjson, Observation.2.ndjson), named
in its manifest's "output" list with their "type" (any *.json holding "output"), else by the file name. One
streaming pass per file spills each line the reader can use into a temporary SQLite database, keyed by its patient
(subject or patient reference: "Patient/<id>", "urn:uuid:<id>" as Synthea writes it, or a URL ending in
Patient/<id>); then each patient's lines are joined into a Bundle that the same reader as any Bundle screens.
Memory: SQLite's page cache and one patient's Bundle at a time, whatever the export's size.

Only the types the Bundle reader reads are spilled (screener/fhir: Patient, Observation, Condition, the three
medication resources, Procedure, and Medication, which any patient's order may reference); the other files of an
export (Encounter, Claim, ...) are not opened, and the summary lists them. A line that cannot be joined (not JSON,
not its file's type, no patient reference, a patient the export does not hold) is a row of errors.csv. As it could be
any patient's (save the one naming a patient not in the export), every patient's Bundle then carries an unreadable
resource of that type in its place: the reader treats it as a malformed resource of a Bundle (a history that may
miss it is not called complete; a lab it may report is unknown), never as absent.
"""
import json
import re
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator
from urllib.parse import parse_qs, unquote, urlparse

from . import config
from .model.errors import ScreenerError

# The types the Bundle reader reads (screener/fhir/_read.py, _conditions.py, _medications.py).
PATIENT = "Patient"
PATIENT_TYPES = ("Observation", "Condition", "MedicationRequest", "MedicationStatement", "MedicationAdministration",
                 "Procedure")
OUTCOME = "OperationOutcome"  # the manifest's "error" files: what went wrong with the export
SHARED_TYPES = ("Medication",)  # not in a patient's compartment: joined to the patients whose orders reference them
_READ = (PATIENT, *PATIENT_TYPES, *SHARED_TYPES)
# Without a manifest: Observation.ndjson, Observation.2.ndjson, Observation-000.ndjson, Observation_1.ndjson.
_FILE_NAME = re.compile(r"^(?P<type>[A-Z][A-Za-z]{1,63})(?:[._-]\d{1,9})?\.ndjson$")
_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")  # FHIR id
_REFERENCE = re.compile(r"^(?:urn:uuid:(?P<uuid>[A-Za-z0-9\-.]{1,64})|(?:.*/)?Patient/(?P<id>[A-Za-z0-9\-.]{1,64}))$")
_MEDICATION = re.compile(r"^(?:urn:uuid:|(?:.*/)?Medication/)(?P<id>[A-Za-z0-9\-.]{1,64})$")
# The resource put in every patient's Bundle for a line that could not be joined: malformed by design (no status; a
# code that is not a CodeableConcept, so it may be any lab or procedure), so the reader handles it as any unreadable
# resource of that type.
UNJOINED_ID = "line-not-joined"


class ExportRefused(ScreenerError):
    """A folder that is not a Bulk Data export as a whole: a file that is not one of it, or a manifest that names a
    file the folder does not hold. `file` is the file's name."""

    def __init__(self, file: str, message: str):
        super().__init__(f"{file}: {message}")
        self.file, self.message = file, message


@dataclass(frozen=True)
class ExportFile:
    path: Path
    type: str


@dataclass(frozen=True)
class Patient:
    """One patient of the export, joined: where its Patient line is, its id and its Bundle (JSON bytes)."""

    source: str
    id: str
    bundle: bytes


@dataclass(frozen=True)
class LineError:
    source: str  # "Observation.ndjson line 17"
    field: str
    message: str


def is_export(folder: Path) -> bool:
    """A folder holding NDJSON files is read as a Bulk Data export; one of only *.json files, as Bundles."""
    return folder.is_dir() and next(folder.glob("*.ndjson"), None) is not None


def _manifest(folder: Path) -> tuple[Path, dict] | None:
    found = None
    for path in sorted(folder.glob("*.json")):
        if path.stat().st_size > config.MAX_BODY_BYTES:  # a manifest lists files: never this large
            raise ExportRefused(path.name, "not an NDJSON file of the export nor its manifest (too large)")
        try:
            data = json.loads(path.read_bytes())
        except (ValueError, UnicodeDecodeError):
            raise ExportRefused(path.name, "not an NDJSON file of the export nor its manifest") from None
        if not isinstance(data, dict) or not isinstance(data.get("output"), list):
            raise ExportRefused(path.name, "not an NDJSON file of the export nor its manifest (no \"output\" list)")
        if found is not None:
            raise ExportRefused(path.name, "a second manifest")
        found = (path, data)
    return found


def _listed(folder: Path, manifest: Path, entries: list, key: str) -> list[ExportFile]:
    files = []
    for i, entry in enumerate(entries):
        if not isinstance(entry, dict) or not isinstance(entry.get("type"), str) or not isinstance(
            entry.get("url"), str
        ):
            raise ExportRefused(manifest.name, f"{key}[{i}] needs a \"type\" and a \"url\"")
        name = Path(unquote(urlparse(entry["url"]).path)).name  # the file beside the manifest, whatever the server
        path = folder / name
        if not name or not path.is_file():
            raise ExportRefused(manifest.name, f"{key}[{i}]: its file is not in the folder")
        files.append(ExportFile(path, entry["type"]))
    return files


def _whole_histories(manifest: Path, request) -> None:
    """Refuse an export that does not hold each patient's whole history of a type the reader reads: changes since a
    date (_since), or resources filtered (_typeFilter). Screening one would take a missing exclusion for none."""
    query = parse_qs(urlparse(request).query) if isinstance(request, str) else {}
    if query.get("_since"):
        raise ExportRefused(manifest.name, "the export holds only changes (_since): screening needs whole histories")
    filtered = {f.split("?", 1)[0] for value in query.get("_typeFilter", []) for f in value.split(",")}
    if filtered & set(_READ):
        raise ExportRefused(manifest.name, "the export's resources were filtered (_typeFilter): screening needs each "
                            "patient's whole history of " + ", ".join(sorted(filtered & set(_READ))))


def export_files(folder: Path) -> tuple[list[ExportFile], list[ExportFile]]:
    """The export's files to read (the server's error files, then Patient files, then the others in order) and
    those of types screening never reads. Raises ExportRefused for a file that is not one of the export's."""
    found = _manifest(folder)
    errors: list[ExportFile] = []
    if found is not None:
        manifest, data = found
        _whole_histories(manifest, data.get("request"))
        files = _listed(folder, manifest, data["output"], "output")
        # The server's OperationOutcomes about the export itself (read first: they may make every history partial).
        errors = [ExportFile(f.path, OUTCOME) for f in _listed(folder, manifest, data.get("error") or [], "error")]
        named = {f.path.name for f in files + errors}
        named |= {f.path.name for f in _listed(folder, manifest, data.get("deleted") or [], "deleted")}
        for path in sorted(folder.iterdir()):
            if path.name not in named and path != manifest:
                raise ExportRefused(path.name, "not listed in the export's manifest")
    else:
        files = []
        for path in sorted(folder.iterdir(), key=_natural):
            match = _FILE_NAME.match(path.name)
            if match is None or not path.is_file():
                raise ExportRefused(path.name, "not an NDJSON file of the export (TYPE.ndjson or TYPE.N.ndjson)")
            files.append(ExportFile(path, match["type"]))
    read = [f for f in files if f.type == PATIENT] + [f for f in files if f.type in _READ and f.type != PATIENT]
    return errors + read, [f for f in files if f.type not in _READ]


def _natural(path: Path) -> list:
    """Observation.2.ndjson before Observation.10.ndjson."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", path.name)]


def patient_count(folder: Path, limit: int | None = None) -> int:
    """The Patient lines of an export (stops counting past limit)."""
    count = 0
    for file in export_files(folder)[0]:
        if file.type == OUTCOME:
            continue
        if file.type != PATIENT:
            break
        with file.path.open("rb") as handle:
            for _, line in _lines(handle):  # a line too long to be read is counted, never held
                count += line is None or bool(line.strip())
                if limit is not None and count > limit:
                    return count
    return count


def patient_id(reference) -> str | None:
    """The patient id a reference names: Patient/<id>, a URL ending in it, or urn:uuid:<id>."""
    match = _REFERENCE.match(reference) if isinstance(reference, str) else None
    return (match["uuid"] or match["id"]) if match else None


def _subject(resource: dict):
    for key in ("subject", "patient"):  # MedicationStatement and the others: subject; some servers write patient
        value = resource.get(key)
        if isinstance(value, dict) and "reference" in value:
            return key, value.get("reference")
    return "subject", None


class _Spill:
    """The export's joinable lines in a temporary SQLite database: memory is its page cache, not the export."""

    def __init__(self, folder: Path):
        self.db = sqlite3.connect(folder / "export.sqlite", isolation_level=None)
        self.db.executescript(
            """
            PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA temp_store = FILE;
            CREATE TABLE patient (seq INTEGER PRIMARY KEY, id TEXT UNIQUE NOT NULL, source TEXT NOT NULL,
                                  line BLOB NOT NULL, shared_id INTEGER NOT NULL DEFAULT 0);
            CREATE TABLE resource (seq INTEGER PRIMARY KEY, patient INTEGER NOT NULL, id TEXT, line BLOB NOT NULL);
            CREATE TABLE shared (id TEXT PRIMARY KEY, line BLOB NOT NULL);
            CREATE TABLE reference (patient INTEGER NOT NULL, id TEXT NOT NULL);
            """
        )
        self.db.execute("BEGIN")

    def close(self) -> None:
        self.db.close()


def _entry(id_: str | None, line: bytes) -> bytes:
    # The entry's fullUrl as Synthea writes it, so urn:uuid references resolve as they do in its Bundles; the reader
    # also resolves Type/id by the resource's own id.
    return (b'{"fullUrl":"urn:uuid:' + id_.encode() + b'","resource":' if id_ else b'{"resource":') + line + b"}"


def _stand_in(kind: str) -> bytes:
    return _entry(None, json.dumps({"resourceType": kind, "id": UNJOINED_ID, "code": UNJOINED_ID}).encode())


def read_export(folder: Path, spill_dir: Path | None = None) -> Iterator[LineError | Patient]:
    """The lines that could not be joined, then each patient's Bundle, in the order of the Patient files."""
    files, _ = export_files(folder)
    with tempfile.TemporaryDirectory(prefix="screener-bulk-", dir=spill_dir) as tmp:
        spill = _Spill(Path(tmp))
        try:
            unjoined: set[str] = set()
            for file in files:
                yield from _spill_file(spill, file, unjoined)
            spill.db.execute("COMMIT")
            spill.db.execute("CREATE INDEX resource_patient ON resource (patient, seq)")
            spill.db.execute("CREATE INDEX reference_patient ON reference (patient)")
            placeholders = [_stand_in(kind) for kind in sorted(unjoined)]
            for seq, id_, source, shared_id in spill.db.execute(
                "SELECT seq, id, source, shared_id FROM patient ORDER BY seq"
            ):
                if shared_id:  # two people's histories may be mixed under one id: neither is screened
                    yield LineError(source, "id", "another Patient of the export has the same id: its resources "
                                    "cannot be told apart, so it is not screened")
                    continue
                yield _patient(spill.db, seq, id_, source, placeholders)
        finally:
            spill.close()


_SHARED = ("FROM reference JOIN shared ON shared.id = reference.id WHERE reference.patient = ?")


def _patient(db: sqlite3.Connection, seq: int, id_: str, source: str, placeholders: list[bytes]) -> Patient | LineError:
    """One patient's Bundle, or why it is not made: held to what one Bundle may be, so memory stays bounded."""
    (count, size), = db.execute("SELECT COUNT(*), COALESCE(SUM(LENGTH(line)), 0) FROM resource WHERE patient = ?",
                                (seq,))
    (shared_count, shared_size), = db.execute(
        f"SELECT COUNT(*), COALESCE(SUM(LENGTH(line)), 0) FROM (SELECT DISTINCT shared.id, shared.line {_SHARED})",
        (seq,))
    count += 1 + shared_count + len(placeholders)
    if count > config.MAX_BUNDLE_ENTRIES:
        return LineError(source, "entry", f"the patient has {count:,} resources to read; at most "
                         f"{config.MAX_BUNDLE_ENTRIES:,} are read as one Bundle (MAX_BUNDLE_ENTRIES)")
    if size + shared_size > config.MAX_BODY_BYTES:
        return LineError(source, "(record)", f"the patient's resources come to more than {config.MAX_BODY_BYTES:,} "
                         "bytes, the most one Bundle may hold (MAX_BODY_BYTES)")
    (line,), = db.execute("SELECT line FROM patient WHERE seq = ?", (seq,))
    entries = [_entry(id_, line)]
    entries += [_entry(i, r) for i, r in db.execute("SELECT id, line FROM resource WHERE patient = ? ORDER BY seq",
                                                   (seq,))]
    entries += [_entry(i, r) for i, r in db.execute(f"SELECT DISTINCT shared.id, shared.line {_SHARED} "
                                                   "ORDER BY shared.id", (seq,))]
    entries += placeholders
    return Patient(source, id_, b'{"resourceType":"Bundle","type":"collection","entry":[' + b",".join(entries) + b"]}")


def _lines(handle) -> Iterator[tuple[int, bytes | None]]:
    """The file's lines with their numbers; None for one longer than a whole Bundle may be, which is never held."""
    number = 0
    while line := handle.readline(config.MAX_BODY_BYTES + 1):
        number += 1
        if len(line) > config.MAX_BODY_BYTES:
            while line and not line.endswith(b"\n"):
                line = handle.readline(1 << 20)
            yield number, None
        else:
            yield number, line


def _failed(outcome: dict) -> bool:
    """An OperationOutcome with an error or a failure (a warning or information leaves the export whole)."""
    issues = outcome.get("issue")
    return not isinstance(issues, list) or any(
        not isinstance(i, dict) or i.get("severity") not in ("warning", "information") for i in issues
    )


def _spill_file(spill: _Spill, file: ExportFile, unjoined: set[str]) -> Iterator[LineError]:
    db = spill.db
    # What a line that cannot be read may have been: a resource of its file's type, or an error of the export itself.
    could_be = set(PATIENT_TYPES) if file.type == OUTCOME else {file.type}
    with file.path.open("rb") as handle:
        for number, read in _lines(handle):
            source = f"{file.path.name} line {number}"
            if read is None:
                yield LineError(source, "(record)", f"longer than {config.MAX_BODY_BYTES:,} bytes (MAX_BODY_BYTES)")
                unjoined.update(could_be)
                continue
            line = read.strip()
            if not line:
                continue
            try:
                resource = json.loads(line)
            except (ValueError, UnicodeDecodeError):
                resource = None
            if not isinstance(resource, dict):
                yield LineError(source, "(record)", "not valid JSON: each line of an export is one resource")
                unjoined.update(could_be)
                continue
            if resource.get("resourceType") != file.type:
                yield LineError(source, "resourceType", f"not the file's type ({file.type})")
                unjoined.update(t for t in could_be | {resource.get("resourceType")} if t in PATIENT_TYPES)
                continue
            if file.type == OUTCOME:
                if _failed(resource):
                    yield LineError(source, "(export)", "the server reports an error or a failure exporting: any "
                                    "patient's history may be incomplete")
                    unjoined.update(PATIENT_TYPES)
                continue
            raw_id = resource.get("id")
            id_ = raw_id if isinstance(raw_id, str) and _ID.match(raw_id) else None
            if file.type == PATIENT:
                if id_ is None:
                    yield LineError(source, "id", "a Patient needs an id (1 to 64 letters, digits, - or .)")
                elif db.execute("UPDATE patient SET shared_id = 1 WHERE id = ?", (id_,)).rowcount:
                    yield LineError(source, "id", "a second Patient with the same id: neither is screened")
                else:
                    db.execute("INSERT INTO patient (id, source, line) VALUES (?, ?, ?)", (id_, source, line))
                continue
            if file.type in SHARED_TYPES:
                if id_ is not None:
                    db.execute("INSERT OR IGNORE INTO shared (id, line) VALUES (?, ?)", (id_, line))
                continue
            key, reference = _subject(resource)
            patient = patient_id(reference)
            if patient is None:
                yield LineError(source, f"{key}.reference", "no patient reference (Patient/<id> or urn:uuid:<id>)")
                unjoined.add(file.type)
                continue
            row = db.execute("SELECT seq FROM patient WHERE id = ?", (patient,)).fetchone()
            if row is None:  # it names its patient: no other patient's history misses it
                yield LineError(source, f"{key}.reference", "refers to a Patient the export does not hold")
                continue
            db.execute("INSERT INTO resource (patient, id, line) VALUES (?, ?, ?)", (row[0], id_, line))
            medication = resource.get("medicationReference")
            reference = medication.get("reference") if isinstance(medication, dict) else None
            match = _MEDICATION.match(reference) if isinstance(reference, str) else None
            if match:
                db.execute("INSERT INTO reference (patient, id) VALUES (?, ?)", (row[0], match["id"]))
