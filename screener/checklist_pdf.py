"""A signed eligibility verification printed as a checklist (issue 26 point 4): one or two A4 pages with the child's
screening number (never a name), the trial, the protocol version and the approval in force, every criterion with its
status and evidence, and the signature block, so the paper in the site's binder can be tied back to the trail (the
verification id and the signed screening's content hash are on it).

Two pages is the budget a binder's checklist has: the table's type shrinks and long evidence is cut with an ellipsis
until it fits; no criterion is ever left out (a rule set too long for two pages at the smallest size prints on more
rather than lose a row).
"""
import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from fpdf import FPDF, FontFace
from fpdf.enums import TableBordersLayout, XPos, YPos
from fpdf.util import Padding

from .model.dates import today
from .model.report import CriterionResult
from .model.verification import VerificationView

MAX_PAGES = 2
TITLE = "Eligibility verification - signed checklist"
FONT = "DejaVu"
ELLIPSIS = "…"
# Sizes tried in turn, largest first: (table type in points, longest evidence in characters). The first prints
# NCT06674265's 21 criteria whole on two pages; the last fits about 68 criteria each with evidence cut to 90
# characters (the longest rule set has 21; tests/test_checklist_pdf.py holds every rule set to two pages).
_FITS = ((8.0, 10_000), (7.5, 320), (7.0, 240), (6.5, 180), (6.0, 130), (5.5, 90))
_MARGIN = 12.0  # mm
_DARK, _WHITE, _GREY, _WARN, _GOOD = (0, 0, 0), (255, 255, 255), (235, 235, 235), (170, 20, 20), (230, 242, 230)
_NOT_VALID = "NOT VALID FOR REGISTRATION"


@cache
def _font_files() -> dict[str, Path]:
    """The one place the checklist's typeface is chosen: DejaVu Sans, shipped with matplotlib (already a runtime
    dependency), has the criteria's µ ≥ ₂ é ✔ → and Arabic-script glyphs (Persian, issue 30, will also need fpdf2's
    text shaping and right-to-left runs). fpdf2's built-in fonts are Latin-1 only."""
    import matplotlib

    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    return {"": folder / "DejaVuSans.ttf", "B": folder / "DejaVuSans-Bold.ttf"}


