"""Review before use (issue 28 point 2): a draft rule set is refused on every path that screens unless allowed
explicitly; allowed, every output says DRAFT RULES and none reads eligible; reviews and reviewers' comments are
chain events tied to the content digest; only an investigator records them on the web."""
import csv
import json

import pytest
from click.testing import CliRunner
from freezegun import freeze_time

from screener import config
from screener.cli import main
from screener.rules import allow_draft_rules

from .helpers import PATIENTS, REPO, authorised, csrf_token, draft_criteria, make_app, signed_in_browser, tamper

TRIAL = "NCT06674265"
AS_OF = "2026-11-22"
PASSWORD = "a long enough password"
run = CliRunner().invoke


@pytest.fixture(autouse=True)
def _drafts_refused_again():
    """--allow-draft sets the process's setting (a command runs in its own process); CliRunner runs here."""
    yield
    allow_draft_rules(False)


@pytest.fixture
def drafts(tmp_path, monkeypatch):
    """The criteria folder with TRIAL's rule set a draft, in use; drafts refused again afterwards."""
    folder = draft_criteria(tmp_path)
    monkeypatch.setattr(config, "SCREENER_CRITERIA_DIR", folder)
    allow_draft_rules(False)
    yield folder
    allow_draft_rules(False)


def _refused(result, folder):
    assert result.exit_code == 2, result.output
    assert "Draft rules refused for screening" in result.output
    assert str(folder / f"{TRIAL}.yaml") in result.output and f"{TRIAL} is a draft" in result.output
    assert "Traceback" not in result.output


# --- refused on every path ---------------------------------------------------------------------------------------


def test_cli_screen_refuses_a_draft_naming_its_file_and_trial(drafts):
    record = str(PATIENTS / "eligible.json")
    _refused(run(main, ["screen", record, "--trial", TRIAL, "--as-of", AS_OF]), drafts)
    # Any screening while a draft is loaded: the service does not screen beside an unreviewed rule set silently.
    _refused(run(main, ["screen", record, "--trial", "AML-NK-BMC2023", "--as-of", AS_OF]), drafts)
    _refused(run(main, ["screen", record, "--all", "--as-of", AS_OF]), drafts)


def test_cli_rules_impact_refuses_a_draft_amendment(tmp_path):
    draft = draft_criteria(tmp_path, only=True) / f"{TRIAL}.yaml"
    refused = run(main, ["rules", "impact", str(draft)])
    assert refused.exit_code == 2 and "Draft rules refused for screening" in refused.output
    assert str(draft) in refused.output
    assert run(main, ["rules", "impact", "--allow-draft", str(draft)]).exit_code == 0


def test_cli_batch_refuses_a_draft(drafts, tmp_path):
    lines = tmp_path / "in.ndjson"
    lines.write_text(json.dumps(json.loads((PATIENTS / "eligible.json").read_text())) + "\n")
    _refused(run(main, ["batch", str(lines), "--all", "--out", str(tmp_path / "out"), "--as-of", AS_OF]), drafts)
    assert not (tmp_path / "out").exists()


def test_the_web_service_refuses_to_start_under_a_draft(drafts, tmp_path, capsys):
    with pytest.raises(SystemExit) as stopped:
        make_app(tmp_path)
    assert stopped.value.code == 2
    said = capsys.readouterr().err
    assert "refusing to start" in said and str(drafts / f"{TRIAL}.yaml") in said and f"{TRIAL} is a draft" in said


def test_screening_refuses_a_draft_for_the_api_form_cds_hooks_and_checklist_alike(drafts, eligible_record):
    """Every channel screens through screening.rule_set_for / load_rule_sets: one refusal for all of them."""
    from screener import service
    from screener.rules import DraftRulesRefused
    from screener.screening import rule_set_for, screen

    with pytest.raises(DraftRulesRefused):
        screen(eligible_record, TRIAL)
    with pytest.raises(DraftRulesRefused):
        rule_set_for("AML-NK-BMC2023")
    with pytest.raises(DraftRulesRefused):
        service.reports(eligible_record, service.date(2026, 11, 22), None)


