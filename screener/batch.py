"""Population pre-screening: every record of a file or folder against the trials, on a Dask cluster.

Inputs: NDJSON (one native record per line), CSV (one record per row; columns are record paths such as
demographics.birth_date or lab.platelets.value / .unit / .date), a folder of FHIR R4 Bundles (*.json), or a FHIR
Bulk Data export folder (NDJSON per resource type, joined into one Bundle per patient on disk: bulk_export.py).
Each chunk of records is read and screened on a worker through the service every channel uses (service.read,
service.outcomes). Output: results.csv (one row per record x trial; a record's trials candidates first),
candidates.csv (each candidate: eligible first, then incomplete with the trial's disease present, fewest open items
first, with what to record next), errors.csv (malformed records by line or file) and summary.json (with candidates /
screened per trial). Only a bounded number of chunks is in flight, so memory is bounded by the chunk size, not by
the input size. Batch pre-screenings are not stored one by one in the audit store (a nightly run of a registry would
dwarf it); the run itself is recorded as one audit event with its input digest and counts.
"""
import csv
import hashlib
import json
import os
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date
from itertools import islice
from pathlib import Path
from typing import Iterator

from . import config
from .bulk_export import LineError, export_files, is_export, patient_count, read_export
from .facts.catalogue import record_value_kinds
from .model.flat import ValueKind, flat_value, set_path
from .model.verdict import Verdict
from .rules import draft_rules_allowed

# draft_rules: "DRAFT RULES" on a row screened under a rule set still marked draft (allowed only by --allow-draft),
# empty otherwise; such a row's verdict is never eligible (screening._claims_eligibility).
RESULT_COLUMNS = ["source", "record_id", "screening_number", "trial_id", "verdict", "failing", "unknown",
                  "eligible_from", "draft_rules"]
CANDIDATE_COLUMNS = ["source", "record_id", "screening_number", "trial_id", "verdict", "open_items", "to_record",
                     "draft_rules"]
_R_TRIAL, _R_VERDICT = RESULT_COLUMNS.index("trial_id"), RESULT_COLUMNS.index("verdict")
_C_TRIAL, _C_VERDICT, _C_OPEN = (CANDIDATE_COLUMNS.index(c) for c in ("trial_id", "verdict", "open_items"))


@dataclass(frozen=True)
class Item:
    source: str  # "line 17", a file name or "Patient.ndjson line 3": where a malformed record is reported
    kind: str  # native, csv, fhir, bulk (a patient of an export), unjoined (an export's line that joined no one)
    # A native NDJSON line stays bytes; a CSV row is JSON text; a Bundle its file path; an export's patient the
    # Bundle joined for it; an unjoined line [field, message] as JSON.
    payload: str | bytes
    record_id: str = ""  # an export's Patient id: a Bundle's record has no record_id


# --- reading ---------------------------------------------------------------------------------------------------
def _csv_value(raw: str, kind: ValueKind):
    """A CSV cell as the value strict validation expects; anything unreadable is left for validation to refuse,
    naming the field."""
    try:
        return flat_value(raw, kind)
    except ValueError:
        return raw


def csv_row_to_record(row: dict[str, str]) -> str:
    """A flat CSV row (record paths as column names) as native record JSON."""
    record: dict = {}
    labs: dict[str, dict] = {}
    for column, raw in row.items():
        if column is None or raw is None:
            continue
        raw = raw.strip()
        if column.startswith("lab."):
            lab, part = column[4:].rsplit(".", 1)
            if raw != "":
                labs.setdefault(lab, {})[part] = (
                    _csv_value(raw, ValueKind.NUMBER) if part in ("value", "reference_high") else raw
                )
            continue
        value = _csv_value(raw, record_value_kinds().get(column, ValueKind.TEXT))
        if value is None:
            continue
        set_path(record, column, value)
    if labs:
        record["observations"] = [{"test": lab, **fields} for lab, fields in labs.items()]
    return json.dumps(record)


