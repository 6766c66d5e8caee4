"""The signed eligibility checklist as PDF (issue 26 point 4): at most two A4 pages for every rule set, holding the
child's screening number (never the record's identifiers), the trial, protocol version and approval, every criterion
with its status and evidence and the signature block; one no longer standing says so at the top; the web route
(GET /verifications/<id>.pdf) follows the verification's visibility; the CLI writes the file."""
import datetime as dt
import io
import json
import re

import pytest
from click.testing import CliRunner
from freezegun import freeze_time
from pypdf import PdfReader

from screener import config, enrolment
from screener.audit import Accounts, open_store
from screener.checklist_pdf import ELLIPSIS, MAX_PAGES, checklist_pdf
from screener.cli import main
from screener.model.record import PatientRecord
from screener.model.verification import STATUS_WORDS
from screener.service import reports

from .helpers import PATIENTS, authorised, make_app, trial_ids
from .test_enrolment import DAY, PASSWORD, TRIAL, _approve, _people, _record, _request, _screen

ELIGIBLE = json.loads((PATIENTS / "eligible.json").read_text())


def _pages(data: bytes) -> list[str]:
    assert data.startswith(b"%PDF-")
    return [page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages]


def _words(text: str) -> str:
    return " ".join(text.split())  # lines wrapped in a table cell read as one line


def _signed(store):
    """A signed verification of SCR-0001 for NCT06674265 (the signable trial), as tests/test_enrolment.py makes it."""
    _people(store)
    _approve(store)
    number = _screen(store, _record())
    found = enrolment.checklist(store, number, TRIAL, sees=None, on=DAY)
    return enrolment.sign(store, number, TRIAL, _request(store, found), username="dr-rahimi", role="investigator",
                          on=DAY)


@pytest.fixture(scope="module")
def signed(tmp_path_factory):
    """One signature read by every layout test (a frozen view: each test changes only its copies)."""
    folder = tmp_path_factory.mktemp("signed")
    with freeze_time("2026-11-22 09:30:00"):
        return _signed(open_store(f"sqlite:///{folder / 'audit.sqlite3'}", folder))


def _longest_report(trial_id: str):
    """The trial's report with the most evidence text among the seed patients, as of the verification day."""
    found = [reports(PatientRecord.model_validate_json(path.read_text()), DAY, None, trial=trial_id)[0]
             for path in sorted(PATIENTS.glob("*.json"))]
    return max(found, key=lambda report: sum(len(c.reason) for c in report.criteria))


def _as_view(signed, report):
    """The signed view carrying another trial's report: every rule set's criteria through the same layout (only
    NCT06674265 encodes every criterion of its protocol, so only it can be signed for real)."""
    return signed.model_copy(update={"trial_id": report.trial_id, "report": report,
                                     "rule_set_version": report.rule_set_version,
                                     "rule_set_digest": report.rule_set_digest,
                                     "reviewed": [c.id for c in report.criteria]})


def test_the_signed_checklist_holds_what_the_binder_needs_and_nothing_that_names_the_child(signed):
    data = checklist_pdf(signed, printed_on=DAY)
    printed = _pages(data)
    # The document's own title travels with the file: the verification id, not the child.
    assert PdfReader(io.BytesIO(data)).metadata.title == f"Eligibility verification {signed.verification_id}"
    assert 1 <= len(printed) <= MAX_PAGES
    text = _words("\n".join(printed))
    assert "Eligibility verification - signed checklist" in text
    assert f"Screening number {signed.screening_number}" in text and signed.trial_id in text
    assert signed.report.title in text
    assert f"rule-set version {signed.rule_set_version}" in text
    assert signed.approval.reference in text and signed.approval.approved_from.isoformat() in text
    assert f"valid through {signed.valid_through.isoformat()}" in text and "no criterion is waived" in text
    for criterion in signed.report.criteria:
        assert criterion.id in text
    assert text.count("PASS") == len(signed.report.criteria)
    # The signature block: who, when (UTC), what the signature means, and what ties the paper to the trail.
    assert "Printed name Leila Rahimi" in text and "Username dr-rahimi" in text
    assert "2026-11-22 09:30:00 UTC" in text
    assert _words(signed.signature.meaning) in text
    assert signed.verification_id in text and signed.screening_content_hash in text
    # Printed as written: the criteria's units and symbols survive (a Latin-1 core font would have refused them).
    assert "×10³/µL" in text and "SpO₂" in text and "≥ 10 mm" in text
    # Nothing from the record that identifies the child: its id, its birth date in any form.
    assert ELIGIBLE["record_id"] not in text
    assert "2018-03-14" not in text and "14 Mar 2018" not in text
    # Every page names the verification and counts the pages.
    for number, page in enumerate(printed, start=1):
        assert f"Eligibility verification {signed.verification_id}" in page
        assert f"page {number} of {len(printed)}" in page


def test_a_verification_that_no_longer_stands_says_so_at_the_top_and_on_every_page(signed):
    assert "NOT VALID" not in "".join(_pages(checklist_pdf(signed, printed_on=DAY)))
    for status in ("verified_expired", "screened_since", "voided", "superseded"):
        view = signed.model_copy(update={"status": status, "status_text": STATUS_WORDS[status]})
        printed = _pages(checklist_pdf(view, printed_on=DAY + dt.timedelta(days=9)))
        top = _words(printed[0]).split("Screening number")[0]  # above the child's details: the first thing read
        assert "NOT VALID FOR REGISTRATION" in top and STATUS_WORDS[status] in top
        assert "2026-12-01, the day printed" in top
        assert all(f"NOT VALID FOR REGISTRATION: {STATUS_WORDS[status]}" in _words(page) for page in printed)
    later = signed.model_copy(update={"supersedes": "a" * 32})
    assert f"Supersedes verification {'a' * 32}" in _words(_pages(checklist_pdf(later, printed_on=DAY))[0])


