"""The screening log as a CONSORT-style flow diagram: the boxes, their words and places, drawn by audit/_consort.html.

Children screened at the top (each child's counted screening: voided, corrected and earlier screenings of a
child screened again are listed, not counted); the eligible at the bottom of the main line; each way out of it
(ineligible by first failing criterion, any further verdict, incomplete by open item) in a box to the right, with
counts; below, what became of the children (their latest outcome).
"""
import textwrap
from dataclasses import dataclass, field

from ..audit import NOT_COUNTED
from ..model.children import NOT_ENROLLED_REASONS, OUTCOMES
from .i18n import N_
from .verdicts import verdict_view

LINE = 17  # px between text lines (12.5 px type)
PAD = 10
MAIN_X, MAIN_W = 16, 210
SIDE_X, SIDE_W = 290, 400
WRAP = 52  # characters that fit SIDE_W at that type size
WIDTH = SIDE_X + SIDE_W + 16


@dataclass
class Box:
    x: int
    y: int
    width: int
    heading: str
    count: int
    tone: str
    lines: list[str] = field(default_factory=list)  # below the heading, already wrapped

    @property
    def height(self) -> int:
        return PAD * 2 + LINE * (1 + len(self.lines)) + 4


@dataclass
class Flow:
    screened: Box
    eligible: Box
    exits: list[Box]
    note: str
    outcomes: Box | None = None

    @property
    def height(self) -> int:
        last = self.outcomes or self.eligible
        return last.y + last.height + 16

    @property
    def spine_x(self) -> int:
        return MAIN_X + MAIN_W // 2


def _entries(pairs: list[tuple[str, int]]) -> list[str]:
    lines = []
    for words, count in pairs:
        lines += textwrap.wrap(f"{count} · {words}", WRAP, subsequent_indent="    ")
    return lines


def flow(log) -> Flow:
    """Lay out a ScreeningLog; every count comes from it, criteria named by title and id."""
    not_counted = [f"{n} {NOT_COUNTED[k]}" for k, n in sorted(log.not_counted.items())]
    screened = Box(MAIN_X, 16, MAIN_W, N_("Children screened"), log.screened, "neutral",
                   [log.trial_id, N_("each child counted once:"), N_("latest screening, not voided"),
                    N_("or corrected")])
    tally = [f"{log.screenings} screenings recorded; not counted:"] + (_entries_plain(not_counted) or ["    none"])
    y = screened.y + screened.height + 24
    exits = []
    failing = [(f"{log.titles.get(cid, cid)} ({cid})", log.ineligible_by_first_fail[cid])
               for cid in log.order if log.ineligible_by_first_fail[cid]]
    boxes = [("ineligible", log.ineligible, [N_("by first failing criterion, in protocol order:")] + _entries(failing))]
    boxes += [(verdict, n, []) for verdict, n in sorted(log.other.items())]
    boxes.append(("incomplete", log.incomplete, [N_("by open item (a screening counts under each of its items):")]
                  + _entries(log.incomplete_by_item.most_common())))
    for verdict, count, lines in boxes:
        view = verdict_view(verdict)
        box = Box(SIDE_X, y, SIDE_W, view.words.capitalize(), count, view.tone, lines)
        exits.append(box)
        y += box.height + 16
    eligible = Box(MAIN_X, y + 8, MAIN_W, N_("Eligible"), log.eligible, "pass", [N_("every criterion passes")])
    note = N_("adds up") if log.adds_up() else N_("DOES NOT ADD UP")
    recorded = sum(n for k, n in log.outcomes.items() if k != "none")
    words = [(OUTCOMES[k], log.outcomes[k]) for k in OUTCOMES if log.outcomes[k]]
    words += [(f"not enrolled: {NOT_ENROLLED_REASONS[k]}", n) for k, n in sorted(log.not_enrolled.items())]
    words += [("no outcome recorded yet", log.outcomes["none"])] if log.outcomes["none"] else []
    outcomes = Box(MAIN_X, eligible.y + eligible.height + 24, SIDE_X + SIDE_W - MAIN_X, N_("Outcomes recorded"),
                   recorded, "neutral",
                   [N_("the latest outcome of each child counted above:")] + _entries(words) + tally)
    return Flow(screened, eligible, exits, note, outcomes)


def _entries_plain(lines: list[str]) -> list[str]:
    return [wrapped for line in lines for wrapped in textwrap.wrap(line, WRAP, initial_indent="    ",
                                                                   subsequent_indent="      ")]
