"""How each verdict is shown, in one mapping for every page: a new verdict is one line here, not template edits."""
from dataclasses import dataclass

from ..model.report import VERDICTS


@dataclass(frozen=True)
class VerdictView:
    label: str  # the words on the banner and in tables
    tone: str  # the CSS tone: pass, fail, unknown or partial (words and a symbol carry it too, never colour alone)


_TONES = {"eligible": "pass", "no_known_exclusion": "partial", "incomplete": "unknown", "ineligible": "fail"}


def verdict_view(verdict: str, report=None) -> VerdictView:
    """The view of a verdict. With its report, the report's own words (a partial verdict says how many criteria
    were encoded); a verdict this table does not know is shown by name and never in the eligible tone."""
    label = (report.verdict_text if report is not None and report.verdict_text else None) or verdict.replace("_", " ").upper()
    return VerdictView(label, _TONES.get(verdict, "unknown"))


def verdicts() -> tuple[str, ...]:
    """Every verdict, best first: what a filter offers."""
    return VERDICTS
