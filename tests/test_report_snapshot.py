"""The full report JSON of 2,340 fixed screenings is byte for byte what the unoptimised implementation wrote.

Demo patients, every golden case and generated records, each against every trial in criteria/ (see
tests/report_cases.py).
"""
import difflib
import json

import pytest

from tests import report_cases

DIGESTS, DEMO = report_cases.expected()
CASES = list(report_cases.cases())


def test_every_case_is_pinned():
    assert sorted(name for name, *_ in CASES) == sorted(DIGESTS)


@pytest.mark.parametrize("engine", ["durable", "reference"])
def test_reports_match_the_pinned_ones(engine):
    differing = []
    for name, text, trial, as_of in CASES:
        report = report_cases.report_json(text, trial, as_of, engine)
        if engine == "reference":  # the only field that names the backend
            report = report.replace('"engine":"reference"', '"engine":"durable"', 1)
        if report_cases.digest(report) != DIGESTS[name]:
            differing.append((name, report))
    if differing:
        name, report = next(((n, r) for n, r in differing if n in DEMO), differing[0])
        diff = ""
        if name in DEMO:
            ours = json.dumps(json.loads(report), indent=1, sort_keys=True, ensure_ascii=False).splitlines()
            pinned = json.dumps(DEMO[name], indent=1, sort_keys=True, ensure_ascii=False).splitlines()
            diff = "\n".join(list(difflib.unified_diff(pinned, ours, "pinned", "now", lineterm=""))[:80])
        pytest.fail(
            f"{len(differing)} of {len(CASES)} reports differ, e.g. {', '.join(n for n, _ in differing[:5])}\n{diff}"
        )
