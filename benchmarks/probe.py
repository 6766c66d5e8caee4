"""A hostile-input probe of the real service: gunicorn with gunicorn.conf.py, 2 workers, a throwaway instance folder.

    python -m benchmarks.probe [--workers 2] [--keep]

Sends, as a screener with API tokens and as an anonymous client: malformed FHIR (wrong types at every path the
reader reads), huge and tiny numbers, control characters, bad JSON, oversize and chunked bodies, repeated query
parameters, bad tokens on public and private routes, open-redirect `next` values, a sign-in flood from 20
addresses (the server trusts one proxy hop, so X-Forwarded-For stands for the address) while a known user signs
in, and the worst accepted input at every limit. Prints the number of responses >= 500 (must be 0), requests
that got no response, the slowest requests, whether gunicorn killed or restarted a worker, and whether
`screener audit verify` passes afterwards. Exit status 1 when any of those fails. One run takes under a minute.
"""
import argparse
import copy
import http.client
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote, urlencode

from screener import config

from . import worst_case
from .records import AS_OF

REPO = Path(__file__).resolve().parent.parent
SCREENER = str(Path(sys.executable).parent / "screener")  # the command line installed beside this Python
SCREEN = f"/api/v1/screen?as_of={AS_OF}"
FHIR, NATIVE = "application/fhir+json", "application/json"
WRONG = [None, True, -1, 10**400, -1e308, 1e-300, "", "\u0000\u202e", "x" * 300, [], {}, [[]], {"value": {}}]


