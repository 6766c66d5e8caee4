"""The production server as deployed (gunicorn with gunicorn.conf.py): its own error pages and chunked bodies."""
import os
import socket
import subprocess
import sys
import time

import pytest

from .helpers import REPO, raw_http

BUNDLE = (REPO / "tests" / "fixtures" / "fhir_bundle.json").read_bytes()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    port = _free_port()
    instance = tmp_path_factory.mktemp("gunicorn-instance")
    env = {**os.environ, "SCREENER_BIND": f"127.0.0.1:{port}", "SCREENER_WORKERS": "1",
           "SCREENER_INSTANCE_PATH": str(instance), "SCREENER_ENGINE": "reference"}
    process = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "screener.web.wsgi:app"],
                               cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if b" 200 " in raw_http(port, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"):
                    break
            except OSError:
                time.sleep(0.3)
        else:
            pytest.fail("gunicorn did not start")
        yield port, instance
    finally:
        process.terminate()
        process.wait(timeout=30)


def _headers(response: bytes) -> dict[str, str]:
    head = response.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")[1:]
    return {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in head)}


def test_gunicorn_error_pages_carry_the_security_headers_and_do_not_name_gunicorn(server):
    port, _ = server
    for request in (
        b"NOT A REQUEST LINE\r\n\r\n",
        b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"X-Many: y\r\n" * 60 + b"\r\n",
    ):
        response = raw_http(port, request)
        headers = _headers(response)
        assert response.startswith(b"HTTP/1.1 4"), response[:60]
        assert (
            "frame-ancestors 'none'" in headers["content-security-policy"]
            and headers["x-content-type-options"] == "nosniff"
        )
        assert b"gunicorn" not in response.lower()
    ok = raw_http(port, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert b" 200 " in ok.split(b"\r\n", 1)[0] and "gunicorn" not in _headers(ok).get("server", "").lower()


def test_gunicorn_refuses_a_chunked_body_over_the_limit(server):
    port, _ = server
    limit = 8 * 1024 * 1024
    padded = BUNDLE + b" " * (limit + 1 - len(BUNDLE))
    chunks = b"".join(
        b"%x\r\n%s\r\n" % (len(padded[i : i + 65536]), padded[i : i + 65536]) for i in range(0, len(padded), 65536)
    )
    request = (
        b"POST /api/v1/trials/NCT06674265/screen?as_of=2026-11-22 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        b"Content-Type: application/fhir+json\r\nAuthorization: Bearer scr_not_checked_before_the_size\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n" + chunks + b"0\r\n\r\n"
    )
    assert raw_http(port, request).startswith(b"HTTP/1.1 413")
