"""Exports of stored screenings and audit events, serialised by marshmallow schemas derived from the ORM models."""
import csv
import io
import json

from marshmallow_sqlalchemy import SQLAlchemyAutoSchema

from ._models import AuditEvent, Screening


class ScreeningSchema(SQLAlchemyAutoSchema):
    class Meta:
        model = Screening
        include_fk = True


class AuditEventSchema(SQLAlchemyAutoSchema):
    class Meta:
        model = AuditEvent


SCHEMAS = {"screenings": ScreeningSchema, "events": AuditEventSchema}


def export(what: str, rows, fmt: str) -> str:
    schema = SCHEMAS[what](many=True)
    data = schema.dump(rows)
    if fmt == "json":
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    columns = list(SCHEMAS[what]().fields)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    for item in data:
        writer.writerow({k: _csv_safe(v) for k, v in item.items()})
    return out.getvalue()


def _csv_safe(value):
    # A cell starting with = + - @ is a formula to a spreadsheet: neutralise it (CSV injection).
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value
