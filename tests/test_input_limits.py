"""Limits on what one record or Bundle may hold: the worst accepted input is accepted and screened (benchmarks/
worst_case.py times it); one past any limit is refused naming the list and the limit, by the API, the CLI and batch."""
import json

import pytest
from click.testing import CliRunner

from benchmarks import worst_case
from screener import config
from screener.cli import main
from screener.fhir import record_from_bundle
from screener.model.errors import FieldError
from screener.screening import InvalidRecord, parse_record, screen_all

from .helpers import PATIENTS, trial_ids
from .test_fhir import AS_OF


@pytest.mark.parametrize("make", list(worst_case.NATIVE.values()) + list(worst_case.FHIR.values()),
                         ids=list(worst_case.NATIVE) + list(worst_case.FHIR))
def test_the_worst_accepted_input_at_each_limit_is_accepted_and_screened(make):
    text = make()
    fhir = make in worst_case.FHIR.values()
    record = record_from_bundle(text, AS_OF)[0] if fhir else parse_record(text)
    reports = screen_all(record, AS_OF, "reference")
    assert sorted(r.trial_id for r in reports) == sorted(trial_ids()) and all(len(r.criteria) > 0 for r in reports)
    if fhir:
        assert (
            len(json.loads(text)["entry"]) <= config.MAX_BUNDLE_ENTRIES and len(text.encode()) <= config.MAX_BODY_BYTES
        )
    else:
        assert len(text.encode()) <= config.MAX_RECORD_BYTES


def test_the_every_cap_inputs_reach_every_cap():
    history = parse_record(worst_case.full_record_json()).history
    assert (
        len(history.medications),
        len(history.transplants),
        len(history.chemotherapy),
        len(history.transfusions),
        len(history.imaging),
    ) == (
        config.MAX_MEDICATIONS_PER_RECORD,
        config.MAX_TRANSPLANTS_PER_RECORD,
        config.MAX_CHEMOTHERAPY_COURSES_PER_RECORD,
        config.MAX_TRANSFUSIONS_PER_RECORD,
        config.MAX_IMAGING_PER_RECORD,
    )
    text = worst_case.bundle_every_cap()
    record, _ = record_from_bundle(text, AS_OF)
    assert len(json.loads(text)["entry"]) == config.MAX_BUNDLE_ENTRIES
    assert (len(record.history.medications), len(record.history.transfusions), len(record.history.transplants)) == (
        config.MAX_MEDICATIONS_PER_RECORD,
        config.MAX_TRANSFUSIONS_PER_RECORD,
        config.MAX_TRANSPLANTS_PER_RECORD,
    )


def _native_with(eligible_json, key: str, limit: int) -> str:
    item = (eligible_json["history"][key] or [None])[0] if key != "observations" else eligible_json["observations"][0]
    items = [item] * (limit + 1)
    if key == "observations":
        eligible_json["observations"] = items
    else:
        eligible_json["history"][key] = items
    return json.dumps(eligible_json)


LISTS = [
    ("observations", "observations", config.MAX_OBSERVATIONS_PER_RECORD),
    ("medications", "history.medications", config.MAX_MEDICATIONS_PER_RECORD),
    ("transfusions", "history.transfusions", config.MAX_TRANSFUSIONS_PER_RECORD),
    ("transplants", "history.transplants", config.MAX_TRANSPLANTS_PER_RECORD),
    ("chemotherapy", "history.chemotherapy", config.MAX_CHEMOTHERAPY_COURSES_PER_RECORD),
    ("imaging", "history.imaging", config.MAX_IMAGING_PER_RECORD),
]


@pytest.mark.parametrize("key,field,limit", LISTS)
def test_a_native_list_past_its_limit_is_refused_naming_it(eligible_json, key, field, limit):
    with pytest.raises(InvalidRecord) as caught:
        parse_record(_native_with(eligible_json, key, limit))
    assert any(e.field == field and f"at most {limit}" in e.message for e in caught.value.errors), caught.value.errors


def _claims(count: int) -> str:
    # The cheapest entries there are: only their number can be too much.
    return json.dumps(
        {
            "resourceType": "Bundle",
            "entry": [worst_case._patient()] + [{"resource": {"resourceType": "Claim"}} for _ in range(count)],
        }
    )


