"""The errors below the web layer: where in the input a problem is, and the record that cannot be screened."""


class InvalidRecord(ValueError):
    """A record that cannot be screened. errors: [{"field": path, "message": text}], never the submitted values."""

    def __init__(self, errors: list[dict[str, str]]):
        self.errors = errors
        super().__init__("; ".join(f"{e['field']}: {e['message']}" for e in errors))


_CONDITION_TAGS = {"all", "anyof", "not", "window", "atleastdaysago", "multiple", "oneof", "compare"}


def error_path(loc: tuple) -> str:
    """A pydantic location as a path like criteria[3].logic.any[0].value.

    pydantic puts the chosen union member's tag into the location; a reader of the YAML never wrote it, so it is
    dropped: a condition tag where a condition sits, a member type name after a union-typed field.
    """
    path, previous = "", None
    for part in loc:
        if isinstance(part, str):
            in_condition_slot = previous in ("logic", "not") or isinstance(previous, int)
            if in_condition_slot and part in _CONDITION_TAGS:
                previous = "<tag>"
                continue
            if previous in ("value", "of") and (part in ("float", "bool", "str", "Limit") or part.startswith("literal[")):
                continue
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
        previous = part
    return path


def validation_message(error: dict) -> str:
    # pydantic's JSON-error messages can quote the input ("Invalid JSON: ... at line 1 column 9"); its "type"
    # and fixed messages cannot. Value errors raised by our validators never include the value.
    if error["type"] == "json_invalid":
        return "not valid JSON"
    return error["msg"].removeprefix("Value error, ")
