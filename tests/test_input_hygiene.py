"""Issue 23, findings 7 and 8, on SQLite and on PostgreSQL: a screener's own history is filtered in the query;
/readyz answers 503 when the database cannot take a write; control characters are refused (422 naming the field)
on every route before they reach the database."""
from datetime import date

import pytest

from .helpers import PATIENTS, authorised, make_app, token_for

MARKER = "Zq7MarkerX"
RECORD = (PATIENTS / "eligible.json").read_text()


@pytest.fixture
def app(database_url, tmp_path):
    return make_app(tmp_path, DATABASE_URL=database_url, WTF_CSRF_ENABLED=False)


def test_a_screener_sees_their_own_history_after_others_made_more_than_the_page_holds(app):
    from screener import config
    from screener.screening import parse_record, screen
    from screener.web.storage import get_store

    record = parse_record(RECORD)
    report = screen(record, "NCT06674265", date(2026, 11, 22))
    mine = authorised(app, "screener", "mine")
    answer = mine.post("/api/v1/trials/NCT06674265/screen?as_of=2026-11-22", data=RECORD,
                       content_type="application/json")
    screening_id = answer.json["screening_id"]
    with app.app_context():
        store = get_store()
        for _ in range(config.AUDIT_HISTORY_ROWS // 20 + 1):  # newer than mine: 20 screenings a request
            store.record(record, [report] * 20, actor="token:someone-else", channel="batch")
        newest = store.screenings(limit=config.AUDIT_HISTORY_ROWS)
    # The newest page overall no longer holds it: filtering that page by actor (as before) showed nothing.
    assert screening_id not in {row.id for row in newest}
    page = mine.get("/audit/screenings", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert screening_id in page and "someone-else" not in page


def test_readyz_answers_ready_with_a_writable_database(app):
    ready = app.test_client().get("/readyz")
    assert ready.status_code == 200 and ready.json["database"] == "writable"


def test_readyz_answers_503_when_the_database_is_read_only(database_url, tmp_path):
    app = make_app(tmp_path, DATABASE_URL=database_url, READY_REUSE_SECONDS=0)
    client = app.test_client()
    secret = token_for(app, "screener")
    assert client.get("/readyz").status_code == 200
    from screener.web.storage import get_store

    with app.app_context():
        store = get_store()
    if database_url.startswith("sqlite"):
        from sqlalchemy import event

        for engine in (store.engine, store.counters):  # every write path refuses, as on a read-only file
            event.listen(engine, "connect", lambda connection, _: connection.execute("PRAGMA query_only = ON"))
            engine.dispose()
    else:
        from .conftest import _on_test_server

        _on_test_server(f"ALTER DATABASE {database_url.rsplit('/', 1)[1]} SET default_transaction_read_only = on")
        store.engine.dispose()  # new connections take the database's new default
    response = client.get("/readyz")
    assert response.status_code == 503 and response.content_type == "application/problem+json"
    assert "cannot be written" in response.json["detail"]
    screened = client.post("/api/v1/trials/NCT06674265/screen?as_of=2026-11-22", data=RECORD,
                           content_type="application/json", headers={"Authorization": f"Bearer {secret}"})
    assert screened.status_code == 503  # what /readyz announced


def test_readyz_answers_503_when_the_database_is_unreachable(tmp_path):
    app = make_app(tmp_path, READY_TIMEOUT_SECONDS=1, READY_REUSE_SECONDS=0,
                   DATABASE_URL="postgresql+psycopg://nobody@127.0.0.1:9/none?connect_timeout=1")
    client = app.test_client()
    response = client.get("/readyz")
    assert response.status_code == 503 and b"Traceback" not in response.data
    assert client.get("/healthz").status_code == 200


def _username_nul(app):
    client = app.test_client()
    return lambda: client.post("/login", data={"username": "bob\u0000" + MARKER, "password": "x"})


def _screening_id_nul(app):
    client = authorised(app, "auditor")
    return lambda: client.get("/audit/screenings/abc%00" + MARKER)


def _query_nul(app):
    client = authorised(app, "auditor")
    return lambda: client.get("/audit/screenings?verdict=eligible%00" + MARKER)


def _result_id_nul(app):
    client = authorised(app, "screener")
    return lambda: client.get("/results/%01" + MARKER)


def _form_nul(app):
    client = authorised(app, "screener")
    return lambda: client.post("/screen", data={
        "trial": "NCT06674265", "as_of": "2026-11-22", "demographics.birth_date": "2018-03-14",
        "demographics.sex": "female", "history.medications.0.name": "predni\u0000sone" + MARKER})


def _as_of_nul(app):
    client = authorised(app, "screener")
    return lambda: client.post(
        "/api/v1/trials/NCT06674265/screen?as_of=2026-11-22%00" + MARKER, data=RECORD, content_type="application/json")


def _export_name_nul(app):
    client = authorised(app, "auditor")
    return lambda: client.get("/audit/export/events%1b.json")


@pytest.mark.parametrize("request_, field", [
    (_username_nul, "username"),
    (_screening_id_nul, "screening_id"),
    (_query_nul, "verdict"),
    (_result_id_nul, "request_id"),
    (_form_nul, "history.medications.0.name"),
    (_as_of_nul, "as_of"),
    (_export_name_nul, "what"),
], ids=lambda v: getattr(v, "__name__", v))
def test_a_control_character_anywhere_is_a_422_naming_the_field_before_the_database(app, request_, field, caplog):
    from screener.web.storage import get_store

    send = request_(app)
    with app.app_context():
        before = (len(get_store().events()), len(get_store().screenings(limit=None)))
    response = send()
    assert response.status_code == 422, response.get_data(as_text=True)[:300]
    assert MARKER.encode() not in response.data and b"Traceback" not in response.data
    json_response = response.content_type == "application/problem+json"
    fields = [e["field"] for e in response.json["errors"]] if json_response else None
    assert fields == [field] if json_response else field in response.get_data(as_text=True)
    assert "Database Unavailable" not in response.get_data(as_text=True)
    assert not [r for r in caplog.records if r.levelname == "ERROR"]
    with app.app_context():
        assert (len(get_store().events()), len(get_store().screenings(limit=None))) == before


def test_an_ordinary_tab_free_sign_in_still_works(app):
    from screener.audit import Accounts
    from screener.web.storage import get_store

    with app.app_context():
        Accounts(get_store()).create_user("bob", "screener", "a long enough password", "test")
    response = app.test_client().post("/login", data={"username": "bob", "password": "a long enough password"})
    assert response.status_code == 302
