"""The instance folder holds the patient database and the keys: owner-only, whatever the umask."""
import os
import stat

from .helpers import PATIENTS


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_instance_folder_is_0700_and_every_file_in_it_0600(tmp_path, monkeypatch):
    from screener.web import create_app

    from .helpers import authorised

    instance = tmp_path / "instance"
    instance.mkdir(mode=0o755)
    (instance / "config.py").write_text("")
    os.chmod(instance / "config.py", 0o644)  # left by an earlier version
    monkeypatch.setenv("SCREENER_INSTANCE_PATH", str(instance))
    old_umask = os.umask(0o022)
    try:
        app = create_app({"TESTING": True})
        client = authorised(app, "screener")
        response = client.post("/api/v1/trials/NCT06674265/screen?as_of=2026-11-22",
                               data=(PATIENTS / "eligible.json").read_text(), content_type="application/json")
        assert response.status_code == 200
    finally:
        os.umask(old_umask)
    names = sorted(os.listdir(instance))
    assert {"screener.sqlite3", "screener.sqlite3-wal", "screener.sqlite3-shm", "audit.key", "secret_key"} <= set(names)
    assert _mode(instance) == 0o700
    assert {name: _mode(instance / name) for name in names} == {name: 0o600 for name in names}
