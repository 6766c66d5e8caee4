"""schemathesis over the whole API, in process: no 5xx, and every response conforms to the OpenAPI document."""
import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, assume, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from .helpers import make_app, token_for

# A rate limit above what a fuzzing run sends: the run is about conformance, not throttling (tested elsewhere).
app = make_app(Path(tempfile.mkdtemp()), TOKEN_RATE_PER_MINUTE=10**6)
HEADERS = {"Authorization": f"Bearer {token_for(app, 'screener')}"}
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
# Checks named explicitly: schema-valid records with impossible values are rightly refused with 422, which
# "positive data acceptance" would count as a failure.
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@schema.parametrize()
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms(case):
    case.call_and_validate(headers=HEADERS, checks=CHECKS)


FHIR = "application/fhir+json"


@schema.include(method="POST", path_regex="screen$").parametrize()
@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
def test_fhir_bundles_drawn_from_the_schema_never_give_a_5xx(case):
    # The FHIR subset is in the document (generated from the reader's models), so schemathesis draws Bundles with
    # Patients, Observations, Conditions, Procedures and medication resources of every shape the models allow.
    assume(case.media_type == FHIR)
    response = case.call(headers=HEADERS)
    assert response.status_code < 500, response.text[:300]
    case.validate_response(response, checks=CHECKS)


def test_the_fhir_body_is_described_by_the_readers_models():
    from screener.fhir._models import MODELS

    document = app.test_client().get("/api/v1/openapi.json").get_json()
    body = document["paths"]["/api/v1/screen"]["post"]["requestBody"]["content"][FHIR]["schema"]
    assert body == {"$ref": "#/components/schemas/FhirBundle"}
    schemas = document["components"]["schemas"]
    entry = schemas["FhirBundleEntry"]["properties"]["resource"]["anyOf"]
    assert {ref["$ref"].rsplit("/", 1)[1] for ref in entry} == {f"Fhir{name}" for name in MODELS} | {
        "FhirOtherResource"
    }
    for name, model in MODELS.items():
        assert set(schemas[f"Fhir{name}"]["properties"]) == set(model.model_fields), name
