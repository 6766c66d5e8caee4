"""The one JSON reader for every body and file (native records, FHIR Bundles; API, CLI, batch): UTF-8, no
byte-order mark, no key given twice.

RFC 8259 and FHIR R4 (JSON format: "UTF-8", "objects SHALL NOT have duplicate keys") say the same; Python's
json.loads would take UTF-16 and UTF-32 bytes, skip a byte-order mark and keep the last of two equal keys (a
duplicated birth_date then flipped a verdict). The hook records each object that held a key twice, and only then
is the parsed value walked to name where, so a well-formed body costs no second pass.
"""
import json
from typing import Any

from .errors import FieldError, InvalidRecord

_BOM = "\ufeff"


class _Repeated(dict):
    """An object in which a key was given more than once: the keys that were."""

    repeated: list[str]


def load_json(raw: str | bytes, where: str = "(body)") -> Any:
    """raw parsed as strict JSON; otherwise InvalidRecord naming the body (not UTF-8), `where` (not JSON) or each
    repeated key's path, never a value. NaN and Infinity are parsed as numbers so that the model names the field
    that holds one."""
    if isinstance(raw, (bytes, bytearray)):
        try:
            raw = bytes(raw).decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidRecord([FieldError(("(body)",), "not UTF-8 text: send JSON encoded as UTF-8")]) from None
    if "\x00" in raw:  # never in JSON text, even inside a string: UTF-16 or UTF-32 without a byte-order mark
        raise InvalidRecord([FieldError(("(body)",), "not UTF-8 text: send JSON encoded as UTF-8")])
    if raw.startswith(_BOM):  # RFC 8259 8.1: a parser may ignore it; FHIR and this service take none
        raise InvalidRecord([FieldError(("(body)",), "starts with a byte-order mark: send JSON without one")])
    found: list[_Repeated] = []

    def pairs(items: list[tuple[str, Any]]) -> dict:
        data = dict(items)
        if len(data) == len(items):
            return data
        repeated = _Repeated(data)
        seen: set[str] = set()
        repeated.repeated = []
        for k, _ in items:
            if k in seen:
                repeated.repeated.append(k)
            seen.add(k)
        found.append(repeated)
        return repeated

    try:
        data = json.loads(raw, object_pairs_hook=pairs)
    except (ValueError, RecursionError):  # the message can quote the input, so it is not passed on
        raise InvalidRecord([FieldError((where,), "not valid JSON")]) from None
    if found:
        raise InvalidRecord(
            [FieldError((*path, key), "key given more than once") for path, key in _repeated_keys(data)]
        )
    return data


def _repeated_keys(data: Any) -> list[tuple[tuple[str | int, ...], str]]:
    """Where the objects with a repeated key are, in document order (iterative: no recursion limit to meet)."""
    out: list[tuple[tuple[str | int, ...], str]] = []
    stack: list[tuple[tuple[str | int, ...], object]] = [((), data)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, _Repeated):
            out += [(path, key) for key in dict.fromkeys(node.repeated)]
        children = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        stack += reversed([((*path, k), v) for k, v in children])
    return out