def read_items(path: Path, spill_dir: Path | None = None) -> Iterator[Item]:
    """The input's records; an export is joined in a temporary folder inside spill_dir (default: the system's)."""
    if is_export(path):
        for joined in read_export(path, spill_dir):
            if isinstance(joined, LineError):
                yield Item(joined.source, "unjoined", json.dumps([joined.field, joined.message]))
            else:
                yield Item(joined.source, "bulk", joined.bundle, joined.id)
    elif path.is_dir():
        # Bundles are megabytes: workers read them from the path (a remote cluster needs the folder mounted).
        for file in sorted(path.glob("*.json")):
            yield Item(file.name, "fhir", str(file.resolve()))
    elif path.suffix.lower() == ".csv":
        with path.open(newline="", encoding="utf-8") as handle:
            for number, row in enumerate(csv.DictReader(handle), start=2):  # line 1 is the header
                yield Item(f"line {number}", "csv", json.dumps(row))
    else:
        for chunk in ndjson_chunks(path, 1000, hashlib.sha256()):
            yield from chunk.items()


@dataclass(frozen=True)
class Lines:
    """A chunk of NDJSON as the bytes read: serialised between processes as one buffer, not one object per record,
    and split into records on the worker. first: the number of its first line; records: its non-blank lines."""

    first: int
    data: bytes
    records: int

    def items(self) -> Iterator[Item]:
        for number, line in enumerate(self.data.split(b"\n"), start=self.first):
            if line.strip():
                yield Item(f"line {number}", "native", line)


def ndjson_chunks(path: Path, size: int, digest) -> Iterator[Lines]:
    """Chunks of `size` records of an NDJSON file, feeding every byte read to digest (the run's input SHA-256), so
    the file is read once."""
    with path.open("rb") as handle:
        lines, records, first, number = [], 0, 1, 0
        for number, line in enumerate(handle, start=1):
            lines.append(line)
            records += bool(line.strip())
            if records == size:
                data = b"".join(lines)
                digest.update(data)
                yield Lines(first, data.removesuffix(b"\n"), records)
                lines, records, first = [], 0, number + 1
        if lines:
            data = b"".join(lines)
            digest.update(data)
            if records:
                yield Lines(first, data.removesuffix(b"\n"), records)


def chunks(items: Iterator[Item], size: int) -> Iterator[list[Item]]:
    chunk = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# --- screening (runs on the workers) -----------------------------------------------------------------------------
def screen_chunk(
    chunk: list[Item] | Lines, trials: list[str] | None, as_of: date, engine: str | None, allow_draft: bool = False
) -> tuple[list[list], list[list], list[list]]:
    """Screen a chunk: result rows, error rows (malformed records, never exceptions that stop the run) and
    candidate rows (CANDIDATE_COLUMNS). allow_draft: the run's --allow-draft, carried to each worker's process."""
    from . import service
    from .model.errors import InvalidRecord
    from .rules import allow_draft_rules, load_rule_sets

    allow_draft_rules(allow_draft)
    draft = {t: "DRAFT RULES" if r.status == "draft" else "" for t, r in load_rule_sets().items()}

    rows: list[list] = []
    errors: list[list] = []
    candidates: list[list] = []
    for item in chunk.items() if isinstance(chunk, Lines) else chunk:
        if item.kind == "unjoined":
            errors.append([item.source, *json.loads(item.payload)])
            continue
        try:
            checked = item.kind not in ("bulk", "fhir")
            if item.kind == "bulk":
                record, _ = service.read(item.payload, service.Content.FHIR, as_of)
            elif item.kind == "fhir":
                record, _ = service.read(Path(os.fsdecode(item.payload)).read_bytes(), service.Content.FHIR, as_of)
            else:
                text = csv_row_to_record(json.loads(item.payload)) if item.kind == "csv" else item.payload
                # check_as_of: born-after-it errors join the field errors, one error row each
                record, _ = service.read(text, service.Content.NATIVE, as_of, check_as_of=True)
            # Outcomes: no explanation text is worded (a candidate's row says only what to record next); a native
            # record was checked against the as-of date on reading, so not a second time.
            outcomes = service.outcomes(record, as_of, engine, trials, checked=checked)
        except InvalidRecord as exc:  # a malformed record is a row of errors.csv, never the end of the run
            errors.extend([item.source, e.field, e.message] for e in exc.errors)
            continue
        for outcome in outcomes:
            rows.append(
                [
                    item.source,
                    record.record_id or item.record_id,
                    record.screening_number or "",  # the record's field (an NDJSON key, a CSV column)
                    outcome.trial_id,
                    outcome.verdict,
                    " ".join(outcome.failing),
                    " ".join(outcome.unknown),
                    outcome.eligible_from.isoformat() if outcome.eligible_from else "",
                    draft[outcome.trial_id],
                ]
            )
            if outcome.candidate:  # what to record next, without the report's reasons and evidence words
                candidates.append(
                    [
                        item.source,
                        record.record_id or item.record_id,
                        record.screening_number or "",
                        outcome.trial_id,
                        outcome.verdict,
                        outcome.open_items,
                        "; ".join(outcome.to_settle),
                        draft[outcome.trial_id],
                    ]
                )
    return rows, errors, candidates


