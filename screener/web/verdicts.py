"""How each verdict is shown, in one mapping for every page: a new verdict is one line here, not template edits."""
import typing
from dataclasses import dataclass

from ..model.report import VERDICTS, Verdict


@dataclass(frozen=True)
class VerdictView:
    label: str  # the words on the banner and in tables
    tone: str  # the CSS tone: pass, fail, unknown or partial (words and a symbol carry it too, never colour alone)


_VIEWS = {
    "eligible": VerdictView("ELIGIBLE", "pass"),
    "no_known_exclusion": VerdictView("NO KNOWN EXCLUSION — PARTIAL", "partial"),
    "incomplete": VerdictView("INCOMPLETE", "unknown"),
    "ineligible": VerdictView("INELIGIBLE", "fail"),
}
# A verdict this table does not know yet is shown by its name and never in the eligible tone.
_UNLISTED_TONE = "unknown"


def verdict_view(verdict: str, report=None) -> VerdictView:
    """The view of a verdict; given the report, a partial verdict also says how many criteria were encoded."""
    view = _VIEWS.get(verdict) or VerdictView(verdict.replace("_", " ").upper(), _UNLISTED_TONE)
    if view.tone == "partial" and report is not None:
        count = len(report.criteria)
        view = VerdictView(f"{view.label}, {count} criteri{'on' if count == 1 else 'a'} encoded", view.tone)
    return view


def verdicts() -> list[str]:
    """Every verdict the report model allows, best first (model.report.VERDICTS, the one order): a filter's choices."""
    return sorted(typing.get_args(Verdict), key=lambda v: (VERDICTS.index(v) if v in VERDICTS else len(VERDICTS), v))
