"""The append-only store and its tamper-evident trail, on SQLite and PostgreSQL: every kind of tampering is caught."""
import json
import multiprocessing
import re
from datetime import date

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from screener.audit._log import screening_log
from screener.screening import parse_record, screen, screen_all

from .helpers import PATIENTS, trial_ids
from .helpers import tamper as _tamper

AS_OF = date(2026, 11, 22)
TRIALS = trial_ids()  # _record screens all of them: one screening and one event each


def _record(store, patient="eligible.json", trials=None):
    record = parse_record((PATIENTS / patient).read_text())
    reports = screen_all(record, AS_OF) if trials is None else [screen(record, t, AS_OF) for t in trials]
    return store.record(record, reports, actor="test", channel="cli")


def test_recorded_screenings_verify_and_round_trip(store):
    request_id, ids, _ = _record(store)
    assert len(ids) == len(TRIALS)
    assert {store.screening(i).trial_id for i in ids} == set(TRIALS)
    result = store.verify()
    assert result.ok and result.events == len(TRIALS) and result.screenings == len(TRIALS)
    row = store.screening(ids[0])
    assert row.request_id == request_id and row.channel == "cli" and "durable_rules" in row.engine
    assert json.loads(row.report_json)["trial_id"] == row.trial_id


@pytest.mark.parametrize("statement", [
    "UPDATE screenings SET verdict = 'eligible'",
    "DELETE FROM screenings",
    "UPDATE audit_events SET actor = 'someone else'",
    "DELETE FROM audit_events",
])
def test_database_refuses_update_and_delete(store, statement):
    _record(store, trials=["NCT06674265"])
    with pytest.raises(DBAPIError, match="append-only"):
        with store.engine.begin() as connection:
            connection.execute(text(statement))
    assert store.verify().ok


def test_tamper_edit_screening_is_caught(store):
    _, ids, _ = _record(store)
    _tamper(
        store,
        f"UPDATE screenings SET report_json = replace(report_json, 'ineligible', 'eligible') WHERE id = '{ids[3]}'",
    )
    result = store.verify()
    assert not result.ok and result.first_bad == 4 and "altered" in result.problem


def test_tamper_edit_event_is_caught(store):
    _record(store)
    _tamper(store, "UPDATE audit_events SET actor = 'someone else' WHERE seq = 2")
    result = store.verify()
    assert not result.ok and result.first_bad == 2 and "edited or forged" in result.problem


def test_tamper_delete_event_is_caught(store):
    _record(store)
    _tamper(store, "DELETE FROM audit_events WHERE seq = 3")
    result = store.verify()
    assert not result.ok and result.first_bad == 3 and "missing" in result.problem


def test_tamper_delete_last_event_is_caught(store):
    _record(store)
    _tamper(store, f"DELETE FROM audit_events WHERE seq = {len(TRIALS)}")
    result = store.verify()
    assert not result.ok and "no audit event" in result.problem


def test_tamper_cut_back_at_the_tail_is_caught_only_against_an_anchor(store):
    _, ids, _ = _record(store)
    anchor = store.verify()
    assert anchor.ok and anchor.events == len(TRIALS)
    last = len(TRIALS)
    _tamper(store, f"DELETE FROM audit_events WHERE seq = {last}", f"DELETE FROM screenings WHERE id = '{ids[-1]}'")
    _record(store, trials=["NCT06674265"])  # the service writes on from the new head
    # A hash chain cut back at its tail is consistent in itself: without an anchor this cannot be seen.
    assert store.verify().ok
    result = store.verify({anchor.events: anchor.head})
    assert not result.ok and result.first_bad == last and "anchored hash" in result.problem
    cut = store.verify({last + 3: anchor.head})  # past the head of the cut chain
    assert not cut.ok and "gone" in cut.problem


def test_tamper_reorder_events_is_caught(store):
    _record(store)
    _tamper(
        store,
        "UPDATE audit_events SET seq = -1 WHERE seq = 2",
        "UPDATE audit_events SET seq = 2 WHERE seq = 3",
        "UPDATE audit_events SET seq = 3 WHERE seq = -1",
    )
    result = store.verify()
    assert not result.ok and result.first_bad == 2


def test_tamper_insert_screening_without_event_is_caught(store):
    _, ids, _ = _record(store, trials=["NCT06674265"])
    columns = (
        "id, request_id, recorded_at, actor, channel, trial_id, rule_set_version, rule_set_digest, engine, as_of, "
        "verdict, record_json, report_json, corrects_id, content_hash"
    )
    _tamper(
        store,
        f"INSERT INTO screenings ({columns}) SELECT '00000000000000000000000000000000', request_id, recorded_at, "
        "actor, channel, trial_id, rule_set_version, rule_set_digest, engine, as_of, 'eligible', record_json, "
        "report_json, corrects_id, content_hash "
        f"FROM screenings WHERE id = '{ids[0]}'",
    )
    result = store.verify()
    assert not result.ok and "inserted outside the service" in result.problem


def test_tamper_insert_forged_event_is_caught(store):
    import hashlib

    _record(store, trials=["NCT06674265"])
    head = store.events()[-1]
    forged = hashlib.sha256(b"no key").hexdigest()
    _tamper(
        store,
        "INSERT INTO audit_events (seq, recorded_at, actor, action, subject, details_json, prev_hash, hash) "
        f"VALUES (2, '2026-11-23T00:00:00Z', 'intruder', 'export', 'screenings', '{{}}', '{head.hash}', '{forged}')",
    )
    result = store.verify()
    assert not result.ok and result.first_bad == 2 and "forged" in result.problem


