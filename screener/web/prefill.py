"""A stored record as the screening form's fields, for re-screening or correcting it without retyping (issue 25
point 2). Server-side: the route names only a screening or request id; the values travel in the page, never the
address.

The form holds one result per lab: of several observations of one lab, the most recent (by date) is filled in.
"""
from ..model.labs import lab_for_test
from ..model.record import PatientRecord


def _text(value) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _flatten(prefix: str, value, out: dict[str, str]) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _flatten(f"{prefix}.{key}" if prefix else key, item, out)
    elif value is not None and not isinstance(value, list):
        out[prefix] = _text(value)


def form_values(record: PatientRecord) -> dict[str, str]:
    """Every value of the record under the name of the form input that holds it (inputs a trial does not ask for
    are ignored by the form)."""
    data = record.model_dump(mode="json")
    values: dict[str, str] = {}
    for section in ("demographics", "diagnosis", "findings", "attestations"):
        _flatten(section, data.get(section) or {}, values)
    for name in ("record_id", "screening_number"):
        if data.get(name):
            values[name] = data[name]
    latest: dict[str, dict] = {}
    for observation in data.get("observations") or []:
        spec = lab_for_test(observation["test"])
        if spec is not None and observation["date"] >= latest.get(spec.name, {}).get("date", ""):
            latest[spec.name] = observation
    for lab, observation in latest.items():
        for part in ("value", "unit", "date", "reference_high"):
            if observation.get(part) is not None:
                values[f"lab.{lab}.{part}"] = _text(observation[part])
    for name, rows in (data.get("history") or {}).items():
        if rows is None:
            continue  # not recorded stays not recorded
        values[f"history.{name}.status"] = "complete"
        values[f"rows.{name}"] = str(len(rows))
        for i, row in enumerate(rows):
            for column, value in row.items():
                if value is not None:
                    values[f"history.{name}.{i}.{column}"] = _text(value)
    return values
