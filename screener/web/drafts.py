"""Nothing typed is lost when a session ends mid-entry (issue 25, point 6).

A session ends after 30 idle minutes, at sign-out (in any tab: it ends all of that user's sessions) and when an
admin resets the password or disables the user. A form sent after that arrives without a session: it cannot be
screened, and its CSRF token (bound to the session) cannot be checked. So every screening form carries a second
hidden field, a draft token: signed with the app's key, naming the user it was shown to and a random draft id,
valid for FORM_DRAFT_HOURS. A form that arrives without a session but with a valid draft token, sent from this
service's own page (Sec-Fetch-Site / Origin), is kept as a draft of that user, encrypted (audit.Drafts), and the
browser is sent to sign in with a message; signing in again as that user opens the form with everything typed
in it. A cross-site request cannot plant a draft for somebody else: it cannot read their token (and it is
refused by origin first); a token of the attacker's own plants a draft only the attacker can open.
"""
import re
import secrets

from flask import current_app, g, redirect, request, session, url_for
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.wrappers import Response

from ..audit import Drafts
from ..rules import load_rule_sets
from .storage import get_store

_SALT = "screener-form-draft"
KEPT = "kept_draft"  # in the (signed) session cookie: the draft kept from this browser; an id, never a value
LOST = "draft_lost"  # the form arrived after its session ended and could not be kept
# The form's own bookkeeping, not what was typed (draft_id: which kept form a restored page came from).
_NOT_KEPT = frozenset({"csrf_token", "draft_token", "action", "draft_id"})
_ID = re.compile(r"[0-9a-f]{32}")
ALL = "all"  # the form's "all trials" choice


def drafts() -> Drafts:
    return Drafts(get_store())


def _serializer() -> URLSafeTimedSerializer:
    key = current_app.secret_key
    if key is None:  # create_app always sets one
        raise RuntimeError("the app has no secret key")
    return URLSafeTimedSerializer(key, salt=_SALT)


def draft_token() -> str:
    """The hidden field of a screening form: who it was shown to and the id its draft would have."""
    principal = g.get("principal")
    if principal is None or principal.via != "session":  # an API token's caller has no session to lose
        return ""
    return _serializer().dumps({"u": principal.username, "d": secrets.token_hex(16)})


def _owner(token: str) -> tuple[str, str] | None:
    """(username, draft id) of a draft token this service signed within FORM_DRAFT_HOURS, else None."""
    if not token or len(token) > 500:
        return None
    try:
        payload = _serializer().loads(token, max_age=int(current_app.config["FORM_DRAFT_HOURS"] * 3600))
    except BadSignature:  # also an expired one
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("u"), str) or not _ID.fullmatch(
            str(payload.get("d"))):
        return None
    return payload["u"], payload["d"]


def _from_this_site() -> bool:
    """Whether the browser says the form was sent from one of this service's pages (every current browser sends
    Sec-Fetch-Site, and Origin on a POST). Without either header the signed token alone decides."""
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        return fetch_site == "same-origin"
    origin = request.headers.get("Origin")
    return origin is None or origin.rstrip("/") == request.host_url.rstrip("/")


def keep_unsent_form() -> Response | None:
    """For a screening form sent without a session: keep it for its user and send the browser to sign in; None
    when the request is not one this keeps (the caller answers it as any unauthenticated request)."""
    if request.method != "POST" or request.authorization is not None or not _from_this_site():
        return None
    owner = _owner(request.form.get("draft_token", ""))
    if owner is None:
        session[LOST] = True  # a form of ours (same origin) whose token expired: say what happened
        return redirect(url_for("auth.login"))
    username, draft_id = owner
    from .input_guard import control_characters

    fields = {name: value for name, value in request.form.items() if name not in _NOT_KEPT}
    trial = fields.get("trial", "")
    size = sum(len(name) + len(value) for name, value in fields.items())
    known_trial = trial == ALL or trial in load_rule_sets()
    if control_characters() or not known_trial or size > current_app.config["FORM_DRAFT_MAX_CHARS"]:
        session[LOST] = True  # the form itself would refuse it: nothing worth keeping
        return redirect(url_for("auth.login"))
    config = current_app.config
    drafts().keep(draft_id, username, trial, fields, config["FORM_DRAFT_HOURS"], config["FORM_DRAFTS_PER_USER"])
    previous = request.form.get("draft_id", "")
    if _ID.fullmatch(previous) and previous != draft_id:
        drafts().discard(previous, username)  # a restored form kept again: the newer copy replaces it
    session.pop(LOST, None)
    session[KEPT] = draft_id
    return redirect(url_for("auth.login"))


def kept_for(username: str, draft_id: str | None) -> str | None:
    """draft_id when it names an unexpired draft of this user (the one kept from this browser), else None."""
    if not draft_id or not _ID.fullmatch(draft_id):
        return None
    return draft_id if any(kept.id == draft_id for kept in drafts().kept(username)) else None
