"""Who may do what: sign-in, bearer tokens, the route -> roles policy (deny by default), throttling, headers."""
import fcntl
import os
from contextlib import contextmanager
from urllib.parse import urlsplit

from flask import Blueprint, Response, abort, current_app, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.wrappers import Response as BaseResponse  # what redirect() returns, a Flask Response's base

from ..audit import FIRST_ADMIN_PASSWORD_FILE, ROLES, Accounts, Limits, Principal
from .body_limit import TOO_LARGE
from .drafts import KEPT, keep_unsent_form, kept_for
from .errors import problem
from .headers import security_headers
from .storage import get_committer, get_store, get_token_cache

bp = Blueprint("auth", __name__)

PUBLIC = frozenset({"public"})
ANYONE = frozenset(ROLES)  # any signed-in role
# Who screens: re-screens, corrects, voids, records outcomes, uses the form. An investigator does all a screener does
# (at a site the investigator often screens too), on every child, since SEES_EVERYTHING includes them.
SCREENERS = frozenset({"screener", "investigator", "admin"})
# Who reads every child's screenings, not only their own: the investigator answers for every child enrolled at the
# site and verifies eligibility on screenings a screener prepared (issue 26), so reads them all, with the screening
# log and the sponsor's export built from them.
SEES_EVERYTHING = frozenset({"investigator", "auditor", "admin"})
# The whole trail: the raw screenings and events export and the chain check stay with those who audit it.
AUDITORS = frozenset({"auditor", "admin"})
ADMINS = frozenset({"admin"})
# Who signs an enrolment-day eligibility verification (21 CFR Part 11 §11.50: a person's attestation, "I confirm this
# child meets every eligibility criterion"): the investigator only. An admin is a system role (users, approvals of
# rule sets), not a clinician attesting eligibility, so an admin does not sign; an admin who is also the site's
# investigator has a second account with this role. For the verification routes' lines in ROUTE_ROLES.
INVESTIGATORS = frozenset({"investigator"})
# Every endpoint must be listed: an endpoint missing here is refused (and a test fails).
ROUTE_ROLES = {
    "static": PUBLIC, "health.healthz": PUBLIC, "health.readyz": PUBLIC,
    "openapi.openapi_json": PUBLIC, "openapi.docs": PUBLIC, "auth.login": PUBLIC, "auth.login_submit": PUBLIC,
    # The language switch on every page, the sign-in page's too (it stores the account's choice when signed in).
    "language.switch": PUBLIC,
    "auth.logout": ANYONE, "auth.password": ANYONE, "auth.password_submit": ANYONE,
    "api.trials": ANYONE, "api.trial": ANYONE, "api.fields": ANYONE, "api.trial_approvals": ANYONE,
    "api.screen_one": SCREENERS, "api.screen_every_trial": SCREENERS,
    "api.patient": ANYONE, "api.void_screening": SCREENERS, "api.record_outcome": SCREENERS,  # a screener: their own
    "api.verification": ANYONE,  # read only (signing is web-only); a screener: the children they screened
    "form.index": SCREENERS, "form.screen_form": SCREENERS, "form.screen_submit": SCREENERS,
    "form.worksheet": SCREENERS,
    # A signed eligibility verification's PDF checklist (web/verification_pdf.py): whoever may read the verification.
    "verification_pdf.download": ANYONE,  # a screener: only a child they screened (enrolment.view)
    "form.kept_form": SCREENERS, "form.discard_kept": SCREENERS,
    "form.result": SCREENERS | AUDITORS, "form.result_record": SCREENERS | AUDITORS,
    "audit.index": ANYONE, "audit.rule_sets": ANYONE, "audit.rule_set": ANYONE,
    "audit.screenings": ANYONE, "audit.screening": ANYONE,  # a screener sees only their own
    "audit.export": AUDITORS, "audit.verify": AUDITORS,
    "audit.log_page": SEES_EVERYTHING, "audit.log_csv": SEES_EVERYTHING, "audit.log_png": SEES_EVERYTHING,
    "audit.log_monthly_csv": SEES_EVERYTHING, "audit.sponsor_export": SEES_EVERYTHING,
    # The screening log by child (web/children.py, form.rescreen/correct): a screener sees and acts on their own.
    "children.index": ANYONE, "children.child": ANYONE, "children.outcome_submit": SCREENERS,
    "children.void_form": SCREENERS, "children.void_submit": SCREENERS,
    "form.rescreen": SCREENERS, "form.correct": SCREENERS,
    "admin.index": ADMINS, "admin.add_user": ADMINS, "admin.set_status": ADMINS, "admin.set_role": ADMINS,
    "admin.reset_password": ADMINS,
    # Rule-set versions in force at the site (issue 26): everyone reads the amendment history; an admin or the
    # investigator (who holds the ethics committee's approval for the site) records an ethics decision.
    "approvals.index": ANYONE, "approvals.record": ADMINS | INVESTIGATORS,
    # Enrolment-day eligibility verification (issue 26, web/verification.py): everyone reads a checklist and a signed
    # one (a screener: of the children they screened; the screener prepares the data), only an investigator signs or
    # records a protocol deviation.
    "verification.checklist": ANYONE, "verification.signed": ANYONE,
    "verification.sign": INVESTIGATORS, "verification.deviation": INVESTIGATORS,
    # Review before use (issue 28, web/rules_review.py): everyone reads each rule set's standing and its criteria
    # beside their source; only an investigator records a review or a comment: checking the encoding against the
    # protocol's words is a clinical judgement (as signing a verification is), not a system role's.
    "rules_review.index": ANYONE, "rules_review.rule_set": ANYONE,
    "rules_review.comment": INVESTIGATORS, "rules_review.record_review": INVESTIGATORS,
    # CDS Hooks (web/cds_hooks.py): no session or token of this app, but every call is refused (a bare 401) without
    # the registered EHR's signed JWT, checked by the blueprint itself.
    "cds_hooks.discovery": PUBLIC, "cds_hooks.call": PUBLIC, "cds_hooks.feedback": PUBLIC,
    # Reviewed rule sets as FHIR (web/fhir_publish.py): not patient data, so every signed-in role, as api.trial.
    "fhir_publish.read_study": ANYONE, "fhir_publish.read_group": ANYONE, "fhir_publish.search_studies": ANYONE,
}
UNKNOWN_USER = "(unknown user)"  # a failed sign-in's actor and subject when no account has the typed name
# What a user whose password must be replaced (the generated first admin's) may reach before replacing it.
_WHILE_CHANGING = frozenset({"auth.password", "auth.password_submit", "auth.logout"})


