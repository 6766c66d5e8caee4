"""CDS Hooks 2.0.1 services (docs/cds-hooks.md): discovery, patient-view candidates, order-sign warnings, trust."""
from .discovery import ORDER_SIGN, PATIENT_VIEW, discovery, prefetch_templates, service_hook
from .fetch import FhirFetch
from .hooks import Answer, answer, recruiting_trials
from .prefetch import NeedsData
from .trust import Ehr, Untrusted, verify

__all__ = ["ORDER_SIGN", "PATIENT_VIEW", "Answer", "Ehr", "FhirFetch", "NeedsData", "Untrusted", "answer",
           "discovery", "prefetch_templates", "recruiting_trials", "service_hook", "verify"]
