"""Request-size and shape limits: chunked bodies, error lists, repeated parameters."""
import io
import json

from .conftest import REPO

BUNDLE = (REPO / "tests" / "fixtures" / "fhir_bundle.json").read_bytes()
URL = "/api/v1/trials/NCT06674265/screen?as_of=2026-11-22"


def _chunked(client, body: bytes):
    return client.post(URL, input_stream=io.BytesIO(body), content_type="application/fhir+json",
                       headers={"Transfer-Encoding": "chunked"}, environ_overrides={"wsgi.input_terminated": True})


def test_a_chunked_body_over_the_limit_is_refused_not_cut_and_screened(client):
    limit = client.application.config["MAX_CONTENT_LENGTH"]
    # Cut at the limit, this would still be a valid bundle followed by blanks: it must not be screened.
    padded = BUNDLE + b" " * (limit + 1 - len(BUNDLE))
    response = _chunked(client, padded)
    assert response.status_code == 413 and response.mimetype == "application/problem+json"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert client.application.test_client().get("/healthz").status_code == 200


def test_a_chunked_body_within_the_limit_is_screened(client):
    limit = client.application.config["MAX_CONTENT_LENGTH"]
    assert _chunked(client, BUNDLE).status_code == 200
    assert _chunked(client, BUNDLE + b" " * (limit - len(BUNDLE))).status_code == 200  # exactly the limit
