"""A rule set's declared languages (issue 30 point 3): a rule set that declares Persian gives every criterion a
Persian title, and a Persian interpretation note exactly where the English one exists; `screener rules lint` names
the criterion and the language of every gap (and fails), and warns, without failing, of a Persian title or note
that may not be a translation at all."""
import copy

import pytest
import yaml
from click.testing import CliRunner
from pydantic import ValidationError

from screener.authoring.lint import lint_text
from screener.cli import main
from screener.model.ruleset import RuleSet
from screener.rules import load_rule_set, rule_set_files, yaml_to_json

from .helpers import REPO

run = CliRunner().invoke
NCT = REPO / "criteria" / "NCT06674265.yaml"


@pytest.fixture(scope="module")
def nct():
    return yaml.safe_load(NCT.read_text(encoding="utf-8"))


def _criterion(data: dict, suffix: str) -> dict:
    return next(c for c in data["criteria"] if c["id"] == f"NCT06674265-{suffix}")


def _edited(nct: dict, edit) -> str:
    data = copy.deepcopy(nct)
    edit(data)
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def _refusal(text: str) -> str:
    with pytest.raises(ValidationError) as caught:
        RuleSet.model_validate_json(yaml_to_json(text))
    (error,) = caught.value.errors()
    return error["msg"]


def test_nct06674265_declares_persian_and_gives_every_title_and_note():
    rule_set = load_rule_set(NCT)
    assert rule_set.languages == ["en", "fa"]
    for criterion in rule_set.criteria:
        words = (criterion.translations or {})["fa"]
        assert words.title and (words.interpretation is None) == (criterion.interpretation is None), criterion.id


def test_the_shipped_file_validates_as_edited_here(nct):
    # The refusals below come from the one change each makes, not from the YAML round trip.
    assert RuleSet.model_validate_json(yaml_to_json(_edited(nct, lambda data: None))).languages == ["en", "fa"]


def test_a_declared_language_without_a_criterion_title_is_refused(nct):
    text = _edited(nct, lambda data: _criterion(data, "E3b").pop("translations"))
    assert "criterion NCT06674265-E3b: no fa title (the rule set declares fa)" in _refusal(text)


def test_a_declared_language_without_a_note_where_english_has_one_is_refused(nct):
    text = _edited(nct, lambda data: _criterion(data, "E7")["translations"]["fa"].pop("interpretation"))
    assert "criterion NCT06674265-E7: no fa interpretation note (the rule set declares fa)" in _refusal(text)


def test_a_persian_note_with_no_english_one_is_refused(nct):
    text = _edited(nct, lambda data: _criterion(data, "E16").pop("interpretation"))
    assert "criterion NCT06674265-E16: a fa interpretation note with no English one" in _refusal(text)


def test_translations_in_an_undeclared_language_are_refused(nct):
    text = _edited(nct, lambda data: data.pop("languages"))
    message = _refusal(text)
    assert "criterion NCT06674265-AGE: translations in fa, which the rule set does not declare" in message
    assert "more (screener rules lint lists them)" in message  # 21 criteria: the message stays readable


def test_english_is_always_declared(nct):
    text = _edited(nct, lambda data: data.update(languages=["fa"]))
    assert "English is the rule file's own language and is always declared" in _refusal(text)


def test_a_language_declared_twice_is_refused(nct):
    text = _edited(nct, lambda data: data.update(languages=["en", "fa", "fa"]))
    assert "a language is declared twice" in _refusal(text)


def test_an_undeclared_language_code_is_refused_by_the_schema(nct):
    with pytest.raises(ValidationError):
        RuleSet.model_validate_json(yaml_to_json(_edited(nct, lambda data: data.update(languages=["en", "de"]))))


def _line_of(text: str, needle: str, after: int = 0) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if n > after and needle in line)


def test_lint_names_each_criterion_and_language_that_is_incomplete_at_its_place(nct):
    def edit(data):
        _criterion(data, "E3b").pop("translations")
        _criterion(data, "E7")["translations"]["fa"].pop("interpretation")

    text = _edited(nct, edit)
    problems = [p for p in lint_text(text, "x.yaml", REPO) if not p.warning]
    assert [(p.path, p.message) for p in problems] == [
        ("criteria[10].translations.fa", "criterion NCT06674265-E3b: no fa title (the rule set declares fa)"),
        ("criteria[14].translations.fa",
         "criterion NCT06674265-E7: no fa interpretation note (the rule set declares fa)"),
    ]  # each once, at its criterion: not also as the rule set's one top-level message
    assert problems[0].line == _line_of(text, "- id: NCT06674265-E3b")
    assert problems[1].line == _line_of(text, " fa:", after=_line_of(text, "id: NCT06674265-E7"))


def test_lint_places_english_not_declared_at_languages(nct):
    text = _edited(nct, lambda data: data.update(languages=["fa"]))
    (problem,) = lint_text(text, "x.yaml", REPO)
    assert problem.path == "languages" and not problem.warning
    assert problem.line == _line_of(text, "languages:")


