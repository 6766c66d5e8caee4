"""Load rule files and reference tables from YAML into the pydantic schema, with errors that name their place."""
import json
from datetime import date
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import ValidationError

from .. import config
from ..model.errors import FieldError, ScreenerError, field_errors
from ..model.ruleset import RuleSet
from ..model.tables import (
    ConfirmTable,
    CorticosteroidTable,
    CreatinineTable,
    Cyp3a4Table,
    ImpossibleTable,
    MedicationVocabulary,
    Tables,
    UlnTable,
)


class RuleSetError(ScreenerError):
    """A rule file or table that cannot be loaded: every problem, as FieldErrors."""

    def __init__(self, file: Path, problems: list[FieldError]):
        self.file = file
        self.problems = problems
        super().__init__(f"{file}: " + "; ".join(f"{p.field}: {p.message}" for p in problems))


def _json_default(value):
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"cannot represent {type(value).__name__} in a rule file")


# libyaml's parser when PyYAML was built with it: the pure-Python one took a third of a CLI screening's second
# (six rule files and four tables on every start). Same safe constructors, so the same data comes out.
SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(text: str):
    """yaml.safe_load, with the C parser where available."""
    return yaml.load(text, Loader=SafeLoader)


def yaml_to_json(text: str) -> str:
    """YAML text as JSON text, so that strict validation treats rule files exactly like API input."""
    return json.dumps(safe_load(text), default=_json_default)


def validation_problems(error: ValidationError) -> list[FieldError]:
    return field_errors(error, "(top level)")


def parse_rule_set(text: str, file: Path) -> RuleSet:
    try:
        return RuleSet.model_validate_json(yaml_to_json(text))
    except yaml.YAMLError as exc:
        raise RuleSetError(file, [FieldError(("(yaml)",), str(exc))]) from None
    except ValidationError as exc:
        raise RuleSetError(file, validation_problems(exc)) from None


def load_rule_set(path: Path) -> RuleSet:
    return parse_rule_set(Path(path).read_text(encoding="utf-8"), Path(path))


def rule_set_files(directory: Path | None = None) -> list[Path]:
    return sorted((directory or config.SCREENER_CRITERIA_DIR).glob("*.yaml"))


class DraftRulesRefused(RuleSetError):
    """A rule set with `status: draft` met where rule sets are loaded for screening, drafts not allowed."""

    def __init__(self, file: Path, trial_id: str):
        self.trial_id = trial_id
        super().__init__(file, [FieldError(("status",), DRAFT_REFUSED.format(trial=trial_id))])


DRAFT_REFUSED = ("{trial} is a draft (status: draft), refused for screening until a person has reviewed it; review "
                 "it and set status: reviewed, or allow draft rules explicitly (--allow-draft, "
                 "SCREENER_ALLOW_DRAFT_RULES): every result is then labelled DRAFT RULES")

# Whether rule sets loaded for screening may be drafts: config's named default, changed for this process by a
# command's --allow-draft or by the web app's ALLOW_DRAFT_RULES when it starts.
_drafts_allowed = [config.SCREENER_ALLOW_DRAFT_RULES]


def allow_draft_rules(allowed: bool) -> None:
    """Set, for this process, whether rule sets loaded for screening may be drafts."""
    _drafts_allowed[0] = bool(allowed)


def draft_rules_allowed() -> bool:
    return _drafts_allowed[0]


def load_rule_sets(directory: Path | None = None, *, allow_draft: bool | None = None) -> dict[str, RuleSet]:
    """Every rule set in the criteria directory, by trial id, in file order, for screening: DraftRulesRefused when
    one is a draft and drafts are not allowed (allow_draft None: this process's setting). Authoring tools that show
    drafts pass allow_draft=True."""
    return _for_screening(
        directory or config.SCREENER_CRITERIA_DIR, draft_rules_allowed() if allow_draft is None else allow_draft
    )


# Called once per screening: the files are read once per folder (_read_rule_sets) and the draft check made once per
# folder and setting, so a call is a dictionary lookup (~0.5 µs; it was ~6 µs, a new Path and the check each time).
# The folder (config's, which tests and the rules review point elsewhere) and the draft setting are read on every
# call, so a change to either takes effect at once, as before; a refusal is raised, never kept, so it is raised
# again on every call while it holds.
@lru_cache(maxsize=16)
def _for_screening(directory: Path | str, drafts_allowed: bool) -> dict[str, RuleSet]:
    rule_sets, files = _read_rule_sets(Path(directory))
    if not drafts_allowed:
        for trial_id, rule_set in rule_sets.items():
            if rule_set.status == "draft":
                raise DraftRulesRefused(files[trial_id], trial_id)
    return rule_sets


@lru_cache(maxsize=8)
def _read_rule_sets(directory: Path) -> tuple[dict[str, RuleSet], dict[str, Path]]:
    rule_sets, files = {}, {}
    for path in rule_set_files(directory):
        rule_set = load_rule_set(path)
        rule_sets[rule_set.trial_id] = rule_set
        files[rule_set.trial_id] = path
    return rule_sets, files


@lru_cache(maxsize=4)
def load_tables(directory: Path | None = None) -> Tables:
    base = (directory or config.SCREENER_CRITERIA_DIR) / "tables"

    def read(name, schema):
        path = base / name
        try:
            return schema.model_validate_json(yaml_to_json(path.read_text(encoding="utf-8")))
        except ValidationError as exc:
            raise RuleSetError(path, validation_problems(exc)) from None

    return Tables(
        creatinine_max=read("creatinine_max_cog.yaml", CreatinineTable),
        uln=read("uln_defaults.yaml", UlnTable),
        corticosteroids=read("corticosteroids.yaml", CorticosteroidTable),
        cyp3a4=read("cyp3a4.yaml", Cyp3a4Table),
        medications=read("medications.yaml", MedicationVocabulary),
        impossible=read("impossible_values.yaml", ImpossibleTable),
        to_confirm=read("values_to_confirm.yaml", ConfirmTable),
    )