def _writer(url: str, instance: str, count: int) -> None:
    from pathlib import Path

    from screener.audit import open_store

    store = open_store(url, Path(instance))
    record = parse_record((PATIENTS / "eligible.json").read_text())
    report = screen(record, "NCT06674265", AS_OF)
    for _ in range(count):
        store.record(record, [report], actor="writer", channel="batch")


def test_two_processes_writing_at_once_keep_the_chain_valid(store, database_url, tmp_path):
    context = multiprocessing.get_context("spawn")
    writers = [context.Process(target=_writer, args=(database_url, str(tmp_path), 25)) for _ in range(2)]
    for w in writers:
        w.start()
    for w in writers:
        w.join(120)
        assert w.exitcode == 0
    result = store.verify()
    assert result.ok and result.events == 50 and result.screenings == 50


def test_a_correction_references_the_screening_it_corrects(store):
    _, (first,), _ = _record(store, trials=["NCT06674265"])
    record = parse_record((PATIENTS / "eligible.json").read_text())
    _, (second,), _ = store.record(
        record, [screen(record, "NCT06674265", AS_OF)], actor="test", channel="cli", corrects=first
    )
    assert store.screening(second).corrects_id == first and store.verify().ok
    with pytest.raises(KeyError):
        store.record(record, [screen(record, "NCT06674265", AS_OF)], actor="test", channel="cli", corrects="0" * 32)


def test_export_json_and_csv(store):
    from screener.audit._export import export

    _record(store, trials=["NCT06674265"])
    count, chunks = export(store, "screenings", "json", "test")
    data = json.loads("".join(chunks))
    assert count == len(data) == 1
    assert data[0]["trial_id"] == "NCT06674265" and set(data[0]) >= {"id", "content_hash", "report_json", "corrects_id"}
    count, chunks = export(store, "events", "csv", "test")
    lines = "".join(chunks).splitlines()
    assert (
        lines[0] == "seq,recorded_at,actor,action,subject,details_json,prev_hash,hash"
    )  # the chain's columns, in order
    assert len(lines) == count + 1 and lines[1].startswith("1,")


def test_screening_log_adds_up(store):
    for patient in (
        "eligible.json",
        "ineligible-waiting.json",
        "incomplete.json",
        "aml-relapsed.json",
        "glioma-recurrent.json",
    ):
        _record(store, patient, trials=["NCT06674265"])
    log = screening_log(store.screenings(trial_id="NCT06674265"), "NCT06674265")
    assert log.screened == 5 and log.eligible == 1 and log.incomplete == 1 and log.ineligible == 3
    assert log.adds_up()
    # aml-relapsed fails I1 first (then E1); ineligible-waiting fails E1 first; glioma fails I1.
    assert log.ineligible_by_first_fail == {"NCT06674265-I1": 2, "NCT06674265-E1": 1}
    assert log.fails_by_criterion["NCT06674265-E1"] == 2
    from screener.audit._log import log_chart, log_csv

    assert log_chart(log)[:8] == b"\x89PNG\r\n\x1a\n" and "ineligible, first failing criterion" in log_csv(log)


def test_amendment_impact_lists_exactly_the_affected_screenings(store, tmp_path):
    from screener.audit import amendment_impact
    from screener.authoring.diff import diff
    from screener.rules import load_rule_set

    for patient in ("eligible.json", "ineligible-waiting.json", "incomplete.json", "glioma-adult-complete.json"):
        _record(store, patient, trials=["NCT06674265"])
    original = (PATIENTS.parent.parent / "criteria" / "NCT06674265.yaml").read_text()
    # Platelets 150,000: the eligible demo (142,000) now fails; ineligible-waiting already failed E1.
    version = re.search(r'^version: "(\d+)\.(\d+)\.\d+"', original, re.M)
    amended = original.replace("value: 50000, unit: /uL", "value: 150000, unit: /uL").replace(
        version[0], f'version: "{version[1]}.{int(version[2]) + 1}.0"', 1
    )
    path = tmp_path / "NCT06674265-1.1.yaml"
    path.write_text(amended)
    new = load_rule_set(path)
    changes = diff(load_rule_set(PATIENTS.parent.parent / "criteria" / "NCT06674265.yaml"), new)
    assert [(c.id, c.change, list(c.fields)) for c in changes] == [("NCT06674265-E1", "changed", ["logic"])]
    rescreened, impacts = amendment_impact(store, new)
    assert rescreened == 4
    # Both demos with platelets of 142,000 turn ineligible; the others are unchanged (62,000 already failed E1,
    # 210,000 still passes).
    assert sorted((i.old_verdict, i.new_verdict) for i in impacts) == [
        ("eligible", "ineligible"),
        ("incomplete", "ineligible"),
    ]
    # E1 alone changes, to fail: from pass (eligible demo) and from unknown (the incomplete demo's transfusion
    # history is not recorded: 142,000 could be transfusion-supported, but it is not above 150,000 either way).
    assert sorted(c[:3] for i in impacts for c in i.criteria) == [
        ("NCT06674265-E1", "pass", "fail"),
        ("NCT06674265-E1", "unknown", "fail"),
    ]


def test_export_csv_cells_match_the_csv_module():
    import csv
    import io

    from screener.audit._export import _csv_row

    values = [
        "plain",
        'with "quotes"',
        "a,b",
        "line\nbreak",
        "cr\rx",
        "",
        None,
        42,
        1.5,
        True,
        "'=formula",
        "tab\there",
    ]
    expected = io.StringIO()
    csv.writer(expected).writerow(values)
    assert _csv_row(values) == expected.getvalue()


def test_the_migrations_form_one_line():
    # Two branches each adding "0003" once gave two heads, and no store could be opened.
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from screener.audit._store import _MIGRATIONS

    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    assert len(ScriptDirectory.from_config(config).get_heads()) == 1