# --- the run -------------------------------------------------------------------------------------------------------
@dataclass
class BatchSummary:
    records: int
    malformed: int
    screenings: int
    verdicts: dict[str, dict[str, int]]
    candidates: dict[str, dict[str, int]]  # per trial: candidates and screened
    seconds: float
    input_sha256: str
    not_read: list[str] | None = None  # an export's files of types screening never reads (Encounter, Claim, ...)

    def as_dict(self) -> dict:
        shown = {k: v for k, v in self.__dict__.items() if k != "not_read" or v is not None}
        return shown | {"records_per_second": round(self.records / self.seconds, 1) if self.seconds else None}


def _is_ndjson(path: Path) -> bool:
    return not path.is_dir() and path.suffix.lower() != ".csv"


def _size(chunk: list[Item] | Lines) -> int:
    return chunk.records if isinstance(chunk, Lines) else len(chunk)


def _digest(path: Path) -> str:
    digest = hashlib.sha256()
    if is_export(path):
        files = sorted(p for p in path.iterdir() if p.is_file())
    else:
        files = sorted(path.glob("*.json")) if path.is_dir() else [path]
    for file in files:
        with file.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def _count_items(path: Path) -> int | None:
    if is_export(path):
        return patient_count(path)
    if path.is_dir():
        return len(list(path.glob("*.json")))
    with path.open("rb") as handle:
        lines = sum(block.count(b"\n") for block in iter(lambda: handle.read(1 << 20), b""))
    return lines - (1 if path.suffix.lower() == ".csv" else 0)


class _CandidateBuckets:
    """candidates.csv in rank order at constant memory: a temporary file per (verdict, open items), joined last."""

    def __init__(self, folder: Path):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.files: dict[tuple[int, int], tuple] = {}

    def add(self, row: list) -> None:
        # Eligible, no known exclusion, incomplete; then by open items.
        key = (Verdict(row[_C_VERDICT]).rank, int(row[_C_OPEN]))
        if key not in self.files:
            handle = (self.folder / f"{key[0]}-{key[1]}.csv").open("w", newline="")
            self.files[key] = (handle, csv.writer(handle))
        self.files[key][1].writerow(row)

    def write(self, target: Path) -> None:
        with target.open("w", newline="") as out:
            csv.writer(out).writerow(CANDIDATE_COLUMNS)
            for key in sorted(self.files):
                handle = self.files[key][0]
                handle.close()
                with open(handle.name, newline="") as part:
                    for block in iter(lambda: part.read(1 << 20), ""):
                        out.write(block)
                os.unlink(handle.name)
        self.folder.rmdir()


