"""Write seeds/examples/ from the rule file and the demo patients: the inputs the documented commands use
(docs/command-line.md).

    .venv/bin/python scripts/make_examples.py

- records.ndjson: every demo patient of seeds/patients, one per line (for `screener batch`).
- records.csv: the same patients flattened to record-path columns (lists such as histories have no CSV form).
- NCT06674265-amended.yaml: criteria/NCT06674265.yaml with an EXAMPLE amendment (for `screener rules diff` and
  `screener rules impact`): exclusion 7- read as a 14-day steroid washout instead of 7. Not a protocol change.

Generated, not hand-copied, so they follow the demo patients and the rule file; tests/test_readme.py fails when the
checked-in files differ from what this writes (run it again after changing either).
"""
import csv
import io
import json
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "seeds" / "examples"
PATIENTS = REPO / "seeds" / "patients"
RULE_FILE = REPO / "criteria" / "NCT06674265.yaml"
_LISTS_WITHOUT_CSV_FORM = ("history",)


def patients() -> list[dict]:
    return [json.loads(path.read_text(encoding="utf-8")) for path in sorted(PATIENTS.glob("*.json"))]


def ndjson() -> str:
    return "".join(json.dumps(p, ensure_ascii=False, separators=(",", ":")) + "\n" for p in patients())


def _flat(prefix: str, value, row: dict) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _flat(f"{prefix}.{key}" if prefix else key, item, row)
    elif value is not None:
        row[prefix] = "yes" if value is True else "no" if value is False else str(value)


def table() -> str:
    sys.path.insert(0, str(REPO))
    from screener.model.labs import lab_for_test

    rows = []
    for patient in patients():
        row: dict[str, str] = {}
        for key, value in patient.items():
            if key not in ("observations", *_LISTS_WITHOUT_CSV_FORM):
                _flat(key, value, row)
        for obs in patient.get("observations", []):  # the last of each test, as screening takes it
            lab = lab_for_test(obs["test"]).name
            for part in ("value", "unit", "date", "reference_high"):
                row.pop(f"lab.{lab}.{part}", None)
                if obs.get(part) is not None:
                    row[f"lab.{lab}.{part}"] = str(obs[part])
        rows.append(row)
    columns = list(dict.fromkeys(column for row in rows for column in row))
    out = io.StringIO()
    writer = csv.DictWriter(out, columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def _once(pattern: str, replacement, text: str, flags=re.M) -> str:
    new, count = re.subn(pattern, replacement, text, count=1, flags=flags)
    if count != 1:
        raise SystemExit(f"{RULE_FILE.name}: cannot apply the example amendment: {pattern!r} not found")
    return new


def amended() -> str:
    text = RULE_FILE.read_text(encoding="utf-8")
    old = re.search(r'^version: "(\d+)\.(\d+)\.(\d+)"', text, re.M)
    if old is None:
        raise SystemExit(f"{RULE_FILE.name}: no version: \"MAJOR.MINOR.PATCH\" line")
    version = f"{old[1]}.{int(old[2]) + 1}.0"
    text = _once(r'^version: "[^"]+"', f'version: "{version}"', text)
    text = _once(r"^changelog:\n", (
        "changelog:\n"
        f'  - version: "{version}"\n'
        "    date: 2026-11-30\n"
        "    changes: >\n"
        "      EXAMPLE AMENDMENT for the README's `rules diff` and `rules impact` commands, not a protocol change:\n"
        "      exclusion 7- (systemic corticosteroids) read as a 14-day washout instead of 7 days.\n"), text)
    e7 = re.search(r"^  - id: NCT06674265-E7\n.*?(?=^  - id: )", text, re.M | re.S)
    if e7 is None:
        raise SystemExit(f"{RULE_FILE.name}: criterion NCT06674265-E7 not found")
    block = _once(r"in the last 7 days", "in the last 14 days", e7[0])
    block = _once(r"^(    logic:\n      within_days: )7$", r"\g<1>14", block)
    block = _once(
        r"^(    interpretation: >\n(?:      .*\n)+)",
        r"\g<1>      EXAMPLE AMENDMENT: read as a 14-day washout, clearing 14 days after the last such dose.\n",
        block,
    )
    # The Persian title and note say the same reading as the English ones (issue 30), so they are amended alike.
    block = _once(r"در ۷ روز گذشته", "در ۱۴ روز گذشته", block)
    block = _once(
        r"^(        interpretation: >\n(?:          .*\n)+)",
        r"\g<1>          اصلاحیه نمونه (EXAMPLE AMENDMENT): به‌صورت دوره پاک‌سازی ۱۴ روزه خوانده می‌شود که ۱۴ روز پس از"
        r" آخرین چنین دوزی برطرف می‌شود.\n",
        block,
    )
    return text[: e7.start()] + block + text[e7.end() :]


def examples() -> dict[str, str]:
    """File name -> content of every generated example."""
    return {"records.ndjson": ndjson(), "records.csv": table(), "NCT06674265-amended.yaml": amended()}


def main() -> None:
    EXAMPLES.mkdir(parents=True, exist_ok=True)
    for name, content in examples().items():
        (EXAMPLES / name).write_text(content, encoding="utf-8")
        print(f"wrote {(EXAMPLES / name).relative_to(REPO)}")


if __name__ == "__main__":
    main()
