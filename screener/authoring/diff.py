"""Rule-set auditing: what changed between two versions, and whose stored verdict a change would alter."""
from dataclasses import dataclass, field

from ..engine.compile import compiled, describe
from ..model.ruleset import RuleSet


@dataclass
class CriterionChange:
    id: str
    change: str  # added, removed, changed
    fields: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)  # name -> (old, new)


def diff(old: RuleSet, new: RuleSet) -> list[CriterionChange]:
    """Criteria added, removed or changed (logic in plain words, source text, interpretation, kind, attestation)."""
    before = {c.id: c for c in compiled(old).criteria}
    after = {c.id: c for c in compiled(new).criteria}
    changes = []
    for cid in before.keys() | after.keys():
        if cid not in after:
            changes.append(CriterionChange(cid, "removed", {"logic": (describe(before[cid].tree), None)}))
        elif cid not in before:
            changes.append(CriterionChange(cid, "added", {"logic": (None, describe(after[cid].tree))}))
        else:
            a, b = before[cid], after[cid]
            fields = {}
            for name, get in (("logic", lambda c: describe(c.tree)), ("source_text", lambda c: c.criterion.source_text),
                              ("interpretation", lambda c: (c.criterion.interpretation or "").strip()),
                              ("kind", lambda c: c.criterion.kind), ("citation", lambda c: c.criterion.citation.text())):
                if get(a) != get(b):
                    fields[name] = (get(a), get(b))
            if fields:
                changes.append(CriterionChange(cid, "changed", fields))
    order = {c.id: i for i, c in enumerate(new.criteria)} | {c.id: 1000 + i for i, c in enumerate(old.criteria)}
    return sorted(changes, key=lambda c: order[c.id])


@dataclass
class Impact:
    screening_id: str
    old_verdict: str
    new_verdict: str
    criteria: list[tuple[str, str, str, str]]  # (criterion id, old status, new status, new reason)


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

        from ..audit import record_of, report_of
        from ..screening import screen

        with self.store.snapshot() as session:
            for row in self.store.stream_screenings(session, self.new.trial_id):
                old_report = report_of(row)
                new_report = screen(record_of(row), self.new, date.fromisoformat(row.as_of), self.engine)
                self.rescreened += 1
                old_status = {c.id: c.status for c in old_report.criteria}
                changed = [(c.id, old_status.get(c.id, "(absent)"), c.status, c.reason)
                           for c in new_report.criteria if old_status.get(c.id) != c.status]
                changed += [(cid, status, "(removed)", "") for cid, status in old_status.items()
                            if cid not in {c.id for c in new_report.criteria}]
                if new_report.verdict != old_report.verdict or changed:
                    yield Impact(row.id, old_report.verdict, new_report.verdict, changed)


def amendment_impact(store, new: RuleSet, engine: str | None = None) -> tuple[int, list[Impact]]:
    """(re-screened, impacts) as a list: for callers that want them all at once."""
    run = AmendmentImpact(store, new, engine)
    impacts = list(run)
    return run.rescreened, impacts
