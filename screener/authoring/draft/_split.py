"""Registry eligibility text into its items, line by line, so that v2 markdown and the legacy layout both work.

A header line ("Inclusion Criteria:", "KEY EXCLUSION CRITERIA") switches the section; each bullet ("* ", "- ",
"• ", "1. ", "2) ", "a. ", and the registry's own "3- ") starts an item, a deeper-indented bullet is a sub-point of
the bullet above it, a line that follows without a blank line continues it, and a free line ending in ":" is a
sub-heading kept as the group of the items under it. Several "5- ... 6- ..." items written on one line are split
where the numbering continues. Text before any header is kept as unclassified: nothing guesses its section.
An item's text is the source slice after its marker, with markdown escapes as they are.
"""
import re
from dataclasses import dataclass, replace

Section = str  # "inclusion", "exclusion" or "unclassified"

_HEADER = re.compile(
    r"^\s*(?:\*\*|#+\s*)?(?:key\s+|main\s+|general\s+)?(inclusion|exclusion|ineligibility)(?:\s+criteri(?:a|on)|s)?"
    r"\s*(?:\*\*)?\s*[:.\-–—]?\s*(?:\*\*)?\s*$",
    re.IGNORECASE,
)
# marker: a symbol bullet, a number with "." or ")" (markdown may escape the dot), the registry's "3-" style, or a
# single letter with "." or ")".
_ROMAN = r"(?:i{1,3}|iv|vi{0,3}|ix|xi{0,3}|I{1,3}|IV|VI{0,3}|IX|XI{0,3})"
_BULLET = re.compile(r"^(?P<indent>[ \t]*)(?P<marker>[*•+·▪◦○●■►–—o]|-(?=\s)|\\-(?=\s)|"
                     r"(?P<num>\d{1,3})(?:\\?[.)]|-)|"
                     r"\\?\((?:(?P<pnum>\d{1,3})|(?P<proman>" + _ROMAN + r")|(?P<pletter>[A-Za-z]))\\?\)|"
                     r"(?P<roman>" + _ROMAN + r")[.)]|(?P<letter>[A-Za-z])[.)])[ \t]+(?P<rest>\S.*)$")
# A header with the section's first words after it on the same line ("Exclusion Criteria: None").
_HEADER_INLINE = re.compile(
    r"^\s*(?:\*\*|#+\s*)?(?:key\s+|main\s+|general\s+)?(inclusion|exclusion|ineligibility)\s+criteria"
    r"\s*(?:\*\*)?\s*:\s*(?:\*\*)?[ \t]*(?P<rest>\S.*)$", re.IGNORECASE)
# A line that names a section with more words ("Donor Exclusion Criteria:", "Inclusion criteria for Part B"): it
# switches the section (both words or neither: nothing says which) and stands over the items as their sub-heading.
_QUALIFIED_HEADER = re.compile(r"\b(?:(?P<inclusion>inclusion)|(?P<exclusion>exclusion|ineligibility)|eligibility)"
                               r"\s+criteri(?:a|on)\b", re.IGNORECASE)
# An outline number ("2.1.", "3.2") under a numbered item: a sub-point of the item its prefix numbers. Read only where
# the numbering goes on (x.1 under a printed x, x.2 after x.1), so that a wrapped "1.5 x ULN" stays words.
_OUTLINE = re.compile(r"^(?P<indent>[ \t]*)(?P<outline>\d{1,3}(?:\.\d{1,3})+)\.?[ \t]+(?P<rest>\S.*)$")
# The next item of a "5- ... 6- ..." line: its number follows on from the previous one, after a sentence's end.
_INLINE_DASHED = re.compile(r"(?<=[.;:!?)])[ \t]+(\d{1,3})-[ \t]+(?=\S)")


@dataclass(frozen=True)
class Item:
    section: Section
    number: str | None  # as printed: "1", "3-", "a"; None for "*", "-" and free paragraphs
    text: str  # the source slice after the marker, continuation lines included, outer whitespace removed
    indent: int
    parent: int | None  # index of the item this one is a sub-point of (while splitting: its line)
    group: str | None  # the sub-heading it stands under, as printed
    line: int  # 1-based line of the source where it starts
    end: int = 0  # 1-based line of the source where it ends
    # Every sub-heading and qualified header above it since its section's header ("Donor Exclusion Criteria:",
    # then "Hematologic:"): a later one does not undo what an earlier one says of the items under both.
    headings: tuple[str, ...] = ()


