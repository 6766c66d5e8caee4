"""Facts: the field catalogue, typed fact keys, and their derivation from a record at an as-of date.

The functions live in their modules (facts.catalogue.catalogue, facts.derive.derive): exported here under
their own names they would hide the modules of the same name.
"""
from ..lazy import lazy_exports

_EXPORTS = {
    "info_for": ".catalogue", "FieldInfo": ".catalogue", "Fact": ".fact",
    "FactKey": ".keys", "RecordFact": ".keys", "DerivedFact": ".keys", "LabFact": ".keys", "LabMultipleFact": ".keys",
    "DaysSinceFact": ".keys", "Event": ".keys", "TransfusionFreeFact": ".keys", "RecordedFact": ".keys",
    "slot_name": ".keys",
}

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = list(_EXPORTS)
