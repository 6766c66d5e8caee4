"""What each hook does with a trusted request: screen the patient the prefetch describes against every recruiting
rule set, record it like any screening (channel cds-hooks), and answer cards."""
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from .. import service
from ..candidates import is_candidate
from ..model.cds_hooks import Card, HookRequest
from ..rules import load_rule_sets
from .cards import candidate_cards
from .orders import order_cards
from .prefetch import Fetch, gather


def recruiting_trials() -> list[str]:
    """The rule sets whose source says they are recruiting: a card for a closed trial helps no one."""
    return sorted(t for t, rs in load_rule_sets().items() if rs.recruitment and rs.recruitment.status == "RECRUITING")


@dataclass(frozen=True)
class Answer:
    cards: list[Card]
    screened: service.Screened | None  # None when no rule set is recruiting: nothing was screened
    incomplete: list[str]  # the prefetch categories left out as not whole


class PatientNumbers(Protocol):
    """The screening number an EHR patient was given before (audit.EhrPatients, bound to the EHR's issuer)."""

    def number(self, patient_id: str) -> str | None: ...

    def remember(self, patient_id: str, screening_number: str) -> None: ...

    def enrolled(self, screening_number: str) -> frozenset[str]:
        """The trials the child's latest outcome says they are enrolled in."""
        ...


def answer(request: HookRequest, fetch: Fetch | None, *, as_of: date, actor: str, recorder: service.Recorder,
           engine: str | None, form_url: Callable[[str], str], numbers: PatientNumbers | None = None) -> Answer:
    """NeedsData (412) when the data cannot be had; InvalidRecord when what came cannot be read as a patient.
    numbers: the same EHR patient is screened again under the screening number of their first screening, so opening
    a chart twice does not make two children in the screening log."""
    bundle, incomplete = gather(request, fetch)
    record, _ = service.read(bundle, service.Content.FHIR, as_of)
    trials = recruiting_trials()
    if not trials:
        return Answer([], None, incomplete)
    patient_id = request.context.patientId
    known = numbers.number(patient_id) if numbers is not None else None
    if known is not None:
        record = service.with_screening_number(record, known)
    screened = service.screen_and_record(record, as_of, channel=service.Channel.CDS_HOOKS, actor=actor,
                                         recorder=recorder, engine=engine, trials=trials)
    if numbers is not None and known is None and screened.screening_number is not None:
        numbers.remember(patient_id, screened.screening_number)
    if request.hook == "patient-view":
        cards = candidate_cards(screened.reports, screened.ids, form_url(screened.request_id))
    else:
        enrolled = numbers.enrolled(known) if numbers is not None and known is not None else frozenset()
        candidates = [r for r in screened.reports if is_candidate(r) or r.trial_id in enrolled]
        cards = order_cards(bundle, request.context.draftOrders, candidates, as_of, engine, enrolled)
    return Answer(cards, screened, incomplete)