def _has_words(text: str) -> bool:
    return any(ch.isalnum() for ch in text)


def _indent(text: str) -> int:
    return len(text.expandtabs(4)) - len(text.expandtabs(4).lstrip())


def _split_inline(number: str, text: str) -> list[tuple[str, str]]:
    """A "5- A. 6- B." line as its items, each with its number as printed ("5-", "6-")."""
    items, current, start = [], int(number), 0
    pieces: list[tuple[str, int, int]] = []  # (number, text start, text end)
    for match in _INLINE_DASHED.finditer(text):
        if int(match.group(1)) == current + 1:
            pieces.append((str(current), start, match.start()))
            current, start = current + 1, match.end()
    pieces.append((str(current), start, len(text)))
    for num, begin, end in pieces:
        items.append((f"{num}-", text[begin:end].strip()))
    return items


def split(text: str) -> list[Item]:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    items: list[Item] = []
    # An item being built: [section, number, first line's text, indent, parent, group, line, continuation lines,
    # headings]
    open_item: list | None = None
    section: Section = "unclassified"
    group: str | None = None
    headings: list[str] = []
    # The sub-headings and qualified headers no item has stood under yet, each as the item its words would make.
    waiting: list[Item] = []

    def settle_heading(new: Item | None) -> None:
        """Headings no item stood under before the next header or the end ("All patients must consent:" right
        before "Exclusion Criteria:") are items of their own: their words are not lost. A heading followed by
        another ("For Part B:", then "Hematologic:") still stands over the items under both."""
        close()
        if new is not None:
            waiting.append(new)
            return
        items.extend(waiting)
        waiting.clear()
    blank_before = False
    stack: list[tuple[int, int]] = []  # (indent, line) of the bullets a deeper one may hang under
    outline: dict[str, int] = {}  # the current top-level numbered item and its outline sub-points: number -> line

    def close():
        nonlocal open_item
        if open_item is None:
            return
        sect, number, first, indent, parent, grp, line, more, heads = open_item
        body = "\n".join([first, *more]).strip()
        open_item = None
        if not _has_words(body):
            return
        pieces = [(number, body)]
        if number is not None and number.endswith("-"):
            inline = _split_inline(number[:-1], body)
            if all(len(piece) >= _SHORTEST for _, piece in inline):
                pieces = inline
        for num, piece in pieces:
            if _has_words(piece):
                items.append(Item(sect, num, piece, indent, parent, grp, line, line + len(more), heads))
                waiting.clear()

    blanks: list[str] = []  # the blank lines since the last line with text, as they are
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            blank_before = True
            blanks.append(raw)
            continue
        between, blanks = blanks, []
        bullet = _BULLET.match(raw)
        # A header written as a bullet ("* Exclusion Criteria:") is still a header: its items are not its sub-points
        # in the section above it.
        header = _HEADER.match(bullet.group("rest") if bullet else raw)
        if header:
            settle_heading(None)
            word = header.group(1).lower()
            section = "inclusion" if word == "inclusion" else "exclusion"
            group, stack, outline, headings = None, [], {}, []
            blank_before = False
            continue
        inline = None if bullet else _HEADER_INLINE.match(raw)
        if inline and _has_words(inline.group("rest")):
            settle_heading(None)
            section = "inclusion" if inline.group(1).lower() == "inclusion" else "exclusion"
            group, stack, outline, headings = None, [], {}, []
            open_item = [section, None, inline.group("rest"), _indent(raw), None, None, number, [], ()]
            blank_before = False
            continue
        qualified = _QUALIFIED_HEADER.search(raw)
        if qualified and (blank_before or open_item is None) and len(raw.strip()) <= 100 and not _BULLET.match(raw) \
                and (raw.rstrip().endswith(":") or (len(raw.split()) <= 8 and not raw.rstrip().endswith("."))):
            both = bool(re.search(r"inclusion", raw, re.I)) and bool(re.search(r"exclusion|ineligib", raw, re.I))
            section = ("unclassified" if both or not (qualified.group("inclusion") or qualified.group("exclusion"))
                       else "inclusion" if qualified.group("inclusion") else "exclusion")
            settle_heading(None)  # a header: what waited in the section above is settled there
            settle_heading(Item(section, None, raw.strip(), _indent(raw), None, None, number, number))
            group, stack, outline, headings = raw.strip(), [], {}, [raw.strip()]
            blank_before = False
            continue
        sub = _OUTLINE.match(raw)
        if sub:
            *head, last = sub.group("outline").split(".")
            prefix = ".".join(head)
            follows = last == "1" or f"{prefix}.{int(last) - 1}" in outline
            if prefix in outline and follows:
                close()
                indent = _indent(sub.group("indent"))
                while stack and stack[-1][0] >= indent:
                    stack.pop()
                open_item = [section, sub.group("outline"), sub.group("rest"), indent, outline[prefix], group, number,
                             [], tuple(headings)]
                outline[sub.group("outline")] = number
                stack.append((indent, number))
                blank_before = False
                continue
        if bullet:
            close()
            indent = _indent(bullet.group("indent"))
            while stack and stack[-1][0] >= indent:
                stack.pop()
            parent = stack[-1][1] if stack else None
            printed = bullet.group("num")
            if printed is not None:
                printed += "-" if bullet.group("marker").endswith("-") else ""
            else:
                printed = next((bullet.group(name) for name in ("pnum", "proman", "pletter", "roman", "letter")
                                if bullet.group(name)), None)
            open_item = [section, printed, bullet.group("rest"), indent, parent, group, number, [], tuple(headings)]
            if bullet.group("num") is not None and parent is None:
                outline = {bullet.group("num"): number}
            stack.append((indent, number))
            blank_before = False
            continue
        stripped = raw.strip()
        indent = _indent(raw)
        continues = open_item is not None and (not blank_before or indent > open_item[3])
        if continues and open_item is not None:
            # The blank lines inside an item are part of its words: its text stays a slice of the source.
            open_item[7].extend([*between, raw])
        elif stripped.endswith(":") and section != "unclassified" and _has_words(stripped):
            settle_heading(Item(section, None, stripped, indent, None, group, number, number, tuple(headings)))
            group, stack = stripped, []
            headings.append(stripped)
        else:
            # A free paragraph: its own item (a record without bullets is one item per paragraph).
            close()
            stack = []
            open_item = [section, None, raw, indent, None, group, number, [], tuple(headings)]
        blank_before = False
    settle_heading(None)
    return _fix_parents(_join_short(items, lines))


