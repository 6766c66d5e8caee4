"""The one screening service: reading by content, screening, recording under a typed channel, refusals; and that
every channel (API, form, CLI, batch) goes through it."""
import json
from datetime import date

import pytest
from click.testing import CliRunner
from freezegun import freeze_time

from screener import service
from screener.audit import StoreError
from screener.engine import EngineDisagreement
from screener.model.errors import FieldError, InvalidRecord
from screener.screening import UnknownTrial, parse_record, screen_all

from .helpers import PATIENTS, authorised, make_app, trial_ids

AS_OF = date(2026, 11, 22)
ELIGIBLE = (PATIENTS / "eligible.json").read_text()


class _Recorder:
    """Stands in for the audit store: remembers what it was asked to record."""

    def __init__(self):
        self.calls = []

    def record(self, record, reports, **kwargs):
        self.calls.append((record, reports, kwargs))
        from screener.audit._group_commit import Recorded

        return Recorded("request", [f"id-{r.trial_id}" for r in reports], record.screening_number)


def test_channels_are_the_values_the_trail_stores():
    assert {"api", "form", "cli", "batch"} <= {c.value for c in service.Channel}  # a new channel is one member
    assert all(len(c.value) <= 10 for c in service.Channel)  # audit/_models.py: String(10)


def test_content_is_told_by_resource_type():
    assert service.content_of({"demographics": {}}) is service.Content.NATIVE
    assert service.content_of([]) is service.Content.NATIVE  # left for validation to refuse, naming the field
    assert service.content_of({"resourceType": "Bundle"}) is service.Content.FHIR
    with pytest.raises(InvalidRecord) as refused:
        service.content_of({"resourceType": "Patient"})
    assert [e.field for e in refused.value.errors] == ["resourceType"]


def test_the_as_of_checks_join_the_field_errors_only_when_asked():
    born_later = json.dumps({**json.loads(ELIGIBLE), "demographics": {"birth_date": "2026-12-01", "sex": "female"}})
    record, imported = service.read(born_later, service.Content.NATIVE, AS_OF)  # refused at screening instead
    assert imported is None and record.demographics.birth_date == date(2026, 12, 1)
    with pytest.raises(InvalidRecord) as refused:
        service.read(born_later, service.Content.NATIVE, AS_OF, check_as_of=True)
    assert "demographics.birth_date" in [e.field for e in refused.value.errors]
    with pytest.raises(InvalidRecord):
        service.reports(record, AS_OF, "reference", trial="NCT06674265")


def test_one_trial_or_every_trial_in_screen_alls_order():
    record = parse_record(ELIGIBLE)
    (one,) = service.reports(record, AS_OF, "reference", trial="NCT06674265")
    assert one.trial_id == "NCT06674265"
    every = service.reports(record, AS_OF, "reference")
    assert [r.trial_id for r in every] == [r.trial_id for r in screen_all(record, AS_OF, "reference")]
    assert sorted(r.trial_id for r in every) == sorted(trial_ids())
    assert [o.trial_id for o in service.outcomes(record, AS_OF, "reference", None)] == [r.trial_id for r in every]
    with pytest.raises(UnknownTrial):
        service.reports(record, AS_OF, "reference", trial="NCT00000000")


def test_recorded_under_its_channel_with_the_text_answered():
    recorder = _Recorder()
    screened = service.screen_and_record(
        parse_record(ELIGIBLE), AS_OF, channel=service.Channel.API, actor="tester", recorder=recorder,
        engine="reference", trial="NCT06674265", texts=True,
    )
    (_, reports, kwargs), = recorder.calls
    assert kwargs == {"actor": "tester", "channel": "api", "report_texts": screened.texts, "corrects": None,
                      "correction_reason": None, "assign_number": True}  # a record without a number gets one
    assert screened.texts == [reports[0].model_dump_json()] and screened.reports == reports
    assert screened.by_trial() == {"NCT06674265": "id-NCT06674265"}


def test_nothing_is_recorded_when_screening_refuses():
    recorder = _Recorder()
    with pytest.raises(UnknownTrial):
        service.screen_and_record(parse_record(ELIGIBLE), AS_OF, channel=service.Channel.CLI, actor="tester",
                                  recorder=recorder, trial="NCT00000000")
    assert recorder.calls == []


def test_refusals():
    errors = [FieldError(("labs",), "bad")]
    assert service.refusal(InvalidRecord(errors)) == service.Refused(service.Refusal.INVALID, errors)
    assert service.refusal(UnknownTrial("x")).reason is service.Refusal.UNKNOWN_TRIAL
    not_recorded = service.refusal(StoreError(TimeoutError()))
    assert not_recorded.reason is service.Refusal.NOT_RECORDED and not_recorded.kind == "TimeoutError"
    assert service.refusal(EngineDisagreement("i", "t", ["c"])) is None  # the channel's own handler answers it


# --- every channel goes through the service ------------------------------------------------------------------------
@pytest.fixture
def calls(monkeypatch):
    """Each channel's call of service.screen_and_record / service.outcomes, the real function still answering."""
    seen = []
    for name in ("screen_and_record", "outcomes"):
        real = getattr(service, name)

        def spy(*args, real=real, name=name, **kwargs):
            seen.append((name, kwargs.get("channel")))
            return real(*args, **kwargs)

        monkeypatch.setattr(service, name, spy)
    return seen


@freeze_time("2026-11-22")
def test_the_api_screens_through_the_service(tmp_path, calls):
    client = authorised(make_app(tmp_path), "screener")
    response = client.post("/api/v1/trials/NCT06674265/screen?as_of=2026-11-22", data=ELIGIBLE,
                           content_type="application/json")
    assert response.status_code == 200 and calls == [("screen_and_record", service.Channel.API)]
    response = client.post("/api/v1/screen?as_of=2026-11-22", data=ELIGIBLE, content_type="application/json")
    assert response.status_code == 200 and calls[1:] == [("screen_and_record", service.Channel.API)]


@freeze_time("2026-11-22")
def test_the_form_screens_through_the_service(tmp_path, calls):
    client = authorised(make_app(tmp_path, WTF_CSRF_ENABLED=False), "screener")
    response = client.post("/screen", data={"trial": "NCT06674265", "as_of": "2026-11-22",
                                            "demographics.birth_date": "2018-03-14", "demographics.sex": "female"})
    assert response.status_code == 303 and calls == [("screen_and_record", service.Channel.FORM)]


@freeze_time("2026-11-22")
def test_the_cli_screens_through_the_service(calls):
    from screener.cli import main

    result = CliRunner().invoke(main, ["screen", str(PATIENTS / "eligible.json"), "--trial", "NCT06674265",
                                       "--as-of", "2026-11-22", "--engine", "reference"])
    assert result.exit_code == 0, result.output
    assert calls == [("screen_and_record", service.Channel.CLI)]


def test_the_batch_screens_each_record_through_the_service(calls):
    from screener.batch import Item, screen_chunk

    chunk = [Item("line 1", "native", ELIGIBLE), Item("line 2", "native", "{")]
    rows, errors, _ = screen_chunk(chunk, None, AS_OF, "reference")
    assert calls == [("outcomes", None)]  # the malformed record is refused on reading, before screening
    assert {row[3] for row in rows} == set(trial_ids()) and [e[0] for e in errors] == ["line 2"]  # row[3]: trial_id