def test_the_rule_sets_screening_reads_follow_the_folder_and_the_draft_setting_at_once(drafts, monkeypatch):
    """load_rule_sets is a cached lookup (once per screening): a change of folder or of the draft setting still
    takes effect on the next call, and a refusal is raised on every call while it holds, never kept as an answer."""
    from screener.rules import DraftRulesRefused, load_rule_sets

    for _ in range(2):
        with pytest.raises(DraftRulesRefused):
            load_rule_sets()
    allow_draft_rules(True)
    allowed = load_rule_sets()
    assert allowed[TRIAL].status == "draft" and load_rule_sets() is allowed
    allow_draft_rules(False)
    with pytest.raises(DraftRulesRefused):
        load_rule_sets()
    assert load_rule_sets(allow_draft=True) is allowed
    monkeypatch.setattr(config, "SCREENER_CRITERIA_DIR", REPO / "criteria")
    assert load_rule_sets()[TRIAL].status != "draft"
    monkeypatch.setattr(config, "SCREENER_CRITERIA_DIR", drafts)
    with pytest.raises(DraftRulesRefused):
        load_rule_sets()


def test_rules_lint_reports_a_draft_as_refused_for_screening_with_its_marked_criteria(tmp_path):
    draft = draft_criteria(tmp_path, only=True) / f"{TRIAL}.yaml"
    refused = run(main, ["rules", "lint", str(draft)])
    assert refused.exit_code == 1, refused.output
    assert "DRAFT RULES" in refused.output and "refused for screening" in refused.output
    assert f"{TRIAL}-AGE (age-structured)" in refused.output
    assert "1 draft refused for screening" in refused.output
    allowed = run(main, ["rules", "lint", "--allow-draft", str(draft)])
    assert allowed.exit_code == 0, allowed.output
    assert "allowed here by --allow-draft" in allowed.output and f"{TRIAL}-AGE (age-structured)" in allowed.output
    assert run(main, ["rules", "lint", str(REPO / "criteria" / f"{TRIAL}.yaml")]).exit_code == 0


# --- allowed explicitly: labelled everywhere, never eligible ----------------------------------------------------


def test_cli_allow_draft_labels_text_and_json_and_never_says_eligible(drafts):
    record = str(PATIENTS / "eligible.json")
    text = run(main, ["screen", record, "--trial", TRIAL, "--as-of", AS_OF, "--allow-draft"])
    assert text.exit_code == 0, text.output
    assert "VERDICT: DRAFT RULES — NO KNOWN EXCLUSION (unreviewed rules: not an eligibility result)" in text.output
    assert "DRAFT RULES (status: draft, nobody has reviewed them)" in text.output
    assert "VERDICT: ELIGIBLE" not in text.output
    shown = run(main, ["screen", record, "--trial", TRIAL, "--as-of", AS_OF, "--allow-draft", "--format", "json"])
    report = json.loads(shown.stdout)
    assert report["rule_set_status"] == "draft" and report["verdict"] == "no_known_exclusion"
    assert report["verdict_text"].startswith("DRAFT RULES — ") and report["eligible_from"] is None
    assert "DRAFT RULES" in report["summary"]
    # The other trials screened beside it are not drafts and say nothing of the kind.
    every = json.loads(run(main, ["screen", record, "--all", "--as-of", AS_OF, "--allow-draft",
                                  "--format", "json"]).stdout)
    assert {r["trial_id"]: r["rule_set_status"] for r in every}[TRIAL] == "draft"
    assert all(not r["verdict_text"].startswith("DRAFT") for r in every if r["trial_id"] != TRIAL)


def test_a_failing_or_open_result_under_draft_rules_is_labelled_too(drafts):
    from screener.screening import parse_record, screen

    allow_draft_rules(True)
    verdicts = set()
    for name in ("ineligible-waiting.json", "incomplete.json"):
        report = screen(parse_record((PATIENTS / name).read_text()), TRIAL, config_date())
        assert report.verdict_text.startswith("DRAFT RULES — ") and "DRAFT RULES" in report.summary
        assert report.eligible_from is None  # never "eligible from" under draft rules
        verdicts.add(report.verdict)
    assert verdicts == {"ineligible", "incomplete"}


def config_date():
    from datetime import date

    return date.fromisoformat(AS_OF)


