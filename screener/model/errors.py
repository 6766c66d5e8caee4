"""The errors below the web layer: where in the input a problem is, and the record that cannot be screened.

One shape, FieldError: a path of names and list indexes, and a message that never quotes the submitted value.
The web layer turns them into RFC 9457 problem items (web/errors.py), the CLI into its error lines.
"""
from dataclasses import dataclass
from typing import Any, Mapping


class ScreenerError(Exception):
    """The base of every exception class this package defines: `except ScreenerError` catches what screener raises
    by design. Each subclass keeps its other bases (ValueError, KeyError, click's or SQLAlchemy's), so existing
    handlers catch it as before."""


@dataclass(frozen=True)
class FieldError:
    path: tuple[str | int, ...]  # ("history", "medications", 2, "dose"); a pseudo-field such as ("(body)",)
    message: str

    @property
    def field(self) -> str:
        """The path as people write it: history.medications[2].dose."""
        return render_path(self.path)


def render_path(path: tuple[str | int, ...]) -> str:
    """history.medications[2].dose; after a pseudo-field a space: "(derived record) observations[0].value"."""
    text = ""
    for i, part in enumerate(path):
        if isinstance(part, int):
            text += f"[{part}]"
        elif i == 0:
            text = str(part)
        else:
            text += (" " if i == 1 and text.startswith("(") else ".") + part
    return text


class InvalidRecord(ValueError, ScreenerError):
    """A record that cannot be screened: every problem found, as FieldErrors, never the submitted values."""

    def __init__(self, errors: list[FieldError]):
        self.errors = errors
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))


_CONDITION_TAGS = {"all", "anyof", "not", "window", "atleastdaysago", "multiple", "oneof", "compare"}


def clean_loc(loc: tuple) -> tuple[str | int, ...]:
    """A pydantic location as the path a reader wrote, like ("criteria", 3, "logic", "any", 0, "value").

    pydantic puts the chosen union member's tag into the location; a reader of the YAML never wrote it, so it is
    dropped: a condition tag where a condition sits, a member type name after a union-typed field.
    """
    path, previous = [], None
    for part in loc:
        if isinstance(part, str):
            in_condition_slot = previous in ("logic", "not") or isinstance(previous, int)
            if in_condition_slot and part in _CONDITION_TAGS:
                previous = "<tag>"
                continue
            if previous in ("value", "of") and (
                part in ("float", "bool", "str", "Limit") or part.startswith("literal[")
            ):
                continue
        path.append(part)
        previous = part
    return tuple(path)


def field_errors(error, fallback: str) -> list[FieldError]:
    """A pydantic ValidationError as FieldErrors (fallback names the whole input when pydantic gives no place)."""
    return [FieldError(clean_loc(e["loc"]) or (fallback,), validation_message(e)) for e in error.errors()]


# What pydantic says of these in JSON mode; validating parsed data it names Python types and model classes.
_JSON_WORDS = {
    "model_type": "Input should be an object",
    "dict_type": "Input should be an object",
    "list_type": "Input should be a valid array",
}


def validation_message(error: Mapping[str, Any]) -> str:
    # pydantic's JSON-error messages can quote the input ("Invalid JSON: ... at line 1 column 9"); its "type"
    # and fixed messages cannot. Value errors raised by our validators never include the value.
    if error["type"] == "json_invalid":
        return "not valid JSON"
    if error["type"] in _JSON_WORDS:  # validated as parsed data, worded as for JSON text (no class names)
        return _JSON_WORDS[error["type"]]
    return error["msg"].removeprefix("Value error, ")
