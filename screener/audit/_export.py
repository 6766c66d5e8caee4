"""Exports of stored screenings and audit events, serialised by marshmallow schemas derived from the ORM models.

Streamed: rows come from one read snapshot in batches and leave as text chunks, so an export's memory does not
grow with the table (20,900 screenings once took a 2.2 GB worker).

The screenings CSV is flat, for a spreadsheet: the stored fields without the record and report JSON, whether the
screening was voided (and why) or corrected, and one column per criterion with its status. The full record and
report stay in the JSON export. No CSV cell exceeds a spreadsheet cell's 32,767 characters (a longer one is cut and
says so), and a cell that a spreadsheet would read as a formula is neutralised.
"""
import json
from typing import Iterator

from marshmallow_sqlalchemy import SQLAlchemyAutoSchema
from sqlalchemy import func, select

from ._errors import store_boundary
from ._models import AuditEvent, Screening, Void

CHUNK_CHARS = 256 * 1024
# Excel's and LibreOffice's limit on one cell: a longer text is cut on opening, silently.
MAX_CELL = 32_767
_CUT = " [cut: the cell was longer than a spreadsheet holds; see the JSON export]"
# Left out of the flat CSV: the JSON blobs (in the JSON export) and the hash (verify reads the database).
_BLOBS = ("record_json", "report_json", "content_hash")


class ScreeningSchema(SQLAlchemyAutoSchema):
    class Meta:
        model = Screening
        include_fk = True


class AuditEventSchema(SQLAlchemyAutoSchema):
    class Meta:
        model = AuditEvent


SCHEMAS = {"screenings": ScreeningSchema, "events": AuditEventSchema}
_ORDER = {"screenings": (Screening.recorded_at.desc(), Screening.id), "events": (AuditEvent.seq,)}
_MODELS = {"screenings": Screening, "events": AuditEvent}


@store_boundary
def export(store, what: str, fmt: str, actor: str) -> tuple[int, Iterator[str]]:
    """(row count, text chunks) of one snapshot; the export is noted in the trail (with the count) before any
    chunk is produced, and the snapshot closes when the chunks are exhausted or closed."""
    model = _MODELS[what]
    session = store.snapshot()
    try:
        count = session.scalar(select(func.count()).select_from(model))
        store.note(actor, "export", what, {"format": fmt, "rows": count})
        rows = session.execute(select(model.__table__).order_by(*_ORDER[what]).execution_options(yield_per=100))
    except BaseException:
        session.close()
        raise

    @store_boundary
    def chunks() -> Iterator[str]:
        try:
            lines = _json_lines(what, rows) if fmt == "json" else _csv_lines(what, rows, session)
            yield from _chunked(lines)
        finally:
            session.close()

    return count, chunks()


def _csv_lines(what: str, rows, session=None) -> Iterator[str]:
    if what == "screenings":
        yield from _flat_screenings(rows, session)
        return
    schema = SCHEMAS[what]()
    columns = list(schema.fields)
    yield _csv_row(columns)
    for row in rows:
        item = schema.dump(row)
        yield _csv_row(_csv_safe(item.get(column)) for column in columns)


def criterion_columns() -> list[str]:
    """Every criterion id of the loaded rule sets, trial by trial in protocol order."""
    from ..rules import load_rule_sets

    return [c.id for rule_set in load_rule_sets().values() for c in rule_set.criteria]


def _flat_screenings(rows, session) -> Iterator[str]:
    schema = ScreeningSchema(exclude=_BLOBS)
    columns = list(schema.fields)
    criteria = criterion_columns()
    known = set(criteria)
    yield _csv_row([*columns, "voided", "void_note", "corrected_by", *criteria, "other_criteria"])
    batch: list = []
    for row in rows:
        batch.append(row)
        if len(batch) == 200:
            yield from _flat_batch(batch, schema, columns, criteria, known, session)
            batch = []
    yield from _flat_batch(batch, schema, columns, criteria, known, session)


def _flat_batch(batch, schema, columns, criteria, known, session) -> Iterator[str]:
    if not batch:
        return
    ids = [row.id for row in batch]
    voids = {v.screening_id: v for v in session.scalars(select(Void).where(Void.screening_id.in_(ids)))}
    corrected: dict[str, list[str]] = {}
    for found in session.execute(select(Screening.id, Screening.corrects_id).where(Screening.corrects_id.in_(ids))):
        corrected.setdefault(found.corrects_id, []).append(found.id)
    for row in batch:
        item = schema.dump(row)
        statuses = {c["id"]: c["status"] for c in json.loads(row.report_json).get("criteria", [])}
        void = voids.get(row.id)
        cells = [item.get(column) for column in columns]
        cells += [void.reason if void else None, void.note if void else None, " ".join(corrected.get(row.id, []))]
        cells += [statuses.get(cid) for cid in criteria]
        cells.append("; ".join(f"{cid}={status}" for cid, status in statuses.items() if cid not in known))
        yield _csv_row(_csv_safe(cell) for cell in cells)


def csv_text(columns: list[str], items) -> str:
    """A small CSV (a report, not a table dump) with the same cell rules as the exports."""
    return "".join([_csv_row(columns), *(_csv_row(_csv_safe(item.get(c)) for c in columns) for item in items)])


def _csv_row(values) -> str:
    return ",".join(_csv_cell(value) for value in values) + "\r\n"


def _csv_cell(value) -> str:
    """The csv module's minimal quoting (its output, byte for byte), written with str.replace: the csv writer
    escapes a ~35 KB report a character at a time and took 0.6 ms a row, most of a 100,000-row export."""
    if value is None:
        return ""
    text = str(value)
    if len(text) > MAX_CELL:
        text = text[:MAX_CELL - len(_CUT)] + _CUT
    if any(ch in text for ch in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _json_lines(what: str, rows) -> Iterator[str]:
    schema = SCHEMAS[what]()
    separator = "[\n  "
    for row in rows:
        yield separator + json.dumps(schema.dump(row), ensure_ascii=False)
        separator = ",\n  "
    yield "[]\n" if separator.startswith("[") else "\n]\n"


def _chunked(lines: Iterator[str]) -> Iterator[str]:
    """Join small pieces into chunks of about CHUNK_CHARS: one write per row would cost a syscall each."""
    buffer, size = [], 0
    for line in lines:
        buffer.append(line)
        size += len(line)
        if size >= CHUNK_CHARS:
            yield "".join(buffer)
            buffer, size = [], 0
    if buffer:
        yield "".join(buffer)


def _csv_safe(value):
    # A cell starting with = + - @ is a formula to a spreadsheet, and one starting with a tab or carriage return
    # can be read as one too (OWASP, CSV injection): neutralise it.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
