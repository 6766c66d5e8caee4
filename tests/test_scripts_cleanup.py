"""./scripts/test leaves nothing behind: no PostgreSQL it started, no test databases, no temporary folders."""
import glob
import os
import socket
import subprocess
import uuid

import pytest

from .helpers import REPO

# A quick test that creates (and should drop) a PostgreSQL database; not this module, or the runs would nest.
INNER = ["-q", "-p", "no:cacheprovider", "tests/test_web_signin.py", "-k", "both"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def private_server(tmp_path):
    if not glob.glob("/usr/lib/postgresql/*/bin/initdb") and os.geteuid() != 0 and os.environ.get("CI") != "true":
        pytest.skip("PostgreSQL is not installed and this user cannot install it")
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCREENER_TEST_")}
    # Not under tmp_path: the postgres user must be able to reach its data folder (pytest's are 0700).
    data = f"/tmp/screener-test-pg-{uuid.uuid4().hex[:12]}"
    env.update(SCREENER_PG_PORT=str(_free_port()), SCREENER_PG_DIR=data, TMPDIR=str(temp))
    yield env, temp
    subprocess.run([REPO / "scripts" / "postgres-test-server", "stop"], env=env, check=False)
    if os.path.exists(data + ".lock"):
        os.remove(data + ".lock")


def _databases(env) -> list[str]:
    url = subprocess.run(
        [REPO / "scripts" / "postgres-test-server"], env=env, check=True, capture_output=True, text=True
    ).stdout
    import psycopg

    with psycopg.connect(url.strip().replace("postgresql+psycopg://", "postgresql://")) as connection:
        return [row[0] for row in connection.execute("SELECT datname FROM pg_database WHERE datname LIKE 't\\_%'")]


def test_a_run_stops_the_server_it_started_and_removes_its_folders(private_server):
    env, temp = private_server
    run = subprocess.run(
        [REPO / "scripts" / "test", *INNER], cwd=REPO, env=env, capture_output=True, text=True, timeout=600
    )
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert "2 passed" in run.stdout
    assert not _listening(int(env["SCREENER_PG_PORT"]))
    assert not os.path.exists(env["SCREENER_PG_DIR"]) and not os.path.exists(env["SCREENER_PG_DIR"] + ".lock")
    assert os.listdir(temp) == []


def test_a_run_leaves_a_server_it_did_not_start_running_without_its_databases(private_server):
    env, temp = private_server
    assert _databases(env) == []  # starts the server, as another user of it would have
    run = subprocess.run(
        [REPO / "scripts" / "test", *INNER], cwd=REPO, env=env, capture_output=True, text=True, timeout=600
    )
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert _listening(int(env["SCREENER_PG_PORT"]))
    assert _databases(env) == [] and os.listdir(temp) == []
