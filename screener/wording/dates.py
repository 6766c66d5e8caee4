"""Dates as people read them whatever their locale's order: 18 Nov 2026."""
from datetime import date
from functools import lru_cache

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@lru_cache(maxsize=4096)  # a screening spells the same few dates (as-of, draw days) a few dozen times
def when(day: date | None) -> str:
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}" if day else ""
