"""`screener rules lint`: clean on the shipped rule sets, and each class of error caught with its place."""
from pathlib import Path

import pytest
import yaml

from screener.authoring.lint import lint_paths, lint_text
from screener.rules import rule_set_files, safe_load

FIXTURES = Path(__file__).parent / "fixtures"


def test_shipped_rule_sets_are_clean():
    files = rule_set_files()
    assert files, "no rule files found"
    assert [str(p) for p in lint_paths(files)] == []


@pytest.fixture(scope="module")
def problems():
    text = (FIXTURES / "broken_rules.yaml").read_text()
    return lint_text(text, "broken_rules.yaml")


@pytest.mark.parametrize("path,message,line", [
    ("criteria[0].logic.field", "unknown field 'lab.plateletz'", 17),
    ("criteria[1].logic.unit", "unit '/uL' is not compatible with lab.hemoglobin", 23),
    ("criteria[2].source_text", "Field required", 24),
    ("criteria[4].id", "duplicate id B-DUPLICATE (first at criteria[3])", 35),
    ("criteria[5].logic.any[0]", "unreachable branch: the conditions on lab.platelets can never all hold", 48),
    ("criteria[6].source_text", "not found verbatim", 55),
    ("criteria[7].logic.threshhold", "Extra inputs are not permitted", 63),
    ("criteria[8].logic.value", "'superhigh' is not a value of diagnosis.risk_group", 69),
    ("criteria[9]", "give exactly one of logic", 70),
    ("criteria[10].logic.unit", "state the threshold's unit", 82),
])
def test_each_class_of_error_is_reported_with_its_place(problems, path, message, line):
    matching = [p for p in problems if p.path == path and message in p.message]
    assert matching, f"no problem at {path} containing {message!r}; got:\n" + "\n".join(map(str, problems))
    assert matching[0].line == line


def test_every_problem_is_reported_not_just_the_first(problems):
    assert len({p.path for p in problems}) >= 10


def test_yaml_syntax_error_has_a_line():
    problems = lint_text("trial_id: X\ncriteria: [\n  {id: a,\n", "bad.yaml")
    assert problems[0].path == "(yaml)" and problems[0].line is not None


def test_population_disagreeing_with_the_age_criterion_is_caught():
    text = (
        next(p for p in rule_set_files() if p.name == "NCT06674265.yaml")
        .read_text()
        .replace("max_age_years: 16", "max_age_years: 18", 1)
    )
    assert any("disagree with population" in p.message for p in lint_text(text, "x.yaml"))


def test_shipped_medication_tables_are_clean():
    from screener.authoring.lint_tables import lint_tables

    assert [str(p) for p in lint_tables()] == []


def test_medication_table_problems_are_each_reported(tmp_path):
    import shutil

    from screener.authoring.lint_tables import lint_tables
    from screener.config import SCREENER_CRITERIA_DIR

    tables = tmp_path / "tables"
    shutil.copytree(SCREENER_CRITERIA_DIR / "tables", tables)
    with (tables / "cyp3a4.yaml").open("a") as out:
        out.write(
            '  rifampicin: {role: inducer, strength: strong, source: "a synonym"}\n'
            '  fosphenytoin: {role: inducer, strength: strong, source: "a prodrug"}\n'
            '  zorbexal: {role: inhibitor, strength: strong, source: "invented"}\n'
            '  ketoconazole: {role: inhibitor, strength: strong, source: "twice"}\n'
        )
    with (tables / "corticosteroids.yaml").open("a") as out:
        out.write('  deflazacort: {prednisone_factor: 0.83}\n  budesonide: {source: "no factor"}\n')
    vocabulary = (tables / "medications.yaml").read_text()
    invented = "  - {spellings: {zorbexal: [zx], trimethoprim: [tmp]}, source: invented}\n"
    (tables / "medications.yaml").write_text(vocabulary.replace("\ncombinations:\n", "\ncombinations:\n" + invented))
    found = {(p.path, p.message.split(" (")[0]) for p in lint_tables(tmp_path)}
    assert ("combinations.0.spellings", "'zorbexal' is not an ingredient known to the medication vocabulary") in found
    assert ("drugs.rifampicin", "'rifampicin' is not an ingredient known to the medication vocabulary") in found
    assert (
        "drugs.fosphenytoin",
        "'fosphenytoin' is a prodrug of phenytoin: its classes come from phenytoin's row, not its own",
    ) in found
    assert ("drugs.zorbexal", "'zorbexal' is not an ingredient known to the medication vocabulary") in found
    assert ("drugs.ketoconazole", "'ketoconazole' is listed twice") in found
    assert ("drugs.deflazacort.source", "Field required") in found
    assert ("drugs.budesonide.prednisone_factor", "Field required") in found
    assert all(p.line for p in lint_tables(tmp_path))


@pytest.mark.parametrize("block", ["enrolment", "lookback", "coverage"])
def test_a_missing_top_level_block_is_reported(block):
    # A top-level path has no parent to fall back to when looking up its line: this used to loop for ever.
    data = safe_load(next(p for p in rule_set_files() if p.name == "NCT06674265.yaml").read_text())
    del data[block]
    problems = lint_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "x.yaml")
    assert [(p.path, p.message) for p in problems] == [(block, "Field required")]
