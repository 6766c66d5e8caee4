"""Clinical-trial eligibility screening: pass, fail or unknown, and why, for every criterion.

The public Python API. Names load on first use, so `import screener` (and `screener --help`) stays fast:

    from screener import parse_record, screen
    report = screen(parse_record(text), "NCT06674265", date(2026, 11, 22))
"""
from .lazy import lazy_exports

_EXPORTS = {
    "screen": ".screening", "screen_all": ".screening", "parse_record": ".screening",
    "ScreenerError": ".model.errors", "InvalidRecord": ".model.errors", "FieldError": ".model.errors",
    "UnknownTrial": ".screening",
    "EngineDisagreement": ".engine", "RuleSetError": ".rules",
    "record_from_bundle": ".fhir", "FhirImport": ".fhir",
    "Report": ".model.report", "Verdict": ".model.verdict", "Status": ".model.verdict",
    "PatientRecord": ".model.record",
}

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = list(_EXPORTS)
