"""Read a FHIR R4 Bundle into a patient record, reporting which resource each value came from.

Only what screening needs is read: Patient (birth date, sex), Observations matched by LOINC code and UCUM unit
(final/amended/corrected only), Conditions (diagnosis), MedicationStatement/MedicationAdministration/
MedicationRequest (RxNorm code, name, route, daily dose, period) and Procedures (transplants, transfusions).
Everything used or ignored is listed with the reason, so a coordinator can see why a value was used.

Assumptions, stated in every import: a bundle with any medication resource carries the patient's medication
history; a bundle with any Procedure carries the transplant and transfusion history. With none of them the
history is "not recorded" (unknown), never "none".
"""
from ._common import FhirImport
from ._models import Bundle
from ._read import observation_codes, record_from_bundle
from ._write import NOT_CARRIED, bundle_from_record

__all__ = ["Bundle", "FhirImport", "NOT_CARRIED", "bundle_from_record", "observation_codes", "record_from_bundle"]