def test_cli_batch_with_allow_draft_labels_each_row_of_the_draft(drafts, tmp_path):
    lines = tmp_path / "in.ndjson"
    lines.write_text(json.dumps(json.loads((PATIENTS / "eligible.json").read_text())) + "\n")
    out = tmp_path / "out"
    done = run(main, ["batch", str(lines), "--all", "--out", str(out), "--as-of", AS_OF, "--allow-draft"])
    assert done.exit_code == 0, done.output
    rows = list(csv.DictReader((out / "results.csv").open()))
    labels = {r["trial_id"]: (r["draft_rules"], r["verdict"]) for r in rows}
    assert labels[TRIAL] == ("DRAFT RULES", "no_known_exclusion")
    assert all(label == "" for trial, (label, _) in labels.items() if trial != TRIAL)
    candidates = {r["trial_id"]: r["draft_rules"] for r in csv.DictReader((out / "candidates.csv").open())}
    assert candidates.get(TRIAL) == "DRAFT RULES"


@pytest.fixture
def draft_site(drafts, tmp_path):
    """The web app with drafts allowed in its config, an investigator and a screener signed in."""
    from screener.audit import Accounts
    from screener.web.storage import get_store

    app = make_app(tmp_path, ALLOW_DRAFT_RULES=True)
    with app.app_context():
        accounts = Accounts(get_store())
        for name, role in (("ivy", "investigator"), ("sam", "screener"), ("boss", "admin")):
            accounts.create_user(name, role, PASSWORD, "test")
    return app


@freeze_time("2026-11-22 10:00:00")
def test_web_allowed_labels_the_api_the_result_page_the_log_and_the_sponsor_export(draft_site):
    app = draft_site
    api = authorised(app, "investigator", "ivy-api")
    body = (PATIENTS / "eligible.json").read_text()
    answered = api.post(f"/api/v1/trials/{TRIAL}/screen?as_of={AS_OF}&screening_number=SCR-0042", data=body,
                        content_type="application/json")
    assert answered.status_code == 200, answered.get_data(as_text=True)
    report = answered.get_json()["report"]
    assert report["rule_set_status"] == "draft" and report["verdict"] == "no_known_exclusion"
    assert report["verdict_text"].startswith("DRAFT RULES")
    browser, _ = signed_in_browser(app, "ivy", PASSWORD)
    screening_id = answered.get_json()["screening_id"]
    page = browser.get(f"/audit/screenings/{screening_id}").get_data(as_text=True)
    assert "DRAFT RULES — NO KNOWN EXCLUSION" in page and 'class="draft-rules"' in page
    assert ">ELIGIBLE<" not in page
    history = browser.get("/audit/screenings").get_data(as_text=True)
    assert "<strong>DRAFT RULES</strong>: no known exclusion" in history
    log = browser.get(f"/audit/log?trial={TRIAL}").get_data(as_text=True)
    assert "DRAFT RULES: 1 of them screened under a rule set nobody has reviewed" in log
    sponsor = browser.get(f"/audit/sponsor.csv?trial={TRIAL}").get_data(as_text=True)
    assert "DRAFT RULES: no_known_exclusion" in sponsor
    from screener.web.storage import get_store

    with app.app_context():
        request_id = get_store().screening(screening_id).request_id
    result = browser.get(f"/results/{request_id}").get_data(as_text=True)  # the result page, also its print
    assert "DRAFT RULES — NO KNOWN EXCLUSION" in result and 'class="draft-rules"' in result
    assert "under DRAFT RULES nobody has reviewed" in result
    choose = browser.get("/").get_data(as_text=True)
    assert "DRAFT RULES (unreviewed)" in choose
    # the form itself, where the coordinator types the chart in, says so too (not only the page choosing the trial)
    form = browser.get(f"/screen?trial={TRIAL}").get_data(as_text=True)
    assert "DRAFT RULES (unreviewed)" in form.split("Print a blank worksheet")[0]
    assert "DRAFT RULES" not in browser.get("/screen?trial=AML-NK-BMC2023").get_data(as_text=True)
    listed = {t["trial_id"]: t["status"] for t in api.get("/api/v1/trials").get_json()}
    assert listed[TRIAL] == "draft" and set(listed.values()) == {"draft", "reviewed"}
    assert api.get(f"/api/v1/trials/{TRIAL}").get_json()["status"] == "draft"
    assert "DRAFT RULES" in browser.get(f"/audit/rule-sets/{TRIAL}").get_data(as_text=True)


