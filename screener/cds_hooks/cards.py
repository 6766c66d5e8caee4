"""Cards for the EHR: one per trial the child is a candidate for (the API's rule, candidates.py), in the report's
own words. A card never says eligible: EHR data cannot answer the attestations (consent, the investigator's
assessments), so even a report with nothing open reads as a candidate to confirm on the screening form."""
import uuid

from ..candidates import is_candidate, open_items
from ..model.cds_hooks import Card, Link, Source
from ..model.report import CriterionResult, Report
from ..model.verdict import Status

SUMMARY_MAX = 139  # the spec's "<140 characters"
_MARK = {Status.PASS: "passed", Status.FAIL: "failed", Status.UNKNOWN: "unknown"}
_SOURCE = "NK-cell trial screener"


def card_uuid(screening_id: str) -> str:
    """The card's uuid is its screening's id (32 hex digits) in UUID form: feedback on it names the screening."""
    return str(uuid.UUID(hex=screening_id))


def fit(head: str, middle: str, tail: str, limit: int = SUMMARY_MAX) -> str:
    """head + middle + tail within limit, the middle (a trial's title) shortened with an ellipsis if need be."""
    room = limit - len(head) - len(tail)
    if len(middle) > room:
        middle = middle[: max(0, room - 1)].rstrip() + "…"
    return f"{head}{middle}{tail}"[:limit]


def _items(report: Report) -> str:
    count = open_items(report)
    if count == 0:
        return " — confirm on the screening form"
    return f" — {count} item{'s' if count != 1 else ''} to record"


def summary(report: Report) -> str:
    lead = "DRAFT RULES — " if report.rule_set_status == "draft" else ""
    return fit(f"{lead}Possible candidate: {report.trial_id} ", report.title, _items(report))


def _escape(text: str) -> str:
    """Plain words as Markdown text: characters that would start emphasis, links or HTML are escaped."""
    return "".join("\\" + c if c in "\\`*_[]<>#|" else c for c in " ".join(text.split()))


def _criterion(result: CriterionResult) -> str:
    line = f"- **{_MARK[result.status]}** — {_escape(result.id)}: {_escape(result.title)}. {_escape(result.reason)}"
    if result.status is not Status.PASS and result.to_settle:
        line += "  \n  To settle: " + "; ".join(_escape(t) for t in result.to_settle)
    return line


def detail(report: Report) -> str:
    counts = ", ".join(f"{report.counts.get(s, 0)} {_MARK[s]}" for s in (Status.PASS, Status.FAIL, Status.UNKNOWN))
    parts = [
        f"**{_escape(report.title)}** (rule set {_escape(report.rule_set_version)}, as of {report.as_of}): "
        f"{counts}. A candidate only: eligibility is decided on the screening form, with the items the EHR "
        "cannot give recorded there.",
        *(["", "**DRAFT RULES**: screened under a rule set nobody has reviewed (status: draft); no eligibility "
                "result."] if report.rule_set_status == "draft" else []),
        "",
        *(_criterion(c) for c in report.criteria),
    ]
    return "\n".join(parts)


def candidate_cards(reports: list[Report], ids: list[str], form_url: str | None) -> list[Card]:
    """One info card per candidate trial, best prospects first (the order screening returned them in)."""
    cards = []
    for report, screening_id in zip(reports, ids, strict=True):
        if not is_candidate(report):
            continue
        links = [Link(label="Open the prefilled screening form", url=form_url, type="absolute")] if form_url else []
        cards.append(Card(
            uuid=card_uuid(screening_id), summary=summary(report), detail=detail(report), indicator="info",
            source=Source(label=f"{_SOURCE}: {report.trial_id}"), links=links,
        ))
    return cards