def run_batch(
    input_path: Path,
    out_dir: Path,
    trials: list[str] | None,
    as_of: date,
    *,
    client=None,
    chunk_size: int = config.BATCH_CHUNK_RECORDS,
    max_in_flight: int | None = None,
    engine: str | None = None,
    progress: bool | None = None,
) -> BatchSummary:
    """Screen every record; write results.csv, candidates.csv, errors.csv, summary.json into out_dir.

    With a Dask client the chunks run on its workers; without one, in this process (see in_process).
    """
    import time

    from tqdm import tqdm

    # An export's files are checked before anything is written: one that is not the export's refuses the run.
    not_read = [f.path.name for f in export_files(input_path)[1]] if is_export(input_path) else None
    out_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    # The total only feeds a progress bar: counting is a pass over the whole input, made only when one is shown.
    shown = sys.stderr.isatty() if progress is None else progress
    total = _count_items(input_path) if shown else None
    verdicts: defaultdict[str, Counter] = defaultdict(Counter)  # not a Counter built for every row to find one
    candidates: Counter = Counter()
    buckets = _CandidateBuckets(out_dir / ".candidates.tmp")
    records = malformed = screenings = 0
    # A folder's items are whole patient histories: a few per task keeps every worker busy.
    digest = hashlib.sha256()
    source: Iterator[list[Item] | Lines]
    if _is_ndjson(input_path):
        source = ndjson_chunks(input_path, chunk_size, digest)
    else:
        source = chunks(
            read_items(input_path, out_dir),
            min(chunk_size, config.BATCH_CHUNK_BUNDLES) if input_path.is_dir() else chunk_size,
        )
    screened = (
        _on_cluster(client, source, trials, as_of, engine, max_in_flight)
        if client is not None
        else ((_size(chunk), screen_chunk(chunk, trials, as_of, engine, draft_rules_allowed())) for chunk in source)
    )
    with (
        (out_dir / "results.csv").open("w", newline="") as results_file,
        (out_dir / "errors.csv").open("w", newline="") as errors_file,
        tqdm(total=total, unit="rec", disable=not shown) as bar,
    ):
        results, errors = csv.writer(results_file), csv.writer(errors_file)
        results.writerow(RESULT_COLUMNS)
        errors.writerow(["source", "field", "message"])
        for count, (rows, errs, found) in screened:
            results.writerows(rows)
            for row in found:
                buckets.add(row)
                candidates[row[_C_TRIAL]] += 1
            errors.writerows(errs)
            records += count
            malformed += len({e[0] for e in errs})
            screenings += len(rows)
            for row in rows:
                verdicts[row[_R_TRIAL]][row[_R_VERDICT]] += 1
            bar.update(count)
    buckets.write(out_dir / "candidates.csv")
    summary = BatchSummary(
        records,
        malformed,
        screenings,
        {t: dict(c) for t, c in sorted(verdicts.items())},
        {t: {"candidates": candidates[t], "screened": sum(c.values())} for t, c in sorted(verdicts.items())},
        round(time.perf_counter() - started, 2),
        digest.hexdigest() if _is_ndjson(input_path) else _digest(input_path),
        not_read,
    )
    (out_dir / "summary.json").write_text(json.dumps(summary.as_dict(), indent=2))
    return summary


def _on_cluster(
    client, source: Iterator[list[Item] | Lines], trials, as_of: date, engine: str | None, max_in_flight: int | None
) -> Iterator[tuple[int, tuple[list[list], list[list], list[list]]]]:
    """(chunk size, screened chunk) as the workers finish them, with a bounded number of chunks in flight."""
    from dask.distributed import as_completed

    in_flight_limit = max_in_flight or 2 * max(1, sum(client.nthreads().values()))
    pending = as_completed()
    sizes = {}

    def submit_next() -> bool:
        chunk = next(source, None)
        if chunk is None:
            return False
        future = client.submit(screen_chunk, chunk, trials, as_of, engine, draft_rules_allowed(), pure=False)
        sizes[future.key] = _size(chunk)
        pending.add(future)
        return True

    for _ in range(in_flight_limit):
        if not submit_next():
            break
    for future in pending:
        result = future.result()
        count = sizes.pop(future.key)
        future.release()
        submit_next()
        yield count, result


