"""The laboratory and measurement catalogue: accepted units, conversion factors, LOINC codes, plausible ranges.

Every factor converts a value in the accepted unit to the canonical unit by multiplication. They are
checked against pint in tests/test_model_labs.py. Molar masses used: bilirubin 584.66 g/mol,
creatinine 113.12 g/mol (88.4 umol/L per mg/dL, the Schwartz 2009 figure), hemoglobin monomer 16,114 g/mol
(1 mmol/L = 1.6114 g/dL).
LOINC codes: those in shared/reference/clinical-facts.md (777-3, 751-8, 718-7, 59260-0, 1975-2, 14631-6, 1742-6,
1920-8, 2160-0, 14682-9, 38483-4, 2164-2, 10230-1, 59408-5) are verified there; the others (26515-7, 26499-4,
753-4, 8806-2, 6301-6, 34714-6) are commonly used codes for the same measures, not checked against loinc.org
here. No code is given where none was found (shortening fraction, PTT, granulocytes, performance score).
A plausible range bounds what can physically be reported; a value outside it is an input error, while a
merely abnormal value inside it is exactly what screening judges.
"""

from dataclasses import dataclass, field

from .fields import Section


@dataclass(frozen=True)
class LabSpec:
    """One lab, declared once: everything the record, the form, the reasons and FHIR know of it is here."""

    name: str
    description: str  # its full name (screener fields, the form's row)
    canonical_unit: str
    units: dict[str, float]
    plausible: tuple[float, float]
    loinc: tuple[str, ...] = ()
    # Per-LOINC units: a molar LOINC code only accepts molar units, a mass code only mass units.
    loinc_units: dict[str, tuple[str, ...]] = field(default_factory=dict)
    reference_range_from_lab: bool = False
    label: str | None = None  # the short name a coordinator uses (reasons); None: the description
    section: Section = Section.LABS  # the form's section; within it, the order of LABS below


_COUNT_PER_UL = {
    "/uL": 1.0,
    "/mm3": 1.0,
    "10*3/uL": 1_000.0,
    "10*3/mm3": 1_000.0,
    "10*9/L": 1_000.0,
    # Not UCUM (there K is kelvin), but how US laboratories and Synthea write thousands per microliter; a
    # temperature per volume cannot be a count, so this is the only reading.
    "K/uL": 1_000.0,
}

# In the order the form shows them (a chart's order: blood counts, coagulation, chemistry, then organ function).
LABS: dict[str, LabSpec] = {
    spec.name: spec
    for spec in (
        LabSpec(
            "platelets", "Platelet count", "/uL", _COUNT_PER_UL, (0, 5_000_000), ("777-3", "26515-7"), label="Platelets"
        ),
        LabSpec(
            "anc",
            "Absolute neutrophil count",
            "/uL",
            _COUNT_PER_UL,
            (0, 500_000),
            ("751-8", "26499-4", "753-4"),
            label="ANC",
        ),
        LabSpec("agc", "Absolute granulocyte count", "/uL", _COUNT_PER_UL, (0, 500_000), label="AGC"),
        LabSpec(
            "hemoglobin",
            "Hemoglobin",
            "g/dL",
            {"g/dL": 1.0, "g/L": 0.1, "mmol/L": 1.6114},
            (0.5, 30),
            ("718-7", "59260-0"),
            {"718-7": ("g/dL", "g/L"), "59260-0": ("mmol/L",)},
            label="Hemoglobin",
        ),
        LabSpec(
            "inr",
            "INR (prothrombin time)",
            "1",
            {"1": 1.0, "{INR}": 1.0},
            (0.5, 20),
            ("6301-6", "34714-6"),
            label="INR",
        ),
        LabSpec(
            "ptt",
            "Activated partial thromboplastin time (PTT)",
            "s",
            {"s": 1.0},
            (5, 300),
            reference_range_from_lab=True,
            label="PTT",
        ),
        LabSpec(
            "creatinine",
            "Creatinine, serum or plasma",
            "mg/dL",
            {"mg/dL": 1.0, "umol/L": 1 / 88.4},
            (0.05, 40),
            ("2160-0", "38483-4", "14682-9"),
            {"2160-0": ("mg/dL",), "38483-4": ("mg/dL",), "14682-9": ("umol/L",)},
            label="Creatinine",
        ),
        LabSpec(
            "bilirubin",
            "Total bilirubin",
            "mg/dL",
            {"mg/dL": 1.0, "umol/L": 1 / 17.104},
            (0, 80),
            ("1975-2", "14631-6"),
            {"1975-2": ("mg/dL",), "14631-6": ("umol/L",)},
            reference_range_from_lab=True,
            label="Total bilirubin",
        ),
        LabSpec(
            "alt",
            "Alanine aminotransferase (ALT, SGPT)",
            "U/L",
            {"U/L": 1.0, "IU/L": 1.0, "ukat/L": 60.0},
            (0, 50_000),
            ("1742-6",),
            label="ALT",
        ),
        LabSpec(
            "ast",
            "Aspartate aminotransferase (AST, SGOT)",
            "U/L",
            {"U/L": 1.0, "IU/L": 1.0, "ukat/L": 60.0},
            (0, 50_000),
            ("1920-8",),
            label="AST",
        ),
        LabSpec(
            "measured_gfr",
            "Creatinine clearance or radioisotope GFR, normalised to body surface area",
            "mL/min/1.73m2",
            {"mL/min/1.73m2": 1.0, "mL/min/{1.73_m2}": 1.0},
            (1, 300),
            ("2164-2",),
            label="Measured GFR",
            section=Section.ORGAN_FUNCTION,
        ),
        LabSpec(
            "shortening_fraction",
            "Left ventricular shortening fraction by echocardiography",
            "%",
            {"%": 1.0},
            (1, 80),
            label="Shortening fraction",
            section=Section.ORGAN_FUNCTION,
        ),
        LabSpec(
            "ejection_fraction",
            "Left ventricular ejection fraction (echo or gated radionuclide)",
            "%",
            {"%": 1.0},
            (1, 95),
            ("10230-1", "8806-2"),
            label="Ejection fraction",
            section=Section.ORGAN_FUNCTION,
        ),
        LabSpec(
            "spo2",
            "Oxygen saturation by pulse oximetry on room air",
            "%",
            {"%": 1.0},
            (30, 100),
            ("59408-5",),
            label="SpO₂ on room air",
            section=Section.ORGAN_FUNCTION,
        ),
        LabSpec(
            "lansky_karnofsky",
            "Lansky (under 16) or Karnofsky performance score",
            "score",
            {"score": 1.0},
            (0, 100),
            label="Lansky/Karnofsky score",
            section=Section.ORGAN_FUNCTION,
        ),
    )
}