class Probe:
    def __init__(self, port: int):
        self.port = port
        self.results: list[tuple[str, int, float]] = []  # (label, status or 0 for no response, seconds)
        self.lock = threading.Lock()

    def send(self, label: str, method: str, path: str, body: bytes = b"", headers: dict | None = None,
             chunked: bool = False) -> tuple[int, list, bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        started = time.perf_counter()
        try:
            if chunked:
                connection.putrequest(method, path)
                for name, value in (headers or {}).items():
                    connection.putheader(name, value)
                connection.putheader("Transfer-Encoding", "chunked")
                connection.endheaders()
                for start in range(0, len(body), 1 << 20):
                    piece = body[start:start + (1 << 20)]
                    connection.send(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                connection.send(b"0\r\n\r\n")
            else:
                connection.request(method, path, body=body or None, headers=headers or {})
            response = connection.getresponse()
            status, reply_headers, data = response.status, response.getheaders(), response.read()
        except (OSError, http.client.HTTPException):
            status, reply_headers, data = 0, [], b""
        finally:
            connection.close()
        with self.lock:
            self.results.append((label, status, time.perf_counter() - started))
        return status, reply_headers, data

    def raw(self, label: str, request: bytes, body: bytes = b"") -> int:
        """A request as bytes; a body is sent after it as far as the server reads it (it may answer and close early)."""
        started = time.perf_counter()
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=30) as connection:
                connection.sendall(request)
                try:
                    for start in range(0, len(body), 1 << 16):
                        connection.sendall(body[start:start + (1 << 16)])
                except OSError:
                    pass  # the server answered without reading it all: the answer is still to be read
                head = connection.recv(65536)
            status = int(head.split(b" ", 2)[1]) if head.startswith(b"HTTP/") else 0
        except (OSError, ValueError, IndexError):
            status = 0
        with self.lock:
            self.results.append((label, status, time.perf_counter() - started))
        return status


# --- the hostile inputs ---------------------------------------------------------------------------------------
def _api(token: str, content_type: str = NATIVE) -> dict:
    return {"Authorization": f"Bearer {token}", "Content-Type": content_type}


def malformed_bundles(rng: random.Random) -> list[tuple[str, bytes]]:
    """The FHIR shape test's template with a wrong value at every path the reader reads (two per path)."""
    from tests.test_fhir_shapes import PATHS, TEMPLATE, _put

    bundles = []
    for path in PATHS:
        for value in rng.sample(WRONG, 2):
            bundle = copy.deepcopy(TEMPLATE)
            _put(bundle, path, copy.deepcopy(value))
            bundles.append((f"FHIR {'.'.join(map(str, path[2:]))} = {str(value)[:12]!r}", json.dumps(bundle).encode()))
    return bundles


def native_inputs() -> list[tuple[str, bytes]]:
    base = json.loads((REPO / "seeds/patients/eligible.json").read_text())

    def changed(change) -> bytes:
        record = copy.deepcopy(base)
        change(record)
        return json.dumps(record).encode()

    return [
        ("native 400-digit lab value", changed(lambda r: r["observations"][0].update(value=10**400))),
        ("native 1e308 lab value", changed(lambda r: r["observations"][0].update(value=1e308))),
        ("native reference_high 1e-300", changed(lambda r: r["observations"][3].update(reference_high=1e-300))),
        ("native NUL in record_id", changed(lambda r: r.update(record_id="A\u0000B"))),
        (
            "native control chars in a name",
            changed(lambda r: r["history"]["medications"][0].update(name="dexa\u0007\u202emethasone")),
        ),
        ("native as_of far future", changed(lambda r: r["demographics"].update(birth_date="9999-12-31"))),
        ("native week date", changed(lambda r: r["demographics"].update(birth_date="2018-W11-3"))),
        ("native nan", json.dumps(base).replace('"value": 142', '"value": NaN').encode()),
        ("native deep nesting", b"[" * 100_000 + b"]" * 100_000),
        ("native invalid UTF-8", b'{"record_id": "\xff\xfe"}'),
        ("native BOM", b"\xef\xbb\xbf" + json.dumps(base).encode()),
        ("native 100,000 unknown keys", json.dumps({f"k{i}": 1 for i in range(100_000)}).encode()),
        ("native a 1 MB key", json.dumps({"x" * 1_000_000: 1}).encode()),
        ("native empty", b""),
        ("native null", b"null"),
        ("native list", b"[]"),
    ]


def capped_inputs() -> list[tuple[str, str, bytes]]:
    """The worst accepted input at every limit, and one past the entry limit."""
    inputs = [(label, NATIVE, make().encode()) for label, make in worst_case.NATIVE.items()]
    inputs += [(label, FHIR, make().encode()) for label, make in worst_case.FHIR.items()]
    past = {
        "resourceType": "Bundle",
        "entry": [worst_case._patient()] + [{"resource": {"resourceType": "Claim"}}] * config.MAX_BUNDLE_ENTRIES,
    }
    return inputs + [("FHIR one entry past the limit", FHIR, json.dumps(past).encode())]


REDIRECTS = [
    "//evil.example/x",
    "/\t/evil.example",
    "/\n/evil.example",
    "/\\evil.example",
    "https://evil.example/",
    "/\r\nSet-Cookie: x=1",
    "javascript:alert(1)",
    "///evil.example",
    "/\u2028/evil.example",
]
PUBLIC = ["/healthz", "/readyz", "/login", "/api/v1/docs", "/api/v1/openapi.json", "/static/screener.css"]


class Browser:
    """A browser's session and known-browser cookies, sent by hand (the session cookie is Secure)."""

    def __init__(self, probe: Probe, address: str):
        self.probe, self.address, self.cookies = probe, address, {}

    def _headers(self, extra: dict | None = None) -> dict:
        headers = {"X-Forwarded-For": self.address, **(extra or {})}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        return headers

    def _keep(self, headers: list) -> None:
        for name, value in headers:
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                if key in ("session", "signin_known"):
                    self.cookies[key] = rest.split(";", 1)[0]

    def csrf(self, label: str) -> str:
        status, headers, body = self.probe.send(label, "GET", "/login", headers=self._headers())
        self._keep(headers)
        found = re.search(rb'name="csrf_token" value="([^"]+)"', body)
        return found.group(1).decode() if found else ""

    def sign_in(self, label: str, username: str, password: str, next_: str = "") -> tuple[int, str]:
        form = urlencode(
            {"csrf_token": self.csrf(label + " (page)"), "username": username, "password": password, "next": next_}
        )
        status, headers, _ = self.probe.send(
            label, "POST", "/login", form.encode(), self._headers({"Content-Type": "application/x-www-form-urlencoded"})
        )
        self._keep(headers)
        return status, next((value for name, value in headers if name.lower() == "location"), "")


def _cli(env: dict, *args: str) -> str:
    return subprocess.run([SCREENER, *args], cwd=REPO, env=env, check=True, capture_output=True, text=True).stdout


def _free_port() -> int:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        return listener.getsockname()[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--keep", action="store_true", help="keep the instance folder and the server log")
    args = parser.parse_args()
    rng = random.Random(20261122)
    folder = Path(tempfile.mkdtemp(prefix="screener-probe-"))
    port = _free_port()
    env = {
        **os.environ,
        "SCREENER_INSTANCE_PATH": str(folder / "instance"),
        "SCREENER_BIND": f"127.0.0.1:{port}",
        "SCREENER_WORKERS": str(args.workers),
        "SCREENER_PROXY_HOPS": "1",
    }
    env.pop("DATABASE_URL", None)
    _cli(env, "users", "ensure-admin")
    _cli(env, "users", "add", "prober", "--role", "screener")
    tokens = [_cli(env, "tokens", "create", "prober", "--name", f"probe {i}", "--quiet").strip() for i in range(4)]
    keeper_password = _cli(env, "users", "add", "keeper", "--role", "auditor").rsplit(": ", 1)[1].strip()
    log_path = folder / "gunicorn.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "screener.web.wsgi:app"],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    probe = Probe(port)
    started = time.perf_counter()
    try:
        deadline = time.monotonic() + 60
        while probe.send("start", "GET", "/healthz")[0] != 200:
            if time.monotonic() > deadline or server.poll() is not None:
                print("the server did not start; log:", log_path.read_text()[-2000:])
                return 1
            time.sleep(0.3)
        probe.results.clear()
        started = time.perf_counter()
        redirects_ok = _run(probe, tokens, rng, keeper_password)
    finally:
        server.terminate()
        server.wait(timeout=30)
    elapsed = time.perf_counter() - started
    log_text = log_path.read_text(errors="replace")
    verify = subprocess.run([SCREENER, "audit", "verify"], cwd=REPO, env=env, capture_output=True, text=True)
    return _report(probe, elapsed, log_text, verify, redirects_ok, args.workers, folder, args.keep)


def _run(probe: Probe, tokens: list[str], rng: random.Random, keeper_password: str) -> dict:
    checks = {}
    keeper = Browser(probe, "192.0.2.10")
    checks["known user signs in before the flood"] = (
        keeper.sign_in("sign-in keeper", "keeper", keeper_password)[0] == 302
    )
    jobs = []
    token = iter(tokens * 10_000).__next__
    for label, body in malformed_bundles(rng):
        jobs.append(lambda label=label, body=body: probe.send(label, "POST", SCREEN, body, _api(token(), FHIR)))
    for label, body in native_inputs():
        jobs.append(lambda label=label, body=body: probe.send(label, "POST", SCREEN, body, _api(token())))
    for path in PUBLIC:
        jobs.append(
            lambda path=path: probe.send(
                f"bad token on {path}", "GET", path, headers={"Authorization": "Bearer scr_junk"}
            )
        )
    for path in ("/api/v1/trials", "/audit/screenings", "/api/v1/trials/" + "x" * 3000):
        jobs.append(
            lambda path=path: probe.send(
                f"bad token on {path[:30]}", "GET", path, headers={"Authorization": "Bearer scr_junk"}
            )
        )
    jobs += [
        lambda: probe.send("as_of twice", "POST", SCREEN + "&as_of=2026-01-01", b"{}", _api(token())),
        lambda: probe.send("as_of NUL", "POST", "/api/v1/screen?as_of=2026-11-22%00", b"{}", _api(token())),
        lambda: probe.send("as_of 9999", "POST", "/api/v1/screen?as_of=9999-12-31", b"{}", _api(token())),
        lambda: probe.send("wrong charset", "POST", SCREEN, b"{}", _api(token(), "application/json; charset=latin-1")),
        lambda: probe.send(
            "form to the API", "POST", SCREEN, b"a=1", _api(token(), "application/x-www-form-urlencoded")
        ),
        lambda: probe.send("405", "DELETE", "/api/v1/trials"),
        lambda: probe.send("traversal", "GET", "/static/../../etc/passwd"),
        lambda: probe.raw(
            "oversize body",
            f"POST {SCREEN} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token()}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {config.MAX_BODY_BYTES + 2}\r\n\r\n".encode(),
            b"{" + b" " * config.MAX_BODY_BYTES + b"}",
        ),
        lambda: probe.send(
            "oversize chunked body",
            "POST",
            SCREEN,
            b" " * (config.MAX_BODY_BYTES + 10),
            _api(token(), FHIR),
            chunked=True,
        ),
        lambda: probe.send(
            "chunked bundle",
            "POST",
            SCREEN,
            (REPO / "seeds/fhir/eligible.json").read_bytes(),
            _api(token(), FHIR),
            chunked=True,
        ),
        lambda: probe.raw(
            "bad Content-Length", b"POST /api/v1/screen HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n"
        ),
        lambda: probe.raw("huge header", b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: " + b"a" * 20000 + b"\r\n\r\n"),
        lambda: probe.raw("bad request line", b"GARBAGE\r\n\r\n"),
        lambda: probe.raw("NUL in path", b"GET /log\x00in HTTP/1.1\r\nHost: x\r\n\r\n"),
    ]
    for target in REDIRECTS:

        def page(target=target):
            status, _, body = probe.send(f"next={target!r}", "GET", "/login?next=" + quote(target, safe=""))
            checks[f"login page drops next={target!r}"] = status == 200 and b"evil.example" not in body

        jobs.append(page)
    # A sign-in flood from 20 addresses, each with its own session and CSRF token.
    flooders = [Browser(probe, f"198.51.100.{i}") for i in range(20)]
    for i in range(20 * 12):
        flooder = flooders[i % 20]
        jobs.append(lambda f=flooder, i=i: f.sign_in("sign-in flood", f"flood{i}", "wrong password 123"))
    rng.shuffle(jobs)
    with ThreadPoolExecutor(6) as pool:
        list(pool.map(lambda job: job(), jobs))
    # The known user, while the overall budget is spent: signs in, and `next` stays on this service.
    for target in REDIRECTS[:4]:
        status, location = keeper.sign_in("sign-in keeper with next", "keeper", keeper_password, target)
        checks[f"known user signs in during the flood, next={target!r} not followed"] = (
            status == 302 and "evil" not in location
        )
    stranger = Browser(probe, "192.0.2.99")
    checks["an unknown browser is throttled, not failed (< 500)"] = (
        0 < stranger.sign_in("sign-in stranger", "keeper", keeper_password)[0] < 500
    )
    # The worst accepted inputs at every limit, two at a time, with health checks beside them.
    capped = capped_inputs()
    with ThreadPoolExecutor(3) as pool:
        futures = [
            pool.submit(probe.send, f"at the limit: {label}", "POST", SCREEN, body, _api(token(), kind))
            for label, kind, body in capped
        ]
        while not all(f.done() for f in futures):
            probe.send("healthz beside the worst inputs", "GET", "/healthz")
            time.sleep(0.2)
        statuses = [f.result()[0] for f in futures]
    checks["every worst accepted input screened (200)"] = statuses[:-1] == [200] * (len(capped) - 1)
    checks["one entry past the limit refused (422)"] = statuses[-1] == 422
    return checks


def _report(
    probe: Probe, elapsed: float, log_text: str, verify, checks: dict, workers: int, folder: Path, keep: bool
) -> int:
    results = probe.results
    errors = [r for r in results if r[1] >= 500]
    lost = [r for r in results if r[1] == 0]
    killed = len(re.findall(r"WORKER TIMEOUT|was sent SIGKILL|Worker \(pid:\d+\) was sent", log_text))
    booted = len(re.findall(r"Booting worker", log_text))
    statuses = {}
    for _, status, _ in results:
        statuses[status] = statuses.get(status, 0) + 1
    print(f"{len(results)} requests in {elapsed:.1f} s; statuses: {dict(sorted(statuses.items()))}")
    print(f"responses >= 500: {len(errors)}" + "".join(f"\n  {s} {label}" for label, s, _ in errors[:20]))
    print(f"requests with no response: {len(lost)}" + "".join(f"\n  {label}" for label, _, _ in lost[:20]))
    slowest = sorted(results, key=lambda r: -r[2])[:5]
    print("slowest: " + "; ".join(f"{seconds:.2f} s {label[:70]} ({status})" for label, status, seconds in slowest))
    health = [seconds for label, _, seconds in results if label.startswith("healthz")]
    if health:
        print(f"/healthz beside the worst inputs: {len(health)} checks, max {max(health):.2f} s")
    print(f"workers killed or timed out: {killed}; workers booted: {booted} (started with {workers})")
    failed_checks = [name for name, ok in checks.items() if not ok]
    print(
        f"checks: {len(checks) - len(failed_checks)} of {len(checks)} hold"
        + "".join(f"\n  FAILED {n}" for n in failed_checks)
    )
    print(
        f"screener audit verify: exit {verify.returncode}: {verify.stdout.strip()[:200] or verify.stderr.strip()[:200]}"
    )
    if keep:
        print(f"kept: {folder}")
    else:
        shutil.rmtree(folder, ignore_errors=True)
    ok = not errors and not lost and not killed and booted == workers and not failed_checks and verify.returncode == 0
    print("PROBE PASSED" if ok else "PROBE FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
