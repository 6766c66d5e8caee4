"""`screener rules lint`: every problem in a rule file, each with its line and path, not just the first."""
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import ValidationError

from .. import config
from ..facts.keys import AnyFactKey
from ..model.language import LANGUAGES, western_digits
from ..model.ruleset import NO_AGE_LIMIT, Criterion, RuleSet, language_gaps, language_gaps_message
from ..model.validate import validate_data
from ..rules import SafeLoader, safe_load, validation_problems, yaml_to_json
from .draft import DraftInputError
from .source_check import normalise as _normalise
from .source_check import source_words

# durable-rules keeps at most 255 properties per fact (MAX_OBJECT_PROPERTIES, state.h); two are ours (sid, evaluated).
MAX_FACTS_PER_RULE_SET = 250


@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None
    path: str
    message: str
    warning: bool = False  # worth a look (a translation that may not be one), yet the rule file is usable

    def __str__(self) -> str:
        return f"{self.file}:{self.line or 0}: {self.path}: {'warning: ' if self.warning else ''}{self.message}"


def _line_index(text: str) -> dict[str, int]:
    """Path -> 1-based line of every mapping key and list item in a YAML document."""
    lines: dict[str, int] = {}

    def walk(node, path):
        lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                child = f"{path}.{key.value}" if path else key.value
                lines[child] = key.start_mark.line + 1
                walk(value, child)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                walk(item, f"{path}[{i}]")

    try:
        root = yaml.compose(text, Loader=SafeLoader)
    except yaml.YAMLError:
        return {}
    if root is not None:
        walk(root, "")
    return lines


def _line_for(lines: dict[str, int], path: str) -> int | None:
    while path:
        if path in lines:
            return lines[path]
        path = re.sub(r"(\.?[^.\[\]]+|\[\d+\])$", "", path)  # a top-level key too: "enrolment" -> ""
    return None


def _tree_problems(tree, path: str) -> list[tuple[str, str]]:
    """Branches that can never hold (contradictory bounds under all) and repeated comparisons."""
    from ..engine.compile import Leaf

    problems: list[tuple[str, str]] = []
    if isinstance(tree, Leaf):
        return problems
    leaves = [c for c in tree.children if isinstance(c, Leaf)]
    seen = set()
    for leaf in leaves:
        key = (leaf.fact, leaf.op, leaf.value)
        if key in seen:
            problems.append((path, f"the comparison '{leaf.text}' appears twice in the same {tree.op}"))
        seen.add(key)
    if tree.op == "all":
        by_fact: dict[AnyFactKey, list] = {}
        for leaf in leaves:
            by_fact.setdefault(leaf.fact, []).append(leaf)
        for fact, group in by_fact.items():
            low, high, low_open, high_open = float("-inf"), float("inf"), False, False
            equal = {leaf.value for leaf in group if leaf.op == "eq"}
            for leaf in group:
                if leaf.op in ("gt", "ge") and (leaf.value > low or (leaf.value == low and leaf.op == "gt")):
                    low, low_open = leaf.value, leaf.op == "gt"
                if leaf.op in ("lt", "le") and (leaf.value < high or (leaf.value == high and leaf.op == "lt")):
                    high, high_open = leaf.value, leaf.op == "lt"
            empty_interval = low > high or (low == high and (low_open or high_open))
            if len(equal) > 1 or empty_interval:
                problems.append((path, f"unreachable branch: the conditions on {fact} can never all hold"))
    for i, child in enumerate(tree.children):
        problems.extend(_tree_problems(child, f"{path}.{tree.op}[{i}]"))
    return problems


