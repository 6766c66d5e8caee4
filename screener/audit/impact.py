"""Amendment impact: re-screen stored screenings under a new rule set, and list whose outcome would change."""
from dataclasses import dataclass

from ..model.ruleset import RuleSet
from ._errors import store_boundary
from ._store import record_of, report_of


@dataclass
class Impact:
    screening_id: str
    old_verdict: str
    new_verdict: str
    criteria: list[tuple[str, str, str, str]]  # (criterion id, old status, new status, new reason)


@store_boundary
class AmendmentImpact:
    """Re-screen every stored screening of the trial under the new rule set (same record, same as-of date).

    Iterating yields each screening whose outcome changes, as it is found: the stored screenings are read from
    one snapshot in batches, so memory does not grow with the store. `rescreened` counts every one re-screened.
    """

    def __init__(self, store, new: RuleSet, engine: str | None = None):
        self.store, self.new, self.engine = store, new, engine
        self.rescreened = 0

    def __iter__(self):
        from datetime import date

        from ..screening import rescreen

        with self.store.snapshot() as session:
            for row in self.store.stream_screenings(session, self.new.trial_id):
                old_report = report_of(row)
                new_report = rescreen(record_of(row), self.new, date.fromisoformat(row.as_of), self.engine)
                self.rescreened += 1
                old_status = {c.id: c.status for c in old_report.criteria}
                changed: list[tuple[str, str, str, str]] = [
                    (c.id, old_status.get(c.id, "(absent)"), c.status, c.reason)
                    for c in new_report.criteria if old_status.get(c.id) != c.status
                ]
                changed += [(cid, status, "(removed)", "") for cid, status in old_status.items()
                            if cid not in {c.id for c in new_report.criteria}]
                if new_report.verdict != old_report.verdict or changed:
                    yield Impact(row.id, old_report.verdict, new_report.verdict, changed)


@store_boundary
def amendment_impact(store, new: RuleSet, engine: str | None = None) -> tuple[int, list[Impact]]:
    """(re-screened, impacts) as a list: for callers that want them all at once."""
    run = AmendmentImpact(store, new, engine)
    impacts = list(run)
    return run.rescreened, impacts
