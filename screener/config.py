"""Named defaults, in one place; each can be overridden by an environment variable of the same name."""
import os
from enum import StrEnum
from pathlib import Path

_REPO_ROOT = Path(__file__).resolve().parent.parent

# Rule files and the reference tables they use (data only).
SCREENER_CRITERIA_DIR = Path(os.environ.get("SCREENER_CRITERIA_DIR", _REPO_ROOT / "criteria"))
# Instance folder: the SQLite database, the audit key, instance config. Not in version control.
SCREENER_INSTANCE_PATH = Path(os.environ.get("SCREENER_INSTANCE_PATH", _REPO_ROOT / "instance"))
# Where screenings and the audit trail are stored; empty means SQLite in the instance folder.
DATABASE_URL = os.environ.get("DATABASE_URL", "")


class Engine(StrEnum):
    """The Evaluator backends, by the name SCREENER_ENGINE, --engine and a report's engine field give them."""

    DURABLE = "durable"  # durable-rules
    REFERENCE = "reference"  # the plain-Python Kleene evaluator the other is checked against


# Rule sets with `status: draft` (drafted by `screener rules draft`, or by hand, and not yet reviewed) are refused for
# screening: every command that screens exits 2 and the web service refuses to start, naming the file and trial.
# True (or `--allow-draft` on a command, ALLOW_DRAFT_RULES in the web app's config) screens under them, every
# output labelled DRAFT RULES and never reading ELIGIBLE (docs/rule-files.md#review-before-use).
SCREENER_ALLOW_DRAFT_RULES = os.environ.get("SCREENER_ALLOW_DRAFT_RULES", "").strip().lower() in ("1", "true", "yes")

# Which Evaluator backend screens records (an Engine's name; engine.get_evaluator refuses any other).
SCREENER_ENGINE = os.environ.get("SCREENER_ENGINE", Engine.DURABLE.value)

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
# The other lists of a record, each far above a real child's history and each refused above its limit (422 / CLI
# exit 2 / a line of the batch's errors.csv) naming the list and the limit. Observations: a child on treatment for
# years has a blood count and chemistry most days (a dozen screened labs a draw, ~4,000 a year), so the limit
# holds several years; a lab list this long screens in about a second (benchmarks/worst_case.py).
MAX_OBSERVATIONS_PER_RECORD = 20_000
MAX_TRANSFUSIONS_PER_RECORD = 2_000  # intensive AML therapy needs a few hundred at most
MAX_TRANSPLANTS_PER_RECORD = 20
MAX_CHEMOTHERAPY_COURSES_PER_RECORD = 500
MAX_IMAGING_PER_RECORD = 1_000
# Entries one FHIR Bundle may hold. The 8 MiB body limit already keeps real bundles to a few thousand entries
# (Synthea's average resource is ~3 KB; the largest of the 151 test bundles has 589 entries); this bounds a
# bundle of tiny entries too, so reading and screening the worst accepted bundle stays in seconds
# (benchmarks/worst_case.py) far inside the worker timeout. More: 422 naming `entry` and this limit.
MAX_BUNDLE_ENTRIES = 20_000
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

# --- the audit store ------------------------------------------------------------------------------------------
# The hash chain's HMAC key; empty: instance/audit.key, created once, readable by the owner only.
SCREENER_AUDIT_KEY = os.environ.get("SCREENER_AUDIT_KEY", "")
# SQLite's synchronous mode for screenings and the chain: FULL syncs every commit, so a power cut loses nothing
# acknowledged. (Rate-limit counters always use NORMAL: worthless after a power cut.)
SCREENER_SQLITE_SYNCHRONOUS = os.environ.get("SCREENER_SQLITE_SYNCHRONOUS", "FULL")

