"""The sponsor's screening log: one row per child per trial (screening number, dates, verdict, failing criteria by
id and title, outcome), as OnCore and Velos keep it per subject. Serialised by a marshmallow schema like every
other export, CSV-injection-safe, no cell over a spreadsheet's limit."""
import json

from marshmallow import Schema, fields

from ..model.children import NOT_ENROLLED_REASONS, OUTCOMES
from ..model.verdict import Status
from ._children import Ledger, child_key
from ._export import csv_text
from ._store import report_of


class SponsorRowSchema(Schema):
    class Meta:
        ordered = True

    screening_number = fields.String()
    trial_id = fields.String()
    first_screened = fields.String(metadata={"doc": (
        "as-of date of the child's first screening that is neither voided nor corrected")})
    screenings = fields.Integer(metadata={"doc": "screenings recorded, voided and corrected ones included"})
    counted_screening_id = fields.String()
    counted_as_of = fields.String()
    counted_recorded_at = fields.String()
    verdict = fields.String()
    failing_criteria = fields.String()
    failing_titles = fields.String()
    outcome = fields.String()
    outcome_date = fields.String(allow_none=True)
    outcome_reason = fields.String(allow_none=True)
    outcome_note = fields.String(allow_none=True)
    study_number = fields.String(allow_none=True)
    outcome_recorded_at = fields.String(allow_none=True)


def sponsor_rows(rows, found: Ledger) -> list[dict]:
    """Per (child, trial) with a counted screening among rows, ordered by trial and screening number."""
    rows = list(rows)
    counted, latest = found.counted(), found.latest_outcomes()
    first: dict[tuple[str, str], str] = {}
    total: dict[tuple[str, str], int] = {}
    for row in rows:
        key = (child_key(row), row.trial_id)
        total[key] = total.get(key, 0) + 1
        if found.counts(row):  # a voided one may be another child's, a corrected one's date the slip corrected
            first[key] = min(first.get(key, row.as_of), row.as_of)
    out = []
    for key in sorted(counted, key=lambda k: (k[1], k[0])):
        row = counted[key]
        report = report_of(row)
        failing = [c for c in report.criteria if c.status == Status.FAIL]
        outcome = latest.get(key)
        out.append({
            "screening_number": key[0], "trial_id": key[1], "first_screened": first[key], "screenings": total[key],
            "counted_screening_id": row.id, "counted_as_of": row.as_of, "counted_recorded_at": row.recorded_at,
            "verdict": str(row.verdict), "failing_criteria": "; ".join(c.id for c in failing),
            "failing_titles": "; ".join(c.title for c in failing),
            "outcome": OUTCOMES[outcome.outcome] if outcome else "none recorded",
            "outcome_date": outcome.on_date if outcome else None,
            "outcome_reason": NOT_ENROLLED_REASONS.get(outcome.reason or "") if outcome else None,
            "outcome_note": outcome.note if outcome else None,
            "study_number": outcome.study_number if outcome else None,
            "outcome_recorded_at": outcome.recorded_at if outcome else None,
        })
    return out


def sponsor_csv(rows, found: Ledger) -> str:
    schema = SponsorRowSchema()
    return csv_text(list(schema.fields), (schema.dump(item) for item in sponsor_rows(rows, found)))


def criterion_statuses(row) -> dict[str, str]:
    """criterion id -> status of one stored screening (for the flat export)."""
    report = json.loads(row.report_json)
    return {c["id"]: c["status"] for c in report.get("criteria", [])}
