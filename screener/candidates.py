"""Which screenings are worth a coordinator's time, and in what order: eligible, then incomplete with the disease.

A candidate is a screening that passes every encoded criterion (eligible, or, for a partial rule set, no known
exclusion), or is incomplete while the trial's disease is present: an inclusion criterion's comparison on
diagnosis.primary holds. An incomplete screening whose diagnosis is unknown or other is not a candidate: at
population scale it is most of the records and says nothing about this trial.
"""
from .model.report import Report

# Best first. "no_known_exclusion" is the verdict of a partial rule set whose encoded criteria all pass.
VERDICT_ORDER = {"eligible": 0, "no_known_exclusion": 1, "incomplete": 2, "ineligible": 3}
_PASSING = ("eligible", "no_known_exclusion")


def disease_present(report: Report) -> bool:
    """The trial's disease is established: a comparison on the primary diagnosis holds in an inclusion criterion."""
    return any(e.fact == "diagnosis.primary" and e.holds is True
               for c in report.criteria if c.kind == "inclusion" for e in c.evidence)


def is_candidate(report: Report) -> bool:
    return report.verdict in _PASSING or (report.verdict == "incomplete" and disease_present(report))


def open_items(report: Report) -> int:
    return report.counts["unknown"] if report.verdict == "incomplete" else 0


def rank(report: Report) -> tuple:
    """Sort key: candidates first (eligible, no known exclusion, then incomplete with the disease present, fewest
    open items first), then the rest by verdict; at equal verdict a complete rule set before a partial one."""
    return (not is_candidate(report), VERDICT_ORDER.get(report.verdict, 2), not report.coverage.complete,
            open_items(report), report.trial_id)
