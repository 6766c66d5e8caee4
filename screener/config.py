"""Named defaults, in one place; each can be overridden by an environment variable of the same name."""
import os
from pathlib import Path

_REPO_ROOT = Path(__file__).resolve().parent.parent

# Rule files and the reference tables they use (data only).
SCREENER_CRITERIA_DIR = Path(os.environ.get("SCREENER_CRITERIA_DIR", _REPO_ROOT / "criteria"))
# Instance folder: the SQLite database, the audit key, instance config. Not in version control.
SCREENER_INSTANCE_PATH = Path(os.environ.get("SCREENER_INSTANCE_PATH", _REPO_ROOT / "instance"))
# Where screenings and the audit trail are stored; empty means SQLite in the instance folder.
DATABASE_URL = os.environ.get("DATABASE_URL", "")
# Which Evaluator backend screens records: "durable" (durable-rules) or "reference" (plain Python).
SCREENER_ENGINE = os.environ.get("SCREENER_ENGINE", "durable")

# Days since an event that never happened. Large enough that no day window reaches it; the engine only
# ever sees numbers, so "never" must be one.
NEVER_DAYS = 1_000_000
# Decimal places every fact value and threshold is carried to: finer than any clinical measurement, and the
# grid on which the durable-rules backend compares numbers exactly (as integer micro-units).
DECIMALS = 6
# Medication entries one record may carry: far above any child's real history (a long admission lists a few
# hundred), low enough that the worst accepted record screens in well under a second (benchmarks/worst_case.py).
# More are refused at validation (422 / CLI exit 2) naming history.medications and this limit.
MAX_MEDICATIONS_PER_RECORD = 500
# A native record larger than this is refused before parsing (CLI and API alike).
MAX_RECORD_BYTES = 2 * 1024 * 1024
# The API's body limit: FHIR bundles carry a whole history (the largest real one tested is 2.7 MB). Above it: 413.
MAX_BODY_BYTES = 8 * 1024 * 1024
# `screener batch` screens an input of at most this many records (NDJSON lines, CSV rows) or FHIR Bundles (files
# in a folder) in its own process instead of starting a local Dask cluster, unless --scheduler or --workers is
# given. Measured on the 2-core machine: a local cluster takes 6-15 s to start, while in process one core screens
# about 350 records/s against all six trials (700/s against one) and about 45 Synthea bundles/s, and two workers
# add well under 2x; so below these sizes the cluster would finish later than the single process.
BATCH_IN_PROCESS_MAX_RECORDS = int(os.environ.get("BATCH_IN_PROCESS_MAX_RECORDS", 5_000))
BATCH_IN_PROCESS_MAX_BUNDLES = int(os.environ.get("BATCH_IN_PROCESS_MAX_BUNDLES", 300))
