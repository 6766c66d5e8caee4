"""Where a screening's CPU goes, part by part: each step timed alone over the same generated records.

    python -m benchmarks.parts [--records N] [--trial ID]

Prints microseconds of CPU a record for each step of the pipeline, in the order a screening runs them (a native
record's JSON read and validated, the as-of checks and warnings, the derivation, each evaluator, the rest of the
judgement, the report worded in English and in Persian, the report's JSON as the API writes it), and their sum.
This is the profile the performance page reads for target 1 and, with the batch's and the API's own costs, for
targets 2 and 3. Every step runs once per record (the words' memo sees each record once, as a stream of distinct
children does); the records are generated, so no two are the same child.
"""
import argparse
import os
import time

from screener.engine import get_evaluator
from screener.engine.compile import compiled
from screener.facts.derive import derive
from screener.model.json_text import load_json
from screener.model.record import PatientRecord
from screener.model.validate import validate_data
from screener.rules import load_rule_sets, load_tables
from screener.screening import check_as_of, screen_outcome, warnings_for

from .records import AS_OF, generated_records


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=3000)
    parser.add_argument("--trial", default="NCT06674265")
    args = parser.parse_args()
    texts = generated_records(args.records)
    rule_set = compiled(load_rule_sets()[args.trial])
    tables = load_tables()
    lookback = rule_set.rule_set.lookback
    warm = screen_outcome(validate_data(PatientRecord, load_json(texts[0], "(record)")), args.trial, AS_OF)
    warm.worded(), warm.worded("fa")  # rule sets compiled, catalogues read, engines built: outside the timing

    parts: dict[str, float] = {}

    def timed(name, step, inputs):
        began = time.process_time()
        out = [step(x) for x in inputs]
        parts[name] = time.process_time() - began
        return out

    data = timed("JSON read (load_json)", lambda t: load_json(t, "(record)"), texts)
    records = timed("schema validation (pydantic, strict)", lambda d: validate_data(PatientRecord, d), data)
    timed("as-of checks (check_as_of)", lambda r: check_as_of(r, AS_OF), records)
    timed("warnings (values to confirm)", warnings_for, records)
    facts = timed("derivation (derive)", lambda r: derive(r, AS_OF, rule_set.facts, lookback, tables), records)
    values = [{k: f.value for k, f in fs.items()} for fs in facts]
    for name in ("durable", "reference"):
        evaluator = get_evaluator(name)
        timed(f"evaluation: {name}", lambda v, e=evaluator: e.evaluate(rule_set, v), values)
    began = time.process_time()
    outcomes = [screen_outcome(r, args.trial, AS_OF, "durable", checked=True) for r in records]
    judged = time.process_time() - began
    parts["rest of the judgement (clearing days, guard, outcome)"] = judged - sum(
        parts[k] for k in ("derivation (derive)", "evaluation: durable", "evaluation: reference"))
    reports = timed("report worded in English", lambda o: o.worded(), outcomes)
    timed("report's JSON (model_dump_json)", lambda r: r.model_dump_json(), reports)
    timed("report worded in Persian (another reader)", lambda o: o.worded("fa"), outcomes)

    n = len(texts)
    print(f"{n:,} generated records x {args.trial}, CPU a record, one process; load average "
          f"{', '.join(f'{v:.2f}' for v in os.getloadavg())}")
    english = 0.0
    for name, seconds in parts.items():
        print(f"  {name:56}{1e6 * seconds / n:>8.0f} us")
        if "Persian" not in name:
            english += seconds
    print(f"  {'a full English screening as the API answers it (sum)':56}{1e6 * english / n:>8.0f} us "
          f"(= {n / english:,.0f}/s on one core)")


if __name__ == "__main__":
    main()
