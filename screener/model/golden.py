"""Schema of golden-case files: example patients with their expected verdict and per-criterion outcomes."""
import datetime as dt
from typing import Any

from ._base import StrictModel


class Expectation(StrictModel):
    verdict: str
    fail: list[str] = []
    unknown: list[str] = []
    eligible_from: dt.date | None = None
    no_fail_from: dt.date | None = None


class GoldenCase(StrictModel):
    name: str
    as_of: dt.date | None = None
    set: dict[str, Any] = {}
    add: dict[str, list[Any]] = {}
    drop_observations: list[str] = []
    expect: Expectation


class GoldenFile(StrictModel):
    trial_id: str
    base: str
    as_of: dt.date
    cases: list[GoldenCase]