@freeze_time("2026-11-22 10:00:00")
def test_the_enrolment_checklist_cannot_be_signed_under_draft_rules(draft_site):
    from screener import enrolment
    from screener.web.storage import get_store

    app = draft_site
    api = authorised(app, "investigator", "ivy-api")
    body = (PATIENTS / "eligible.json").read_text()
    assert api.post(f"/api/v1/trials/{TRIAL}/screen?as_of={AS_OF}&screening_number=SCR-0042", data=body,
                    content_type="application/json").status_code == 200
    with app.app_context():
        found = enrolment.checklist(get_store(), "SCR-0042", TRIAL, sees=None, on=config_date())
    assert not found.can_sign and "draft_rules" in found.blockers
    assert any(text.startswith("DRAFT RULES") for text in found.blocker_text)
    browser, _ = signed_in_browser(app, "ivy", PASSWORD)
    page = browser.get(f"/children/SCR-0042/verify/{TRIAL}").get_data(as_text=True)
    assert "DRAFT RULES" in page


def test_cds_hooks_cards_under_draft_rules_say_so(drafts, eligible_record):
    from screener.cds_hooks.cards import candidate_cards
    from screener.screening import screen

    allow_draft_rules(True)
    report = screen(eligible_record, TRIAL, config_date())
    (card,) = candidate_cards([report], ["0" * 32], None)
    assert card.summary.startswith("DRAFT RULES — Possible candidate")
    assert "**DRAFT RULES**" in card.detail


def test_a_draft_cannot_be_approved(drafts):
    result = run(main, ["rules", "approve", TRIAL, "--version", "2.4.0", "--from", "2026-11-01",
                        "--reference", "REC 1"])
    # Loading for approval is loading for screening: refused while the draft is loaded ...
    assert result.exit_code == 2 and "Draft rules refused" in result.output
    allow_draft_rules(True)  # ... and refused as a draft when drafts are allowed
    result = run(main, ["rules", "approve", TRIAL, "--version", "2.4.0", "--from", "2026-11-01",
                        "--reference", "REC 1"])
    assert result.exit_code == 2 and "--version: is a draft" in result.output


# --- reviews and comments in the trail, tied to the content -------------------------------------------------------


def _folder_with(tmp_path, name: str, text: str):
    folder = tmp_path / name
    folder.mkdir()
    (folder / "tables").symlink_to(REPO / "criteria" / "tables")
    (folder / f"{TRIAL}.yaml").write_text(text, encoding="utf-8")
    return folder


def test_a_review_counts_for_its_content_only(tmp_path, monkeypatch):
    from screener import review
    from screener.audit import open_store
    from screener.model.review import ReviewRequest

    store = open_store(f"sqlite:///{tmp_path / 'a.sqlite3'}", tmp_path)
    draft_text = (draft_criteria(tmp_path, only=True) / f"{TRIAL}.yaml").read_text(encoding="utf-8")
    monkeypatch.setattr(config, "SCREENER_CRITERIA_DIR", _folder_with(tmp_path, "draft", draft_text))
    before = review.standing(store, TRIAL)
    assert before.status == "draft" and before.drafted == [f"{TRIAL}-AGE"] and before.reviews == []
    review.record_review(store, TRIAL, ReviewRequest(note="every criterion checked"), actor="user:ivy")
    reviewed_draft = review.standing(store, TRIAL)
    assert reviewed_draft.status == "draft" and "reviewed at this site by user:ivy" in reviewed_draft.text
    # The reviewer's edit: status reviewed, the draft mark removed. The review still counts for this content.
    marked = draft_text.replace("\nstatus: draft\n", "\nstatus: reviewed\n")
    marked = "\n".join(line for line in marked.split("\n") if not line.startswith("    draft: {pattern"))
    monkeypatch.setattr(config, "SCREENER_CRITERIA_DIR", _folder_with(tmp_path, "reviewed", marked))
    after = review.standing(store, TRIAL)
    assert after.status == "reviewed" and [r.recorded_by for r in after.reviews] == ["user:ivy"]
    # Any other edit: a new digest, unreviewed again.
    edited = marked.replace("title: Age 2 to 16 years", "title: Age 2 to 16 years old", 1)
    assert edited != marked
    monkeypatch.setattr(config, "SCREENER_CRITERIA_DIR", _folder_with(tmp_path, "edited", edited))
    again = review.standing(store, TRIAL)
    assert again.status == "reviewed" and again.reviews == []
    assert "no review recorded at this site" in again.text
    assert store.verify().ok


