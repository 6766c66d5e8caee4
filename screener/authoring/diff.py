"""What changed between two versions of a rule set, criterion by criterion (whose verdict it alters: audit.impact)."""
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
