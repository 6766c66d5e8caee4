"""Turn a folder of FHIR Bundles (one patient each, as Synthea writes them) into a FHIR Bulk Data `$export` folder:
one NDJSON file per resource type (or several: --parts N spreads the patients over TYPE.1.ndjson ... TYPE.N.ndjson,
each patient's resources of a type in one file) and the export's manifest. For the tests and benchmarks/bulk_fhir.py.

    .venv/bin/python scripts/bundles_to_bulk.py ../shared/synthea/bundles /tmp/export [--copies 20] [--parts 2]

--copies N writes every patient N times, each copy with new ids (every UUID in its lines mapped to another,
deterministically), for a larger export of the same histories. Lines keep the Bundle's entry order within a type.
"""
import argparse
import json
import re
import uuid
from pathlib import Path
from typing import IO, Iterable

_UUID = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_COPY = uuid.UUID("6f1d2a9e-0c55-4c0e-9d53-7c1b6f0b2e11")  # the namespace of the copies' ids


def _renamed(line: bytes, copy: int) -> bytes:
    if copy == 0:
        return line
    return _UUID.sub(lambda m: str(uuid.uuid5(_COPY, f"{copy}:{m[0].decode()}")).encode(), line)


def write_export(
    bundles: Iterable[Path],
    out: Path,
    *,
    copies: int = 1,
    parts: int = 1,
    manifest: bool = True,
    types: set[str] | None = None,
) -> dict[str, int]:
    """Write the export into out (created); returns the number of resources written per type. types: only these."""
    out.mkdir(parents=True, exist_ok=True)
    handles: dict[str, IO[bytes]] = {}
    counts: dict[str, int] = {}

    def name(kind: str, part: int) -> str:
        return f"{kind}.ndjson" if parts == 1 else f"{kind}.{part + 1}.ndjson"

    try:
        patient = 0
        for path in bundles:
            entries = json.loads(path.read_bytes())["entry"]
            lines = [(e["resource"]["resourceType"], json.dumps(e["resource"], separators=(",", ":")).encode())
                     for e in entries]
            for copy in range(copies):
                part = patient % parts
                patient += 1
                for kind, line in lines:
                    if types is not None and kind not in types:
                        continue
                    file = name(kind, part)
                    if file not in handles:
                        handles[file] = (out / file).open("wb")
                    handles[file].write(_renamed(line, copy) + b"\n")
                    counts[kind] = counts.get(kind, 0) + 1
    finally:
        for handle in handles.values():
            handle.close()
    if manifest:
        output = [{"type": file.split(".")[0], "url": (out / file).resolve().as_uri()} for file in sorted(handles)]
        (out / "manifest.json").write_text(
            json.dumps(
                {
                    "transactionTime": "2021-04-01T00:00:00Z",
                    "request": "[base]/Patient/$export",
                    "requiresAccessToken": False,
                    "output": output,
                    "error": [],
                },
                indent=1,
            )
        )
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("bundles", type=Path, help="a folder of FHIR Bundles (*.json)")
    parser.add_argument("out", type=Path, help="the export folder to write")
    parser.add_argument("--copies", type=int, default=1)
    parser.add_argument("--parts", type=int, default=1)
    parser.add_argument("--no-manifest", action="store_true")
    args = parser.parse_args()
    counts = write_export(sorted(args.bundles.glob("*.json")), args.out, copies=args.copies, parts=args.parts,
                          manifest=not args.no_manifest)
    print(json.dumps(counts, indent=1))


if __name__ == "__main__":
    main()
