"""What a day window counts from (facts.keys.Event), in words: once here, for the compiled comparison's text and
for the reasons."""
from ..facts.keys import Event
from ..model.fields import value_words


def _dose(event: Event) -> str:
    dose = event.min_prednisone_mg_kg_day
    return f" at ≥ {dose:g} mg/kg/day prednisone-equivalent" if dose else ""


def _product(product: str) -> str:
    return "platelet" if product == "platelets" else value_words(product)


def describe(event: Event) -> str:
    """The event in the words of the compiled comparison ("platelet transfusion within the last 7 days")."""
    if event.transfusion:
        return f"{_product(event.transfusion)} transfusion"
    if event.medication_class == "systemic_corticosteroid":
        return "systemic corticosteroid" + _dose(event)
    if event.medication_class == "cyp3a4_modulator":
        return f"{' or '.join(event.strengths)} CYP3A4 inhibitor or inducer"
    if event.chemotherapy_end:
        return "end of a chemotherapy course"
    return f"{event.transplant} stem-cell transplant"


def noun(event: Event) -> str:
    """The event as the reasons name it ("platelet transfusion", "chemotherapy course")."""
    if event.transfusion:
        return "transfusion" if event.transfusion == "any" else f"{_product(event.transfusion)} transfusion"
    if event.transplant:
        return f"{event.transplant} stem-cell transplant"
    if event.chemotherapy_end:
        return "chemotherapy course"
    if event.medication_class == "cyp3a4_modulator":
        return f"{' or '.join(event.strengths)} CYP3A4 inhibitor or inducer"
    return "systemic corticosteroid" + _dose(event)
