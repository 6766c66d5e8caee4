"""Free text in a record: printable only. A NUL or other control character is refused, not stored."""
import unicodedata
from typing import Annotated

from pydantic import AfterValidator


def printable(text: str) -> str:
    # Category Cc: C0 (NUL, tab, newline, ...), DEL and C1. They truncate strings in C libraries, split log
    # lines and CSV rows, and no drug name, regimen or source label needs one.
    if any(unicodedata.category(ch) == "Cc" for ch in text):
        raise ValueError("must not contain control characters (NUL, tab, newline, ...)")
    return text


FreeText = Annotated[str, AfterValidator(printable)]
