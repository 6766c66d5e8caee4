"""`screener rules check-source`: does a rule set's quoted registry text still match its source record?

A drafted rule set names its study JSON and the SHA-256 of the eligibility text it was drafted from: a different
hash is drift, and so is each criterion whose words are no longer in the text (verbatim: the drafter copied them).
A hand-written rule set quotes its cleaned source record under seeds/: each registry-basis criterion's words must
still occur there, compared as lint compares them (markdown escapes, quotes and whitespace aside).
"""
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from ..model.errors import ScreenerError
from ..model.ruleset import RuleSet
from .draft import DraftInputError, read_study, study_file_text


class SourceUnreadable(ValueError, ScreenerError):
    """The source record a rule set names is missing or not a study record: the check cannot be made."""

    def __init__(self, field: str, message: str):
        self.field = field
        super().__init__(f"{field}: {message}")


@dataclass(frozen=True)
class Drift:
    criterion: str | None  # None: the rule set as a whole
    message: str


def normalise(text: str) -> str:
    # The capture escapes markdown (\> for >, \- for -); quotes and whitespace vary between copies.
    text = text.replace("\\", "")
    return re.sub(r"\s+", " ", text).strip()


def _lines(text: str) -> str:
    # The drafter splits a "\r\n" or "\r" record into lines and quotes them joined by "\n": the same words.
    return text.replace("\r\n", "\n").replace("\r", "\n")


def source_words(path: Path) -> str:
    """What a rule set may quote from a source record: a study JSON's eligibility text and structured fields, any
    other file's text."""
    if path.suffix == ".json":
        return study_file_text(path)
    return path.read_text(encoding="utf-8")


def _resolve(path: str, repo_root: Path) -> Path:
    candidate = Path(path)
    return candidate if candidate.is_absolute() else repo_root / candidate


def check_rule_set(rule_set: RuleSet, repo_root: Path) -> list[Drift]:
    """Every drift between the rule set's quotations and its source record (empty: all match)."""
    record = rule_set.registry_record
    if record is not None:
        path = _resolve(record.path, repo_root)
        try:
            study = read_study(path.read_bytes())
        except OSError:
            raise SourceUnreadable("registry_record.path", "the study record cannot be read") from None
        except DraftInputError as exc:
            raise SourceUnreadable("registry_record.path", "not a study record: " + str(exc)) from None
        drifts = []
        text = study.eligibility.eligibilityCriteria
        if hashlib.sha256(text.encode("utf-8")).hexdigest() != record.eligibility_sha256:
            drifts.append(Drift(None, "the eligibility text's SHA-256 differs from the one drafted from"))
        if study.version_date != record.version_date:
            drifts.append(Drift(None, "the record's data version (versionHolder) differs from the one drafted from"))
        quotable = _lines(study_file_text(path))
        drifts.extend(Drift(c.id, "its words are no longer in the record's eligibility text or structured fields")
                      for c in rule_set.criteria if _lines(c.source_text) not in quotable)
        return drifts
    path = _resolve(rule_set.source_record, repo_root)
    try:
        words = normalise(source_words(path))
    except OSError:
        raise SourceUnreadable("source_record", "the source record cannot be read") from None
    except DraftInputError as exc:
        raise SourceUnreadable("source_record", "not a study record: " + str(exc)) from None
    return [Drift(c.id, f"its words are no longer in {rule_set.source_record}")
            for c in rule_set.criteria if c.basis == "registry" and normalise(c.source_text) not in words]
