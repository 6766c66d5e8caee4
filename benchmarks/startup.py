"""Start-up of the command line as a user meets it: wall time of whole `screener` processes, median of a few runs.

    python -m benchmarks.startup [--runs 5]

Each command runs in a fresh process (wall time and CPU time, user + system, are both printed) against a
throwaway instance folder (its SQLite database is created and migrated by a first, untimed screening, which also
builds the drug-name index there). The "drug index cold" row removes that index before each run, so it shows what
the first screening after an install or a library upgrade pays once; every other row is the warm case, as every
later process meets it. Targets from issue 14: `--help` ≤ 0.3 s, one `screen` ≤ 1 s; `batch`
on the seven demo patients should not start a Dask cluster. Prints the load average too: other work on the
machine stretches every figure.
"""

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PATIENTS = REPO / "seeds" / "patients"
# The installed console script, as the README runs it; `python -m screener.cli` where there is none.
_SCRIPT = Path(sys.executable).parent / "screener"
SCREENER = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "screener.cli"]


def _timed(args: list[str], env: dict, before=None) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one whole process. CPU time (user + system) barely moves with the machine's
    load, wall time does: on a busy machine the CPU figure is the one to compare."""
    if before:
        before()
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(SCREENER + args, cwd=REPO, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="screener-startup-"))
    env = dict(os.environ, SCREENER_INSTANCE_PATH=str(work / "instance"))
    ndjson = work / "demo.ndjson"
    ndjson.write_text("\n".join(p.read_text().replace("\n", " ") for p in sorted(PATIENTS.glob("*.json"))) + "\n")
    eligible = str(PATIENTS / "eligible.json")
    _timed(["screen", eligible, "--trial", "NCT06674265", "--as-of", "2026-11-22"], env)  # creates the database
    one_trial = ["screen", eligible, "--trial", "NCT06674265", "--as-of", "2026-11-22"]

    def cold() -> None:
        for index in (work / "instance").glob("drug-names-*.sqlite3"):
            index.unlink()

    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; {os.cpu_count()} cores")
    runs = [_timed(one_trial, env, cold) for _ in range(min(args.runs, 3))]
    _report("screener screen (one trial), drug index cold", runs)
    commands = {
        "screener --help": ["--help"],
        "screener screen (one trial)": one_trial,
        "screener screen --all (six trials)": ["screen", eligible, "--all", "--as-of", "2026-11-22"],
        "screener screen FHIR Bundle --all": [
            "screen",
            str(REPO / "tests" / "fixtures" / "fhir_bundle.json"),
            "--all",
            "--as-of",
            "2026-11-22",
        ],
        "screener batch, 7 demo patients --all": [
            "batch",
            str(ndjson),
            "--all",
            "--out",
            str(work / "out"),
            "--as-of",
            "2026-11-22",
        ],
    }
    for name, command in commands.items():
        _report(name, [_timed(command, env) for _ in range(args.runs)])
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def _report(name: str, runs: list[tuple[float, float]]) -> None:
    wall, cpu = [w for w, _ in runs], [c for _, c in runs]
    print(
        f"{name:46} median of {len(runs)}: wall {statistics.median(wall):5.2f} s (min {min(wall):.2f}, "
        f"max {max(wall):.2f});  CPU {statistics.median(cpu):5.2f} s"
    )


if __name__ == "__main__":
    main()
