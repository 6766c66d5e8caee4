"""API under load: gunicorn on loopback with the checked-in config, a bounded load generator, figures printed.

    python -m benchmarks.api_load [--requests 20000] [--seconds 60] [--clients 4] [--workers 2]

Starts gunicorn (gunicorn.conf.py, sync workers) on a free 127.0.0.1 port, waits for /readyz, then sends single-
trial screenings of the demo records from client processes over keep-alive connections until the request count
or the time limit is reached. Prints requests/s, p50, p99 and errors. The clients share the machine's cores with
the server, so the figures are a floor for what a separate client machine would see. Every screening is
authenticated (a bearer token) and recorded in the audit store (SQLite in a temporary instance folder), as in
production.
"""
import argparse
import http.client
import json
import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PATH = "/api/v1/trials/NCT06674265/screen?as_of=2026-11-22"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _client(port: int, count: int, deadline: float, bodies: list[bytes], results, token: str) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    latencies, errors = [], {}
    for i in range(count):
        if time.time() > deadline:
            break
        start = time.perf_counter()
        try:
            connection.request("POST", PATH, body=bodies[i % len(bodies)],
                               headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                errors[response.status] = errors.get(response.status, 0) + 1
        except (OSError, http.client.HTTPException) as exc:
            errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        latencies.append(time.perf_counter() - start)
    results.put((latencies, errors))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    port = _free_port()
    instance = Path(tempfile.mkdtemp(prefix="screener-load-"))
    env = dict(os.environ, SCREENER_BIND=f"127.0.0.1:{port}", SCREENER_WORKERS=str(args.workers),
               SCREENER_INSTANCE_PATH=str(instance),
               SCREENER_TOKEN_RATE_PER_MINUTE=str(10**9))  # measuring throughput, not the per-token brake
    os.environ["SCREENER_INSTANCE_PATH"] = str(instance)
    from screener.audit import Accounts, open_store

    accounts = Accounts(open_store(instance_path=instance))
    accounts.create_user("loadtest", "screener", None, "benchmark")
    _, token = accounts.create_token("loadtest", "benchmark", 1, "benchmark")
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--access-logfile", "/dev/null",
                               "--log-level", "warning", "screener.web.wsgi:app"], cwd=ROOT, env=env)
    try:
        for _ in range(100):
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                connection.request("GET", "/readyz")
                if connection.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.2)
        else:
            raise SystemExit("server did not become ready")
        bodies = [p.read_bytes() for p in sorted((ROOT / "seeds" / "patients").glob("*.json"))]
        results = multiprocessing.Queue()
        deadline = time.time() + args.seconds
        per_client = args.requests // args.clients
        clients = [multiprocessing.Process(target=_client, args=(port, per_client, deadline, bodies, results, token))
                   for _ in range(args.clients)]
        start = time.perf_counter()
        for c in clients:
            c.start()
        gathered = [results.get() for _ in clients]
        elapsed = time.perf_counter() - start
        for c in clients:
            c.join()
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    latencies = sorted(latency for batch, _ in gathered for latency in batch)
    errors = {}
    for _, errs in gathered:
        for key, n in errs.items():
            errors[str(key)] = errors.get(str(key), 0) + n
    n = len(latencies)
    print(json.dumps({"workers": args.workers, "clients": args.clients, "requests": n, "seconds": round(elapsed, 2),
                      "requests_per_s": round(n / elapsed), "p50_ms": round(latencies[n // 2] * 1000, 2),
                      "p99_ms": round(latencies[int(n * 0.99)] * 1000, 2), "errors": sum(errors.values()),
                      "errors_by_status": errors}))


if __name__ == "__main__":
    main()
