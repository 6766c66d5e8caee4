"""Faults: an unreachable database, a writer killed mid-screening."""
import multiprocessing
import os
import signal
import time
from datetime import date

from screener.screening import parse_record, screen

from .helpers import PATIENTS, make_app, token_for


def test_database_unreachable_is_503_and_the_probe_still_answers(tmp_path):
    app = make_app(tmp_path)
    secret = token_for(app, "screener")
    # Point the running app at a database nobody listens on (port 9 on loopback: discard, closed here).
    app.config["DATABASE_URL"] = "postgresql+psycopg://nobody@127.0.0.1:9/none?connect_timeout=2"
    app.extensions.pop("audit_store", None)
    client = app.test_client()
    response = client.post(
        "/api/v1/trials/NCT06674265/screen?as_of=2026-11-22",
        data=(PATIENTS / "eligible.json").read_text(),
        content_type="application/json",
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert response.status_code == 503 and response.content_type == "application/problem+json"
    assert b"nothing was written" in response.data and b"Traceback" not in response.data
    assert client.get("/healthz").status_code == 200


def _write_forever(url: str, instance: str) -> None:
    from pathlib import Path

    from screener.audit import open_store

    store = open_store(url, Path(instance))
    record = parse_record((PATIENTS / "eligible.json").read_text())
    reports = [screen(record, "NCT06674265", date(2026, 11, 22))] * 6
    while True:
        store.record(record, reports, actor="doomed", channel="batch")


def test_writer_killed_mid_screening_leaves_the_chain_verifiable(store, database_url, tmp_path):
    context = multiprocessing.get_context("spawn")
    writer = context.Process(target=_write_forever, args=(database_url, str(tmp_path)))
    writer.start()
    deadline = time.time() + 60
    while time.time() < deadline and store.verify().events < 30:
        time.sleep(0.2)
    os.kill(writer.pid, signal.SIGKILL)  # wherever it is: inside a transaction or between two
    writer.join(10)
    result = store.verify()
    assert result.ok and result.events >= 30 and result.events % 6 == 0  # whole submits only, never half of one
    assert result.events == result.screenings