def test_an_approval_of_this_content_in_force_today_makes_it_approved(tmp_path):
    from screener import review, service
    from screener.audit import open_store
    from screener.model.approvals import ApprovalRequest
    from screener.screening import rule_set_for

    store = open_store(f"sqlite:///{tmp_path / 'a.sqlite3'}", tmp_path)
    version = rule_set_for(TRIAL).version
    with freeze_time("2026-11-22"):
        assert review.standing(store, TRIAL).status == "reviewed"
        service.record_approval(store, TRIAL, ApprovalRequest(version=version, approved_from=config_date(),
                                                              reference="REC 1"), actor="user:boss")
        approved = review.standing(store, TRIAL)
    assert approved.status == "approved" and approved.approval.reference == "REC 1"
    assert "no review recorded at this site" in approved.text
    with freeze_time("2026-11-21"):  # not yet in force
        assert review.standing(store, TRIAL).status == "reviewed"


def test_cli_review_comment_and_status(tmp_path):
    done = run(main, ["rules", "comment", TRIAL, f"{TRIAL}-I1", "--text", "refractory OR relapsed: agreed"])
    assert done.exit_code == 0, done.output
    assert run(main, ["rules", "review", TRIAL, "--note", "checked against the registry"]).exit_code == 0
    status = run(main, ["rules", "status", TRIAL, "--format", "json"])
    (found,) = json.loads(status.output)
    assert found["status"] == "reviewed" and found["reviews"][-1]["text"] == "checked against the registry"
    assert any(c["criterion_id"] == f"{TRIAL}-I1" for c in found["comments"])
    secret = "SCR-9999 Jane Doe " * 80  # too long: refused naming the option, the words not echoed
    refused = run(main, ["rules", "comment", TRIAL, f"{TRIAL}-I1", "--text", secret])
    assert refused.exit_code == 2 and "--text" in refused.output and "Jane" not in refused.output
    assert "Traceback" not in refused.output
    unknown = run(main, ["rules", "comment", TRIAL, "NOPE-1", "--text", "x"])
    assert unknown.exit_code == 2 and "CRITERION_ID" in unknown.output
    assert run(main, ["rules", "review", "NOPE", "--note", "x"]).exit_code == 2
    assert run(main, ["audit", "verify"]).exit_code == 0


def _review_page(client, trial=TRIAL):
    return client.get(f"/rules/{trial}")


def test_web_review_page_comment_and_review_by_an_investigator_only(draft_site):
    app = draft_site
    ivy, _ = signed_in_browser(app, "ivy", PASSWORD)
    sam, _ = signed_in_browser(app, "sam", PASSWORD)
    boss, _ = signed_in_browser(app, "boss", PASSWORD)
    listing = ivy.get("/rules").get_data(as_text=True)
    assert f'href="/rules/{TRIAL}"' in listing and "DRAFT" in listing and "no review recorded" in listing
    page = _review_page(ivy).get_data(as_text=True)
    assert "DRAFT RULES" in page and "age-structured" in page and "2 Years ... 16 Years" in page
    assert "Minimum Eligible Age" in page  # the source's words beside the encoding
    assert 'action="/rules/NCT06674265/review"' in page
    for refused in (sam, boss):
        seen = _review_page(refused).get_data(as_text=True)
        assert 'action="/rules/NCT06674265/review"' not in seen  # no form shown to those who may not use it
        token = csrf_token(seen)
        assert refused.post(f"/rules/{TRIAL}/comment", data={"csrf_token": token, "criterion_id": f"{TRIAL}-AGE",
                                                             "text": "x"}).status_code == 403
        assert refused.post(f"/rules/{TRIAL}/review", data={"csrf_token": token, "note": "x"}).status_code == 403
    token = csrf_token(page)
    added = ivy.post(f"/rules/{TRIAL}/comment", data={"csrf_token": token, "criterion_id": f"{TRIAL}-AGE",
                                                      "text": "completed years: agreed"})
    assert added.status_code == 303
    assert "completed years: agreed" in _review_page(ivy).get_data(as_text=True)
    reviewed = ivy.post(f"/rules/{TRIAL}/review", data={"csrf_token": token, "note": "all criteria checked"})
    assert reviewed.status_code == 303
    after = _review_page(ivy).get_data(as_text=True)
    assert "Reviewed by <strong>ivy</strong>" in after and "all criteria checked" in after
    from screener.web.storage import get_store

    with app.app_context():
        events = [e for e in get_store().events() if e.action.startswith("ruleset.")]
        assert [e.action for e in events] == ["ruleset.comment", "ruleset.reviewed"]
        assert all(e.actor == "user:ivy" for e in events)
        assert get_store().verify().ok


