"""How each verdict is shown on every page, read from model.verdict.Verdict (its label, tone, words and order)."""
from dataclasses import dataclass

from ..model.fields import value_words
from ..model.verdict import Verdict
from .i18n import N_


@dataclass(frozen=True)
class VerdictView:
    label: str  # the words on the banner and in tables
    tone: str  # the CSS tone: pass, fail, unknown or partial (words and a symbol carry it too, never colour alone)
    words: str  # in running text and choices: "no known exclusion"


# The verdicts' and statuses' words as pages show them (model/verdict.py), for the web catalogue: the `words` filter
# shows them in the reader's language; the JSON, the CLI and the exports keep them as they are.
_PAGE_WORDS = (N_("ELIGIBLE"), N_("INELIGIBLE"), N_("INCOMPLETE"), N_("NO KNOWN EXCLUSION — PARTIAL"), N_("eligible"),
               N_("ineligible"), N_("incomplete"), N_("no known exclusion"), N_("Eligible"), N_("Ineligible"),
               N_("Incomplete"), N_("No known exclusion"), N_("PASS"), N_("FAIL"), N_("UNKNOWN"))

# A verdict stored by a later version, which this one does not know, is shown by its name and never in the
# eligible tone.
_UNLISTED_TONE = "unknown"


def verdict_view(verdict: str, report=None) -> VerdictView:
    """The view of a verdict; given the report, the label is its verdict line (Verdict.line, as in verdict_text: a
    partial verdict's also says how many criteria were encoded, one under draft rules opens with DRAFT RULES), made
    from the verdict itself, never from words stored beside it."""
    try:
        known = Verdict(verdict)
    except ValueError:
        words = value_words(verdict)
        return VerdictView(words.upper(), _UNLISTED_TONE, words)
    label = known.line(len(report.criteria), report.rule_set_status == "draft", report.coverage.complete) \
        if report is not None else known.label
    return VerdictView(label, known.tone, known.words)


def verdicts() -> list[Verdict]:
    """Every verdict, best first (the one order candidates.rank and batch use): a filter's choices."""
    return list(Verdict)
