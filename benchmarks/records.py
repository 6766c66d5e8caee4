"""Generated patient records for benchmarks: the demo patient varied at random, valid by construction."""
import copy
import json
import random
from datetime import date, timedelta
from pathlib import Path

_BASE = json.loads((Path(__file__).resolve().parent.parent / "seeds" / "patients" / "eligible.json").read_text())
AS_OF = date(2026, 11, 22)


def generated_record(rng: random.Random) -> dict:
    """A record that screens to any verdict: lab values around the thresholds, some data missing or stale."""
    record = copy.deepcopy(_BASE)
    record["record_id"] = f"GEN-{rng.randrange(10**9)}"
    birth = AS_OF - timedelta(days=rng.randrange(365, 18 * 365))
    record["demographics"]["birth_date"] = birth.isoformat()
    record["demographics"]["sex"] = rng.choice(["female", "male"])
    values = {"777-3": (20, 200, "10*3/uL"), "751-8": (0.2, 3, "10*3/uL"), "718-7": (7, 14, "g/dL"),
              "1975-2": (0.2, 2.5, "mg/dL"), "1742-6": (10, 200, "U/L"), "2160-0": (0.2, 1.5, "mg/dL"),
              "shortening_fraction": (20, 40, "%"), "10230-1": (40, 70, "%")}
    observations = []
    for test, (low, high, unit) in values.items():
        if rng.random() < 0.9:
            day = AS_OF - timedelta(days=rng.randrange(0, 20))
            observations.append(
                {"test": test, "value": round(rng.uniform(low, high), 2), "unit": unit, "date": day.isoformat()}
            )
    record["observations"] = observations
    if rng.random() < 0.3:
        record["history"]["transfusions"] = [
            {"product": "platelets", "date": (AS_OF - timedelta(days=rng.randrange(0, 20))).isoformat()}
        ]
    if rng.random() < 0.1:
        record["findings"]["seizures"] = rng.choice(["controlled", "uncontrolled", None])
    if rng.random() < 0.1:
        record["attestations"]["guardian_consent_signed"] = rng.choice(["no", "not_assessed"])
    return record


def generated_records(count: int, seed: int = 20261122) -> list[str]:
    rng = random.Random(seed)
    return [json.dumps(generated_record(rng)) for _ in range(count)]
