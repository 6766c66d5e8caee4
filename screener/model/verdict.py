"""A criterion's status and a screening's verdict, declared once: their JSON words and how people read them.

Both are str-valued enums (StrEnum): a member is its JSON word ("pass", "no_known_exclusion"), equal to it, hashed
as it, formatted and printed as it, so reports, the audit store's verdict column, the CSV files, the trail's hashes
and what a Python caller prints keep the same strings. In strict pydantic models the JSON word validates; in Python
only a member does.
"""
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

from .fields import value_words

DRAFT_LABEL = "DRAFT RULES"  # every output of a screening under a rule set still marked status: draft says it


class Sayer(Protocol):
    """Words a sentence in the reader's language (wording.sentences.Sentences; English as written by default)."""

    def say(self, msgid: str, /, **values) -> str: ...

    def count(self, singular: str, plural: str, n: int, /, **values) -> str: ...


class _English:
    """The sentences as written: English is the catalogues' source language."""

    @staticmethod
    def say(msgid: str, /, **values) -> str:
        return msgid % values

    @staticmethod
    def count(singular: str, plural: str, n: int, /, **values) -> str:
        return (singular if n == 1 else plural) % {"n": n, **values}


ENGLISH = _English()


class _Word(StrEnum):
    def __repr__(self) -> str:
        # As the word, like the plain strings these were: a printed tuple or report reads ('X', 'eligible').
        return repr(self.value)


class Status(_Word):
    """A criterion's outcome: pass, fail, or unknown (the data given does not settle it)."""

    PASS = "pass"
    FAIL = "fail"
    UNKNOWN = "unknown"

    @property
    def label(self) -> str:
        """The word on the page and on the command line: PASS, FAIL, UNKNOWN."""
        return self.value.upper()

    @property
    def tone(self) -> str:
        """How a page marks it (status-pass …); words and a symbol carry it too, never colour alone."""
        return self.value


class Verdict(_Word):
    """A screening's overall outcome, best first. eligible: every criterion passes. no_known_exclusion: every
    criterion of a partial rule set passes; eligibility cannot be claimed. incomplete: none fails, some cannot be
    judged yet. ineligible: a criterion fails."""

    label: str  # the words on the banner, in tables and on the command line's VERDICT line
    tone: str  # a Status tone, or "partial": how a page marks it
    passing: bool  # every encoded criterion passes: a candidate whatever the disease (candidates.py)
    rank: int  # the position in this declaration, 0 the best: the one order of candidates, batch files, filters

    def __new__(cls, value: str, label: str, tone: str, passing: bool):
        member = str.__new__(cls, value)
        member._value_ = value
        member.label, member.tone, member.passing = label, tone, passing
        member.rank = len(cls._member_names_)
        return member

    if TYPE_CHECKING:
        # What a caller writes: Verdict("eligible") looks a member up by its word (the enum machinery never calls
        # __new__ for that); __new__ above only builds the members declared below.
        def __init__(self, value: str) -> None: ...

    ELIGIBLE = "eligible", "ELIGIBLE", Status.PASS.tone, True
    # Every criterion of a PARTIAL rule set passes. Never "eligible": the source's other criteria are not encoded,
    # so eligibility cannot be claimed.
    NO_KNOWN_EXCLUSION = "no_known_exclusion", "NO KNOWN EXCLUSION — PARTIAL", "partial", True
    INCOMPLETE = "incomplete", "INCOMPLETE", Status.UNKNOWN.tone, False
    INELIGIBLE = "ineligible", "INELIGIBLE", Status.FAIL.tone, False

    @property
    def words(self) -> str:
        """The verdict in running text and in choices: "no known exclusion"."""
        return value_words(self.value)

    def line(self, criteria: int, draft: bool = False, complete: bool = False, words: Sayer = ENGLISH) -> str:
        """The verdict line (Report.verdict_text): the label; for a partial rule set also how many criteria it
        encodes, so the line never claims more than was judged. draft: screened under a rule set still marked
        draft (issue 28): the line opens with DRAFT RULES, and a passing one under a complete draft (complete) says
        why it is not an eligibility result. words: the reader's language (the labels are msgids of the reasons
        catalogue too)."""
        if draft:
            if self is Verdict.NO_KNOWN_EXCLUSION and complete:
                return words.say("%(draft)s — NO KNOWN EXCLUSION (unreviewed rules: not an eligibility result)",
                                 draft=words.say(DRAFT_LABEL))
            return words.say("%(draft)s — %(line)s", draft=words.say(DRAFT_LABEL),
                             line=self.line(criteria, words=words))
        if self is not Verdict.NO_KNOWN_EXCLUSION:
            return words.say(self.label)
        return words.count("%(label)s, %(n)s criterion encoded", "%(label)s, %(n)s criteria encoded", criteria,
                           label=words.say(self.label))
