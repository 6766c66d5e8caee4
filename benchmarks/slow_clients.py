"""Slow clients against the service as deployed, with and without nginx in front (issue 23, finding 3).

    python -m benchmarks.slow_clients [--connections 64] [--seconds 20] [--workers 2]

Starts the service the way ./scripts/run does (scripts/serve) twice, each in a throwaway instance folder on a free
loopback port: gunicorn alone (SCREENER_PROXY=off), then nginx (deploy/nginx.conf) in front of gunicorn. In each,
opens N slow connections - half send one header line every 2 s and never end their headers, half are
authenticated screening uploads that send one body byte every 2 s - and reopens any the server closes, as a
patient attacker would. Meanwhile it sends one /healthz and one screening after another, each with a 10 s
timeout, at most 4 pairs a second (the token's rate limit). Prints per mode and request: sent, answered 2xx, no
answer within 10 s (or refused), other statuses, median and slowest answer, and how many slow connections the
server cut off. Bounded: at most 256 connections, loopback only, --seconds per mode
(at most 120); everything it started is stopped and its folders removed.
"""
import argparse
import http.client
import os
import select
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent  # gunicorn and the screener command installed beside this Python
SCREEN = "/api/v1/trials/NCT06674265/screen?as_of=2026-11-22"
RECORD = (REPO / "seeds" / "patients" / "eligible.json").read_bytes()
TICK = 2.0  # seconds between two pieces a slow client sends (the probe's header line every 2 s)
MAX_CONNECTIONS, MAX_SECONDS = 256, 120
PACE = 0.25  # seconds between two probe pairs at the most


