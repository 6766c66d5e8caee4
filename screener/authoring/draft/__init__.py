"""`screener rules draft`: a ClinicalTrials.gov API v2 study record into a draft rule file.

Every item of the eligibility text becomes a criterion with its words verbatim; rules are drafted only where a
pattern reads them reliably (the structured age and sex fields, one known lab with one comparator and a unit, a
Lansky/Karnofsky score, a simple chemotherapy washout, the known attestations), each marked with the pattern and the
words it read; everything else is an unencoded placeholder (always unknown) whose note says why. The result says
status: draft and is refused for screening until reviewed.
"""
from pathlib import Path

from pydantic import ValidationError

from ...model.ctgov import Study
from ...model.errors import FieldError, InvalidRecord, ScreenerError, field_errors
from ...model.json_text import load_json
from ...model.validate import validate_data
from ._build import MissingVersion, NothingToDraft, build, eligibility_sha256, source_text
from ._structured import AgeFieldError
from ._write import to_yaml

__all__ = ["DraftInputError", "draft_rule_file", "eligibility_sha256", "read_study", "study_file_text"]


class DraftInputError(ValueError, ScreenerError):
    """A study record that cannot be drafted from: each problem as a FieldError naming the field, never a value."""

    def __init__(self, errors: list[FieldError]):
        self.errors = errors
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))


def read_study(raw: str | bytes) -> Study:
    """The study JSON validated as the v2 subset drafting reads."""
    try:
        return validate_data(Study, load_json(raw, "(study)"))
    except InvalidRecord as exc:
        raise DraftInputError(exc.errors) from None
    except ValidationError as exc:
        raise DraftInputError(field_errors(exc, "(study)")) from None


def draft_rule_file(raw: str | bytes, path: str) -> str:
    """The draft rule file's YAML for the study JSON `raw`, read from `path` (recorded as its source)."""
    study = read_study(raw)
    try:
        data = build(study, path)
    except (AgeFieldError, MissingVersion, NothingToDraft) as exc:
        raise DraftInputError([FieldError((exc.field,), str(exc).split(": ", 1)[1])]) from None
    heading = [
        f"DRAFT rule set for {study.nct_id}, written by `screener rules draft` from {path}",
        f"(data version {data['registry_record']['version_date']}, eligibility text sha256 "
        f"{data['registry_record']['eligibility_sha256'][:16]}…).",
        "Status draft: refused for screening until reviewed. Review every criterion against its source words,",
        "encode each placeholder (unencoded: true), remove each draft: mark, then set status: reviewed.",
    ]
    return to_yaml(data, heading)


def study_file_text(path: Path) -> str:
    """Everything a rule set drafted from the study file at `path` may quote (eligibility text, structured fields)."""
    return source_text(read_study(path.read_bytes()))
