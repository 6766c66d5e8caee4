"""The Flask application: the JSON API, the coordinator's form and the auditor views, built by create_app()."""
import logging
import os
from datetime import timedelta

from flask import Flask

from .. import config


def create_app(test_config: dict | None = None) -> Flask:
    """Configuration: defaults, then instance/config.py and SCREENER_* environment variables, then test_config."""
    # SCREENER_INSTANCE_PATH: where instance config, keys and the SQLite database live; an installed package's default
    # (under sys.prefix) is not writable by the container's non-root user.
    app = Flask(__name__, instance_relative_config=True, instance_path=os.environ.get("SCREENER_INSTANCE_PATH"))
    app.config.from_mapping(
        SCREENER_ENGINE=config.SCREENER_ENGINE,
        # FHIR bundles carry a patient's whole history; the largest real one tested is 2.7 MB.
        MAX_CONTENT_LENGTH=config.MAX_BODY_BYTES,
        JSON_SORT_KEYS=False,
        # Sessions: not readable by scripts, not sent cross-site, over HTTPS only (browsers treat 127.0.0.1 and
        # localhost as secure, so the local run command works), and ended after 30 idle minutes.
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=True,
        PERMANENT_SESSION_LIFETIME=timedelta(minutes=config.SESSION_IDLE_MINUTES),
        # Rate limits and lockout: why each value, in config.py.
        TOKEN_RATE_PER_MINUTE=config.TOKEN_RATE_PER_MINUTE,
        TOKEN_CACHE_SECONDS=config.TOKEN_CACHE_SECONDS,
        LOGIN_ATTEMPTS_PER_CLIENT_PER_MINUTE=config.LOGIN_ATTEMPTS_PER_CLIENT_PER_MINUTE,
        LOGIN_ATTEMPTS_PER_MINUTE=config.LOGIN_ATTEMPTS_PER_MINUTE,
        LOGIN_CONCURRENT_HASHES=config.LOGIN_CONCURRENT_HASHES,
        LOGIN_KNOWN_ATTEMPTS_PER_MINUTE=config.LOGIN_KNOWN_ATTEMPTS_PER_MINUTE,
        LOGIN_KNOWN_DAYS=config.LOGIN_KNOWN_DAYS,
        LOGIN_RESERVED_HASHES=config.LOGIN_RESERVED_HASHES,
        LOGIN_FAILURES_ALLOWED=config.LOGIN_FAILURES_ALLOWED,
        LOGIN_LOCKOUT_SECONDS=config.LOGIN_LOCKOUT_SECONDS,
        LOGIN_LOCKOUT_MAX_SECONDS=config.LOGIN_LOCKOUT_MAX_SECONDS,
        READY_TIMEOUT_SECONDS=config.READY_TIMEOUT_SECONDS,
        READY_REUSE_SECONDS=config.READY_REUSE_SECONDS,
        FORM_DRAFT_HOURS=config.FORM_DRAFT_HOURS,
        FORM_DRAFTS_PER_USER=config.FORM_DRAFTS_PER_USER,
        FORM_DRAFT_MAX_CHARS=config.FORM_DRAFT_MAX_CHARS,
        # Screen under rule sets still marked status: draft (SCREENER_ALLOW_DRAFT_RULES): refused by default, and
        # the service does not start while one is loaded; allowed, every result is labelled DRAFT RULES.
        ALLOW_DRAFT_RULES=config.SCREENER_ALLOW_DRAFT_RULES,
        # A CSRF token is bound to its session, which ends after 30 idle minutes or at sign-out; a clock of its
        # own (Flask-WTF's default, an hour) refused forms still open in a live session and lost what they held.
        WTF_CSRF_TIME_LIMIT=None,
    )
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_prefixed_env("SCREENER")
        if config.DATABASE_URL:
            app.config["DATABASE_URL"] = config.DATABASE_URL
    else:
        app.config.from_mapping(test_config)
    from ..audit import private_folder

    private_folder(app.instance_path)  # the SQLite database in it holds patient records
    if not app.config.get("DATABASE_URL"):
        from ..audit import database_url

        app.config["DATABASE_URL"] = database_url(app.instance_path)
    if test_config is None:
        _refuse_without_key(app.config["DATABASE_URL"], app.instance_path)
    _refuse_draft_rules(bool(app.config["ALLOW_DRAFT_RULES"]))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")

    from .body_limit import ChunkedBodyLimit

    # Flask's documented way to add WSGI middleware; mypy reads the attribute as a method.
    app.wsgi_app = ChunkedBodyLimit(app.wsgi_app, app.config["MAX_CONTENT_LENGTH"])  # type: ignore[method-assign]
    if app.config.get("PROXY_HOPS"):
        # Behind N trusted reverse proxies the client address (sign-in throttling, lockouts) is in X-Forwarded-For.
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = int(app.config["PROXY_HOPS"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(app.instance_path)

    from flask_wtf.csrf import CSRFProtect

    from . import (
        admin,
        api,
        approvals,
        audit_views,
        auth,
        cds_hooks,
        children,
        errors,
        form,
        health,
        i18n,
        input_guard,
        openapi,
        verification,
    )

    errors.init_app(app)
    auth.init_app(app)
    i18n.init_app(app)  # the pages' language (after sign-in, whose account preference it reads first)
    input_guard.init_app(app)  # after sign-in checks, before any handler reads the request
    csrf = CSRFProtect(app)
    csrf.exempt(api.bp)  # the JSON API takes no cookies; browsers' form posts are what CSRF attacks
    csrf.exempt(cds_hooks.bp)  # nor do the CDS Hooks calls: each carries the EHR's signed JWT
    cds_hooks.init_app(app)
    app.jinja_env.filters["zip_pairs"] = lambda values: [(v, v) for v in values]
    for blueprint in (health.bp, api.bp, openapi.bp, form.bp, audit_views.bp, auth.bp, children.bp, admin.bp,
                      approvals.bp, verification.bp, cds_hooks.bp):
        app.register_blueprint(blueprint)
    from . import verification_pdf  # a signed eligibility verification as a PDF checklist (issue 26 point 4)

    app.register_blueprint(verification_pdf.bp)
    from . import fhir_publish  # rule sets read as FHIR ResearchStudy and Group (issue 28 part 3)

    app.register_blueprint(fhir_publish.bp)
    from . import rules_review  # review before use (issue 28): /rules

    app.register_blueprint(rules_review.bp)
    return app


def _refuse_without_key(url: str, instance_path: str) -> None:
    """A store with events but no audit key: refuse to start (exit 2) rather than chain new events under a new key."""
    import sys
    from pathlib import Path

    from ..audit import MissingKey, require_key

    try:
        require_key(url, Path(instance_path))
    except MissingKey as exc:
        print(f"screener: refusing to start: {exc}", file=sys.stderr, flush=True)
        raise SystemExit(2) from None


def _refuse_draft_rules(allowed: bool) -> None:
    """Rule sets with status: draft screen only when the app's config allows them (a process has one app: the
    setting is the process's); otherwise refuse to start (exit 2) naming the file and trial, rather than refuse
    every screening later."""
    import sys

    from ..rules import DraftRulesRefused, allow_draft_rules, load_rule_sets

    allow_draft_rules(allowed)
    try:
        load_rule_sets()
    except DraftRulesRefused as exc:
        print(f"screener: refusing to start: {exc.file}: {exc.problems[0].message}", file=sys.stderr, flush=True)
        raise SystemExit(2) from None


def _instance_secret(instance_path: str) -> str:
    """The session/CSRF signing key: instance/secret_key, created once with owner-only permissions."""
    import secrets

    path = os.path.join(instance_path, "secret_key")
    if not os.path.exists(path):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    with open(path) as handle:
        return handle.read().strip()