def test_web_bad_review_input_is_a_422_naming_the_field_without_echo(draft_site):
    app = draft_site
    ivy, _ = signed_in_browser(app, "ivy", PASSWORD)
    token = csrf_token(_review_page(ivy).get_data(as_text=True))
    words = "Jane Doe born 2015 " * 60
    long = ivy.post(f"/rules/{TRIAL}/comment", data={"csrf_token": token, "criterion_id": f"{TRIAL}-AGE",
                                                     "text": words})
    assert long.status_code == 422 and "text:" in long.get_data(as_text=True)
    assert "Jane Doe" not in long.get_data(as_text=True)
    unknown = ivy.post(f"/rules/{TRIAL}/comment", data={"csrf_token": token, "criterion_id": "NOPE-1", "text": "x"})
    assert unknown.status_code == 422 and "criterion_id:" in unknown.get_data(as_text=True)
    empty = ivy.post(f"/rules/{TRIAL}/review", data={"csrf_token": token, "note": " "})
    assert empty.status_code == 422 and "note:" in empty.get_data(as_text=True)
    assert ivy.post("/rules/NOPE/review", data={"csrf_token": token, "note": "x"}).status_code == 404
    assert ivy.post(f"/rules/{TRIAL}/review", data={"note": "x"}).status_code == 400  # no CSRF token
    from screener.web.storage import get_store

    with app.app_context():
        assert not [e for e in get_store().events() if e.action.startswith("ruleset.")]


@pytest.mark.parametrize("forgery", ["edited", "inserted", "deleted"])
def test_audit_verify_catches_a_forged_review_row(database_url, tmp_path, forgery):
    from screener import review
    from screener.audit import open_store
    from screener.model.review import CommentRequest, ReviewRequest

    store = open_store(database_url, tmp_path)
    review.record_comment(store, TRIAL, CommentRequest(criterion_id=f"{TRIAL}-I1", text="fine"), actor="user:ivy")
    kept = review.record_review(store, TRIAL, ReviewRequest(note="checked"), actor="user:ivy")
    assert store.verify().ok
    # Another id for the inserted copy: its first character changed (to "f", or to "e" when it is "f" already: the
    # copy once collided with its own original, one run in sixteen).
    forged_id = ("e" if kept.review_id.startswith("f") else "f") + kept.review_id[1:]
    statement = {
        "edited": "UPDATE rule_set_reviews SET actor = 'user:someone-else' WHERE kind = 'reviewed'",
        "inserted": "INSERT INTO rule_set_reviews (id, trial_id, kind, rule_set_version, rule_set_digest, "
                    f"criterion_id, text, recorded_at, actor, content_hash) SELECT '{forged_id}', trial_id, "
                    "kind, rule_set_version, rule_set_digest, criterion_id, text, recorded_at, 'user:mallory', "
                    f"content_hash FROM rule_set_reviews WHERE id = '{kept.review_id}'",
        "deleted": f"DELETE FROM rule_set_reviews WHERE id = '{kept.review_id}'",
    }[forgery]
    tamper(store, statement)
    result = store.verify()
    assert not result.ok and "rule_set_reviews row" in result.problem, result.problem
    assert {"edited": "altered", "inserted": "has no audit event", "deleted": "is gone"}[forgery] in result.problem


def test_every_verdict_under_draft_rules_is_shown_labelled_through_the_one_mapping(drafts, eligible_record):
    from screener.screening import screen
    from screener.web.verdicts import verdict_view, verdicts

    allow_draft_rules(True)
    report = screen(eligible_record, TRIAL, config_date())
    for verdict in verdicts():
        label = verdict_view(verdict, report.model_copy(update={"verdict": verdict})).label
        assert label.startswith("DRAFT RULES — "), label
    assert verdict_view(report.verdict, report).label == report.verdict_text
