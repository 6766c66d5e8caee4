"""The worst inputs validation accepts, at every limit, read and screened against every trial: how long each takes.

    python -m benchmarks.worst_case [--repeat N]

Native records (at most config.MAX_RECORD_BYTES):
- medications: config.MAX_MEDICATIONS_PER_RECORD entries, each name at the 100-character limit and split by "/"
  into as many parts as fit, all distinct (so no per-name cache helps), all in the 7-day windows and not
  recognised (so every entry is examined and reported by E7 and E8);
- every list at its limit at once (medications as above, transplants, chemotherapy, transfusions, imaging), lab
  observations filling the rest of the byte limit.
FHIR Bundles (at most config.MAX_BODY_BYTES, the API's body limit):
- every cap at once: config.MAX_BUNDLE_ENTRIES entries with the medication, transfusion and transplant lists at
  their limits, Conditions, and lab Observations filling the rest;
- observations: as many lab Observations as the entry limit allows (one entry is the Patient);
- conditions: config.MAX_BUNDLE_ENTRIES - 1 Conditions, each with words to match;
- long texts: Conditions and MedicationStatements whose words and codings are at the models' length limits,
  as many as the body limit holds.
Each run's names differ from every other run's, so no cache carries over between runs.
"""

import argparse
import json
import time
from datetime import timedelta

from screener import config

from .records import _BASE, AS_OF

NAME_LIMIT = 100
RXNORM, SNOMED, LOINC = "http://www.nlm.nih.gov/research/umls/rxnorm", "http://snomed.info/sct", "http://loinc.org"
_SUBJECT = {"reference": "urn:uuid:p"}


