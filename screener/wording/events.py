"""What a day window counts from (facts.keys.Event), in words: once here, for the compiled comparison's text and
for the reasons."""
from ..facts.keys import Event
from ..model.fields import value_words
from ..model.language import DEFAULT_LANGUAGE, Language
from .sentences import N_, sentences


def _dose(event: Event) -> str:
    dose = event.min_prednisone_mg_kg_day
    return f" at ≥ {dose:g} mg/kg/day prednisone-equivalent" if dose else ""


def _product(product: str) -> str:
    return "platelet" if product == "platelets" else value_words(product)


def describe(event: Event, language: Language = DEFAULT_LANGUAGE) -> str:
    """The event in the words of the compiled comparison ("platelet transfusion within the last 7 days"); in another
    language, as the reasons name it (noun), a chemotherapy course's end said so."""
    if language != DEFAULT_LANGUAGE:
        if event.chemotherapy_end and not event.transfusion and not event.transplant:
            return sentences(language).say("end of a chemotherapy course")
        return noun(event, language)
    if event.transfusion:
        return f"{_product(event.transfusion)} transfusion"
    if event.medication_class == "systemic_corticosteroid":
        return "systemic corticosteroid" + _dose(event)
    if event.medication_class == "cyp3a4_modulator":
        return f"{' or '.join(event.strengths)} CYP3A4 inhibitor or inducer"
    if event.chemotherapy_end:
        return "end of a chemotherapy course"
    return f"{event.transplant} stem-cell transplant"


_TRANSFUSIONS = {  # each product's transfusion whole, for a translator
    "platelets": N_("platelet transfusion"),
    "red_cells": N_("red cells transfusion"),
    "plasma": N_("plasma transfusion"),
    "any": N_("transfusion"),
}
_TRANSPLANTS = {
    "autologous": N_("autologous stem-cell transplant"),
    "allogeneic": N_("allogeneic stem-cell transplant"),
    "haploidentical": N_("haploidentical stem-cell transplant"),
}
_STRENGTHS = {"strong": N_("strong"), "moderate": N_("moderate"), "weak": N_("weak")}


def noun(event: Event, language: Language = DEFAULT_LANGUAGE) -> str:
    """The event as the reasons name it ("platelet transfusion", "chemotherapy course"), in the reader's words."""
    w = sentences(language)
    if event.transfusion:
        return w.say(_TRANSFUSIONS[event.transfusion])
    if event.transplant:
        return w.say(_TRANSPLANTS[event.transplant])
    if event.chemotherapy_end:
        return w.say("chemotherapy course")
    if event.medication_class == "cyp3a4_modulator":
        strengths = [w.say(_STRENGTHS[s]) for s in event.strengths]
        return w.say("%(strengths)s CYP3A4 inhibitor or inducer", strengths=w.one_of(strengths))
    dose = event.min_prednisone_mg_kg_day
    if dose:
        return w.say("systemic corticosteroid at ≥ %(dose)s mg/kg/day prednisone-equivalent", dose=w.number(dose))
    return w.say("systemic corticosteroid")