@pytest.mark.parametrize("trial_id", trial_ids())
def test_every_rule_set_prints_in_at_most_two_pages_with_every_criterion(signed, trial_id):
    report = _longest_report(trial_id)
    printed = _pages(checklist_pdf(_as_view(signed, report), printed_on=DAY))
    assert len(printed) <= MAX_PAGES
    text = _words("\n".join(printed))
    for criterion in report.criteria:
        assert criterion.id in text
    assert "Leila Rahimi" in text  # the signature block made it too


def test_long_evidence_is_cut_with_an_ellipsis_and_no_criterion_is_dropped(signed):
    """Four times the evidence of the longest rule set: the type shrinks and the evidence is cut, never a row."""
    longer = [c.model_copy(update={"reason": " ".join([c.reason] * 4)}) for c in signed.report.criteria]
    view = signed.model_copy(update={"report": signed.report.model_copy(update={"criteria": longer})})
    printed = _pages(checklist_pdf(view, printed_on=DAY))
    assert len(printed) <= MAX_PAGES
    text = _words("\n".join(printed))
    assert all(c.id in text for c in longer) and ELLIPSIS in text
    assert _words(signed.signature.meaning) in text
    # The evidence that fits at the largest type is printed whole.
    assert ELLIPSIS not in _words("\n".join(_pages(checklist_pdf(signed, printed_on=DAY))))


@pytest.fixture
def site(tmp_path):
    """The app, a coordinator who screened SCR-0001 through the API, and Dr Rahimi's signed verification of it."""
    app = make_app(tmp_path)
    coordinator = authorised(app, "screener", "coordinator")
    with freeze_time("2026-11-22 09:30:00"):
        answer = coordinator.post(f"/api/v1/trials/{TRIAL}/screen?as_of=2026-11-22", data=json.dumps(ELIGIBLE),
                                  content_type="application/json")
        assert answer.status_code == 200, answer.get_data(as_text=True)
        number = answer.get_json()["screening_number"]
        from screener.web.storage import get_store

        with app.app_context():
            store = get_store()
            Accounts(store).create_user("dr-rahimi", "investigator", PASSWORD, "test")  # the coordinator exists
            _approve(store)
            found = enrolment.checklist(store, number, TRIAL, sees=None, on=DAY)
            signed = enrolment.sign(store, number, TRIAL, _request(store, found), username="dr-rahimi",
                                    role="investigator", on=DAY)
    return app, coordinator, signed


@freeze_time("2026-11-23")
def test_the_route_serves_the_pdf_to_those_who_may_read_the_verification(site):
    app, coordinator, signed = site
    url = f"/verifications/{signed.verification_id}.pdf"
    for client in (authorised(app, "investigator", "dr-other"), authorised(app, "auditor"), coordinator):
        answer = client.get(url)
        assert answer.status_code == 200 and answer.mimetype == "application/pdf"
        disposition = answer.headers["Content-Disposition"]
        assert disposition == f"attachment; filename=verification-{signed.verification_id}.pdf"
        assert signed.screening_number not in disposition
        assert answer.headers["Cache-Control"] == "no-store"
        printed = _pages(answer.get_data())
        assert len(printed) <= MAX_PAGES and signed.verification_id in printed[0]
        assert "2026-11-23, the day printed" in _words(printed[0])
    # A screener who did not screen the child: as if it did not exist. So is an id that is none.
    assert authorised(app, "screener", "another-screener").get(url).status_code == 404
    for wrong in ("0" * 32, "not-an-id", signed.verification_id.upper(), signed.screening_number):
        answer = authorised(app, "investigator", "dr-other").get(f"/verifications/{wrong}.pdf")
        assert answer.status_code == 404 and wrong not in answer.get_data(as_text=True)
    assert app.test_client().get(url).status_code in (302, 401)  # not signed in: never the file


@pytest.fixture
def cli_store(tmp_path, monkeypatch):
    monkeypatch.setattr(config, "DATABASE_URL", f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    monkeypatch.setattr(config, "SCREENER_INSTANCE_PATH", tmp_path / "instance")
    with freeze_time("2026-11-22 09:30:00"):
        return _signed(open_store())


@freeze_time("2026-11-22")
def test_the_cli_writes_the_checklist_and_refuses_a_bad_id_naming_the_argument(cli_store, tmp_path):
    out = tmp_path / "checklist.pdf"
    done = CliRunner().invoke(main, ["verifications", "pdf", cli_store.verification_id, str(out)])
    assert done.exit_code == 0, done.output
    printed = _pages(out.read_bytes())
    assert len(printed) <= MAX_PAGES and cli_store.verification_id in printed[0]
    assert cli_store.verification_id in done.stderr and "verified" in done.stderr
    for wrong in ("f" * 32, "SCR-0001", "../../etc/passwd"):
        refused = CliRunner().invoke(main, ["verifications", "pdf", wrong, str(tmp_path / "x.pdf")])
        assert refused.exit_code == 2 and "VERIFICATION_ID" in refused.output
        assert wrong not in refused.output and "Traceback" not in refused.output
    assert not (tmp_path / "x.pdf").exists()
    unwritable = CliRunner().invoke(main, ["verifications", "pdf", cli_store.verification_id,
                                           str(tmp_path / "missing" / "x.pdf")])
    assert unwritable.exit_code == 2 and "FILE" in unwritable.output
    assert re.search(r"Traceback", unwritable.output) is None
