"""Recorded API screenings per second against the target (issue 16: >= 1,000/s, p99 <= 25 ms), SQLite and PostgreSQL.

    python -m benchmarks.api [--clients 16] [--seconds 15] [--workers 2] [--threads 4] [--database sqlite,postgresql]
                             [--before main] [--worker-class gthread]

For each database, starts gunicorn (gunicorn.conf.py) on a free loopback port with a temporary instance (SQLite in
it, or a new database on the PostgreSQL server that is dropped afterwards), creates a screener and a token, then
N concurrent clients (keep-alive connections, spread over 4 client processes) post the demo patients to the
one-trial screening endpoint for the given seconds. Every screening is authenticated and recorded, as in
production. Prints requests/s, p50/p95/p99, errors, whether every answered screening is stored and the chain
verifies, and the target met or not. --store-only measures the recording path alone (prepared screenings recorded
from --clients threads in --workers processes, no HTTP, no screening): one transaction per screening as before,
then the group commit. --before REF runs the same load first against that git revision (exported
with `git archive` into a temporary folder, served with its own gunicorn.conf.py), for before/after in one run.

PostgreSQL: DATABASE_URL's server, else the test server of scripts/postgres-test-server (127.0.0.1:54329),
started if needed with the protocol scripts/test uses (a shared lock while in use; stopped afterwards only if
this run started it and nobody else uses it). The test server runs with fsync=off: its figures do not include
the disk's sync. Keep --seconds small on a shared machine: each database (and each --before) is one run.
"""
import argparse
import fcntl
import http.client
import json
import multiprocessing
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PATH = "/api/v1/trials/NCT06674265/screen?as_of=2026-11-22"
TARGET_PER_S, TARGET_P99_MS = 1000, 25.0
CLIENT_PROCESSES = 4
PG_DATA = Path(os.environ.get("SCREENER_PG_DIR", "/tmp/screener-test-pg"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _screening_id(body: bytes) -> str:
    """The answer's first field, read without parsing its ~40 KB (json.loads of it was a quarter of the load
    generator's CPU, on the cores the server uses); any other shape is parsed whole."""
    prefix = b'{"screening_id":"'
    if body.startswith(prefix) and body[len(prefix) + 32:len(prefix) + 33] == b'"':
        return body[len(prefix):len(prefix) + 32].decode()
    return json.loads(body)["screening_id"]


def _client_process(port: int, threads: int, deadline: float, bodies: list[bytes], token: str, results) -> None:
    latencies, errors, ids = [], {}, []
    lock = threading.Lock()

    def one_client(offset: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
        i = offset
        while time.time() < deadline:
            start = time.perf_counter()
            try:
                connection.request("POST", PATH, body=bodies[i % len(bodies)], headers=headers)
                response = connection.getresponse()
                body = response.read()
                status = response.status
            except (OSError, http.client.HTTPException) as exc:
                status, body = type(exc).__name__, b""
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            elapsed = time.perf_counter() - start
            with lock:
                latencies.append(elapsed)
                if status == 200:
                    ids.append(_screening_id(body))
                else:
                    errors[str(status)] = errors.get(str(status), 0) + 1
            i += 1

    workers = [threading.Thread(target=one_client, args=(n,)) for n in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    used = os.times()
    results.put((latencies, errors, ids, used.user + used.system))


def _cpu_seconds(pids) -> float:
    """User + system CPU seconds the processes have used so far (Linux /proc)."""
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def _workers(server: subprocess.Popen) -> list[int]:
    path = Path(f"/proc/{server.pid}/task/{server.pid}/children")
    return [int(pid) for pid in path.read_text().split()] if path.exists() else []


def _wait_ready(port: int, server: subprocess.Popen) -> None:
    for _ in range(300):
        if server.poll() is not None:
            raise SystemExit("gunicorn exited at start")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/readyz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("server did not become ready")


def _prepare(code: Path, instance: Path, database_url: str | None) -> str:
    """A screener user and token in the instance (through the served code's own accounts module)."""
    script = ("import sys\nfrom screener.audit import open_store\nfrom screener.audit._accounts import Accounts\n"
              "a = Accounts(open_store())\na.create_user('loadtest', 'screener', None, 'benchmark')\n"
              "print(a.create_token('loadtest', 'benchmark', 1, 'benchmark')[1])\n")
    env = _env(code, instance, database_url)
    return subprocess.run([sys.executable, "-c", script], cwd=code, env=env, check=True, capture_output=True,
                          text=True).stdout.strip().splitlines()[-1]


def _env(code: Path, instance: Path, database_url: str | None) -> dict:
    env = dict(os.environ, SCREENER_INSTANCE_PATH=str(instance), PYTHONPATH=str(code), PYTHONDONTWRITEBYTECODE="1",
               SCREENER_TOKEN_RATE_PER_MINUTE=str(10**9))  # measuring throughput, not the per-token brake
    env.pop("DATABASE_URL", None)
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def _verify(code: Path, instance: Path, database_url: str | None, ids: list[str]) -> dict:
    """Whether every answered screening is stored and the chain verifies (through the served code)."""
    script = ("import json, sys\nfrom sqlalchemy import select\nfrom screener.audit import open_store, Screening\n"
              "s = open_store()\nids = set(json.load(sys.stdin))\nr = s.verify()\n"
              "with s.sessions() as session:\n    stored = set(session.scalars(select(Screening.id)))\n"
              "print(json.dumps({'chain_ok': r.ok, 'stored': len(stored), 'answered_missing': len(ids - stored)}))\n")
    done = subprocess.run([sys.executable, "-c", script], cwd=code, env=_env(code, instance, database_url),
                          input=json.dumps(ids), check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_load(code: Path, label: str, args, database_url: str | None) -> dict:
    port = _free_port()
    instance = Path(tempfile.mkdtemp(prefix="screener-api-bench-"))
    try:
        token = _prepare(code, instance, database_url)
        env = _env(code, instance, database_url) | {
            "SCREENER_BIND": f"127.0.0.1:{port}", "SCREENER_WORKERS": str(args.workers),
            "SCREENER_THREADS": str(args.threads), "SCREENER_WORKER_CLASS": args.worker_class}
        server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--access-logfile",
                                   "/dev/null", "--log-level", "warning", "screener.web.wsgi:app"],
                                  cwd=code, env=env, stderr=subprocess.DEVNULL)
        try:
            _wait_ready(port, server)
            bodies = [p.read_bytes() for p in sorted((ROOT / "seeds" / "patients").glob("*.json"))]
            results = multiprocessing.Queue()
            per_process = [args.clients // CLIENT_PROCESSES + (i < args.clients % CLIENT_PROCESSES)
                           for i in range(CLIENT_PROCESSES)]
            load_before = os.getloadavg()[0]
            served_by = [server.pid, *_workers(server)]
            served_cpu = _cpu_seconds(served_by)
            deadline = time.time() + args.seconds
            clients = [multiprocessing.Process(target=_client_process, args=(port, n, deadline, bodies, token, results))
                       for n in per_process if n]
            start = time.perf_counter()
            for c in clients:
                c.start()
            gathered = [results.get() for _ in clients]
            elapsed = time.perf_counter() - start
            served_cpu = _cpu_seconds(served_by) - served_cpu
            for c in clients:
                c.join()
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
        latencies = sorted(x for ls, *_ in gathered for x in ls)
        ids = [i for _, _, got, _ in gathered for i in got]
        client_cpu = sum(cpu for *_, cpu in gathered)
        errors: dict[str, int] = {}
        for _, errs, *_ in gathered:
            for key, n in errs.items():
                errors[key] = errors.get(key, 0) + n
        n = len(latencies)
        pct = lambda q: round(latencies[min(n - 1, int(n * q))] * 1000, 1)  # noqa: E731
        result = {"run": label, "database": "postgresql" if database_url else "sqlite", "workers": args.workers,
                  "clients": args.clients, "requests": n, "seconds": round(elapsed, 1),
                  "requests_per_s": round(len(ids) / elapsed), "p50_ms": pct(0.5), "p95_ms": pct(0.95),
                  "p99_ms": pct(0.99), "errors": errors,
                  # CPU a request: the server's (master and workers, group-commit writers included) and the load
                  # generator's own, which shares the same cores
                  "server_cpu_ms": round(served_cpu * 1000 / max(1, n), 2),
                  "client_cpu_ms": round(client_cpu * 1000 / max(1, n), 2), "load_average_1min": [round(load_before, 1),
                                                                               round(os.getloadavg()[0], 1)]}
        result |= _verify(code, instance, database_url, ids)
        result["target_met"] = (result["requests_per_s"] >= TARGET_PER_S and result["p99_ms"] <= TARGET_P99_MS
                                and not errors and result["chain_ok"] and not result["answered_missing"])
        return result
    finally:
        shutil.rmtree(instance, ignore_errors=True)


def _store_process(database_url: str, instance: str, threads: int, deadline: float, grouped: bool, results) -> None:
    """One worker process recording prepared screenings from its threads: the recording path alone."""
    from datetime import date

    from screener.audit import open_store
    from screener.audit._group_commit import GroupCommit
    from screener.screening import parse_record, screen

    store = open_store(database_url, Path(instance))
    record = parse_record((ROOT / "seeds" / "patients" / "eligible.json").read_bytes())
    report = screen(record, "NCT06674265", date(2026, 11, 22), "reference")
    recorder = GroupCommit(store) if grouped else store
    latencies, errors, lock = [], {}, threading.Lock()

    def one_client() -> None:
        while time.time() < deadline:
            start = time.perf_counter()
            try:
                recorder.record(record, [report], actor="benchmark", channel="api")
                failed = None
            except Exception as exc:  # noqa: BLE001 - counted and printed
                failed = type(exc).__name__
            with lock:
                latencies.append(time.perf_counter() - start)
                if failed:
                    errors[failed] = errors.get(failed, 0) + 1

    pool = [threading.Thread(target=one_client) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    results.put((latencies, errors, []))


def run_store_only(label: str, args, database_url: str | None, grouped: bool) -> dict:
    """--store-only: the recording path without HTTP or screening (the part this issue's group commit changes)."""
    instance = Path(tempfile.mkdtemp(prefix="screener-store-bench-"))
    url = database_url or f"sqlite:///{instance / 'screener.sqlite3'}"
    try:
        from screener.audit import open_store

        open_store(url, instance)  # migrated once, before the writers start
        results = multiprocessing.get_context("spawn").Queue()
        load_before = os.getloadavg()[0]
        deadline = time.time() + args.seconds + 3  # the spawned processes take a moment to import
        per_process = [args.clients // args.workers + (i < args.clients % args.workers) for i in range(args.workers)]
        context = multiprocessing.get_context("spawn")
        procs = [context.Process(target=_store_process, args=(url, str(instance), n, deadline, grouped, results))
                 for n in per_process if n]
        for p in procs:
            p.start()
        gathered = [results.get() for _ in procs]
        for p in procs:
            p.join()
        store = open_store(url, instance)
        verified = store.verify()
        latencies = sorted(x for ls, _, _ in gathered for x in ls)
        errors = {k: v for _, errs, _ in gathered for k, v in errs.items()}
        n = len(latencies)
        # Throughput over the busy interval: recorded rows over the time between the first and last recording.
        with store.sessions() as session:
            from sqlalchemy import func, select

            from screener.audit import Screening

            span = select(func.min(Screening.recorded_at), func.max(Screening.recorded_at))
            first, last = session.execute(span).one()
        from datetime import datetime

        span = (datetime.fromisoformat(last.rstrip("Z")) - datetime.fromisoformat(first.rstrip("Z"))).total_seconds()
        pct = lambda q: round(latencies[min(n - 1, int(n * q))] * 1000, 1)  # noqa: E731
        result = {
            "run": label,
            "database": "postgresql" if database_url else "sqlite",
            "workers": args.workers,
            "clients": args.clients,
            "requests": n,
            "seconds": round(span, 1),
            "requests_per_s": round(verified.screenings / span) if span else 0,
            "p50_ms": pct(0.5),
            "p95_ms": pct(0.95),
            "p99_ms": pct(0.99),
            "errors": errors,
            "load_average_1min": [round(load_before, 1), round(os.getloadavg()[0], 1)],
            "chain_ok": verified.ok,
            "stored": verified.screenings,
            "answered_missing": max(0, n - verified.screenings),
        }
        result["target_met"] = (
            result["requests_per_s"] >= TARGET_PER_S
            and result["p99_ms"] <= TARGET_P99_MS
            and not errors
            and verified.ok
        )
        return result
    finally:
        shutil.rmtree(instance, ignore_errors=True)


def _timed(n: int, bodies: list, step) -> float:
    """Microseconds per call of step(i, body), wall clock, over n calls cycling the bodies."""
    start = time.perf_counter()
    for i in range(n):
        step(i, bodies[i % len(bodies)])
    return (time.perf_counter() - start) / n * 1e6


def run_profile(args) -> None:
    """--profile N: one recorded API request end to end in this process (the WSGI app as gunicorn calls it, a real
    SQLite store with synchronous FULL, one request at a time), N times under cProfile, then each part alone."""
    import cProfile
    import io
    import logging
    import pstats
    from datetime import date

    instance = Path(tempfile.mkdtemp(prefix="screener-api-profile-"))
    os.environ.update(SCREENER_INSTANCE_PATH=str(instance), SCREENER_TOKEN_RATE_PER_MINUTE=str(10**9))
    os.environ.pop("DATABASE_URL", None)
    try:
        from screener import service
        from screener.audit import Accounts
        from screener.audit._chain import canonical
        from screener.audit._group_commit import prepare
        from screener.engine import get_evaluator
        from screener.screening import _judged, parse_record, screen, warm_up
        from screener.web import create_app
        from screener.web.storage import get_approvals_seen, get_committer, get_store, get_token_cache

        app = create_app()
        for handler in logging.getLogger().handlers:  # as gunicorn's workers: the log goes to a stream
            handler.setStream(open(os.devnull, "w"))
        with app.app_context():
            accounts = Accounts(get_store())
            accounts.create_user("profile", "screener", None, "benchmark")
            token = accounts.create_token("profile", "benchmark", 1, "benchmark")[1]
        engine = app.config["SCREENER_ENGINE"]
        warm_up(engine)
        bodies = [p.read_bytes() for p in sorted((ROOT / "seeds" / "patients").glob("*.json"))]
        path, query = PATH.split("?")
        base = {
            "REQUEST_METHOD": "POST",
            "SCRIPT_NAME": "",
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "CONTENT_TYPE": "application/json",
            "HTTP_AUTHORIZATION": f"Bearer {token}",
            "wsgi.url_scheme": "http",
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
            "REMOTE_ADDR": "127.0.0.1",
        }
        statuses = []

        def request_once(_i, body):
            environ = dict(base, CONTENT_LENGTH=str(len(body)), **{"wsgi.input": io.BytesIO(body)})
            chunks = app(environ, lambda status, headers, exc=None: statuses.append(status))
            b"".join(chunks)
            getattr(chunks, "close", lambda: None)()

        n = args.profile
        _timed(20, bodies, request_once)  # warm: the store opened, the writer thread started
        cpu, own, wall = time.process_time(), time.thread_time(), time.perf_counter()
        _timed(n, bodies, request_once)
        cpu, own = (time.process_time() - cpu) / n * 1e6, (time.thread_time() - own) / n * 1e6
        wall = (time.perf_counter() - wall) / n * 1e6
        profiler, writer = cProfile.Profile(), cProfile.Profile()  # the request's thread; the writer's batches
        with app.app_context():
            committer = get_committer()
        commit = committer._commit

        def profiled_commit(batch):
            writer.enable()
            try:
                return commit(batch)
            finally:
                writer.disable()

        committer._commit = profiled_commit
        profiler.enable()
        _timed(n, bodies, request_once)
        profiler.disable()
        del committer._commit
        if any(not s.startswith("200") for s in statuses):
            raise SystemExit(f"a request failed: {sorted(set(statuses))}")
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("cumulative").print_stats(45)
        stats.sort_stats("tottime").print_stats(25)
        print("the request's thread:", out.getvalue(), file=sys.stderr)
        out = io.StringIO()
        pstats.Stats(writer, stream=out).sort_stats("tottime").print_stats(25)
        print("the group-commit writer's batches:", out.getvalue(), file=sys.stderr)

        as_of = date(2026, 11, 22)
        trial = "NCT06674265"
        records = [parse_record(b) for b in bodies]
        reports = [screen(r, trial, as_of, engine) for r in records]
        texts = [r.model_dump_json() for r in reports]
        with app.app_context():
            cache, committer, store, seen = get_token_cache(), get_committer(), get_store(), get_approvals_seen()
        reference = get_evaluator("reference")
        judged = [_judged(r, trial, as_of, engine) for r in records]
        log = logging.getLogger("screener.api")
        parts = {
            "auth (token cache + rate count)": lambda i, b: (
                cache.principal(token),
                committer.meter.take("token:x", 10**9, 60),
            ),
            "body parsing and validation": lambda i, b: parse_record(b),
            "screening incl. reference check": lambda i, b: screen(records[i % 7], trial, as_of, engine),
            "  of it: the reference check": lambda i, b: reference.evaluate(
                judged[i % 7][0], {k: f.value for k, f in judged[i % 7][1].items()}
            ),
            "report JSON, stored and answered": lambda i, b: reports[i % 7].model_dump_json(),
            "record JSON, stored": lambda i, b: records[i % 7].model_dump_json(),
            "prepare rows + content hash (JSON given)": lambda i, b: prepare(
                records[i % 7], [reports[i % 7]], actor="a", channel="api", report_texts=[texts[i % 7]]
            ),
            "  before perf4: the report's sorted-key JSON": lambda i, b: canonical(
                reports[i % 7].model_dump(mode="json")
            ),
            "recording (prepare + group commit wait)": lambda i, b: committer.record(
                records[i % 7], [reports[i % 7]], actor="a", channel="api"
            ),
            "approval standing (reads the trail)": lambda i, b: service.standings(store, [reports[i % 7]]),
            "  as the route reads it (kept per process)": lambda i, b: service.standings(store, [reports[i % 7]], seen),
            "logging one line": lambda i, b: log.info("screening %s %s in %.1f ms", "x" * 32, "t=eligible", 1.0),
        }
        m = max(50, n // 2)
        print(
            f"in process, {n} requests one at a time, load average {os.getloadavg()[0]:.1f}: "
            f"{wall:,.0f} µs wall, {cpu:,.0f} µs CPU a request ({1e6 / wall:,.0f}/s), of it {own:,.0f} µs in the "
            f"request's thread and {cpu - own:,.0f} µs in the group-commit writer's"
        )
        # The same requests with recording left out (the committer answers at once): what the request thread
        # spends on everything else, in place (the parts below, timed alone in a loop, run with warm caches).
        committer.record = lambda record, reports, **kw: ("r" * 32, ["s" * 32] * len(reports))
        own = time.thread_time()
        _timed(m, bodies, request_once)
        del committer.record
        print(f"  {'request without recording (thread CPU)':<42} {(time.thread_time() - own) / m * 1e6:>8,.0f} µs")
        health = dict(base, REQUEST_METHOD="GET", PATH_INFO="/healthz", QUERY_STRING="")
        own = time.thread_time()
        for _ in range(m):
            b"".join(app(dict(health, **{"wsgi.input": io.BytesIO()}), lambda *a: None))
        print(f"  {'Flask alone: GET /healthz (thread CPU)':<42} {(time.thread_time() - own) / m * 1e6:>8,.0f} µs")
        _flask_against_bare(app, base, bodies, engine, m)
        for name, step in parts.items():
            _timed(5, bodies, step)
            print(f"  {name:<42} {_timed(m, bodies, step):>8,.0f} µs")
        sizes = [len(t.encode()) for t in texts]
        print(
            f"  stored report JSON {min(sizes):,}-{max(sizes):,} bytes; "
            f"record JSON {min(len(r.model_dump_json()) for r in records):,}+ bytes"
        )
    finally:
        shutil.rmtree(instance, ignore_errors=True)


def _flask_against_bare(app, base: dict, bodies: list[bytes], engine: str, m: int) -> None:
    """The hot route through Flask against a bare WSGI callable doing the same work (the token cache and rate count,
    reading and validating the body, screening, recording through the group commit and waiting for it, the
    approval standing, the same response bytes, one log line): what Flask and the route's glue cost a request. Both
    recorded, alternating in chunks, thread CPU of the request (the writer's is the same for both)."""
    import io
    import logging
    from datetime import date

    from screener import service
    from screener.web.api import _screened
    from screener.web.storage import get_approvals_seen, get_committer, get_store, get_token_cache

    with app.app_context():
        cache, committer, store, seen = get_token_cache(), get_committer(), get_store(), get_approvals_seen()
    log = logging.getLogger("screener.api")
    statuses: list[str] = []
    as_of, trial = date(2026, 11, 22), PATH.split("/")[4]

    def bare(environ, start_response):
        started = time.perf_counter()
        principal = cache.principal(environ["HTTP_AUTHORIZATION"].removeprefix("Bearer "))
        committer.take(principal.via, 10**9, 60)
        body = environ["wsgi.input"].read(int(environ["CONTENT_LENGTH"]))
        record, imported = service.read(body, service.Content.NATIVE, as_of)
        screened = service.screen_and_record(record, as_of, channel=service.Channel.API, actor=principal.username,
                                             recorder=committer, engine=engine, trial=trial, texts=True)
        (standing,) = service.standings(store, screened.reports, seen)
        payload = _screened(screened.ids[0], screened.texts[0], imported, screened.screening_number,
                            standing).encode()
        log.info("screening %s %s in %.1f ms", screened.ids[0], f"{trial}={screened.reports[0].verdict}",
                 (time.perf_counter() - started) * 1000)
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))])
        return [payload]

    def once(handler, body):
        environ = dict(base, CONTENT_LENGTH=str(len(body)), **{"wsgi.input": io.BytesIO(body)})
        chunks = handler(environ, lambda status, headers, exc=None: statuses.append(status))
        out = b"".join(chunks)
        getattr(chunks, "close", lambda: None)()
        return out

    def report(answer: bytes) -> bytes:  # the answer without its screening id and number (new for each call)
        return answer[answer.index(b'"report":'):answer.index(b',"screening_number"')]

    assert report(once(bare, bodies[0])) == report(once(app, bodies[0]))  # the same answer
    spent = {"flask": 0.0, "bare": 0.0}
    for start in range(0, m, 25):
        for name, handler in (("flask", app), ("bare", bare)):
            own = time.thread_time()
            for i in range(start, min(m, start + 25)):
                once(handler, bodies[i % len(bodies)])
            spent[name] += time.thread_time() - own
    if any(not s.startswith("200") for s in statuses):
        raise SystemExit(f"a request failed: {sorted(set(statuses))}")
    flask, bare_us = (spent[k] / m * 1e6 for k in ("flask", "bare"))
    print(f"  {'hot route through Flask (thread CPU)':<42} {flask:>8,.0f} µs")
    print(f"  {'the same work, bare WSGI (thread CPU)':<42} {bare_us:>8,.0f} µs  "
          f"(Flask and the route's glue: {flask - bare_us:,.0f} µs)")


def _export(ref: str) -> Path:
    """The tree of a git revision in a temporary folder (the repository itself is only read)."""
    folder = Path(tempfile.mkdtemp(prefix=f"screener-{ref.replace('/', '-')}-"))
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder


class _PostgresServer:
    """A PostgreSQL server URL for a benchmark database; starts the test server the way scripts/test does."""

    def __enter__(self):
        self.lock = self.run_id = None
        url = os.environ.get("DATABASE_URL")
        if not url:
            script = ROOT / "scripts" / "postgres-test-server"
            if not script.exists():
                return None
            self.lock = open(f"{PG_DATA}.lock", "a")
            fcntl.flock(self.lock, fcntl.LOCK_SH)  # in use: no scripts/test run stops it meanwhile
            self.run_id = f"bench-{os.getpid()}-{time.time_ns()}"
            done = subprocess.run(
                [str(script)], env=dict(os.environ, SCREENER_TEST_RUN=self.run_id), capture_output=True, text=True
            )
            if done.returncode != 0:
                print(f"PostgreSQL not available: {done.stderr.strip()[-200:]}", file=sys.stderr)
                return None
            url = done.stdout.strip().splitlines()[-1]
        self.admin, self.names = url, []
        return self.new_database

    def new_database(self) -> str:
        """A new, empty database for one run (each run has its own chain and users), dropped at the end."""
        self.names.append("bench_" + uuid.uuid4().hex[:12])
        self._sql(f"CREATE DATABASE {self.names[-1]}")
        return self.admin.rsplit("/", 1)[0] + "/" + self.names[-1]

    def _sql(self, statement: str) -> None:
        import psycopg

        with psycopg.connect(self.admin.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as c:
            c.execute(statement)

    def __exit__(self, *exc):
        for name in getattr(self, "names", []):
            self._sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        if self.lock is not None:
            started_here = (PG_DATA / "started-by").exists() and (
                PG_DATA / "started-by"
            ).read_text().strip() == self.run_id
            if started_here:
                try:
                    fcntl.flock(self.lock, fcntl.LOCK_EX | fcntl.LOCK_NB)  # nobody else is using it
                    subprocess.run([str(ROOT / "scripts" / "postgres-test-server"), "stop"], check=False)
                except BlockingIOError:
                    pass
            self.lock.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4, help="request threads per worker (gthread)")
    parser.add_argument("--worker-class", default="gthread")
    parser.add_argument("--database", default="sqlite,postgresql")
    parser.add_argument("--before", metavar="REF", help="also run this git revision first (e.g. main)")
    parser.add_argument(
        "--store-only",
        action="store_true",
        help="only the recording path, no HTTP and no screening: one transaction per screening "
        "(as before) and the group commit, from --clients threads over --workers processes",
    )
    parser.add_argument(
        "--profile",
        type=int,
        metavar="N",
        help="profile N recorded requests in this process (cProfile, then each part alone) and stop",
    )
    args = parser.parse_args()
    if args.profile:
        return run_profile(args)
    if args.seconds > 60:
        raise SystemExit("--seconds: at most 60 (a shared machine)")
    codes = [("after", ROOT)]
    if args.before:
        codes.insert(0, (f"before ({args.before})", _export(args.before)))
    print(
        f"load average before: {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores",
        file=sys.stderr,
    )
    rows = []

    def runs(database=lambda: None):
        if args.store_only:
            return [
                run_store_only("one per commit", args, database(), False),
                run_store_only("group commit", args, database(), True),
            ]
        return [run_load(code, label, args, database()) for label, code in codes]

    try:
        for database in args.database.split(","):
            if database == "postgresql":
                with _PostgresServer() as new_database:
                    if new_database is None:
                        print(
                            "postgresql: skipped (no DATABASE_URL and the test server could not start)", file=sys.stderr
                        )
                        continue
                    rows += runs(new_database)
            else:
                rows += runs()
    finally:
        for _label, code in codes:
            if code != ROOT:
                shutil.rmtree(code, ignore_errors=True)
    for row in rows:
        print(json.dumps(row))
    print(f"target: >= {TARGET_PER_S:,} recorded screenings/s with p99 <= {TARGET_P99_MS:g} ms, {args.workers} workers")
    for row in rows:
        print(
            f"{row['run']:>14} {row['database']:>10}: {row['requests_per_s']:>5}/s  p50 {row['p50_ms']:>6} ms  "
            f"p95 {row['p95_ms']:>6} ms  p99 {row['p99_ms']:>6} ms  errors {sum(row['errors'].values())}  "
            f"chain {'ok' if row['chain_ok'] else 'BROKEN'}  answered-not-stored {row['answered_missing']}  "
            f"load {row['load_average_1min'][0]}->{row['load_average_1min'][1]}  "
            + (
                f"CPU/request server {row['server_cpu_ms']} ms client {row['client_cpu_ms']} ms  "
                if "server_cpu_ms" in row
                else ""
            )
            + f"target {'met' if row['target_met'] else 'NOT met'}"
        )


if __name__ == "__main__":
    main()
