"""order-sign: would a draft medication order exclude the child from a trial they are a candidate for? Each draft
MedicationRequest is screened as if signed (active, from its start or today) beside the patient's data; a criterion
that did not fail before and fails with it is cited in the report's own words. Drug facts are the rule sets' and
tables' (the CYP3A4 and steroid lists), never written here."""
import uuid
from datetime import date

from .. import service
from ..model.cds_hooks import Card, Source
from ..model.errors import InvalidRecord
from ..model.report import CriterionResult, Report
from ..model.verdict import Status
from .cards import SUMMARY_MAX, _escape, fit

_SOURCE = "NK-cell trial screener"


def _drug(order: dict) -> str:
    concept = order.get("medicationCodeableConcept")
    if isinstance(concept, dict):
        if isinstance(concept.get("text"), str):
            return concept["text"]
        for coding in concept.get("coding") or []:
            if isinstance(coding, dict) and isinstance(coding.get("display"), str):
                return coding["display"]
    return "This order"


def _as_signed(order: dict, as_of: date) -> dict:
    signed = {**order, "status": "active", "intent": "order"}
    signed.setdefault("authoredOn", as_of.isoformat())  # signed now: given from today unless it says its start
    return signed


def _card(drug: str, report: Report, criterion: CriterionResult, enrolled: bool) -> Card:
    head = f"{drug[:40]} would exclude this patient from {report.trial_id}: "
    standing = "is enrolled in the trial" if enrolled else "is a candidate for the trial now"
    detail = "\n".join([
        f"Signing this order makes exclusion criterion **{_escape(criterion.id)}** of {_escape(report.trial_id)} "
        f"({_escape(report.title)}) fail, and the child {standing}.",
        "",
        f"- Criterion: {_escape(criterion.title)}",
        f"- Source: \u201c{_escape(criterion.source_text)}\u201d ({_escape(criterion.citation)})",
        f"- With this order: {_escape(criterion.reason)}",
    ])
    return Card(
        uuid=str(uuid.uuid4()), summary=fit(head, criterion.title, "", SUMMARY_MAX), detail=detail,
        indicator="critical" if enrolled else "warning",
        source=Source(label=f"{_SOURCE}: {report.trial_id}"),
    )


def order_cards(bundle: dict, draft_orders: dict | None, candidates: list[Report], as_of: date,
                engine: str | None, enrolled: frozenset[str] = frozenset()) -> list[Card]:
    """Cards for the trials in candidates (the child's candidate trials and those they are enrolled in): critical
    for a trial in enrolled (an "enrolled" outcome recorded for the child), a warning otherwise."""
    if not candidates or not isinstance(draft_orders, dict):
        return []
    cards = []
    trials = [r.trial_id for r in candidates]
    for entry in draft_orders.get("entry") or []:
        order = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(order, dict) or order.get("resourceType") != "MedicationRequest":
            continue
        with_order = {**bundle, "entry": [*bundle["entry"], {"resource": _as_signed(order, as_of)}]}
        try:
            record, _ = service.read(with_order, service.Content.FHIR, as_of)
        except InvalidRecord:
            continue  # an order that cannot be read says nothing either way; the screening stands as answered
        # Outcomes: a report is worded only for a trial the order makes a criterion fail in (its card cites it).
        after = {o.trial_id: o for o in service.outcomes(record, as_of, engine, trials)}
        for before in candidates:
            failed = {c.id for c in before.criteria if c.status is Status.FAIL}
            if set(after[before.trial_id].failing) <= failed:
                continue
            for criterion in after[before.trial_id].worded().criteria:
                if criterion.status is Status.FAIL and criterion.id not in failed:
                    cards.append(_card(_drug(order), before, criterion, before.trial_id in enrolled))
    return cards
