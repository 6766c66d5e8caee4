# Multi-stage image: durable-rules builds from source (gcc) in the build stage; the runtime is slim and non-root.
# Python 3.11: durable-rules 2.0.28 builds and passes this project's tests on it.
FROM python:3.11-slim-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY pyproject.toml README.md ./
COPY screener ./screener
RUN python -m venv /opt/venv && /opt/venv/bin/pip install --no-cache-dir .

FROM python:3.11-slim-bookworm
# nginx buffers each request whole before gunicorn sees it (deploy/nginx.conf): slow clients cannot hold its threads.
RUN apt-get update && apt-get install -y --no-install-recommends nginx && rm -rf /var/lib/apt/lists/*
RUN useradd --create-home --uid 10001 screener
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY criteria ./criteria
COPY seeds ./seeds
COPY gunicorn.conf.py ./
COPY deploy ./deploy
COPY scripts/serve ./scripts/serve
RUN mkdir -p /app/instance && chown screener /app/instance
ENV PATH=/opt/venv/bin:$PATH \
    SCREENER_BIND=0.0.0.0:8000 \
    SCREENER_CRITERIA_DIR=/app/criteria \
    SCREENER_INSTANCE_PATH=/app/instance \
    PYTHONDONTWRITEBYTECODE=1
USER screener
EXPOSE 8000
# A worker busy with the largest accepted Bundles kept /healthz waiting up to 4.3 s in the probe
# (benchmarks/probe.py; the slowest such request took 8.1 s): 10 s tells a busy service from a hung one.
HEALTHCHECK --interval=30s --timeout=10s --retries=3 \
  CMD python -c "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/readyz', timeout=9).status != 200)"
# nginx on SCREENER_BIND in front of gunicorn on a private socket, both run by the unprivileged user.
CMD ["scripts/serve"]
