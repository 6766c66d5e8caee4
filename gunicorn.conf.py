"""gunicorn settings for production: `gunicorn -c gunicorn.conf.py screener.web.wsgi:app`."""
import multiprocessing
import os

import gunicorn.http.wsgi
import gunicorn.util

bind = os.environ.get("SCREENER_BIND", "127.0.0.1:8000")
# Screening is CPU-bound (and the GIL keeps a process to one core): one worker process per core. Recording waits
# for the disk: each process runs a few request threads (gthread), so that while some wait for their group commit
# (screener/audit/_group_commit.py) others screen, and the requests waiting together share one transaction and
# one sync. With sync workers each process has one request at a time: one sync per screening, the old ceiling.
workers = int(os.environ.get("SCREENER_WORKERS", multiprocessing.cpu_count()))
worker_class = os.environ.get("SCREENER_WORKER_CLASS", "gthread")
threads = int(os.environ.get("SCREENER_THREADS", 4))
# Load the app (rule files, schemas) once in the master; each worker builds its own engine after fork, because
# durable-rules' host lives in C memory that must not be shared between processes.
preload_app = True
timeout = 30
graceful_timeout = 20
keepalive = 5
# Request lines and headers are small for this API; bodies are bounded by the app (MAX_CONTENT_LENGTH).
limit_request_line = 4094
limit_request_fields = 50
# gunicorn 25.1+ opens a control socket (gunicornc) by default, at ~/.gunicorn/gunicorn.ctl when XDG_RUNTIME_DIR is
# unset: every instance a user runs on the host shares that path, so one took over another's socket and deleted it
# on shutdown (issue 23, finding 10). Nothing here uses gunicornc: no socket.
control_socket_disable = True
# The access log holds method, path (trial id, as_of) and status: no patient data travels in URLs.
accesslog = "-"
errorlog = "-"


def post_fork(server, worker):
    from screener.screening import warm_up

    trials = warm_up(os.environ.get("SCREENER_ENGINE"))
    server.log.info("worker %s ready: %d rule sets built in the engine", worker.pid, len(trials))


# gunicorn names itself in every response (Server: gunicorn) and answers malformed requests (bad request line,
# oversized headers) with its own HTML page, written straight to the socket without the app's security headers.
# It has no setting for either, so both are replaced here, before any worker starts.
gunicorn.http.wsgi.SERVER = "screener"


def _write_error(sock, status_int, reason, mesg):
    """gunicorn's error page with the app's security headers; its message (which can quote the request) is not
    echoed."""
    from screener.web.headers import security_headers

    body = f"<!doctype html><title>{status_int} {reason}</title><h1>{status_int} {reason}</h1>\n".encode()
    headers = {"Connection": "close", "Content-Type": "text/html; charset=utf-8", "Content-Length": str(len(body)),
               "Server": "screener", **security_headers(False)}
    head = f"HTTP/1.1 {status_int} {reason}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    gunicorn.util.write_nonblock(sock, head.encode("latin-1") + body)


gunicorn.util.write_error = _write_error