def accounts() -> Accounts:
    return Accounts(get_store())


def current() -> Principal | None:
    return g.get("principal")


def signed_in() -> Principal:
    """The principal of a request the sign-in check let through (every view but sign-in and the health checks)."""
    principal = current()
    if principal is None:
        raise LookupError("no principal: a view behind the sign-in check was reached without one")
    return principal


def sees_everything() -> bool:
    """Whether the signed-in role reads every child's screenings (SEES_EVERYTHING), else only the user's own."""
    principal = current()
    return principal is not None and principal.role in SEES_EVERYTHING


def _wants_json() -> bool:
    return request.path.startswith(("/api/", "/fhir/")) or request.authorization is not None


def init_app(app) -> None:
    @app.before_request
    def authenticate():
        g.principal = None
        if request.environ.get(TOO_LARGE):
            abort(413)
        if request.endpoint is None:
            return None  # 404/405 follow
        roles = ROUTE_ROLES.get(request.endpoint)
        if roles is None:
            return problem(403, "Forbidden", "this route has no access rule")
        if roles is PUBLIC:
            # Credentials are not needed here, so they are not read: a stale or wrong token must not turn a
            # health check, the docs or the sign-in page into a 401 (and /healthz never touches the database).
            return None
        header = request.headers.get("Authorization", "")
        if header.startswith("Bearer "):
            # Neither look-up nor count takes a write lock: the token is cached for TOKEN_CACHE_SECONDS, the count
            # kept in this process and flushed into the shared counter by the group commit (audit/_meter.py).
            g.principal = get_token_cache().principal(header[7:].strip())
            if g.principal is None:
                return _unauthorised("the token is unknown, expired or revoked")
            limit = current_app.config["TOKEN_RATE_PER_MINUTE"]
            wait = get_committer().take(g.principal.via, limit, 60)
            if wait:
                response = problem(429, "Too Many Requests", f"this token's limit of {limit:,} requests a minute is "
                                   "reached; slow down")
                response.headers["Retry-After"] = str(max(1, int(wait + 0.999)))
                return response
        elif session.get("user") and request.blueprint != "api":
            # The API is CSRF-exempt, so it must not honour the browser's cookie: bearer tokens only.
            g.principal = accounts().user(session["user"])
            if g.principal is None or session.get("generation") != g.principal.session_generation:
                g.principal = None  # signed out (or disabled) on the server: the cookie no longer counts
                session.clear()
            else:
                session.permanent = True  # idle timeout: PERMANENT_SESSION_LIFETIME, renewed by each request
                if g.principal.must_change_password and request.endpoint not in _WHILE_CHANGING:
                    return redirect(url_for("auth.password"))
        if g.principal is None:
            if request.endpoint == "form.screen_submit":  # a form sent after its session ended: keep what it holds
                kept = keep_unsent_form()
                if kept is not None:
                    return kept
            return _unauthorised("sign in, or send an API token as Authorization: Bearer <token>")
        if g.principal.role not in roles:
            return problem(403, "Forbidden", f"the {g.principal.role} role may not use this")
        return None

    @app.after_request
    def headers(response: Response) -> Response:
        for name, value in security_headers(request.is_secure).items():
            response.headers.setdefault(name, value)
        if response.status_code == 405 and "Allow" not in response.headers:
            # RFC 9110 requires Allow on a 405; the problem+json error handler builds a fresh response without it.
            adapter = current_app.create_url_adapter(request)  # None only outside a request
            if adapter is not None:
                response.headers["Allow"] = ", ".join(sorted(adapter.allowed_methods()))
        return response


