"""Helpers the tests import: repository paths, an app on a throwaway database, API clients with a token."""
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PATIENTS = REPO / "seeds" / "patients"


def make_app(tmp_path, **config):
    from screener.web import create_app

    return create_app({"TESTING": True, "SESSION_COOKIE_SECURE": False,
                       "DATABASE_URL": f"sqlite:///{tmp_path / 'test.sqlite3'}", **config})


def token_for(app, role: str, username: str | None = None) -> str:
    """A user of that role and a bearer token for them."""
    from screener.audit import Accounts
    from screener.web.storage import get_store

    username = username or f"test-{role}"
    with app.app_context():
        accounts = Accounts(get_store())
        if accounts.user(username) is None:
            accounts.create_user(username, role, None, "test")
        return accounts.create_token(username, "tests", 30, "test")[1]


def authorised(app, role: str = "screener", username: str | None = None):
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token_for(app, role, username)}"
    return client
