"""How each verdict is shown, in one mapping for every page: a new verdict is one line here, not template edits."""
import typing
from dataclasses import dataclass

from ..model.report import Verdict


@dataclass(frozen=True)
class VerdictView:
    label: str  # the words on the banner and in tables
    tone: str  # the CSS tone: pass, fail, unknown or partial (words and a symbol carry it too, never colour alone)
    rank: int  # best prospects first


_VIEWS = {
    "eligible": VerdictView("ELIGIBLE", "pass", 0),
    "no_known_exclusion": VerdictView("NO KNOWN EXCLUSION — PARTIAL", "partial", 1),
    "incomplete": VerdictView("INCOMPLETE", "unknown", 2),
    "ineligible": VerdictView("INELIGIBLE", "fail", 3),
}
# A verdict this table does not know yet is shown by its name and never in the eligible tone.
_UNLISTED = VerdictView("", "unknown", 2)


def verdict_view(verdict: str, report=None) -> VerdictView:
    """The view of a verdict; given the report, a partial verdict also says how many criteria were encoded."""
    view = _VIEWS.get(verdict) or VerdictView(verdict.replace("_", " ").upper(), _UNLISTED.tone, _UNLISTED.rank)
    if view.tone == "partial" and report is not None:
        count = len(report.criteria)
        view = VerdictView(f"{view.label}, {count} criteri{'on' if count == 1 else 'a'} encoded", view.tone, view.rank)
    return view


def verdicts() -> list[str]:
    """Every verdict the report model allows, best first: what a filter offers."""
    return sorted(typing.get_args(Verdict), key=lambda v: (verdict_view(v).rank, v))