_SHORTEST = 3  # a rule file's source words have at least this many characters
_CONNECTIVE = re.compile(r"^(?:or|and|and/or)$", re.IGNORECASE)


def _join_short(items: list[Item], lines: list[str]) -> list[Item]:
    """An item too short to be a criterion's source words ("OR" alone between two bullets) joined to the item before
    it (or, when it comes first, after it) as one slice of the source, so that nothing is lost and the "or" is read
    with its neighbours. Sub-points of a joined item hang under the item it joined."""
    items = list(items)
    moved: dict[int, int] = {}  # an item's line -> the line of the item it was joined to
    index = 0
    while index < len(items):
        item = items[index]
        if len(item.text) >= _SHORTEST and not _CONNECTIVE.match(item.text):
            index += 1
            continue
        pair = None
        for first, second in ((index - 1, index), (index, index + 1)):
            if 0 <= first and second < len(items):
                a, b = items[first], items[second]
                if (a.section, a.group, a.headings) == (b.section, b.group, b.headings) and a.end < b.line <= b.end:
                    pair = first, second
                    break
        if pair is None:
            # Nothing to join in its section ("Exclusion Criteria:" then "NA"): its words with the line above them.
            above = next((n for n in range(item.line - 1, 0, -1) if lines[n - 1].strip()), item.line)
            text = "\n".join(lines[above - 1:item.end]).strip()
            items[index] = replace(item, text=text)
            index += 1
            continue
        a, b = items[pair[0]], items[pair[1]]
        last = lines[a.end - 1]
        text = (a.text + last[len(last.rstrip()):] + "\n" + "\n".join(lines[a.end:b.end])).rstrip()
        items[pair[0]:pair[1] + 1] = [replace(a, text=text, end=b.end)]
        moved[b.line] = a.line
        index = pair[0]
    return [item if item.parent not in moved else
            replace(item, parent=moved[item.parent])
            for item in items]


def _fix_parents(items: list[Item]) -> list[Item]:
    """Each parent, held as the line its bullet started on, as the index of the item made from that line (none when
    that bullet held no words)."""
    first_on_line: dict[int, int] = {}
    for index, item in enumerate(items):
        first_on_line.setdefault(item.line, index)
    return [
        replace(item, parent=first_on_line.get(item.parent) if item.parent is not None else None)
        for item in items
    ]
