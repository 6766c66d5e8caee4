"""Review before use in Chromium (issue 28): an investigator opens a draft rule set's page on a site started with
drafts allowed, reads each criterion's source words beside its encoding with the draft mark highlighted, adds a
comment and records the review; a screener sees the page without the forms, and a child screened under the draft
reads DRAFT RULES, never ELIGIBLE. Screenshots under artifacts/screenshots/ (rules-review-*.png,
result-draft-rules.png)."""
import pytest

from screener import config
from screener.rules import allow_draft_rules

from .helpers import draft_criteria
from .test_browser import SHOTS, _signed_in, browser, expect, live_site, screen_patient  # noqa: F401

NCT = "NCT06674265"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = draft_criteria(tmp_path_factory.mktemp("draft-rules"))
    saved = config.SCREENER_CRITERIA_DIR
    config.SCREENER_CRITERIA_DIR = folder
    database = tmp_path_factory.mktemp("rules-review") / "b.sqlite3"
    try:
        with live_site(f"sqlite:///{database}", {"ivy": "investigator", "coordinator": "screener"},
                       ALLOW_DRAFT_RULES=True) as url:
            yield url
    finally:
        config.SCREENER_CRITERIA_DIR = saved
        allow_draft_rules(False)


def test_an_investigator_comments_on_a_draft_and_records_the_review(browser, server):  # noqa: F811
    context, page = _signed_in(browser, server, "ivy")
    page.goto(f"{server}/rules")
    row = page.locator(f"#t-{NCT}")
    expect(row).to_contain_text("DRAFT")
    expect(row).to_contain_text("no review recorded at this site")
    page.screenshot(path=str(SHOTS / "rules-review-list.png"), full_page=True)

    row.locator("a").first.click()
    expect(page.locator(".banner")).to_contain_text("DRAFT RULES")
    criterion = page.locator(f"#c-{NCT}-AGE")
    expect(criterion.locator(".draft-mark")).to_contain_text("age-structured")
    expect(criterion.locator(".draft-mark mark")).to_have_text("2 Years ... 16 Years")
    expect(criterion.locator("td.source")).to_contain_text("Minimum Eligible Age")
    expect(criterion).to_contain_text("age")  # the encoding in plain words
    page.screenshot(path=str(SHOTS / "rules-review-draft.png"), full_page=True)

    comments = page.locator(f"#c-{NCT}-AGE + tr.comments")
    comments.locator("summary").click()
    comments.locator('[name="text"]').fill("Ages read as completed years: agrees with the registry convention")
    comments.locator("button[type=submit]").click()
    expect(page.locator("#review-done")).to_contain_text(f"Comment on {NCT}-AGE recorded")
    expect(page.locator(f"#c-{NCT}-AGE + tr.comments .comment")).to_contain_text("ivy")
    expect(page.locator(f"#c-{NCT}-AGE + tr.comments .comment")).to_contain_text("completed years")

    page.locator("#note").fill("Every criterion checked against NCT06674265's registry words")
    page.locator("button:has-text('Record my review')").click()
    expect(page.locator("#review-done")).to_contain_text(f"Review of {NCT} version")
    expect(page.locator(".banner")).to_contain_text("reviewed at this site by user:ivy")
    expect(page.locator("#review + p")).to_contain_text("Reviewed by ivy")
    page.locator("#review").scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "rules-review-recorded.png"), full_page=True)
    context.close()

    context, coordinator = _signed_in(browser, server, "coordinator")
    coordinator.goto(f"{server}/rules/{NCT}")
    expect(coordinator.locator(f"#c-{NCT}-AGE + tr.comments .comment")).to_contain_text("completed years")
    assert coordinator.locator("form[action$='/review']").count() == 0
    assert coordinator.locator("form[action$='/comment']").count() == 0
    context.close()


def test_a_result_under_draft_rules_says_so_and_never_eligible(browser, server):  # noqa: F811
    context, page = _signed_in(browser, server, "coordinator")
    screen_patient(page, server, NCT, "eligible.json", "draft-rules")
    banner = page.locator("section.report .banner")
    expect(banner).to_contain_text("DRAFT RULES — NO KNOWN EXCLUSION (unreviewed rules: not an eligibility result)")
    expect(banner).not_to_contain_text("ELIGIBLE —")
    expect(page.locator("section.report .draft-rules")).to_contain_text("nobody has reviewed its encoding")
    page.locator("section.report .banner").scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "result-draft-rules-top.png"))
    context.close()