LOINC_TO_LAB: dict[str, str] = {code: spec.name for spec in LABS.values() for code in spec.loinc}


# The transfusion product that raises a lab: a value drawn soon after such a transfusion may be the donor's.
RAISED_BY_TRANSFUSION = {"platelets": "platelets", "hemoglobin": "red_cells"}
TRANSFUSION_WORDS = {"platelets": "platelet", "red_cells": "red-cell", "plasma": "plasma", "other": "other"}


def lab_for_test(test: str) -> LabSpec | None:
    """The lab a test names, by catalogue name or LOINC code."""
    if test in LABS:
        return LABS[test]
    name = LOINC_TO_LAB.get(test)
    return LABS[name] if name else None


def lab_of(test: str) -> LabSpec:
    """The lab of a test already validated as known (an Observation's test): not finding it is a defect."""
    spec = lab_for_test(test)
    if spec is None:
        raise LookupError("test not in the lab catalogue")
    return spec


def accepted_units(spec: LabSpec, test: str) -> tuple[str, ...]:
    return spec.loinc_units.get(test, tuple(spec.units))


def to_canonical(spec: LabSpec, value: float, unit: str) -> float:
    return value * spec.units[unit]


def from_canonical(spec: LabSpec, value: float, unit: str) -> float:
    return value / spec.units[unit]


# What people read for each accepted unit code. The API and the record keep the UCUM codes; reports, the form and
# the command line show these. Codes for the same unit share one label (mL/min/{1.73_m2} and mL/min/1.73m2 are
# the same unit written two ways), and a dimensionless code has no label at all (an INR is just a number).
UNIT_LABELS: dict[str, str] = {
    "/uL": "/µL",
    "/mm3": "/mm³",
    "10*3/uL": "×10³/µL",
    "10*3/mm3": "×10³/mm³",
    "10*9/L": "×10⁹/L",
    "K/uL": "×10³/µL",
    "umol/L": "µmol/L",
    "ukat/L": "µkat/L",
    "mL/min/1.73m2": "mL/min/1.73 m²",
    "mL/min/{1.73_m2}": "mL/min/1.73 m²",
    "1": "",
    "{INR}": "",
    "score": "",
}

# Short names a coordinator uses for each measurement (the catalogue's descriptions are the full names).
LAB_LABELS: dict[str, str] = {spec.name: spec.label or spec.description for spec in LABS.values()}


def unit_label(code: str | None) -> str:
    """The unit as people write it; an unlisted code is already readable (g/dL, U/L, %, s)."""
    return UNIT_LABELS.get(code, code) if code is not None else ""


def unit_choices(spec: LabSpec, test: str | None = None) -> list[tuple[str, str]]:
    """(code, label) for each unit a test accepts, one entry per label: what a unit picker offers."""
    seen, choices = set(), []
    for code in accepted_units(spec, test or spec.name):
        label = unit_label(code) or "(no unit)"
        if label not in seen:
            seen.add(label)
            choices.append((code, label))
    return choices