# --- the web service: defaults of its Flask config (instance/config.py and SCREENER_<NAME> override each) ------
# Per token, counted in the database (shared by every worker, kept across restarts): 10 a second is far above an
# EHR interface screening patients as they come, and stops a runaway or stolen token from flooding the trail.
# Population pre-screening belongs in `screener batch`, not the API.
TOKEN_RATE_PER_MINUTE = 600
# Token look-ups are remembered per process this long: a revoked token (or a disabled user's) is refused by every
# worker within it; an expired one at once. See audit/_token_cache.py.
TOKEN_CACHE_SECONDS = 5.0
# Sign-in: each try costs a deliberately slow scrypt check (about 0.3 s of a core here), counted in the database.
LOGIN_ATTEMPTS_PER_CLIENT_PER_MINUTE = 10
LOGIN_ATTEMPTS_PER_MINUTE = 60  # every client together: at most a third of one core spent hashing
LOGIN_CONCURRENT_HASHES = 1  # per host; with two or more workers one is always free for health checks
# A browser that signed in as a user within LOGIN_KNOWN_DAYS carries a signed cookie saying so; its tries for that
# username have their own budget and hashing slot, outside the two limits above, so a flood from any number of
# addresses cannot lock out people who have signed in before (web/auth.py, docs/access-control.md).
LOGIN_KNOWN_ATTEMPTS_PER_MINUTE = 10  # per username, for browsers known to it
LOGIN_KNOWN_DAYS = 30
LOGIN_RESERVED_HASHES = 1
# Lockout, per username *and* client address, so nobody can lock another person out from elsewhere: after 5
# failures in a row, 1 minute, doubling with each further failure up to an hour.
LOGIN_FAILURES_ALLOWED = 5
LOGIN_LOCKOUT_SECONDS = 60
LOGIN_LOCKOUT_MAX_SECONDS = 3600
SESSION_IDLE_MINUTES = 30  # a signed-in session ends after this long without a request
# A screening form sent after its session ended is kept, encrypted, for its user (web/drafts.py): the form may be
# sent up to FORM_DRAFT_HOURS after it was shown, and the draft is deleted FORM_DRAFT_HOURS after it was kept (a
# working day and a night: long enough to sign in again after a break, short enough that patient data typed into
# a forgotten form does not linger). A user keeps at most FORM_DRAFTS_PER_USER; a form holds about 90 inputs of
# a few characters, so FORM_DRAFT_MAX_CHARS is far above any real one.
FORM_DRAFT_HOURS = 24
FORM_DRAFTS_PER_USER = 10
FORM_DRAFT_MAX_CHARS = 200_000
# Auditor views: screenings listed on the history page (newest first; the exports hold them all), and the trial
# the screening log opens on when none is chosen (the first complete rule set).
AUDIT_HISTORY_ROWS = 500
AUDIT_LOG_DEFAULT_TRIAL = "NCT06674265"

# --- batch ----------------------------------------------------------------------------------------------------
# Records per chunk sent to a worker (`screener batch --chunk-size`), and FHIR Bundles per chunk: a bundle is a
# whole history (up to megabytes), so a few at a time keep a worker's memory flat.
BATCH_CHUNK_RECORDS = 2000
BATCH_CHUNK_BUNDLES = 4
# /readyz commits one small write and answers 503 when it takes longer than this (a hung database must not hang
# the probe); a result is reused for READY_REUSE_SECONDS so that unauthenticated probes cost at most one write.
READY_TIMEOUT_SECONDS = float(os.environ.get("READY_TIMEOUT_SECONDS", 2))
READY_REUSE_SECONDS = float(os.environ.get("READY_REUSE_SECONDS", 1))

# --- CDS Hooks (docs/cds-hooks.md) -------------------------------------------------------------------------------
# The EHRs trusted to call the CDS Hooks services: a JSON file {"ehrs": [{iss, jwks, algorithms, fhir_servers}]}
# (model/cds_hooks.py EhrRegistration). Unset: no EHR is trusted and every CDS call is a 401.
SCREENER_CDS_EHRS = os.environ.get("SCREENER_CDS_EHRS", "")
# Browser origins allowed to call the CDS endpoints (CORS), comma-separated: the public sandbox is
# https://sandbox.cds-hooks.org. Unset: none (an EHR's server-side calls need no CORS).
SCREENER_CDS_CORS_ORIGINS = [o for o in os.environ.get("SCREENER_CDS_CORS_ORIGINS", "").split(",") if o.strip()]
# The external base URL (scheme, host, any path prefix) the EHR calls, when the proxy in front does not pass the
# Host it was called on: a token's audience must be exactly the URL called. Unset: the request's own URL.
SCREENER_CDS_BASE_URL = os.environ.get("SCREENER_CDS_BASE_URL", "")
# A missing prefetch key is fetched from the EHR's FHIR server within this many seconds (connect, read), so the
# answer stays near the spec's ~500 ms; a fetch that fails leaves its facts unknown.
CDS_FETCH_TIMEOUT_SECONDS = (1.0, 3.0)
