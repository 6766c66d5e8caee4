"""gunicorn settings for production: `gunicorn -c gunicorn.conf.py screener.web.wsgi:app`."""
import multiprocessing
import os

bind = os.environ.get("SCREENER_BIND", "127.0.0.1:8000")
# Screening is CPU-bound and the engine is single-threaded: one sync worker per core.
workers = int(os.environ.get("SCREENER_WORKERS", multiprocessing.cpu_count()))
worker_class = "sync"
# Load the app (rule files, schemas) once in the master; each worker builds its own engine after fork, because
# durable-rules' host lives in C memory that must not be shared between processes.
preload_app = True
timeout = 30
graceful_timeout = 20
keepalive = 5
# Request lines and headers are small for this API; bodies are bounded by the app (MAX_CONTENT_LENGTH).
limit_request_line = 4094
limit_request_fields = 50
# The access log holds method, path (trial id, as_of) and status: no patient data travels in URLs.
accesslog = "-"
errorlog = "-"


def post_fork(server, worker):
    from screener.screening import warm_up

    trials = warm_up(os.environ.get("SCREENER_ENGINE"))
    server.log.info("worker %s ready: %d rule sets built in the engine", worker.pid, len(trials))