def lint_text(text: str, file: str, repo_root: Path | None = None) -> list[Problem]:
    from ..engine.compile import CompileError, compile_criterion
    from ..facts.keys import DerivedFact

    age = DerivedFact("age_years")

    repo_root = repo_root or config.SCREENER_CRITERIA_DIR.parent
    lines = _line_index(text)
    found: list[tuple[str, str]] = []
    try:
        data = safe_load(text)
        rule_set = RuleSet.model_validate_json(yaml_to_json(text))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        return [Problem(file, mark.line + 1 if mark else None, "(yaml)", str(exc).splitlines()[0])]
    except ValidationError as exc:
        found.extend((e.field, e.message) for e in validation_problems(exc))
        rule_set = None
    if rule_set is not None:
        criteria = list(enumerate(rule_set.criteria))
        source_record: object = rule_set.source_record
    else:
        # Schema errors in one criterion must not hide the problems of the others: check each on its own.
        criteria = []
        items = data.get("criteria") if isinstance(data, dict) else None
        for i, item in enumerate(items if isinstance(items, list) else []):
            try:
                criteria.append((i, validate_data(Criterion, item)))
            except ValidationError:
                pass
        source_record = data.get("source_record") if isinstance(data, dict) else None
        found = _placed_language_gaps(data, criteria, found)

    source = None
    if isinstance(source_record, str):
        source_path = repo_root / source_record
        if source_path.is_file():
            try:
                source = _normalise(source_words(source_path))
            except DraftInputError as exc:
                found.append(("source_record", f"source record {source_record} is not a study record: {exc}"))
        else:
            found.append(("source_record", f"source record {source_record} does not exist"))
    seen_ids: dict[str, int] = {}
    fact_names: set[AnyFactKey] = set()
    for i, criterion in criteria:
        path = f"criteria[{i}]"
        if criterion.id in seen_ids:
            found.append((f"{path}.id", f"duplicate id {criterion.id} (first at criteria[{seen_ids[criterion.id]}])"))
        seen_ids.setdefault(criterion.id, i)
        if not (repo_root / criterion.citation.source).is_file():
            found.append((f"{path}.citation.source", f"cited source {criterion.citation.source} does not exist"))
        if source is not None and _normalise(criterion.source_text) not in source:
            found.append((f"{path}.source_text", f"not found verbatim in {source_record}"))
        interpretation = (criterion.interpretation or "").lower()
        if criterion.basis == "publication" and "derived from publication" not in interpretation:
            found.append(
                (
                    f"{path}.interpretation",
                    "a criterion derived from a publication must say so: 'Derived from publication: …'",
                )
            )
        try:
            compiled = compile_criterion(criterion, ("criteria", i))
        except CompileError as exc:
            found.append((exc.error.field, exc.error.message))
            continue
        fact_names.update(leaf.fact for leaf in compiled.leaves)
        found.extend(_tree_problems(compiled.tree, f"{path}.logic"))
        if rule_set is not None and any(leaf.fact == age for leaf in compiled.leaves):
            bounds = {(leaf.op, leaf.value) for leaf in compiled.leaves if leaf.fact == age}
            low, high = rule_set.population.min_age_years, rule_set.population.max_age_years
            # A registry without a lower or upper age limit (a draft's population 0 or 120) leaves that bound out.
            expected = {("ge", float(low))} if low > 0 or ("ge", 0.0) in bounds else set()
            if high < NO_AGE_LIMIT or ("le", float(high)) in bounds:
                expected.add(("le", float(high)))
            if bounds != expected:
                found.append(
                    (
                        f"{path}.logic",
                        f"age bounds {sorted(bounds)} disagree with population "
                        f"{rule_set.population.min_age_years}-{rule_set.population.max_age_years} years",
                    )
                )
    if rule_set is not None and rule_set.coverage.complete:
        found.extend((f"criteria[{i}].unencoded", "coverage.complete is true, yet this criterion is an unencoded "
                      "placeholder: encode it, or say the coverage is partial")
                     for i, c in criteria if c.unencoded)
    warnings = [w for i, criterion in criteria for w in _translation_warnings(criterion, f"criteria[{i}]")]
    if len(fact_names) > MAX_FACTS_PER_RULE_SET:
        found.append(
            (
                "criteria",
                f"{len(fact_names)} distinct facts; durable-rules holds at most {MAX_FACTS_PER_RULE_SET} per record",
            )
        )
    return ([Problem(file, _line_for(lines, p), p, m) for p, m in found]
            + [Problem(file, _line_for(lines, p), p, m, warning=True) for p, m in warnings])


def _placed_language_gaps(data, criteria: list[tuple[int, Criterion]], found: list[tuple[str, str]]):
    """The rule set's language check, whose one message stands at the top level, shown instead at each criterion
    (and language) it concerns."""
    languages = data.get("languages") if isinstance(data, dict) else None
    if languages is not None and not (isinstance(languages, list) and all(x in LANGUAGES for x in languages)):
        return found  # the languages field's own error is reported; a check against it would only add noise
    gaps = language_gaps(languages, [criterion for _, criterion in criteria])
    if not gaps:
        return found
    whole = language_gaps_message(gaps)
    placed = [(gap.path if gap.criterion is None else f"criteria[{criteria[gap.criterion][0]}].{gap.path}",
               gap.message) for gap in gaps]
    return [(path, message) for path, message in found if message != whole] + placed


# The letters a translation's title must contain to be in its language at all.
_LETTERS = {"fa": "ARABIC LETTER"}
_NUMBER = re.compile(r"\d+(?:,\d{3})*(?:\.\d+)?")


def _numbers(text: str) -> Counter[str]:
    """The numbers a text states, whatever its digits and separators (Persian ٫ decimal, ٬ thousands)."""
    text = western_digits(text).replace("\u066b", ".").replace("\u066c", ",")
    return Counter(n.replace(",", "") for n in _NUMBER.findall(text))


def _translation_warnings(criterion: Criterion, path: str) -> list[tuple[str, str]]:
    """A translated title or note that may not be one: no letter of its language, the English words copied, or
    numbers (thresholds, day counts) that are not the English ones."""
    warnings = []
    for language, words in (criterion.translations or {}).items():
        at = f"{path}.translations.{language}"
        letters = _LETTERS[language]
        if not any(unicodedata.name(ch, "").startswith(letters) for ch in words.title):
            warnings.append((f"{at}.title", f"criterion {criterion.id}: the {language} title has no "
                             f"{language} letters"))
        if " ".join(words.title.split()) == " ".join(criterion.title.split()):
            warnings.append((f"{at}.title", f"criterion {criterion.id}: the {language} title is the English one"))
        pairs = [("title", criterion.title, words.title)]
        if criterion.interpretation and words.interpretation:
            pairs.append(("interpretation", criterion.interpretation, words.interpretation))
            if " ".join(words.interpretation.split()) == " ".join(criterion.interpretation.split()):
                warnings.append((f"{at}.interpretation", f"criterion {criterion.id}: the {language} "
                                 "interpretation note is the English one"))
        for name, english, translated in pairs:
            if _numbers(english) != _numbers(translated):
                missing = sorted((_numbers(english) - _numbers(translated)).elements())
                extra = sorted((_numbers(translated) - _numbers(english)).elements())
                warnings.append((f"{at}.{name}", f"criterion {criterion.id}: the {language} {name} states other "
                                 f"numbers than the English one (missing {', '.join(missing) or 'none'}; "
                                 f"not in the English {', '.join(extra) or 'none'})"))
    return warnings


def lint_paths(paths: list[Path]) -> list[Problem]:
    problems = []
    for path in paths:
        problems.extend(lint_text(Path(path).read_text(encoding="utf-8"), str(path)))
    return problems