def _unauthorised(detail: str):
    if _wants_json():
        response = problem(401, "Unauthorized", detail)
        response.headers["WWW-Authenticate"] = 'Bearer realm="screener"'
        return response
    return redirect(url_for("auth.login", next=request.full_path if request.method == "GET" else None))


def safe_next(target: str | None) -> str | None:
    r"""target if it is a path on this service, else None.

    Browsers drop tabs and newlines from URLs and read a backslash as a slash, so "/\t/evil.example" and
    "/\\evil.example" are both "//evil.example", another site: any control character, whitespace or backslash
    is refused, as is anything with a scheme or a host.
    """
    if not target or len(target) > 2000 or not target.startswith("/") or target.startswith("//"):
        return None
    if any(ch == "\\" or ch.isspace() or ord(ch) < 32 or 127 <= ord(ch) < 160 for ch in target):
        return None
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else None


@bp.get("/login")
def login():
    return render_template("login.html", error=None, next=safe_next(request.args.get("next")) or "")


def _client() -> str:
    return request.remote_addr or "unknown"


def _refused(message: str, retry_after: float, target: str, status: int = 429) -> Response:
    response = Response(render_template("login.html", error=message, next=target), status=status)
    response.headers["Retry-After"] = str(max(1, int(retry_after + 0.999)))
    return response


# The "known browser" cookie: which user last signed in from this browser. It grants no access, only a place in
# a reserved sign-in budget for that username; signed with the app's key, so it cannot be made up.
KNOWN_COOKIE = "signin_known"
_KNOWN_SALT = "screener-signin-known"


def _known_serializer() -> URLSafeTimedSerializer:
    key = current_app.secret_key
    if key is None:  # create_app always sets one (instance/secret_key when SECRET_KEY is not given)
        raise RuntimeError("the app has no secret key")
    return URLSafeTimedSerializer(key, salt=_KNOWN_SALT)


def _known_browser(username: str) -> bool:
    """Whether this browser signed in as `username` within LOGIN_KNOWN_DAYS."""
    cookie = request.cookies.get(KNOWN_COOKIE)
    if not cookie or not username or len(cookie) > 500:
        return False
    try:
        known = _known_serializer().loads(cookie, max_age=current_app.config["LOGIN_KNOWN_DAYS"] * 86400)
    except BadSignature:  # also an expired one (SignatureExpired is a BadSignature)
        return False
    return known == username


def _remember_browser(response: BaseResponse, username: str) -> None:
    response.set_cookie(
        KNOWN_COOKIE,
        _known_serializer().dumps(username),
        max_age=current_app.config["LOGIN_KNOWN_DAYS"] * 86400,
        path=url_for("auth.login"),
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        httponly=True,
        samesite="Strict",
    )


