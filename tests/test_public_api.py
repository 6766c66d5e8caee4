"""The public surface: what `screener`, `screener.facts` and `screener.audit` export, pinned, and loaded lazily."""
import subprocess
import sys

import screener
import screener.audit
import screener.facts


def test_the_package_exports_exactly_these_names():
    assert sorted(screener.__all__) == sorted([
        "screen", "screen_all", "parse_record", "record_from_bundle", "FhirImport", "ScreenerError", "InvalidRecord",
        "FieldError", "UnknownTrial", "EngineDisagreement", "RuleSetError", "Report", "Verdict", "Status",
        "PatientRecord"])
    assert sorted(screener.facts.__all__) == sorted([
        "info_for", "FieldInfo", "Fact", "FactKey", "RecordFact", "DerivedFact", "LabFact", "LabMultipleFact",
        "DaysSinceFact", "Event", "TransfusionFreeFact", "RecordedFact", "slot_name"])
    assert sorted(screener.audit.__all__) == sorted([
        "AuditEvent", "AuditStore", "Screening", "StoreError", "StoreTooNew", "Verification", "database_url",
        "open_store",
        "private_folder", "record_of", "report_of", "Accounts", "AccountError", "FIRST_ADMIN_PASSWORD_FILE",
        "Principal", "Limits", "export", "screening_log", "log_csv", "log_chart", "AmendmentImpact", "Impact",
        "amendment_impact", "GroupCommit", "TokenMeter", "TokenCache", "cannot_write", "MissingKey", "key_path",
        "require_key", "report_access_problems", "BackupError", "backup", "restore", "remember", "remembered",
        "rotate_key", "RotationRefused",
        # The screening log by child (issue 25): voids, outcomes, which screening counts, the sponsor's log.
        "AlreadyVoided", "Ledger", "ledger", "child_key", "children_summary", "child_screenings", "child_outcomes",
        "void", "add_outcome", "monthly_csv", "NOT_COUNTED", "sponsor_csv", "Drafts", "ROLES",
        # Rule-set versions in force at the site (issue 26): approvals appended with their chain events.
        "add_approval", "approvals",
        # The web app's approvals per process, kept while its group commit finds no other writer's event (issue 29).
        "ApprovalsSeen",
        # Enrolment-day eligibility verification (issue 26): signatures and deviations with their chain events, and
        # each child's standing in the screening log and the sponsor export.
        "add_verification", "add_deviation", "verifications", "verification", "deviations", "ChallengeUsed",
        "ChecklistChanged", "rescreens_of", "verification_standings", "UNVERIFIED_ENROLMENT",
        # CDS Hooks (docs/cds-hooks.md): token ids (jti) seen, so no worker accepts a replay; EHR patients linked
        # to their screening numbers by a keyed hash.
        "SeenTokens", "EhrPatients",
        # Review before use (issue 28): rule-set reviews and reviewers' comments with their chain events.
        "add_rule_set_review", "rule_set_reviews"])


def test_every_exported_name_resolves_to_its_definition():
    from screener.model.errors import InvalidRecord, ScreenerError
    from screener.model.verdict import Verdict
    from screener.screening import screen

    for module in (screener, screener.facts, screener.audit):
        for name in module.__all__:
            assert getattr(module, name) is not None, (module.__name__, name)
    assert screener.screen is screen and screener.InvalidRecord is InvalidRecord
    assert screener.ScreenerError is ScreenerError and screener.Verdict is Verdict
    assert screener.facts.slot_name(screener.facts.LabFact("spo2")) == "lab.spo2"


def test_importing_the_package_loads_nothing_it_does_not_use():
    code = ("import sys, screener; "
            "print(sorted(m for m in sys.modules if m.startswith('screener') or m in ('pydantic', 'sqlalchemy')))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "['screener', 'screener.lazy']"


def test_the_public_api_screens_as_the_readme_shows():
    from datetime import date
    from pathlib import Path

    text = (Path(__file__).resolve().parent.parent / "seeds" / "patients" / "eligible.json").read_text()
    report = screener.screen(screener.parse_record(text), "NCT06674265", date(2026, 11, 22))
    assert report.verdict == "eligible" and report.verdict is screener.Verdict.ELIGIBLE
