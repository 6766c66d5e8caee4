"""The deployed service (scripts/serve: nginx from deploy/nginx.conf in front of gunicorn) keeps answering while
slow clients hold connections open, and leaves no process or file behind (issue 23, finding 3). The figures with
and without nginx: python -m benchmarks.slow_clients (docs/deployment.md)."""
import os

import pytest

from benchmarks.slow_clients import RECORD, SCREEN, SlowClients, nginx_path, request, serving

from .helpers import raw_http


@pytest.fixture
def nginx():
    if nginx_path():
        return
    if os.environ.get("CI") == "true":
        pytest.fail("nginx is not installed: in CI no test may be skipped for a missing tool (scripts/test installs)")
    pytest.skip("nginx is not installed (scripts/nginx-setup installs it; ./scripts/test runs it)")


def test_health_and_screenings_answer_while_64_slow_clients_hold_connections(nginx, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    with serving(proxy=True, HOME=str(home)) as service:
        with SlowClients(service.port, 64, service.tokens[1]) as slow:
            headers = {"Authorization": f"Bearer {service.tokens[0]}", "Content-Type": "application/json"}
            # Generous functional timeouts: without nginx these never answer while the slow clients hold on.
            for _ in range(3):
                assert request(service.port, "GET", "/healthz", timeout=30)[0] == 200
                assert request(service.port, "POST", SCREEN, RECORD, headers, timeout=30)[0] == 200
            assert sum(connection is not None for connection in slow.sockets) > 0
        # nginx's own error pages carry the app's security headers, as gunicorn's do (test_gunicorn.py).
        too_big = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"y" * 9000 + b"\r\n\r\n"
        for bad in (b"NOT A REQUEST LINE\r\n\r\n", too_big):
            answer = raw_http(service.port, bad)
            head, _, body = answer.partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 400 ") and b"\r\nX-Content-Type-Options: nosniff" in head, head
            assert b"frame-ancestors 'none'" in head and b"nginx" not in body.lower()
        log = (service.folder / "server.log").read_text()
    assert "serving through nginx" in log
    # gunicorn.conf.py turns gunicorn's control socket off: none under HOME, the path every instance shared.
    assert not (home / ".gunicorn").exists() and "Control socket listening" not in log
    # scripts/serve stopped nginx and gunicorn itself on SIGTERM, and removed its run folder.
    assert service.left_running == [] and not service.folder.exists()


def test_without_nginx_the_service_says_it_serves_with_gunicorn_alone(tmp_path):
    with serving(proxy=False, HOME=str(tmp_path)) as service:
        assert request(service.port, "GET", "/healthz", timeout=30)[0] == 200
        log = (service.folder / "server.log").read_text()
    assert "serving with gunicorn alone" in log and "SCREENER_PROXY=off" in log
    # scripts/serve stopped nginx and gunicorn itself on SIGTERM, and removed its run folder.
    assert service.left_running == [] and not service.folder.exists()
