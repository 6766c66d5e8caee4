"""What changed between two versions of a rule set, criterion by criterion (whose verdict it alters: audit.impact)."""
from dataclasses import dataclass, field

from ..engine.compile import compiled, describe
from ..model.ruleset import Criterion, RuleSet


@dataclass
class CriterionChange:
    id: str
    change: str  # added, removed, changed
    fields: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)  # name -> (old, new)


def _flat(value, path: str = "") -> dict[str, str]:
    """A model dump as dotted paths to printable values: lists joined, nested models opened."""
    if isinstance(value, dict):
        return {k: v for key, item in value.items() for k, v in _flat(item, f"{path}.{key}" if path else key).items()}
    if isinstance(value, list):
        return {path: "; ".join(str(item) for item in value)}
    return {path: "" if value is None else str(value).strip()}


def rule_set_diff(old: RuleSet, new: RuleSet) -> dict[str, tuple[str | None, str | None]]:
    """Rule-set-level fields that differ (version, population, lookbacks, coverage, recruitment, ...), by dotted
    path -> (old, new). Every field but the criteria is compared, so a field added to the schema is never
    missed; the changelog lists only its entries that are new (or gone)."""
    skip = {"criteria", "changelog"}
    before, after = (_flat(r.model_dump(mode="json", exclude=skip)) for r in (old, new))
    changes = {key: (before.get(key), after.get(key)) for key in [*before, *(k for k in after if k not in before)]
               if before.get(key) != after.get(key)}
    old_entries, new_entries = (
        [f"{c.version} ({c.date}): {c.changes.strip()}" for c in r.changelog] for r in (old, new)
    )
    added = [e for e in new_entries if e not in old_entries]
    removed = [e for e in old_entries if e not in new_entries]
    if added or removed:
        changes["changelog"] = ("; ".join(removed) or None, "; ".join(added) or None)
    return changes


def diff(old: RuleSet, new: RuleSet) -> list[CriterionChange]:
    """Criteria added, removed or changed (logic in plain words, source text, interpretation, kind, title,
    registry number, basis, citation, and the title and note in each other language); rule_set_diff covers the rest
    of the file."""
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
            for name, get in (
                ("logic", lambda c: describe(c.tree)),
                ("source_text", lambda c: c.criterion.source_text),
                ("interpretation", lambda c: (c.criterion.interpretation or "").strip()),
                ("kind", lambda c: c.criterion.kind),
                ("citation", lambda c: c.criterion.citation.text()),
                ("title", lambda c: c.criterion.title),
                ("basis", lambda c: c.criterion.basis),
                ("registry_number", lambda c: c.criterion.registry_number),
                *_translated_fields(a.criterion, b.criterion),
            ):
                if get(a) != get(b):
                    fields[name] = (get(a), get(b))
            if fields:
                changes.append(CriterionChange(cid, "changed", fields))
    order = {c.id: i for i, c in enumerate(new.criteria)} | {c.id: 1000 + i for i, c in enumerate(old.criteria)}
    return sorted(changes, key=lambda c: order[c.id])


def _translated_fields(*criteria: Criterion):
    """(name, getter) of the title and note in each language either version translates them into: a reviewer
    approving a version reads the words a Persian reader will read."""
    languages = sorted({language for c in criteria for language in (c.translations or {})})
    for language in languages:
        def words(c, language=language):
            return (c.criterion.translations or {}).get(language)

        yield f"title ({language})", lambda c, words=words: getattr(words(c), "title", None)
        yield f"interpretation ({language})", lambda c, words=words: (
            (getattr(words(c), "interpretation", None) or "").strip() or None)