def _worst_name(run: int, i: int) -> str:
    stem = f"x{run}-{i:x}"
    return "/".join([stem] + ["a"] * ((NAME_LIMIT - len(stem)) // 2))[:NAME_LIMIT]


def _day(i: int) -> str:
    return (AS_OF - timedelta(days=i % 3650)).isoformat()


def _worst_medications(run: int) -> list[dict]:
    return [
        {"name": _worst_name(run, i), "route": "oral", "dose": 1, "dose_unit": "mg/day", "start": "2026-11-20"}
        for i in range(config.MAX_MEDICATIONS_PER_RECORD)
    ]


def worst_record_json(run: int = 0) -> str:
    """The native record with the most medication entries, each with the costliest name."""
    record = json.loads(json.dumps(_BASE))
    record["history"]["medications"] = _worst_medications(run)
    return json.dumps(record)


def full_record_json(run: int = 0) -> str:
    """The native record with every list at its limit and observations filling the byte limit."""
    record = json.loads(json.dumps(_BASE))
    history = record["history"]
    history["medications"] = _worst_medications(run)
    history["transplants"] = [
        {"type": "autologous", "date": _day(400 + i)} for i in range(config.MAX_TRANSPLANTS_PER_RECORD)
    ]
    history["chemotherapy"] = [
        {"start": _day(i + 40), "end": _day(i + 30), "regimen": f"r{run}-{i}"}
        for i in range(config.MAX_CHEMOTHERAPY_COURSES_PER_RECORD)
    ]
    history["transfusions"] = [
        {"product": "platelets", "date": _day(i)} for i in range(config.MAX_TRANSFUSIONS_PER_RECORD)
    ]
    history["imaging"] = [
        {"modality": "mri", "date": _day(i), "largest_lesion_mm": 23} for i in range(config.MAX_IMAGING_PER_RECORD)
    ]
    size = len(json.dumps(record))
    observation = {"test": "777-3", "value": 142, "unit": "10*3/uL", "date": "2026-11-18", "reference_high": 450}
    room = (config.MAX_RECORD_BYTES - size - 1000) // (len(json.dumps(observation)) + 2)
    record["observations"] += [
        dict(observation, value=100 + i % 97, date=_day(i))
        for i in range(min(room, config.MAX_OBSERVATIONS_PER_RECORD - len(record["observations"])))
    ]
    return json.dumps(record)


# --- FHIR ---------------------------------------------------------------------------------------------------
def _patient() -> dict:
    return {
        "fullUrl": "urn:uuid:p",
        "resource": {"resourceType": "Patient", "id": "p", "birthDate": "2018-03-14", "gender": "female"},
    }


def _observation(i: int) -> dict:
    return {
        "resource": {
            "resourceType": "Observation",
            "status": "final",
            "subject": _SUBJECT,
            "code": {"coding": [{"system": LOINC, "code": "777-3"}]},
            "effectiveDateTime": _day(i),
            "valueQuantity": {"value": 100 + i % 97, "unit": "10*3/uL"},
            "referenceRange": [{"high": {"value": 450, "unit": "10*3/uL"}}],
        }
    }


def _condition(run: int, i: int, text: str = "") -> dict:
    # Words close to a screened disease's (so every word row is tried) without naming one.
    return {
        "resource": {
            "resourceType": "Condition",
            "subject": _SUBJECT,
            "onsetDateTime": _day(i),
            "code": {
                "coding": [{"system": SNOMED, "code": f"{run}{i:07d}", "display": f"tumour of the brain {i}"}],
                "text": text or f"neoplasm r{run}-{i}",
            },
            "clinicalStatus": {"coding": [{"code": "active"}]},
        }
    }


def _procedure(i: int, text: str) -> dict:
    return {
        "resource": {
            "resourceType": "Procedure",
            "status": "completed",
            "subject": _SUBJECT,
            "code": {"text": text},
            "performedDateTime": _day(i + 30),
        }
    }


def _medication(run: int, i: int, long_text: str = "") -> dict:
    dosage = {
        "timing": {"repeat": {"frequency": 2, "period": 1, "periodUnit": "d"}},
        "route": {"coding": [{"system": SNOMED, "code": "26643006"}], "text": long_text or "oral"},
        "doseAndRate": [{"doseQuantity": {"value": 1, "unit": "mg", "code": "mg"}}],
    }
    return {
        "resource": {
            "resourceType": "MedicationStatement",
            "status": "active",
            "subject": _SUBJECT,
            "effectivePeriod": {"start": "2026-11-20"},
            "dosage": [dosage],
            "medicationCodeableConcept": {
                "coding": [{"system": RXNORM, "code": str(900000 + i), "display": _worst_name(run, i)}],
                "text": long_text or _worst_name(run, i),
            },
        }
    }


def _bundle(entries: list[dict]) -> str:
    text = json.dumps({"resourceType": "Bundle", "type": "collection", "entry": [_patient()] + entries})
    assert len(entries) + 1 <= config.MAX_BUNDLE_ENTRIES and len(text.encode()) <= config.MAX_BODY_BYTES, "not accepted"
    return text


def bundle_every_cap(run: int = 0) -> str:
    entries = [_medication(run, i) for i in range(config.MAX_MEDICATIONS_PER_RECORD)]
    entries += [_procedure(i, "Platelet transfusion") for i in range(config.MAX_TRANSFUSIONS_PER_RECORD)]
    entries += [
        _procedure(400 + i, "Autologous hematopoietic stem cell transplant")
        for i in range(config.MAX_TRANSPLANTS_PER_RECORD)
    ]
    entries += [_condition(run, i) for i in range(1000)]
    entries += [_observation(i) for i in range(config.MAX_BUNDLE_ENTRIES - 1 - len(entries))]
    return _bundle(entries)


def bundle_observations(run: int = 0) -> str:
    return _bundle(
        [_observation(i + run) for i in range(min(config.MAX_BUNDLE_ENTRIES - 1, config.MAX_OBSERVATIONS_PER_RECORD))]
    )


def bundle_conditions(run: int = 0) -> str:
    return _bundle([_condition(run, i) for i in range(config.MAX_BUNDLE_ENTRIES - 1)])


def bundle_long_texts(run: int = 0) -> str:
    """Words at the models' 10,000-character limit: every word row is searched through each of them."""
    text = ("tumour of the brain neoplasm " * 400)[:10_000]
    entries = [_medication(run, i, text) for i in range(100)]
    count = (config.MAX_BODY_BYTES - len(json.dumps(entries)) - 10_000) // (
        len(json.dumps(_condition(run, 0, text))) + 2
    )
    return _bundle(entries + [_condition(run, i, text) for i in range(count)])


NATIVE = {
    "native: medications at the limit, worst names": worst_record_json,
    "native: every list at its limit, observations filling 2 MiB": full_record_json,
}
FHIR = {
    "FHIR: every cap at once (entries, medications, transfusions, transplants)": bundle_every_cap,
    "FHIR: lab observations at the entry limit": bundle_observations,
    "FHIR: Conditions at the entry limit": bundle_conditions,
    "FHIR: words at the text limit, filling 8 MiB": bundle_long_texts,
}


def main() -> None:
    from screener.fhir import record_from_bundle
    from screener.screening import parse_record, screen_all

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    worst = 0.0
    for attempt in range(args.repeat):
        for label, make in {**NATIVE, **FHIR}.items():
            text = make(attempt)
            start = time.perf_counter()
            record = parse_record(text) if make in NATIVE.values() else record_from_bundle(text, AS_OF)[0]
            read = time.perf_counter() - start
            reports = screen_all(record, AS_OF)
            seconds = time.perf_counter() - start
            worst = max(worst, seconds) if attempt else worst
            print(
                f"run {attempt + 1}: {label}: {len(text):,} bytes, {len(reports)} trials: read {read:.3f} s, "
                f"read and screened {seconds:.3f} s"
                + (
                    " (first: includes loading the tables and vocabulary)"
                    if attempt == 0 and label == next(iter(NATIVE))
                    else ""
                )
            )
    if args.repeat > 1:
        print(f"worst after warm-up: {worst:.3f} s (gunicorn's worker timeout: 30 s)")


if __name__ == "__main__":
    main()