def nginx_path() -> str | None:
    found = shutil.which("nginx")
    return found or ("/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None)


def _free_port() -> int:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        return listener.getsockname()[1]


@dataclass
class Service:
    port: int
    tokens: list[str]
    folder: Path
    process: subprocess.Popen
    left_running: list[int] = field(default_factory=list)  # after SIGTERM and its grace: processes of its group


@contextmanager
def serving(proxy: bool, workers: int = 2, **extra_env: str):
    """scripts/serve on a free loopback port with a new instance (two screener tokens); stopped and removed after."""
    folder = Path(tempfile.mkdtemp(prefix="screener-slow-"))
    port = _free_port()
    env = {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "TMPDIR": str(folder),  # scripts/serve's run folder (socket, nginx's buffers) goes in here
        "SCREENER_INSTANCE_PATH": str(folder / "instance"),
        "SCREENER_BIND": f"127.0.0.1:{port}",
        "SCREENER_WORKERS": str(workers),
        "SCREENER_PROXY": "on" if proxy else "off",
        **extra_env,
    }
    env.pop("DATABASE_URL", None)
    process = service = None
    try:
        cli = lambda *args: subprocess.run(  # noqa: E731
            [str(BIN / "screener"), *args], cwd=REPO, env=env, check=True, capture_output=True, text=True
        ).stdout
        cli("users", "ensure-admin")
        cli("users", "add", "sam", "--role", "screener")
        tokens = [cli("tokens", "create", "sam", "--name", f"slow {i}", "--quiet").strip() for i in range(2)]
        with (folder / "server.log").open("wb") as log:
            # Its own process group: whatever scripts/serve started is stopped with it, even if it hangs.
            process = subprocess.Popen([str(REPO / "scripts" / "serve")], cwd=REPO, env=env, stdout=log,
                                       stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 90
        while request(port, "GET", "/healthz", timeout=2)[0] != 200:
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("the service did not start: " + (folder / "server.log").read_text()[-2000:])
            time.sleep(0.3)
        service = Service(port, tokens, folder, process)
        yield service
    finally:
        if process is not None:
            left = _stop(process)
            if service is not None:
                service.left_running = left
        shutil.rmtree(folder, ignore_errors=True)


def _stop(process: subprocess.Popen) -> list[int]:
    """SIGTERM, as a service manager stops it; then SIGKILL to whatever of its process group is still running
    (nothing, when scripts/serve stops its own). Returns those processes."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            pass
    deadline = time.monotonic() + 10
    while (left := group_members(process.pid)) and time.monotonic() < deadline:
        time.sleep(0.2)
    if left:
        os.killpg(process.pid, signal.SIGKILL)
    if process.poll() is None:
        process.wait(timeout=10)
    return left


def group_members(pgid: int) -> list[int]:
    """Live processes of a process group (Linux /proc). A killed process stays a zombie until init reaps it:
    zombies are not counted."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended while being read
        if fields[0] != "Z" and int(fields[2]) == pgid:
            members.append(int(stat.parent.name))
    return members


def request(port: int, method: str, path: str, body: bytes | None = None, headers: dict | None = None,
            timeout: float = 10) -> tuple[int, float]:
    """(status, seconds); status 0 when no answer came within the timeout or the connection failed."""
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        response.read()
        status = response.status
    except (OSError, http.client.HTTPException):
        status = 0
    finally:
        connection.close()
    return status, time.perf_counter() - started


@dataclass
class SlowClients:
    """N connections that each send one piece every TICK seconds; one thread drives them all."""

    port: int
    count: int
    token: str
    cut_off: int = 0
    stop: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self):
        if not 0 < self.count <= MAX_CONNECTIONS:
            raise ValueError(f"connections: 1 to {MAX_CONNECTIONS}")
        self.thread = threading.Thread(target=self._drive, daemon=True)

    def __enter__(self):
        self.sockets = [self._open(i) for i in range(self.count)]
        self.thread.start()
        return self

    def __exit__(self, *_):
        self.stop.set()
        self.thread.join(timeout=TICK * 3)
        for connection in self.sockets:
            if connection is not None:
                connection.close()

    def _open(self, index: int) -> socket.socket | None:
        try:
            connection = socket.create_connection(("127.0.0.1", self.port), timeout=5)
            if index % 2:
                # An authenticated upload whose body never finishes arriving.
                head = (f"POST {SCREEN} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {self.token}\r\n"
                        f"Content-Type: application/json\r\nContent-Length: {len(RECORD)}\r\n\r\n")
                connection.sendall(head.encode() + RECORD[:1])
            else:
                # Headers that never end.
                connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            return connection
        except OSError:
            self.cut_off += 1
            return None

    def _drive(self) -> None:
        sent = 1
        while not self.stop.wait(TICK):
            for index, connection in enumerate(self.sockets):
                try:
                    if connection is None:
                        raise OSError
                    readable, _, _ = select.select([connection], [], [], 0)
                    if readable:
                        raise OSError  # the server answered (408, 400) or closed: this one is done
                    piece = RECORD[sent:sent + 1] if index % 2 else f"X-Slow-{sent}: 1\r\n".encode()
                    connection.sendall(piece)
                except OSError:
                    if connection is not None:
                        connection.close()
                        self.cut_off += 1
                    self.sockets[index] = self._open(index)
            sent += 1


def measure(service: Service, connections: int, seconds: float) -> dict:
    """Under `connections` slow clients, /healthz and screenings one after another for `seconds`."""
    results: dict[str, list[tuple[int, float]]] = {"/healthz": [], "screening": []}
    headers = {"Authorization": f"Bearer {service.tokens[0]}", "Content-Type": "application/json"}
    with SlowClients(service.port, connections, service.tokens[1]) as slow:
        time.sleep(TICK * 1.5)  # every slow connection open and holding whatever it can hold
        deadline = time.monotonic() + seconds
        while (now := time.monotonic()) < deadline:
            results["/healthz"].append(request(service.port, "GET", "/healthz"))
            results["screening"].append(request(service.port, "POST", SCREEN, RECORD, headers))
            # At most 4 pairs a second: the token's rate limit (600 a minute) would answer 429 beyond.
            time.sleep(max(0.0, now + PACE - time.monotonic()))
        cut_off = slow.cut_off
    return {"results": results, "cut_off": cut_off}


def _row(mode: str, name: str, outcomes: list[tuple[int, float]], cut_off: int) -> str:
    answered = [seconds for status, seconds in outcomes if 200 <= status < 300]
    failed = sum(1 for status, _ in outcomes if status == 0)
    other = len(outcomes) - len(answered) - failed
    median = f"{statistics.median(answered):.3f}" if answered else "-"
    slowest = f"{max(seconds for _, seconds in outcomes):.2f}" if outcomes else "-"
    return (f"{mode:16} {name:10} {len(outcomes):5} {len(answered):9} {failed:10} {other:6} {median:>9} "
            f"{slowest:>10} {cut_off:8}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    if not 0 < args.seconds <= MAX_SECONDS:
        parser.error(f"--seconds: 1 to {MAX_SECONDS}")
    if not 0 < args.connections <= MAX_CONNECTIONS:
        parser.error(f"--connections: 1 to {MAX_CONNECTIONS}")
    modes = [("gunicorn alone", False)]
    if nginx_path():
        modes.append(("nginx in front", True))
    else:
        print("nginx is not installed (scripts/nginx-setup): only gunicorn alone is measured", file=sys.stderr)
    print(f"{args.connections} slow connections ({args.connections - args.connections // 2} headers, "
          f"{args.connections // 2} uploads, one piece every {TICK:.0f} s), {args.seconds:.0f} s per mode, "
          f"{args.workers} gunicorn workers x {os.environ.get('SCREENER_THREADS', 4)} threads; timeout 10 s")
    print(f"{'mode':16} {'request':10} {'sent':>5} {'answered':>9} {'no answer':>10} {'other':>6} {'median s':>9} "
          f"{'slowest s':>10} {'cut off':>8}")
    worst = {}
    for mode, proxy in modes:
        with serving(proxy, args.workers) as service:
            measured = measure(service, args.connections, args.seconds)
        for name, outcomes in measured["results"].items():
            print(_row(mode, name, outcomes, measured["cut_off"]))
        worst[mode] = all(
            outcomes and all(200 <= status < 300 for status, _ in outcomes)
            for outcomes in measured["results"].values()
        )
    # The exit status says whether the deployed way (nginx in front) kept answering every request.
    return 0 if worst.get("nginx in front") else 1


if __name__ == "__main__":
    sys.exit(main())