def test_a_bundle_past_the_entry_limit_is_refused_before_it_is_read():
    with pytest.raises(InvalidRecord) as caught:
        record_from_bundle(_claims(config.MAX_BUNDLE_ENTRIES), AS_OF)
    assert caught.value.errors == [
        FieldError(
            ("entry",),
            f"the Bundle has {config.MAX_BUNDLE_ENTRIES + 1:,} entries; "
            f"at most {config.MAX_BUNDLE_ENTRIES:,} are read (MAX_BUNDLE_ENTRIES)",
        )
    ]
    record_from_bundle(_claims(config.MAX_BUNDLE_ENTRIES - 1), AS_OF)  # at the limit: read


@pytest.mark.parametrize(
    "setting,make",
    [
        ("MAX_OBSERVATIONS_PER_RECORD", worst_case._observation),
        ("MAX_MEDICATIONS_PER_RECORD", lambda i: worst_case._medication(0, i)),
        ("MAX_TRANSFUSIONS_PER_RECORD", lambda i: worst_case._procedure(i, "Platelet transfusion")),
        (
            "MAX_TRANSPLANTS_PER_RECORD",
            lambda i: worst_case._procedure(i, "Autologous hematopoietic stem cell transplant"),
        ),
    ],
)
def test_a_bundle_giving_a_list_past_its_limit_is_refused_at_the_entry_that_passes_it(monkeypatch, setting, make):
    monkeypatch.setattr(config, setting, 3)  # the reader checks as it reads: a small limit shows where it stops
    bundle = {"resourceType": "Bundle", "entry": [worst_case._patient()] + [make(i) for i in range(5)]}
    with pytest.raises(InvalidRecord) as caught:
        record_from_bundle(json.dumps(bundle), AS_OF)
    (error,) = caught.value.errors
    assert error.field == "entry[4]" and "more than 3 " in error.message and setting in error.message


def test_the_api_refuses_too_many_entries_with_422_naming_the_limit(client):
    response = client.post(
        "/api/v1/screen?as_of=2026-11-22", data=_claims(config.MAX_BUNDLE_ENTRIES), content_type="application/fhir+json"
    )
    assert response.status_code == 422
    assert (
        response.get_json()["errors"][0]["field"] == "entry"
        and "MAX_BUNDLE_ENTRIES" in response.get_json()["errors"][0]["message"]
    )


def test_the_api_refuses_a_native_list_past_its_limit(client, eligible_json):
    limit = config.MAX_TRANSFUSIONS_PER_RECORD
    response = client.post(
        "/api/v1/screen?as_of=2026-11-22",
        data=_native_with(eligible_json, "transfusions", limit),
        content_type="application/json",
    )
    assert response.status_code == 422 and response.get_json()["errors"][0]["field"] == "history.transfusions"


def test_the_cli_exits_2_naming_the_limit(tmp_path):
    path = tmp_path / "bundle.json"
    path.write_text(_claims(config.MAX_BUNDLE_ENTRIES))
    result = CliRunner().invoke(main, ["screen", str(path), "--all", "--as-of", "2026-11-22"])
    assert result.exit_code == 2 and "MAX_BUNDLE_ENTRIES" in result.output and "Traceback" not in result.output


def test_batch_lists_a_bundle_past_the_limit_in_errors_csv(tmp_path):
    from screener.batch import run_batch

    folder = tmp_path / "bundles"
    folder.mkdir()
    (folder / "big.json").write_text(_claims(config.MAX_BUNDLE_ENTRIES))
    (folder / "fine.json").write_text((PATIENTS.parent / "fhir" / "eligible.json").read_text())
    summary = run_batch(folder, tmp_path / "out", None, AS_OF, progress=False)
    assert (summary.records, summary.malformed) == (2, 1)
    assert (
        'big.json,entry,"the Bundle has 20,001 entries; at most 20,000 are read (MAX_BUNDLE_ENTRIES)"'
        in (tmp_path / "out" / "errors.csv").read_text()
    )
