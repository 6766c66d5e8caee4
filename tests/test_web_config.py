"""create_app() as production calls it, with no test config: defaults from config.py, then instance/config.py,
then SCREENER_* environment variables."""
from datetime import timedelta

from screener import config


def test_create_app_without_test_config_takes_config_py_then_the_instance_file_then_the_environment(
    tmp_path, monkeypatch
):
    from screener.web import create_app

    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "config.py").write_text("LOGIN_FAILURES_ALLOWED = 7\nLOGIN_LOCKOUT_SECONDS = 90\n")
    monkeypatch.setenv("SCREENER_INSTANCE_PATH", str(instance))
    monkeypatch.setenv("SCREENER_LOGIN_LOCKOUT_SECONDS", "120")  # the environment wins over the file
    app = create_app()
    assert app.instance_path == str(instance) and not app.testing
    assert app.config["TOKEN_RATE_PER_MINUTE"] == config.TOKEN_RATE_PER_MINUTE == 600
    assert app.config["LOGIN_ATTEMPTS_PER_CLIENT_PER_MINUTE"] == config.LOGIN_ATTEMPTS_PER_CLIENT_PER_MINUTE
    assert app.config["PERMANENT_SESSION_LIFETIME"] == timedelta(minutes=30)
    assert app.config["LOGIN_FAILURES_ALLOWED"] == 7 and app.config["LOGIN_LOCKOUT_SECONDS"] == 120
    assert app.config["SESSION_COOKIE_SECURE"] is True  # production sessions go over HTTPS only
    # No DATABASE_URL (the suite unsets it): SQLite in the instance folder.
    assert app.config["DATABASE_URL"] == f"sqlite:///{instance / 'screener.sqlite3'}"
    assert app.test_client().get("/healthz").status_code == 200
