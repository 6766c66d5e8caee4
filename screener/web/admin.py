"""User management for admins: list, add, disable, enable, reset a password, change a role.

Each action is the Accounts method `screener users …` calls (one code path, one audit event each, chained with
the change it records); the web adds only the form, its CSRF token (Flask-WTF, as every form) and the words.
A password the service generates (a new user's, a reset one) is shown once on the page that answers the POST,
never stored in the session cookie, never cached, and the user replaces it at the next sign-in.
"""
from flask import Blueprint, Response, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response as WerkzeugResponse

from ..audit import ROLES, AccountError
from .auth import accounts, signed_in
from .i18n import N_

bp = Blueprint("admin", __name__, url_prefix="/admin")
_DONE = "admin_done"  # the last action's outcome, in words with no secret in them, shown once by the next GET


def _page(error: str | None = None, password_for: tuple[str, str] | None = None, status: int = 200) -> Response:
    done = session.pop(_DONE, None)
    page = render_template("admin.html", users=accounts().users(), tokens=accounts().tokens(), roles=ROLES,
                           me=signed_in().username, error=error, done=done, password_for=password_for)
    response = Response(page, status=status)
    if password_for:
        response.headers["Cache-Control"] = "no-store"  # a generated password must not stay in a cache
    return response


def _refused(exc: AccountError) -> Response:
    return _page(str(exc)[:1].upper() + str(exc)[1:] + ".", status=422)


def _done(message: str) -> WerkzeugResponse:
    session[_DONE] = message
    return redirect(url_for("admin.index"), code=303)


@bp.get("")
def index():
    return _page()


@bp.post("/users")
def add_user():
    username = (request.form.get("username") or "").strip().lower()
    role = request.form.get("role", "")
    try:
        # Generated (as `screener users add`): the admin sees it, so the user chooses their own at first sign-in.
        password = accounts().create_user(username, role, None, signed_in().actor, must_change=True)
    except AccountError as exc:
        return _refused(exc)
    return _page(password_for=(username, password))


def _changed(change, message: str) -> Response | WerkzeugResponse:
    try:
        change()
    except AccountError as exc:
        return _refused(exc)
    return _done(message)


@bp.post("/users/<username>/status")
def set_status(username: str):
    active = request.form.get("active") == "yes"
    return _changed(lambda: accounts().set_active(username, active, signed_in().actor),
                    f"{username} is {'enabled' if active else 'disabled: their sessions and tokens stop working'}.")


@bp.post("/users/<username>/role")
def set_role(username: str):
    role = request.form.get("role", "")
    return _changed(lambda: accounts().set_role(username, role, signed_in().actor), f"{username} is now {role}.")


@bp.post("/users/<username>/password")
def reset_password(username: str):
    if username == signed_in().username:  # it would sign this admin out with a password only this page shows
        return _page(N_("Your own password is changed on the Change password page, with your current one."), status=422)
    try:
        password = accounts().reset_password(username, signed_in().actor)
    except AccountError as exc:
        return _refused(exc)
    return _page(password_for=(username, password))
