"""Golden cases: run every example patient of a trial and compare verdict and every criterion's status."""
import copy
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from .. import config
from ..model.flat import set_path
from ..model.golden import GoldenCase, GoldenFile
from ..rules import yaml_to_json


@dataclass
class CaseResult:
    trial_id: str
    name: str
    engine: str
    mismatches: list[str]
    statuses: Mapping[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.mismatches


def golden_files(directory: Path | None = None) -> list[Path]:
    return sorted(((directory or config.SCREENER_CRITERIA_DIR) / "golden").glob("*.yaml"))


def load_golden(path: Path) -> GoldenFile:
    return GoldenFile.model_validate_json(yaml_to_json(Path(path).read_text(encoding="utf-8")))


def _set_path(record: dict, dotted: str, value) -> None:
    """A case's change: set the value, or with None remove the field."""
    if value is not None:
        set_path(record, dotted, value)
        return
    *parents, last = dotted.split(".")
    node = record
    for part in parents:
        node = node.setdefault(part, {})
    node.pop(last, None)


def case_record(golden: GoldenFile, case: GoldenCase, repo_root: Path) -> str:
    """The case's record as JSON text: the base patient with the case's changes applied."""
    record = json.loads((repo_root / golden.base).read_text(encoding="utf-8"))
    record = copy.deepcopy(record)
    if case.drop_observations:
        record["observations"] = [o for o in record.get("observations", []) if o["test"] not in case.drop_observations]
    for dotted, value in case.set.items():
        _set_path(record, dotted, value)
    for dotted, items in case.add.items():
        *parents, last = dotted.split(".")
        node = record
        for part in parents:
            node = node.setdefault(part, {})
        node.setdefault(last, []).extend(items)
    return json.dumps(record, default=str)


def run_case(golden: GoldenFile, case: GoldenCase, engine: str, repo_root: Path | None = None) -> CaseResult:
    from ..screening import parse_record, screen

    repo_root = repo_root or config.SCREENER_CRITERIA_DIR.parent
    record = parse_record(case_record(golden, case, repo_root))
    report = screen(record, golden.trial_id, case.as_of or golden.as_of, engine)
    statuses = {c.id: c.status for c in report.criteria}
    mismatches = []
    if report.verdict != case.expect.verdict:
        mismatches.append(f"verdict {report.verdict}, expected {case.expect.verdict}")
    for criterion_id in set(case.expect.fail) | set(case.expect.unknown):
        if criterion_id not in statuses:
            mismatches.append(f"{criterion_id}: no such criterion in {golden.trial_id}")
    for criterion_id, status in statuses.items():
        expected = (
            "fail" if criterion_id in case.expect.fail else "unknown" if criterion_id in case.expect.unknown else "pass"
        )
        if status != expected:
            reason = next(c.reason for c in report.criteria if c.id == criterion_id)
            mismatches.append(f"{criterion_id}: {status}, expected {expected} ({reason})")
    if case.expect.eligible_from is not None and report.eligible_from != case.expect.eligible_from:
        mismatches.append(f"eligible_from {report.eligible_from}, expected {case.expect.eligible_from}")
    if case.expect.no_fail_from is not None and report.no_fail_from != case.expect.no_fail_from:
        mismatches.append(f"no_fail_from {report.no_fail_from}, expected {case.expect.no_fail_from}")
    return CaseResult(golden.trial_id, case.name, engine, mismatches, statuses)


def coverage_gaps(results: list[CaseResult], expected: dict[str, dict[str, set[str]]]) -> list[str]:
    """Criteria that no golden case shows in every status they can take.

    expected: trial id -> criterion id -> the statuses it can take (a criterion over always-known facts, such
    as age from the required birth date, can never be unknown).
    """
    seen: dict[tuple[str, str], set[str]] = {}
    for result in results:
        for criterion_id, status in result.statuses.items():
            seen.setdefault((result.trial_id, criterion_id), set()).add(status)
    gaps = []
    for trial_id, criteria in expected.items():
        for criterion_id, statuses in criteria.items():
            missing = statuses - seen.get((trial_id, criterion_id), set())
            if missing:
                gaps.append(f"{trial_id} {criterion_id}: no golden case shows {', '.join(sorted(missing))}")
    return gaps