def test_lint_command_fails_on_an_incomplete_language_and_says_which(tmp_path, nct):
    path = tmp_path / "NCT06674265.yaml"
    path.write_text(_edited(nct, lambda data: _criterion(data, "E16")["translations"]["fa"].pop("interpretation")),
                    encoding="utf-8")
    result = run(main, ["rules", "lint", str(path)])
    assert result.exit_code == 1
    assert "criteria[20].translations.fa: criterion NCT06674265-E16: no fa interpretation note" in result.output
    assert "1 rule files, 1 problems" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize("edit,path,message", [
    (lambda data: _criterion(data, "E2")["translations"]["fa"].update(title="Inadequate liver function"),
     "criteria[7].translations.fa.title", "the fa title has no fa letters"),
    (lambda data: _criterion(data, "E2")["translations"]["fa"].update(title="Inadequate liver function"),
     "criteria[7].translations.fa.title", "the fa title is the English one"),
    (lambda data: _criterion(data, "E16")["translations"]["fa"].update(
        interpretation=_criterion(data, "E16")["interpretation"]),
     "criteria[20].translations.fa.interpretation", "the fa interpretation note is the English one"),
    # A threshold or a day count that is not the English one: the same reading must say the same numbers.
    (lambda data: _criterion(data, "E7")["translations"]["fa"].update(
        title=_criterion(data, "E7")["translations"]["fa"]["title"].replace("۷", "۸")),
     "criteria[14].translations.fa.title", "states other numbers than the English one (missing 7; not in the "
     "English 8)"),
    (lambda data: _criterion(data, "E1")["translations"]["fa"].update(
        interpretation=_criterion(data, "E1")["translations"]["fa"]["interpretation"].replace("۵۰٬۰۰۰", "۵٬۰۰۰", 1)),
     "criteria[6].translations.fa.interpretation", "(missing 50000; not in the English 5000)"),
])
def test_lint_warns_of_a_translation_that_may_not_be_one(nct, tmp_path, edit, path, message):
    text = _edited(nct, edit)
    warnings = [p for p in lint_text(text, "x.yaml", REPO) if p.warning]
    assert any(w.path == path and message in w.message for w in warnings), "\n".join(map(str, warnings))
    assert all(not p.warning for p in lint_text(NCT.read_text(encoding="utf-8"), "x.yaml", REPO))
    file = tmp_path / "NCT06674265.yaml"
    file.write_text(text, encoding="utf-8")
    result = run(main, ["rules", "lint", str(file)])
    assert result.exit_code == 0 and "warning: " in result.output and "(not failing)" in result.output


def test_persian_digits_and_separators_state_the_same_numbers(nct):
    # ۰٫۵ is 0.5 and ۵۰٬۰۰۰ is 50,000: written the Persian way, the shipped titles and notes raise no warning.
    assert [str(p) for p in lint_text(NCT.read_text(encoding="utf-8"), "x.yaml", REPO)] == []


def test_every_shipped_rule_set_speaks_persian():
    # The sites screen in Persian (issue 30): a rule file shipped without Persian would show a Persian reader
    # English titles and notes. Loading already refuses a declared language with gaps; this catches one undeclared.
    assert {path.name: load_rule_set(path).languages for path in rule_set_files()} == {
        path.name: ["en", "fa"] for path in rule_set_files()}


def test_rules_diff_shows_a_changed_persian_title_and_note():
    from screener.authoring.diff import diff

    amended = load_rule_set(REPO / "seeds" / "examples" / "NCT06674265-amended.yaml")
    (e7,) = [c for c in diff(load_rule_set(NCT), amended) if c.id == "NCT06674265-E7"]
    old, new = e7.fields["title (fa)"]
    assert old is not None and new is not None and "۷ روز" in old and "۱۴ روز" in new
    assert "EXAMPLE AMENDMENT" in (e7.fields["interpretation (fa)"][1] or "")
    assert not [c for c in diff(load_rule_set(NCT), load_rule_set(NCT))]


def test_the_review_page_shows_the_persian_title_and_note_beside_the_english(tmp_path):
    from screener.audit import Accounts
    from screener.web.storage import get_store

    from .helpers import make_app, signed_in_browser

    app = make_app(tmp_path)
    with app.app_context():
        Accounts(get_store()).create_user("ivy", "investigator", "a long enough password", "test")
    browser, _ = signed_in_browser(app, "ivy", "a long enough password")
    page = browser.get("/rules/NCT06674265").get_data(as_text=True)
    rule_set = load_rule_set(NCT)
    e7 = next(c for c in rule_set.criteria if c.id == "NCT06674265-E7")
    fa = (e7.translations or {})["fa"]
    assert f'<span class="translated" lang="fa" dir="rtl">{fa.title}</span>' in page
    assert f'<p class="translated" lang="fa" dir="rtl">{(fa.interpretation or "").strip()}</p>' in page
    assert e7.title in page  # the English stays, beside it
