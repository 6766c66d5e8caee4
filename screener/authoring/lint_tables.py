"""`screener rules lint` for the medication class tables: known ingredients, no duplicates, factors cited."""
from pathlib import Path

import yaml
from pydantic import ValidationError

from .. import config
from ..model.tables import CorticosteroidTable, Cyp3a4Table, MedicationVocabulary
from ..rules import validation_problems, yaml_to_json
from .lint import Problem, _line_for, _line_index

CLASS_TABLES = {"corticosteroids.yaml": CorticosteroidTable, "cyp3a4.yaml": Cyp3a4Table}


def _duplicate_keys(text: str, section: str) -> list[tuple[str, str]]:
    """Keys given twice in one mapping: YAML keeps the last silently, so a row would vanish unseen."""
    try:
        root = yaml.compose(text)
    except yaml.YAMLError:
        return []
    found = []
    for key, value in root.value if isinstance(root, yaml.MappingNode) else ():
        if key.value == section and isinstance(value, yaml.MappingNode):
            seen = set()
            for item, _ in value.value:
                if item.value in seen:
                    found.append((f"{section}.{item.value}", f"{item.value!r} is listed twice"))
                seen.add(item.value)
    return found


def _read(path: Path, schema, problems: list[Problem]):
    text = path.read_text(encoding="utf-8")
    lines = _line_index(text)
    found = _duplicate_keys(text, "drugs" if schema is not MedicationVocabulary else "ingredients")
    table = None
    try:
        table = schema.model_validate_json(yaml_to_json(text))
    except (yaml.YAMLError, ValidationError) as exc:
        found.extend([(e.field, e.message) for e in validation_problems(exc)] if isinstance(exc, ValidationError)
                     else [("(yaml)", str(exc).splitlines()[0])])
    problems.extend(Problem(str(path), _line_for(lines, p), p, m) for p, m in found)
    return table, lines


def lint_tables(directory: Path | None = None) -> list[Problem]:
    """Every problem in the medication vocabulary and the class tables keyed by its ingredients."""
    from ..facts.drug_names import Vocabulary

    base = (directory or config.SCREENER_CRITERIA_DIR) / "tables"
    problems: list[Problem] = []
    vocabulary_table, vocabulary_lines = _read(base / "medications.yaml", MedicationVocabulary, problems)
    if vocabulary_table is None:
        return problems
    words = Vocabulary(vocabulary_table)

    def unknown(name: str) -> str | None:
        found = words.resolve(name)
        if found.ingredients == (name,):
            return None
        return f"{name!r} is not an ingredient known to the medication vocabulary" + (
            f" (it reads as {', '.join(found.ingredients)})" if found.ingredients else "")

    vocab_file = str(base / "medications.yaml")
    for ingredient, entry in vocabulary_table.ingredients.items():
        if entry.prodrug_of and (why := unknown(entry.prodrug_of)):
            path = f"ingredients.{ingredient}.prodrug_of"
            problems.append(Problem(vocab_file, _line_for(vocabulary_lines, path), path, why))
    for section, rows in (("products", vocabulary_table.products), ("rxnorm", vocabulary_table.rxnorm)):
        for key, row in rows.items():
            for ingredient in row.ingredients:
                if why := unknown(ingredient):
                    path = f"{section}.{key}.ingredients"
                    problems.append(Problem(vocab_file, _line_for(vocabulary_lines, path), path, why))

    for i, combination in enumerate(vocabulary_table.combinations):
        for ingredient in combination.spellings:
            if why := unknown(ingredient):
                path = f"combinations.{i}.spellings"
                problems.append(Problem(vocab_file, _line_for(vocabulary_lines, path), path, why))

    for name, schema in CLASS_TABLES.items():
        table, lines = _read(base / name, schema, problems)
        if table is None:
            continue
        owner: dict[str, str] = {}
        for key in table.drugs:
            path = f"drugs.{key}"
            why = unknown(key)
            active = words.active(key)
            if why is None and active != key:
                why = f"{key!r} is a prodrug of {active}: its classes come from {active}'s row, not its own"
            elif why is None and active in owner:
                why = f"{key!r} is the same ingredient as {owner[active]!r}"
            if why:
                problems.append(Problem(str(base / name), _line_for(lines, path), path, why))
            owner.setdefault(active, key)
    return problems
