"""Unit factors of the lab catalogue, checked both ways against pint (an independent units library)."""
import math

import pint
import pytest

from screener.model.labs import LABS, LOINC_TO_LAB, from_canonical, to_canonical

ureg = pint.UnitRegistry()
MOLAR_MASS = {"bilirubin": 584.66, "creatinine": 113.12, "hemoglobin": 16_114.0}  # g/mol (hemoglobin monomer, one heme)

# Each accepted unit written as a pint quantity, with the molar mass where the unit is molar.
PINT_UNITS = {
    "/uL": "1/microliter",
    "/mm3": "1/millimeter**3",
    "10*3/uL": "1e3/microliter",
    "10*3/mm3": "1e3/millimeter**3",
    "10*9/L": "1e9/liter",
    "K/uL": "1e3/microliter",
    "g/dL": "gram/deciliter",
    "g/L": "gram/liter",
    "mg/dL": "milligram/deciliter",
    "umol/L": "micromole/liter",
    "mmol/L": "millimole/liter",
    "U/L": "1/liter",
    "IU/L": "1/liter",
}


def _pint_to_canonical(lab: str, value: float, unit: str) -> float:
    spec = LABS[lab]
    quantity = value * ureg(PINT_UNITS[unit])
    target = ureg(PINT_UNITS[spec.canonical_unit])
    if "mol" in unit and "mol" not in spec.canonical_unit:
        quantity = quantity * MOLAR_MASS[lab] * ureg("gram/mole")
    return quantity.to(target.units).magnitude / target.magnitude


@pytest.mark.parametrize(
    "lab,unit", [(lab, unit) for lab, spec in LABS.items() for unit in spec.units if unit in PINT_UNITS]
)
def test_factor_matches_pint(lab, unit):
    expected = _pint_to_canonical(lab, 1.0, unit)
    assert math.isclose(to_canonical(LABS[lab], 1.0, unit), expected, rel_tol=2e-3), (lab, unit)


def test_enzyme_katal_factor_matches_pint():
    # 1 U = 1 umol/min; 1 kat = 1 mol/s, so 1 ukat/L = 60 U/L.
    one_ukat = ureg("microkatal/liter").to("micromole/minute/liter").magnitude
    assert to_canonical(LABS["alt"], 1.0, "ukat/L") == pytest.approx(one_ukat)


@pytest.mark.parametrize(
    "lab,unit,value",
    [
        ("platelets", "10*9/L", 50),
        ("hemoglobin", "mmol/L", 6.2),
        ("bilirubin", "umol/L", 31),
        ("creatinine", "umol/L", 88.4),
    ],
)
def test_conversion_round_trips(lab, unit, value):
    spec = LABS[lab]
    assert from_canonical(spec, to_canonical(spec, value, unit), unit) == pytest.approx(value)


def test_known_clinical_equivalents():
    assert to_canonical(LABS["creatinine"], 88.4, "umol/L") == pytest.approx(1.0)
    assert to_canonical(LABS["bilirubin"], 17.104, "umol/L") == pytest.approx(1.0)
    assert to_canonical(LABS["platelets"], 50, "10*9/L") == 50_000
    assert to_canonical(LABS["hemoglobin"], 100, "g/L") == pytest.approx(10)


def test_every_loinc_code_maps_to_one_lab():
    for spec in LABS.values():
        for code in spec.loinc:
            assert LOINC_TO_LAB[code] == spec.name
        for code, units in spec.loinc_units.items():
            assert code in spec.loinc and set(units) <= set(spec.units)
