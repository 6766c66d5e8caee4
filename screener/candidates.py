"""Which screenings are worth a coordinator's time, and in what order: eligible, then incomplete with the disease.

A candidate is a screening that is eligible, or incomplete while the trial's disease is present: an inclusion
criterion's comparison on diagnosis.primary holds. An incomplete screening whose diagnosis is unknown or other is
not a candidate: at population scale it is most of the records and says nothing about this trial.
"""
from .model.report import Report

_VERDICT_ORDER = {"eligible": 0, "incomplete": 1, "ineligible": 2}


def disease_present(report: Report) -> bool:
    """The trial's disease is established: a comparison on the primary diagnosis holds in an inclusion criterion."""
    return any(e.fact == "diagnosis.primary" and e.holds is True
               for c in report.criteria if c.kind == "inclusion" for e in c.evidence)


def is_candidate(report: Report) -> bool:
    return report.verdict == "eligible" or (report.verdict == "incomplete" and disease_present(report))


def open_items(report: Report) -> int:
    return report.counts["unknown"] if report.verdict == "incomplete" else 0


def rank(report: Report) -> tuple:
    """Sort key: eligible; incomplete with the disease present, fewest open items first; then the rest by verdict."""
    group = 0 if report.verdict == "eligible" else 1 if is_candidate(report) else 2
    return group, _VERDICT_ORDER.get(report.verdict, 1), open_items(report), report.trial_id
