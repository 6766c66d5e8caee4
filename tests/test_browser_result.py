"""The result page a coordinator reads in a minute, in Chromium: summary on top, readable at 390 px, printed in at
most two pages a trial with a line to sign; and the blank worksheet of the form on paper.

Screenshots and PDFs are saved under artifacts/screenshots/ (result-*.png, result-*.pdf, worksheet-*.pdf).
"""
import io
import re

import pytest
from pypdf import PdfReader

from .helpers import trial_ids
from .test_browser import SHOTS, browser, page, screen_patient, server  # noqa: F401 (fixtures)

NCT = "NCT06674265"
PAPER = ("A4", "Letter")


def _pdf_pages(tab, name: str, paper: str) -> list[str]:
    """The page's print as PDF (kept as an artifact): the text of each printed page."""
    data = tab.pdf(format=paper, print_background=True)
    (SHOTS / f"{name}-{paper}.pdf").write_bytes(data)
    return [p.extract_text() or "" for p in PdfReader(io.BytesIO(data)).pages]


def _no_sideways_scroll(tab, width: int) -> None:
    assert tab.evaluate("document.documentElement.scrollWidth") <= width


@pytest.mark.parametrize("patient", ["aml-relapsed.json", "ineligible-waiting.json", "incomplete.json"])
def test_one_trial_summary_on_top_reflows_at_390_px_and_prints_in_two_pages(page, server, patient):  # noqa: F811
    shot = f"summary-{patient.removesuffix('.json')}"
    screen_patient(page, server, NCT, patient, shot)
    section = page.locator("section.report")
    banner = section.locator(".banner")
    # The summary comes before the full table; failing criteria before open ones, each by its title.
    order = page.evaluate(
        """() => [...document.querySelectorAll('section.report h3')].map(h => h.className || h.textContent)"""
    )
    assert order[-1].startswith("Every criterion")
    assert [o for o in order if o.startswith("glance")] == sorted(
        [o for o in order if o.startswith("glance")], key=["glance-fails", "glance-unknowns"].index
    )
    assert not re.search(rf"{NCT}-\w+", banner.inner_text())  # titles, never bare ids
    statuses = section.locator("table.criteria tbody tr[class^=row-]").evaluate_all(
        "rows => rows.map(r => r.className.slice(4))"
    )
    assert statuses == sorted(statuses, key=["fail", "unknown", "pass"].index)  # failing rows first
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(SHOTS / f"result-{shot}-390.png"), full_page=True)
    _no_sideways_scroll(page, 390)
    why = section.locator("table.criteria td[data-label=Why]").first.bounding_box()
    assert why["x"] >= 0 and why["x"] + why["width"] <= 390  # the reason is on screen, not off to the right
    page.set_viewport_size({"width": 1280, "height": 900})
    for paper in PAPER:
        printed = _pdf_pages(page, f"result-{shot}", paper)
        assert len(printed) <= 2, (paper, len(printed))
        assert "Screened by (name)" in printed[0] and "Signature" in printed[0]  # the line to sign, under the summary


def test_all_trials_print_one_summary_then_each_trial_in_two_pages(page, server):  # noqa: F811
    screen_patient(page, server, "all", "aml-relapsed.json", "summary-all-trials")
    overview = page.locator("section.overview")
    expect_rows = overview.locator("table.summary tbody tr")
    assert expect_rows.count() == len(trial_ids())
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(SHOTS / "result-summary-all-trials-390.png"), full_page=True)
    _no_sideways_scroll(page, 390)
    page.set_viewport_size({"width": 1280, "height": 900})
    for paper in PAPER:
        printed = _pdf_pages(page, "result-all-trials", paper)
        starts = [next(i for i, text in enumerate(printed) if f"{trial}:" in text and "As of" in text)
                  for trial in (row.split()[0] for row in expect_rows.all_inner_texts())]
        assert starts == sorted(starts) and starts[0] >= 1  # the overview first, then the trials in its order
        assert starts[0] <= 2  # the overview and the worklist for all trials: at most two pages
        ends = starts[1:] + [len(printed)]
        assert all(end - start <= 2 for start, end in zip(starts, ends, strict=True)), (paper, starts, len(printed))



def test_blank_worksheet_prints_every_field_with_a_blank(page, server):  # noqa: F811
    page.goto(f"{server}/screen?trial={NCT}")
    page.click("text=Print a blank worksheet of this form")
    assert page.locator("h1").inner_text() == f"Screening worksheet: {NCT}"
    page.screenshot(path=str(SHOTS / "worksheet.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    _no_sideways_scroll(page, 390)
    page.set_viewport_size({"width": 1280, "height": 900})
    printed = "\n".join(_pdf_pages(page, "worksheet", "A4"))
    assert "Screening worksheet" in printed and "Print a blank worksheet" not in printed
    for words in ("Date of birth", "Platelet count", "×10³/µL", "Medications", "Dose unit", "Signature"):
        assert words in printed, words


def test_an_incomplete_result_asks_for_either_scan_once(page, server, tmp_path):  # noqa: F811
    """Imaging reviewed with an MRI lesion but no MIBG or FDG-PET: one to-do, either scan (issue 25 point 8)."""
    import json

    from .helpers import PATIENTS

    record = json.loads((PATIENTS / "eligible.json").read_text())
    record["history"]["imaging"] = [i for i in record["history"]["imaging"] if i.get("modality") == "mri"]
    path = tmp_path / "eligible-mri-only.json"
    path.write_text(json.dumps(record))
    screen_patient(page, server, NCT, str(path), "either-scan")
    assert "INCOMPLETE" in page.locator(".banner").inner_text()
    todos = page.locator("section.report ul.todos li").all_inner_texts()
    either = [t for t in todos if t.startswith("Either")]
    assert len(either) == 1, todos
    assert either[0].startswith(
        "Either record MIBG scan dated within the last 42 days; or record FDG-PET dated within the last 42 days"
    )
    assert not any(t.startswith(("Record MIBG", "Record FDG-PET")) for t in todos)  # not listed again on its own
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(SHOTS / "result-either-scan-390.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})
