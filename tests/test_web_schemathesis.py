"""schemathesis over the whole API, in process: no 5xx, and every response conforms to the OpenAPI document."""
import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
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
