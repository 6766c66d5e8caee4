"""Shared fixtures: repository paths and the demo patients."""
import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PATIENTS = REPO / "seeds" / "patients"


@pytest.fixture
def eligible_json() -> dict:
    return json.loads((PATIENTS / "eligible.json").read_text())


@pytest.fixture
def eligible_record(eligible_json):
    from screener.screening import parse_record

    return parse_record(json.dumps(eligible_json))


@pytest.fixture
def app():
    from screener.web import create_app

    return create_app({"TESTING": True})


@pytest.fixture
def client(app):
    return app.test_client()
