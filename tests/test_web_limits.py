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


def test_an_invalid_record_lists_at_most_50_errors_with_a_count_and_clips_echoed_names(client, eligible_json):
    record = dict(eligible_json, **{f"unknown_{i}": 1 for i in range(1000)})
    record["k" * 100_000] = 1
    response = client.post(URL, data=json.dumps(record), content_type="application/json")
    body = response.get_json()
    assert response.status_code == 422 and len(response.data) < 20_000
    assert len(body["errors"]) == 50 and body["errors_total"] == 1001 and "1,001 problems" in body["detail"]
    assert all(len(e["field"]) <= 120 for e in body["errors"])
    one = client.post(URL, data=json.dumps({"k" * 100_000: 1, **eligible_json}), content_type="application/json").get_json()
    assert one["errors_total"] == 1 and one["errors"][0]["field"] == "k" * 119 + "…"


def test_405_names_the_allowed_methods(client):
    response = client.delete("/api/v1/trials")
    assert response.status_code == 405 and set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}
    assert client.get(URL).headers["Allow"].split(", ") == ["OPTIONS", "POST"]
