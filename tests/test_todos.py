"""To-dos from the condition tree (issue 25 point 8): where any one route settles a criterion the worklist says
"either … or …"; a route already decided against the patient is not asked for; each to-do carries its kind and day."""
import json
from datetime import date

import pytest

from screener.screening import parse_record, screen

from .helpers import PATIENTS

AS_OF = date(2026, 11, 22)
NCT = "NCT06674265"
MRI = "Record MRI or CT with a lesion measurement dated within the last 42 days"
MIBG = "Record MIBG scan dated within the last 42 days"
PET = "Record FDG-PET dated within the last 42 days"


def _i5(record: dict, engine: str):
    report = screen(parse_record(json.dumps(record)), NCT, AS_OF, engine)
    return report, next(c for c in report.criteria if c.id == f"{NCT}-I5")


@pytest.fixture
def record():
    return json.loads((PATIENTS / "eligible.json").read_text())


@pytest.mark.parametrize("engine", ["reference", "durable"])
def test_lesion_and_mibg_or_pet_is_one_either_to_do(record, engine):
    record["history"]["imaging"] = []  # imaging reviewed, no scan: every route open
    report, i5 = _i5(record, engine)
    assert i5.status == "unknown"
    assert i5.to_settle == [
        "Either record MRI or CT with a lesion measurement dated within the last 42 days and record MIBG scan dated "
        "within the last 42 days; or record FDG-PET dated within the last 42 days (any one settles it)"
    ]
    (step,) = i5.to_do
    assert step.kind == "record_test" and step.date is None
    assert step.routes == [[MRI, MIBG], [PET]]
    todo = next(t for t in report.to_do if t.text == step.text)
    assert todo.criteria == [f"{NCT}-I5"] and todo.routes == step.routes


@pytest.mark.parametrize("engine", ["reference", "durable"])
def test_either_mibg_or_pet_once_the_lesion_is_measured(record, engine):
    mri = [i for i in record["history"]["imaging"] if i.get("modality") == "mri"]
    record["history"]["imaging"] = mri
    _, i5 = _i5(record, engine)
    assert i5.status == "unknown"
    assert [s.routes for s in i5.to_do] == [[[MIBG], [PET]]]
    assert i5.to_settle == [
        "Either record MIBG scan dated within the last 42 days; or record FDG-PET dated within the last 42 days "
        "(any one settles it)"
    ]


@pytest.mark.parametrize("engine", ["reference", "durable"])
def test_a_route_decided_against_the_patient_is_not_asked_for(record, engine):
    mri = [dict(i, largest_lesion_mm=5) for i in record["history"]["imaging"] if i.get("modality") == "mri"]
    record["history"]["imaging"] = mri  # a 5 mm lesion: the MRI/CT-and-MIBG route cannot hold
    _, i5 = _i5(record, engine)
    assert i5.status == "unknown"
    assert i5.to_settle == [PET] and [s.kind for s in i5.to_do] == ["record_test"]


def test_every_route_is_asked_for_when_all_are_needed(record):
    """An exclusion any one of whose parts excludes: avoiding it needs every part, so each is its own to-do."""
    record["observations"] = [o for o in record["observations"] if o["test"] not in ("1975-2", "1742-6")]
    report = screen(parse_record(json.dumps(record)), NCT, AS_OF, "reference")
    e2 = next(c for c in report.criteria if c.id == f"{NCT}-E2")
    assert e2.status == "unknown" and len(e2.to_settle) == 2
    assert not any(t.startswith("Either") for t in e2.to_settle) and all(not s.routes for s in e2.to_do)


def test_the_to_dos_carry_their_kind_and_day(record):
    """A count inside a transfusion window: repeat on or after a day, as data."""
    record["history"]["transfusions"].append({"product": "platelets", "date": "2026-11-17"})
    report = screen(parse_record(json.dumps(record)), NCT, AS_OF, "reference")
    e1 = next(c for c in report.criteria if c.id == f"{NCT}-E1")
    repeat = [s for s in e1.to_do if s.kind == "repeat_after"]
    assert repeat and repeat[0].date == date(2026, 11, 25) and "count on or after 25 Nov 2026" in repeat[0].text
    assert [s.text for s in e1.to_do] == e1.to_settle  # to_settle stays: the same words, in the same order
    todo = next(t for t in report.to_do if t.kind == "repeat_after")
    assert todo.date == date(2026, 11, 25) and todo.criteria == [f"{NCT}-E1"]


def test_a_report_stored_before_to_do_loads_and_its_worklist_reads_its_words():
    from screener.model.report import Report
    from screener.web.glance import worklist

    report = screen(parse_record((PATIENTS / "aml-relapsed.json").read_text()), NCT, AS_OF)
    stored = json.loads(report.model_dump_json())
    del stored["to_do"]
    for c in stored["criteria"]:
        del c["to_do"]
    old = Report.model_validate_json(json.dumps(stored))
    assert old.to_do == [] and all(c.to_do == [] for c in old.criteria)
    listed = {t.text for g in worklist([old]) for t in g.todos}
    assert listed == {t.text for g in worklist([report]) for t in g.todos}  # the same to-dos, from to_settle
    assert {g.key for g in worklist([old])} <= {g.key for g in worklist([report])} | {"chart"}
