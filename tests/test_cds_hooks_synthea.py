"""patient-view for each of the 151 Synthea bundles, acting as the EHR: none has these diseases, so no card.
Slow (about a call a tenth of a second each): run with -m slow or ./scripts/test."""
import json

import pytest
from freezegun import freeze_time

from screener.cds_hooks.example import hook_request, prefetch_from_bundle

from .cds_ehr import bearer, registry
from .helpers import make_app
from .test_fhir import SYNTHEA, needs_synthea

SERVICE = "/cds-services/trial-candidates"


@pytest.mark.slow
@needs_synthea  # shared/ beside the repository or SCREENER_SHARED_DIR; in CI a missing folder fails, never skips
def test_no_synthea_patient_gets_a_card(tmp_path):
    ehr = make_app(tmp_path, CDS_EHRS=registry()).test_client()
    paths = sorted(SYNTHEA.glob("*.json"))
    assert len(paths) == 151
    answered = {}
    with freeze_time("2026-12-06", tick=True):
        for path in paths:
            patient_id, prefetch = prefetch_from_bundle(json.loads(path.read_text()))
            response = ehr.post(SERVICE, data=json.dumps(hook_request("patient-view", patient_id, prefetch)),
                                content_type="application/json", headers=bearer(SERVICE))
            answered[path.name] = (response.status_code, response.get_json())
    assert {name: a for name, a in answered.items() if a[0] != 200} == {}
    assert {name: a[1] for name, a in answered.items() if a[1] != {"cards": []}} == {}