def _short(text: str, limit: int) -> str:
    """The text, or its first `limit` characters cut at a word and marked with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit - 1]
    return (cut.rsplit(" ", 1)[0] if " " in cut else cut).rstrip(" ;,:") + ELLIPSIS


def _utc(moment: str) -> str:
    """A stored ISO timestamp as people read it: date and time to the second, UTC."""
    try:
        parsed = dt.datetime.fromisoformat(moment.replace("Z", "+00:00"))
    except ValueError:
        return moment
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(dt.timezone.utc)
    return parsed.strftime("%Y-%m-%d %H:%M:%S UTC")


def _digest(digest: str) -> str:
    algorithm, _, value = digest.rpartition(":")
    return f"{algorithm + ':' if algorithm else ''}{value[:16]}"


class _Checklist(FPDF):
    def __init__(self, view: VerificationView):
        super().__init__(orientation="portrait", unit="mm", format="A4")
        # Every page names the verification, and one that no longer stands says so on every page too.
        self.footer_text = f"Eligibility verification {view.verification_id}" + (
            "" if view.status == "verified" else f" - {_NOT_VALID}: {view.status_text}")
        for style, path in _font_files().items():
            self.add_font(FONT, style, str(path))
        self.set_margins(_MARGIN, _MARGIN, _MARGIN)
        self.set_auto_page_break(True, margin=_MARGIN + 6)

    def footer(self) -> None:
        self.set_y(-_MARGIN - 3)
        self.set_font(FONT, "", 7)
        self.set_text_color(*_DARK)
        self.cell(0, 4, f"{self.footer_text} - page {self.page_no()} of {{nb}}", align="C")


@dataclass(frozen=True)
class _Size:
    body: float
    evidence: int

    @property
    def line(self) -> float:
        return self.body * 0.48  # mm of line height per point of type: tight, still legible in print


def _status_banner(pdf: _Checklist, view: VerificationView, printed_on: dt.date, size: _Size) -> None:
    """The verification's standing on the day printed: anything but "verified" is said first, in capitals, so an
    expired, superseded or re-screened checklist is not mistaken for one that stands."""
    standing = f"Standing on {printed_on.isoformat()}, the day printed: {view.status_text}."
    if view.status == "verified":
        words = f"Valid for registration through {view.valid_through.isoformat()}. {standing}"
        pdf.set_fill_color(*_GOOD)
        pdf.set_text_color(*_DARK)
    else:
        words = f"{_NOT_VALID}. {standing}"
        pdf.set_fill_color(*_WARN)
        pdf.set_text_color(*_WHITE)
    pdf.set_font(FONT, "B", size.body + 2)
    pdf.multi_cell(0, size.line + 1.6, words, fill=True, padding=Padding.new(1.2), align="L", new_x=XPos.LMARGIN,
                   new_y=YPos.NEXT)
    pdf.set_text_color(*_DARK)
    pdf.set_fill_color(*_WHITE)
    pdf.ln(1.5)


def _facts(view: VerificationView) -> Iterator[tuple[str, str]]:
    approval = view.approval
    yield "Screening number", f"{view.screening_number} (the child is named only in the site's own records)"
    yield "Trial", f"{view.trial_id} - {view.report.title}"
    yield "Protocol version", f"rule-set version {view.rule_set_version}, digest {_digest(view.rule_set_digest)}"
    yield "Approval in force", (f"{approval.reference}, version {approval.rule_set_version} approved from "
                                f"{approval.approved_from.isoformat()}")
    yield "Verified on", (f"{view.verified_on.isoformat()}; valid through {view.valid_through.isoformat()} "
                          f"(registration window {view.registration_window_days} days)")
    yield "Waivers", f"{view.waivers}: no criterion is waived; every criterion below passed and was reviewed"
    passing = sum(c.status.value == "pass" for c in view.report.criteria)
    yield "Criteria", (f"{len(view.report.criteria)}, {passing} passing; {len(view.reviewed)} confirmed one by one "
                       "by the signer")
    if view.supersedes:
        yield "Supersedes", f"verification {view.supersedes}"


def _key_values(pdf: _Checklist, rows: Sequence[tuple[str, str]], size: _Size, widths=(34, 152)) -> None:
    pdf.set_font(FONT, "", size.body + 0.5)
    with pdf.table(col_widths=widths, first_row_as_headings=False, borders_layout=TableBordersLayout.NONE,
                   line_height=size.line + 0.6, padding=(0.4, 1, 0.4, 0), text_align="LEFT") as table:
        for label, value in rows:
            row = table.row()
            row.cell(label, style=FontFace(emphasis="BOLD"))
            row.cell(value)
    pdf.ln(1.5)


def _criteria(pdf: _Checklist, criteria: Sequence[CriterionResult], size: _Size) -> None:
    pdf.set_font(FONT, "", size.body)
    heading = FontFace(emphasis="BOLD", fill_color=_GREY)
    with pdf.table(col_widths=(30, 16, 43, 12, 85), line_height=size.line, padding=(0.5, 0.8, 0.5, 0.8),
                   headings_style=heading, borders_layout=TableBordersLayout.HORIZONTAL_LINES,
                   text_align=("LEFT", "LEFT", "LEFT", "CENTER", "LEFT")) as table:
        head = table.row()
        for name in ("Criterion", "Kind", "Title", "Status", "Evidence (the screening's reason)"):
            head.cell(name)
        for criterion in criteria:
            row = table.row()
            row.cell(criterion.id)
            row.cell("inclusion" if criterion.kind == "inclusion" else "exclusion")
            row.cell(criterion.title)
            row.cell(criterion.status.label, style=FontFace(emphasis="BOLD"))
            row.cell(_short(criterion.reason, size.evidence))
    pdf.ln(2)


def _signature(pdf: _Checklist, view: VerificationView, size: _Size) -> None:
    signature = view.signature
    if pdf.will_page_break(size.line * 14):  # the block is kept whole, on the page of its meaning
        pdf.add_page()
    pdf.set_font(FONT, "B", size.body + 1)
    pdf.cell(0, size.line + 1.5, "Signature (21 CFR Part 11 §11.50)", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, "", size.body + 0.5)
    pdf.multi_cell(0, size.line + 0.6, f"Meaning: {signature.meaning}", border=1, padding=Padding.new(1.2), align="L",
                   new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(1)
    _key_values(pdf, [
        ("Printed name", signature.printed_name),
        ("Username", signature.username),
        ("Signed (UTC)", _utc(signature.signed_at)),
        ("Signed how", "electronically, the password entered again at the moment of signing; this is a print"),
        ("Verification id", view.verification_id),
        ("Screening id", view.screening_id),
        ("Content hash", f"{view.screening_content_hash} (the re-screen signed, as the audit trail holds it)"),
        ("Rule-set digest", view.rule_set_digest),
    ], size)


def _render(view: VerificationView, printed_on: dt.date, size: _Size) -> _Checklist:
    pdf = _Checklist(view)
    pdf.set_title(f"Eligibility verification {view.verification_id}")  # no name: the file may travel
    pdf.set_creator("trial-screener")
    pdf.add_page()
    pdf.set_font(FONT, "B", size.body + 5)
    pdf.cell(0, size.line + 3.5, TITLE, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(1)
    _status_banner(pdf, view, printed_on, size)
    _key_values(pdf, list(_facts(view)), size)
    _criteria(pdf, view.report.criteria, size)
    _signature(pdf, view, size)
    return pdf


def checklist_pdf(view: VerificationView, *, printed_on: dt.date | None = None) -> bytes:
    """The signed checklist as PDF bytes, at most MAX_PAGES A4 pages whenever the smallest size allows.
    printed_on: the day its standing is stated for (default today: the day view() computed it for)."""
    printed_on = printed_on or today()
    for body, evidence in _FITS:
        pdf = _render(view, printed_on, _Size(body, evidence))
        if pdf.pages_count <= MAX_PAGES:
            break
    return bytes(pdf.output())