def in_process(input_path: Path) -> bool:
    """Whether an input is small enough to screen in this process rather than start a local Dask cluster."""
    if is_export(input_path):  # each patient is screened as a Bundle is
        limit = config.BATCH_IN_PROCESS_MAX_BUNDLES
        return patient_count(input_path, limit) <= limit
    if input_path.is_dir():
        return (
            sum(1 for _ in islice(input_path.glob("*.json"), config.BATCH_IN_PROCESS_MAX_BUNDLES + 1))
            <= config.BATCH_IN_PROCESS_MAX_BUNDLES
        )
    limit = config.BATCH_IN_PROCESS_MAX_RECORDS + (input_path.suffix.lower() == ".csv")  # a CSV's header line
    lines = 0
    with input_path.open("rb") as handle:  # stops reading as soon as the input is known to be large
        for block in iter(lambda: handle.read(1 << 16), b""):
            lines += block.count(b"\n")
            if lines > limit:
                return False
    return True


# distributed keeps, for developers, the last `low-level-log-length` (1,000) messages under 1 MB each connection
# sent: a chunk of an export's joined Bundles is such a message, so the client (and a local cluster's scheduler, in
# the same process) held up to 1,000 of them. Measured on 3,020 patients, 2 workers: client peak RSS 745 MB, in
# process 57 MB. A few are kept; the chunks in flight then bound the client's memory as they bound the workers'.
_RECENT_MESSAGES_KEPT = {"distributed.admin.low-level-log-length": 10}


def connect(address: str):
    """A client of an existing Dask scheduler (raises OSError or TimeoutError when none answers)."""
    import dask
    from dask.distributed import Client

    with dask.config.set(_RECENT_MESSAGES_KEPT):
        return Client(address, timeout="10s")


# A worker's event loop wakes beside the screening thread for its housekeeping: a tick every 20 ms (a watchdog that
# only logs an unresponsive loop), a memory check every 100 ms, system metrics for a dashboard every 500 ms. Measured
# with thread and process CPU around screen_chunk on one worker, 5 chunks of 2,000 records: the worker's other
# threads took 19-36 µs a record with the defaults, 5-7 µs with these (load 4.5-6). The memory check stays
# frequent enough to pause a worker long before a chunk could fill its memory (a chunk is a few MB).
_QUIETER_HOUSEKEEPING = {
    "distributed.admin.tick.interval": "500ms",
    "distributed.worker.memory.monitor-interval": "500ms",
    "distributed.admin.system-monitor.interval": "2s",
    "distributed.admin.system-monitor.disk": False,
}


def local_client(workers: int | None = None):
    """A local Dask cluster: one single-threaded worker process per core (screening is CPU-bound, GIL-bound)."""
    import dask
    from dask.distributed import Client, LocalCluster

    # Dask's statistical profiler samples each worker's thread every 10 ms for its dashboard, which a local
    # batch run never shows: off, so the cores screen. Dask also starts workers with MALLOC_TRIM_THRESHOLD_=65536
    # (glibc hands freed memory back to the OS at once): measured, that makes a screening take 1.8-2x the CPU
    # (1,500-1,800 µs a record on a worker vs 800-900 µs in a plain process, the same in a plain process given that
    # variable), as every report's short-lived allocations go back and forth to the kernel. Unset, glibc's own
    # adaptive threshold applies; memory stays bounded by the chunks in flight (peak RSS in the commit).
    with dask.config.set(
        {
            "distributed.worker.profile.enabled": False,
            "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
            **_QUIETER_HOUSEKEEPING,
            **_RECENT_MESSAGES_KEPT,
        }
    ):
        cluster = LocalCluster(
            n_workers=workers or os.cpu_count() or 1,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=40,
        )
        return Client(cluster)
