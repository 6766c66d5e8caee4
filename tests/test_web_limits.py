"""Request-size and shape limits: chunked bodies, error lists, repeated parameters."""
import io
import json

from .helpers import REPO

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
    one = client.post(
        URL, data=json.dumps({"k" * 100_000: 1, **eligible_json}), content_type="application/json"
    ).get_json()
    assert one["errors_total"] == 1 and one["errors"][0]["field"] == "k" * 119 + "…"


def test_405_names_the_allowed_methods(client):
    response = client.delete("/api/v1/trials")
    assert response.status_code == 405 and set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}
    assert client.get(URL).headers["Allow"].split(", ") == ["OPTIONS", "POST"]


def _flushed(app) -> None:
    from screener.web.storage import get_committer

    with app.app_context():
        get_committer().sync()


def test_the_per_token_rate_limit_is_shared_by_workers_and_per_token(tmp_path):
    from freezegun import freeze_time

    from screener.audit._meter import REFRESH_SECONDS

    from .helpers import make_app, token_for

    first = make_app(tmp_path, TOKEN_RATE_PER_MINUTE=3)
    second = make_app(tmp_path, TOKEN_RATE_PER_MINUTE=3)  # another worker on the same database
    assert (
        first.config["TOKEN_RATE_PER_MINUTE"] == 3 and make_app(tmp_path / "d").config["TOKEN_RATE_PER_MINUTE"] == 600
    )
    busy, other = token_for(first, "screener", "busy"), token_for(first, "screener", "other")
    with freeze_time("2026-11-22 10:00:05") as clock:
        statuses = []
        for app in (first, second, first, second):
            statuses.append(
                app.test_client().get("/api/v1/trials", headers={"Authorization": f"Bearer {busy}"}).status_code
            )
            # Each worker counts in memory and adds its count to the shared one at its next commit (within
            # 0.1 s); the other worker reads the shared count again once its view is REFRESH_SECONDS old.
            _flushed(app)
            clock.tick(REFRESH_SECONDS + 0.01)
        assert statuses == [200, 200, 200, 429]
        refused = second.test_client().get("/api/v1/fields", headers={"Authorization": f"Bearer {busy}"})
        assert refused.status_code == 429 and 1 <= int(refused.headers["Retry-After"]) <= 60
        assert "3 requests a minute" in refused.get_json()["detail"]
        assert (
            first.test_client().get("/api/v1/trials", headers={"Authorization": f"Bearer {other}"}).status_code == 200
        )
    with freeze_time("2026-11-22 10:01:00"):
        assert (
            second.test_client().get("/api/v1/trials", headers={"Authorization": f"Bearer {busy}"}).status_code == 200
        )


def test_one_worker_never_exceeds_the_per_token_limit_before_its_count_is_flushed(tmp_path):
    """Its own unflushed calls count at once; only other workers' calls can be seen late (audit/_meter.py)."""
    from freezegun import freeze_time

    from .helpers import make_app, token_for

    app = make_app(tmp_path, TOKEN_RATE_PER_MINUTE=5)
    secret = token_for(app, "screener", "busy")
    with freeze_time("2026-11-22 10:00:05"):
        client = app.test_client()
        statuses = [
            client.get("/api/v1/trials", headers={"Authorization": f"Bearer {secret}"}).status_code for _ in range(7)
        ]
    assert statuses == [200] * 5 + [429] * 2
