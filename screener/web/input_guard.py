"""Control characters in a URL, a query string or a form field are refused (422 naming the field) on every route,
before any handler can pass them to the database.

PostgreSQL refuses NUL in text: a NUL in the sign-in username or a screening id answered 503 "Database
Unavailable" and logged an error, an unauthenticated way to raise false outage alerts. No field of this service
needs a control character (model/text.py; JSON bodies are checked by their models).
"""
import re

from flask import Flask, request

from ..model.errors import FieldError
from ..model.text import has_control
from .errors import problem

_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
# The sign-in's return address: checked by auth.safe_next, which drops anything but a plain local path (control
# characters included) and never hands it to the database. Refusing it here would let a crafted sign-in link stop
# a person from signing in at all.
_DROPPED_WHEN_UNSAFE = frozenset({"next"})
# A field is named by what the client sent only when that is a plain name; otherwise by where it was.
_PLAIN_NAME = re.compile(r"[A-Za-z0-9_.\-\[\]]{1,80}")


def _named(name: str, where: str) -> str:
    return name if _PLAIN_NAME.fullmatch(name) else where


def control_characters() -> list[FieldError]:
    """Each URL part, query parameter and form field holding a control character (in its name or value)."""
    found = [FieldError((name,), "must not contain control characters")
             for name, value in (request.view_args or {}).items() if isinstance(value, str) and has_control(value)]
    if not found and has_control(request.path):  # a part no route variable holds (an unknown address)
        found.append(FieldError(("(path)",), "must not contain control characters"))
    fields = [("(query string)", request.args)]
    if request.mimetype in _FORM_TYPES:
        fields.append(("(form)", request.form))
    for where, values in fields:
        for name, value in values.items(multi=True):
            if name in _DROPPED_WHEN_UNSAFE:
                continue
            if has_control(name) or has_control(value):
                found.append(FieldError((_named(name, where),), "must not contain control characters"))
    return list({e.field: e for e in found}.values())


def init_app(app: Flask) -> None:
    @app.before_request
    def refuse_control_characters():
        found = control_characters()
        if found:
            return problem(422, "Invalid Input", "control characters are not accepted; see errors", found)
        return None