@contextmanager
def _hashing_slot(known: bool = False):
    """True while this request holds one of the host's few password-hashing slots, False when all are taken.

    scrypt is made to be slow and memory-hungry: with every worker hashing, nothing answers health checks. The
    slots are file locks in the instance folder, so they bound every worker process of this host together;
    a request that finds them all taken is refused at once rather than waiting and holding its worker. A known
    browser (see _known_browser) may also take a reserved slot, which a flood of unknown clients never holds.
    """
    names = [f"signin-{slot}" for slot in range(current_app.config["LOGIN_CONCURRENT_HASHES"])]
    if known:
        names = [f"signin-known-{slot}" for slot in range(current_app.config["LOGIN_RESERVED_HASHES"])] + names
    for name in names:
        fd = os.open(os.path.join(current_app.instance_path, f"{name}.lock"), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        try:
            yield True
        finally:
            os.close(fd)  # closing releases the lock
        return
    yield False


@bp.post("/login")
def login_submit():
    username = (request.form.get("username") or "").strip().lower()[:64]
    password = request.form.get("password") or ""
    target = safe_next(request.form.get("next")) or ""
    config, client = current_app.config, _client()
    limits = Limits(get_store())
    # Cheapest refusals first; none of them hashes a password or writes the audit trail.
    locked = limits.locked_for(username, client)
    if locked:
        return _refused(
            _("Too many failed attempts for this username from here: wait %(minutes)s minutes.",
              minutes=int(locked // 60) + 1),
            locked,
            target,
        )
    # A browser that signed in as this user before has the username's own budget instead of its address's and
    # everyone's: a flood from many addresses can spend those, but not this one (it needs the signed cookie).
    known = _known_browser(username)
    budgets = (
        ((f"signin:known:{username}", config["LOGIN_KNOWN_ATTEMPTS_PER_MINUTE"]),)
        if known
        else (
            (f"signin:client:{client}", config["LOGIN_ATTEMPTS_PER_CLIENT_PER_MINUTE"]),
            ("signin:all", config["LOGIN_ATTEMPTS_PER_MINUTE"]),
        )
    )
    for what, limit in budgets:
        wait = limits.take(what, limit, 60, prune=what == "signin:all")
        if wait:
            return _refused(_("Too many sign-in attempts: wait a minute and try again."), wait, target)
    with _hashing_slot(known) as slot:
        if not slot:
            # 429, not 503: the service is up; what is refused is one more sign-in while others are being checked.
            return _refused(_("Too many sign-ins at this moment: try again in a second."), 1, target)
        principal = accounts().authenticate(username, password)
    if principal is None:
        limits.failed(
            username,
            client,
            config["LOGIN_FAILURES_ALLOWED"],
            config["LOGIN_LOCKOUT_SECONDS"],
            config["LOGIN_LOCKOUT_MAX_SECONDS"],
        )
        # What was typed is kept only when it names an account: otherwise it may be a password typed into the
        # wrong field, and the trail is append-only and exported to auditors.
        who = username if accounts().exists(username) else UNKNOWN_USER
        get_store().note(f"login:{who}", "login.failed", who, {})
        return Response(render_template("login.html", error=_("Wrong username or password."), next=target), status=401)
    limits.succeeded(username, client)
    # A form kept from this browser when its session ended opens again, for the user who typed it only.
    kept = kept_for(principal.username, session.get(KEPT))
    session.clear()
    session["user"] = principal.username
    session["generation"] = principal.session_generation
    session.permanent = True
    get_store().note(principal.actor, "login", principal.username, {})
    if principal.must_change_password:
        response = redirect(url_for("auth.password"))  # the form index then lists the kept form
    elif kept:
        response = redirect(url_for("form.kept_form", draft_id=kept))
    else:
        response = redirect(target or url_for(_home(principal.role)))
    _remember_browser(response, principal.username)
    return response


def _home(role: str) -> str:
    """Where a sign-in lands: the form for those who screen (an investigator too), the history for an auditor."""
    return "form.index" if role in ROUTE_ROLES["form.index"] else "audit.screenings"


def _password_page(error: str | None = None, status: int = 200) -> Response:
    forced = signed_in().must_change_password
    return Response(render_template("password.html", error=error, forced=forced), status=status)


@bp.get("/password")
def password():
    return _password_page()


@bp.post("/password")
def password_submit():
    from ..audit import AccountError

    principal = signed_in()
    wait = Limits(get_store()).take(f"password:{principal.username}", 5, 60)
    if wait:
        return _password_page(_("Too many attempts: wait a minute."), 429)
    if request.form.get("new_password", "") != request.form.get("repeat_password", ""):
        return _password_page(_("The two new passwords differ."), 422)
    with _hashing_slot() as slot:
        if not slot:
            return _password_page(_("Too many sign-ins at this moment: try again in a second."), 429)
        try:
            changed = accounts().change_password(
                principal.username,
                request.form.get("current_password", ""),
                request.form.get("new_password", ""),
                principal.actor,
            )
        except AccountError as exc:
            return _password_page(str(exc)[:1].upper() + str(exc)[1:] + ".", 422)
    session["generation"] = changed.session_generation  # this session goes on; every other one ended
    if changed.username == "admin":  # the generated first password, if it was left in a file, is now void
        path = os.path.join(current_app.instance_path, FIRST_ADMIN_PASSWORD_FILE)
        if os.path.exists(path):
            os.remove(path)
    return redirect(url_for(_home(changed.role)))


@bp.post("/logout")
def logout():
    principal = current()
    session.clear()
    if principal is not None:
        accounts().end_sessions(principal.username)  # a copy of the cookie must not outlive the sign-out
        get_store().note(principal.actor, "logout", principal.username, {})
    return redirect(url_for("auth.login"))
