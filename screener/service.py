"""The one screening service every channel calls: read a record by its content type, validate it, screen it,
record it under its channel and sort out what went wrong. The API, the form, the CLI and the batch keep only what
is their own: where the body comes from (a request, form fields, a file, a line of NDJSON), how a result is shown,
and how each Refusal reads to their user (a problem response, the form again, an exit code).

The batch screens outcomes rather than full reports and records nothing one by one (see batch.py); it reads and
validates each record here and screens through outcomes()."""
from dataclasses import dataclass, field
from datetime import date
from enum import Enum, StrEnum
from typing import TYPE_CHECKING, Protocol

from .model.errors import FieldError, InvalidRecord, ScreenerError
from .model.record import PatientRecord
from .model.report import Report
from .screening import (
    Outcome,
    UnknownTrial,
    parse_data,
    parse_record,
    screen,
    screen_all,
    screen_all_outcomes,
    screen_outcome,
)

if TYPE_CHECKING:
    from .fhir import FhirImport


class Channel(StrEnum):
    """Where a screening came in: stored with it in the audit trail (the column holds the value)."""

    API = "api"
    FORM = "form"
    CLI = "cli"
    BATCH = "batch"


class Content(StrEnum):
    """What a submitted body is, by its media type."""

    NATIVE = "application/json"
    FHIR = "application/fhir+json"


def content_of(data) -> Content:
    """A JSON document already read, told apart by resourceType (a file has no media type): a native record has
    none; a FHIR resource must be a Bundle."""
    resource_type = data.get("resourceType") if isinstance(data, dict) else None
    if resource_type is None:
        return Content.NATIVE
    if resource_type != "Bundle":
        raise InvalidRecord([FieldError(("resourceType",), "a FHIR resource must be a Bundle holding the Patient")])
    return Content.FHIR


def read(
    body: bytes | str | dict, content: Content, as_of: date, *, check_as_of: bool = False
) -> tuple[PatientRecord, "FhirImport | None"]:
    """The record a body holds, validated, with the FHIR import report (None for a native record). check_as_of:
    the checks against the as-of date (born after it) join the field errors now rather than at screening."""
    if content is Content.FHIR:
        from .fhir import record_from_bundle  # here: a native record's channel (the CLI) does not load the reader

        return record_from_bundle(body, as_of)
    if isinstance(body, dict):  # only a FHIR Bundle arrives parsed (the CLI's); a native record is its text
        raise TypeError("a native record is read from its JSON text")
    return parse_record(body, as_of if check_as_of else None), None


def read_data(data: dict, as_of: date | None) -> PatientRecord:
    """A record the channel built itself (the form's fields), validated with the checks across fields."""
    return parse_data(data, as_of)


def reports(
    record: PatientRecord,
    as_of: date,
    engine: str | None,
    *,
    trial: str | None = None,
    trials: list[str] | None = None,
) -> list[Report]:
    """One trial's report, or every chosen trial's (default: all), candidates first."""
    if trial is not None:
        return [screen(record, trial, as_of, engine)]
    return screen_all(record, as_of, engine, trials)


def outcomes(record: PatientRecord, as_of: date, engine: str | None, trials: list[str] | None) -> list[Outcome]:
    """reports() for population pre-screening: the same judgement, the full report only for a candidate."""
    if trials is None:
        return screen_all_outcomes(record, as_of, engine)
    return [screen_outcome(record, t, as_of, engine) for t in trials]


class Recorder(Protocol):
    """The audit store, or the web app's group commit in front of it."""

    def record(self, record, reports, *, actor: str, channel: str, **kwargs) -> tuple[str, list[str]]: ...


@dataclass(frozen=True)
class Screened:
    """A screening recorded: the request's id, each report's screening id, the reports (and their JSON when the
    channel asked for it: serialised once, stored and answered)."""

    request_id: str
    ids: list[str]
    reports: list[Report]
    texts: list[str] | None = None

    def by_trial(self) -> dict[str, str]:
        return {r.trial_id: i for r, i in zip(self.reports, self.ids, strict=True)}


def screen_and_record(
    record: PatientRecord,
    as_of: date,
    *,
    channel: Channel,
    actor: str,
    recorder: Recorder,
    engine: str | None = None,
    trial: str | None = None,
    trials: list[str] | None = None,
    texts: bool = False,
) -> Screened:
    """Screen and record; nothing is answered unless it is recorded (a StoreError propagates)."""
    done = reports(record, as_of, engine, trial=trial, trials=trials)
    if texts:
        serialised = [r.model_dump_json() for r in done]
        request_id, ids = recorder.record(record, done, actor=actor, channel=channel.value, report_texts=serialised)
        return Screened(request_id, ids, done, serialised)
    request_id, ids = recorder.record(record, done, actor=actor, channel=channel.value)
    return Screened(request_id, ids, done)


class Refusal(Enum):
    """Why a screening gives no result: each channel words these its own way (status code, page, exit code)."""

    INVALID = "invalid record"  # the record (or the as-of date) cannot be screened: the fields are named
    UNKNOWN_TRIAL = "unknown trial"
    NOT_RECORDED = "not recorded"  # the store failed: no result is given, nothing was written


@dataclass(frozen=True)
class Refused:
    reason: Refusal
    errors: list[FieldError] = field(default_factory=list)
    kind: str | None = None  # a store error's kind (never a value from the record)


def refusal(exc: ScreenerError) -> Refused | None:
    """The refusal an error stands for; None for one that is not a refusal of the record (an engine disagreement,
    a bug), which goes on to the channel's own handler. Channels catch ScreenerError and re-raise on None."""
    from .audit import StoreError  # here: the batch's workers read and screen without loading the store

    if isinstance(exc, InvalidRecord):
        return Refused(Refusal.INVALID, list(exc.errors))
    if isinstance(exc, UnknownTrial):
        return Refused(Refusal.UNKNOWN_TRIAL)
    if isinstance(exc, StoreError):
        return Refused(Refusal.NOT_RECORDED, kind=exc.kind)
    return None
