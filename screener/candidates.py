"""Which screenings are worth a coordinator's time, and in what order: eligible, then incomplete with the disease.

A candidate is a screening that is eligible (or, for a partial rule set, has no known exclusion), or incomplete
while the trial's disease is present: an inclusion
criterion's comparison on diagnosis.primary holds. An incomplete screening whose diagnosis is unknown or other is
not a candidate: at population scale it is most of the records and says nothing about this trial.
"""
from .model.report import Report
from .model.verdict import Status, Verdict


def disease_present(report: Report) -> bool:
    """The trial's disease is established: a comparison on the primary diagnosis holds in an inclusion criterion."""
    return any(e.fact == "diagnosis.primary" and e.holds is True
               for c in report.criteria if c.kind == "inclusion" for e in c.evidence)


def is_candidate(report: Report) -> bool:
    return candidate_by_verdict(report.verdict, lambda: disease_present(report))


def candidate_by_verdict(verdict: Verdict, disease_is_present) -> bool:
    """The rule itself, for a report or a batch screening without one (disease_is_present called only if needed)."""
    return verdict.passing or (verdict == Verdict.INCOMPLETE and disease_is_present())


def open_items(report: Report) -> int:
    return report.counts[Status.UNKNOWN] if report.verdict == Verdict.INCOMPLETE else 0


def rank(report: Report) -> tuple:
    """Sort key: eligible, then no known exclusion (partial rule set); incomplete with the disease present; then the
    rest by verdict. At equal verdict a complete rule set ranks above a partial one, then fewest open items."""
    return order(report.verdict, is_candidate(report), report.coverage.complete, open_items(report), report.trial_id)


def order(verdict: Verdict, candidate: bool, complete: bool, items: int, trial_id: str) -> tuple:
    """rank's key from its parts (a batch ranks screenings it built no report for)."""
    group = 0 if verdict.passing else 1 if candidate else 2
    return group, verdict.rank, not complete, items, trial_id
