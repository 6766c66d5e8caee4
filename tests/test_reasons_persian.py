"""A screening's words in Persian (issue 30 point 3): the same report as in English, only its sentences worded
for a Persian reader (reasons, to-dos, summary, verdict line, the criteria's titles and notes), with Persian digits
and Solar Hijri dates; a stored screening re-worded only when re-screening it gives the stored result; the API's
Accept-Language: fa for the reasons alone (issue 30 point 4)."""
import html
import json
import re
from datetime import date
from types import SimpleNamespace

import pytest

from screener import service
from screener.model.labs import LAB_LABELS, UNIT_LABELS
from screener.model.language import persian_digits
from screener.model.report import Report
from screener.rules import load_rule_sets, load_tables
from screener.screening import parse_record, screen, screen_outcome
from screener.wording.dates import when_in
from screener.wording.sentences import sentences

from .helpers import PATIENTS
from .report_cases import AS_OF, cases

NCT = "NCT06674265"
SCREEN = f"/api/v1/trials/{NCT}/screen?as_of=2026-11-22"
_WORDED = {"reason", "summary", "verdict_text", "to_settle", "to_repeat", "text", "title", "interpretation",
           "routes", "message"}  # what a language changes; everything else is the same data in every language


def _both(text: str, trial, as_of: date) -> tuple[Report, Report]:
    outcome = screen_outcome(parse_record(text), trial, as_of)
    return outcome.worded(), outcome.worded("fa")


def _structure(value, key: str | None = None):
    """The report with every worded string left out: what must not depend on the reader's language."""
    if key in _WORDED:
        return None
    if isinstance(value, dict):
        return {k: _structure(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_structure(v) for v in value]
    return value


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def _demo(patient: str, trial: str = NCT, as_of: date = AS_OF) -> tuple[Report, Report]:
    return _both((PATIENTS / f"{patient}.json").read_text(), trial, as_of)


def _assert_same_report(english: Report, persian: Report) -> None:
    en, fa = english.model_dump(mode="json"), persian.model_dump(mode="json")
    assert _structure(fa) == _structure(en)
    assert [len(c["to_settle"]) for c in fa["criteria"]] == [len(c["to_settle"]) for c in en["criteria"]]
    assert [len(t["routes"]) for t in fa["to_do"]] == [len(t["routes"]) for t in en["to_do"]]
    assert len(fa["to_settle"]) == len(en["to_settle"]) and len(fa["to_repeat"]) == len(en["to_repeat"])
    assert not [s for s in _strings(fa) if "%(" in s or "%s" in s]  # every placeholder filled
    # The evidence is for auditors and programs: English and ISO in every language.
    assert [c["evidence"] for c in fa["criteria"]] == [c["evidence"] for c in en["criteria"]]


@pytest.mark.parametrize(("patient", "trial", "verdict", "line", "summary"), [
    ("eligible", NCT, "eligible", "واجد شرایط", "همه معیارها احراز شده است"),
    ("ineligible-waiting", NCT, "ineligible", "فاقد شرایط", "معیار رد شده است"),
    ("incomplete", NCT, "incomplete", "اطلاعات ناکافی", "هیچ معیاری رد نشده است؛ ۵ معیار هنوز قابل قضاوت نیست"),
    ("eligible", "IRCT20201202049568N1", "no_known_exclusion", "بدون معیار خروج شناخته‌شده — ناقص",
     "معیار خروج شناخته‌شده‌ای وجود ندارد"),
])
def test_a_persian_report_for_each_verdict_is_the_english_report_worded_in_persian(patient, trial, verdict, line,
                                                                                     summary):
    english, persian = _demo(patient, trial)
    assert english.verdict == persian.verdict == verdict
    _assert_same_report(english, persian)
    assert persian.verdict_text.startswith(line) and summary in persian.summary
    assert english.verdict_text != persian.verdict_text and english.summary != persian.summary
    # The sentences are Persian where this branch words them (the facts' own words come with their own catalogue).
    assert all(re.search("[\u0600-\u06ff]", s) for s in [persian.verdict_text, persian.summary])


def test_a_partial_rule_set_says_how_many_criteria_it_encodes_in_persian_digits():
    english, persian = _demo("eligible", "IRCT20201202049568N1")
    n = len(english.criteria)
    assert english.verdict_text == f"NO KNOWN EXCLUSION — PARTIAL, {n} criteria encoded"
    assert persian.verdict_text == f"بدون معیار خروج شناخته‌شده — ناقص، {persian_digits(str(n))} معیار کدگذاری‌شده"
    assert f"ناقص، {persian_digits(str(n))} معیار کدگذاری‌شده" in persian.summary


def test_under_draft_rules_the_persian_line_says_so_and_never_eligible():
    draft = load_rule_sets()[NCT].model_copy(update={"status": "draft"})
    english, persian = _demo("eligible", draft)
    assert english.verdict == persian.verdict == "no_known_exclusion"
    _assert_same_report(english, persian)
    assert english.verdict_text.startswith("DRAFT RULES — NO KNOWN EXCLUSION")
    assert persian.verdict_text.startswith("قواعد پیش‌نویس — بدون معیار خروج شناخته‌شده")
    assert "واجد شرایط" not in persian.verdict_text.split("(")[0]  # the line never claims eligibility
    english, persian = _demo("incomplete", draft)
    assert persian.verdict_text == "قواعد پیش‌نویس — اطلاعات ناکافی"
    assert persian.summary.endswith(" — طبق قواعد پیش‌نویسِ بازبینی‌نشده")


def test_the_eligible_from_sentence_has_a_solar_hijri_date_in_persian_digits():
    english, persian = _demo("ineligible-waiting")
    assert english.eligible_from == persian.eligible_from == date(2026, 11, 27)
    assert "eligible from 2026-11-27 if nothing else changes" in english.summary
    hijri = when_in(date(2026, 11, 27), "fa")
    assert hijri == "۶ آذر ۱۴۰۵"
    assert f"واجد شرایط از {hijri}" in persian.summary
    failing = sum(c.status == "fail" for c in english.criteria)
    assert persian.summary.startswith(f"{persian_digits(str(failing))} معیار رد شده است (")
    assert not re.search(r"\d{4}-\d{2}-\d{2}", persian.summary)  # no ISO date left in a Persian sentence


def test_dates_and_numbers_inside_persian_reasons_are_the_readers():
    english, persian = _demo("incomplete")
    e1 = {c.id: c for c in persian.criteria}[f"{NCT}-E1"]
    assert "مورخ ۲۷ آبان ۱۴۰۵" in e1.reason  # 18 Nov 2026
    assert "بیشتر از ۵۰٬۰۰۰ /µL" in e1.reason  # the rule's threshold: Persian digits and separator, unit in Latin
    english_e1 = {c.id: c for c in english.criteria}[f"{NCT}-E1"]
    assert "on 18 Nov 2026" in english_e1.reason and "needs more than 50,000 /µL" in english_e1.reason


def test_what_to_repeat_names_the_criterion_by_its_title_and_a_solar_hijri_day():
    name, text, trial, as_of = next(c for c in cases() if c[0] == f"golden/{NCT}/126/{NCT}")
    english, persian = _both(text, trial, as_of)
    _assert_same_report(english, persian)
    assert english.to_repeat and len(english.to_repeat) == len(persian.to_repeat)
    day = when_in(english.no_fail_from, "fa")
    assert all(day in line and "کهنه خواهد بود" in line for line in persian.to_repeat)
    repeat = [t for t in persian.to_do if t.kind == "repeat_by"]
    assert repeat and all(day in t.text for t in repeat)


def test_persian_titles_and_notes_come_from_the_rule_file():
    rule_set = load_rule_sets()[NCT]
    data = rule_set.model_dump(mode="json", exclude_none=True, by_alias=True)
    data["languages"] = ["en", "fa"]
    for i, criterion in enumerate(data["criteria"]):
        words = {"title": f"عنوان معیار {i}"}
        if criterion.get("interpretation"):
            words["interpretation"] = f"یادداشت تفسیر {i}"
        criterion["translations"] = {"fa": words}
    translated = type(rule_set).model_validate_json(json.dumps(data))
    english, persian = _demo("ineligible-waiting", translated)
    _assert_same_report(english, persian)
    for i, (en, fa) in enumerate(zip(english.criteria, persian.criteria, strict=True)):
        assert fa.title == f"عنوان معیار {i}" and en.title == rule_set.criteria[i].title
        assert fa.interpretation == (f"یادداشت تفسیر {i}" if en.interpretation else None)
        assert fa.source_text == en.source_text  # the registry's verbatim words stay in the source's language
    # Without Persian in the rule file, the English title stands in a Persian report.
    for criterion in data["criteria"]:
        del criterion["translations"]
    del data["languages"]
    _, plain = _demo("ineligible-waiting", type(rule_set).model_validate_json(json.dumps(data)))
    assert [c.title for c in plain.criteria] == [c.title for c in english.criteria]
    assert [c.interpretation for c in plain.criteria] == [c.interpretation for c in english.criteria]
    # The shipped rule file's own Persian (issue 30, NCT06674265 2.4.0) is what a Persian report shows.
    _, shipped = _demo("ineligible-waiting")
    assert [c.title for c in shipped.criteria] == [(c.translations or {})["fa"].title for c in rule_set.criteria]


# --- no English left in a Persian reader's words ----------------------------------------------------------------
# The Latin script a Persian chart keeps, as single tokens: unit labels and lab abbreviations (model/labs.py, those
# written in capitals), and the abbreviations and scale names clinicians write in Latin script whatever the
# language (grading, scans, limits, genes, codes, routes). Nothing here is a word of a sentence.
_ABBREVIATIONS = {"CTCAE", "MIBG", "FDG", "PET", "MRI", "CT", "ULN", "COG", "IV", "RxNorm", "HIV", "MYCN", "Lansky",
                  "Karnofsky", "GFR", "SpO"}
_KEPT = (_ABBREVIATIONS | {token for label in UNIT_LABELS.values() for token in label.split()}
         | {label for label in LAB_LABELS.values() if label.isupper()})
_PUNCTUATION = "()[]{}:;,.،؛?!\"«»—–✔✘…=+×≥≤<>/"
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")


def _allowed_phrases(record_text: str, trial: str) -> list[str]:
    """Latin-script phrases a Persian report shows as they are, for one screening: the record's own medication
    entries as entered and the ingredient names the vocabulary reads them as (drug names), the citations of the
    ULN table's rows (model/tables.UlnRow.source: a citation, like a criterion's), the trial's and criteria's ids;
    and, while a rule set declares no Persian, its English titles (the rule file gives no other)."""
    from screener.facts.drug_names import vocabulary

    tables = load_tables()
    record = parse_record(record_text)
    names = [entry.name for entry in record.history.medications or []] if record.history else []
    words = vocabulary(tables.medications)
    ingredients = [i for name in names for i in words.resolve(name).ingredients]
    rule_set = load_rule_sets()[trial]
    phrases = names + ingredients + [row.source.strip() for row in tables.uln.rows] + [trial]
    phrases += [c.id for c in rule_set.criteria]
    if "fa" not in (rule_set.languages or []):
        phrases += [c.title for c in rule_set.criteria]
    return sorted(set(phrases), key=len, reverse=True)


def _english_runs(text: str, allowed: list[str]) -> list[str]:
    """Runs of two or more English words in a Persian text, once the allowed phrases and kept tokens are set aside
    (matched without regard to case: a chart writes predniSONE or Prednisone)."""
    for phrase in allowed:
        text = re.sub(re.escape(phrase), " § ", text, flags=re.IGNORECASE)
    runs: list[str] = []
    run: list[str] = []

    def flush():
        if len(run) >= 2:
            runs.append(" ".join(run))
        run.clear()

    for token in text.split():
        bare = token.strip(_PUNCTUATION)
        if token[0] in _PUNCTUATION:  # "(Inadequate" starts a run of its own
            flush()
        if _WORD.fullmatch(bare) and bare not in _KEPT and bare.split("-")[0] not in _KEPT:
            run.append(bare)
        else:
            flush()
        if token[-1] in _PUNCTUATION:  # "Platelets:" ends one
            flush()
    flush()
    return runs


def _reader_strings(report: Report, titles: bool):
    """Every string a Persian reader reads in a report (the evidence, for auditors, stays English)."""
    yield report.summary
    yield report.verdict_text
    yield from (warning.message for warning in report.warnings)
    yield from report.to_settle
    yield from report.to_repeat
    for todo in report.to_do:
        yield todo.text
        yield from (step for route in todo.routes for step in route)
    for criterion in report.criteria:
        yield criterion.reason
        yield from criterion.to_settle
        yield from (step.text for step in criterion.to_do)
        if titles:
            yield criterion.title


def test_the_english_finder_finds_english_and_spares_what_charts_keep():
    allowed = _allowed_phrases((PATIENTS / "eligible.json").read_text(), NCT)
    assert _english_runs("Platelets: not recorded ?", allowed) == ["not recorded"]
    assert _english_runs("پلاکت ۱۴۲ ×10³/µL — لازم: at least 50,000 /µL ✔", allowed) == ["at least"]
    assert _english_runs("ALT ۳۸ U/L مورخ ۲۷ آبان ۱۴۰۵؛ بدترین گرید CTCAE v5.0، کلیوی", allowed) == []
    assert _english_runs("آخرین 18F-FDG PET بیماری جاذب (avid)؛ I-123 MIBG", allowed) == []
    assert _english_runs("NCT06674265-E2 (Inadequate liver function): ...", []) == ["Inadequate liver function"]
    medicated = json.loads((PATIENTS / "eligible.json").read_text())
    medicated["history"]["medications"] = [
        {"name": "Dexamethasone sodium phosphate 4 mg IV", "route": "iv", "start": "2026-11-01"}]
    with_drug = _allowed_phrases(json.dumps(medicated), NCT)
    said = "Dexamethasone sodium phosphate 4 mg IV → dexamethasone، کورتیکواستروئید سیستمیک"
    assert _english_runs(said, with_drug) == []  # the entry as entered, and the drug it reads as
    assert _english_runs(said, allowed) == ["sodium phosphate"]  # another record's: only the drug's name is kept


def test_every_pinned_demo_and_golden_case_is_the_same_report_in_persian_with_no_english_sentence_left():
    checked, english_left = 0, []
    declares = {trial: "fa" in (rule_set.languages or []) for trial, rule_set in load_rule_sets().items()}
    for name, text, trial, as_of in cases():
        if name.startswith("generated/"):
            break
        english, persian = _both(text, trial, as_of)
        _assert_same_report(english, persian)
        allowed = _allowed_phrases(text, trial)
        english_left += [(name, run, said) for said in _reader_strings(persian, declares[trial])
                         for run in _english_runs(said, allowed)]
        checked += 1
    assert checked > 100
    assert english_left == []


def test_english_through_the_catalogue_is_the_pinned_english():
    """worded("en") and screen() write the same bytes (the pinned snapshot holds screen() to the old wording)."""
    text = (PATIENTS / "incomplete.json").read_text()
    assert screen_outcome(parse_record(text), NCT, AS_OF).worded("en").model_dump_json() == \
        screen(parse_record(text), NCT, AS_OF).model_dump_json()


def test_sentences_spell_numbers_and_plurals_for_the_reader():
    fa, en = sentences("fa"), sentences("en")
    assert fa.number("1,500.5") == "۱٬۵۰۰٫۵" and en.number("1,500.5") == "1,500.5"
    assert fa.number(7.0) == "۷" and en.number(7.0) == "7" and fa.number(12) == "۱۲"
    assert en.count("%(n)s criterion fails (%(ids)s)", "%(n)s criteria fail (%(ids)s)", 1, ids="E1") == \
        "1 criterion fails (E1)"
    assert en.count("%(n)s criterion fails (%(ids)s)", "%(n)s criteria fail (%(ids)s)", 2, ids="E1, E2") == \
        "2 criteria fail (E1, E2)"
    assert fa.count("%(n)s criterion fails (%(ids)s)", "%(n)s criteria fail (%(ids)s)", 2, ids="E1") == \
        "۲ معیار رد شده است (E1)"
    assert fa.either(["a", "b", "c"]) == "a، b یا c" and en.either(["a", "b", "c"]) == "a, b or c"
    assert fa.both(["a", "b"]) == "a و b" and en.both(["a", "b", "c"]) == "a and b and c"
    assert sentences("fa") is fa  # one per language: the catalogue is read once


# --- a stored screening re-worded -----------------------------------------------------------------------------------
def _row(text: str, trial: str, as_of: date, report: Report | None = None):
    """What service.worded reads of an audit row (its engine column holds versions too: the report's names it)."""
    record = parse_record(text)
    report = report or screen(record, trial, as_of)
    return SimpleNamespace(trial_id=trial, as_of=as_of.isoformat(), engine=f"{report.engine}; screener 0.1.0",
                           record_json=record.model_dump_json(), report_json=report.model_dump_json())


def test_a_stored_screening_is_reworded_in_persian_when_rescreening_gives_the_stored_result():
    text = (PATIENTS / "ineligible-waiting.json").read_text()
    row = _row(text, NCT, AS_OF)
    worded = service.worded(row, "fa")
    assert worded.reworded and worded.language == "fa"
    _assert_same_report(Report.model_validate_json(row.report_json), worded.report)
    assert worded.report.verdict_text == "فاقد شرایط"
    english = service.worded(row, "en")
    assert english.reworded and english.report == Report.model_validate_json(row.report_json)


@pytest.mark.parametrize("change", ["verdict", "status", "eligible_from", "trial", "engine", "record", "rule_set"])
def test_a_stored_screening_whose_result_changed_since_stays_in_stored_english_flagged(change):
    text = (PATIENTS / "ineligible-waiting.json").read_text()
    stored = screen(parse_record(text), NCT, AS_OF)
    data = json.loads(stored.model_dump_json())
    trial = NCT
    if change == "verdict":
        data["verdict"] = "incomplete"
    elif change == "status":
        passing = next(c for c in data["criteria"] if c["status"] == "pass")
        passing["status"] = "unknown"  # the rule set then judged this criterion otherwise
    elif change == "eligible_from":
        data["eligible_from"] = "2026-11-30"
    elif change == "engine":
        data["engine"] = "an evaluator no longer offered"
    elif change == "rule_set":  # screened under another version of the rule set: the same statuses, other words
        data["rule_set_digest"] = "sha256:" + "0" * 64
        data["rule_set_version"] = "0.0.1"
    elif change == "trial":
        trial = "NCT00000000"  # a trial no longer loaded
    changed = Report.model_validate_json(json.dumps(data))
    row = _row(text, NCT, AS_OF, changed)
    row.trial_id = trial
    if change == "record":  # stored under a schema that no longer reads it
        row.record_json = json.dumps({**json.loads(row.record_json), "field_of_an_older_schema": 1})
    worded = service.worded(row, "fa")
    assert not worded.reworded and worded.language == "en"
    assert worded.report == changed  # the stored words, unchanged


def test_the_result_page_shows_a_stored_screening_in_the_pages_language(client, monkeypatch):
    from screener.web import form
    from screener.web.storage import get_store

    body = client.post(SCREEN, data=(PATIENTS / "ineligible-waiting.json").read_text(),
                       content_type="application/json").get_json()
    with client.application.app_context():
        request_id = get_store().screening(body["screening_id"]).request_id
    _, worded = _demo("ineligible-waiting")
    failing = next(c for c in worded.criteria if c.status == "fail")
    english = html.unescape(client.get(f"/results/{request_id}").get_data(as_text=True))
    assert failing.reason not in english and "مورخ" not in english
    monkeypatch.setattr(form, "page_language", lambda: "fa")
    persian = html.unescape(client.get(f"/results/{request_id}").get_data(as_text=True))
    assert failing.reason in persian  # the reasons the page shows, re-worded from the stored screening


def test_the_page_language_is_english_without_flask_babel(app):
    from screener.web.i18n import page_language

    with app.test_request_context("/", headers={"Accept-Language": "fa"}):
        if "babel" not in app.extensions:
            assert page_language() == "en"
        else:  # once the web layer initialises Flask-Babel, its locale decides
            assert page_language() in ("en", "fa")


# --- the API's Accept-Language --------------------------------------------------------------------------------------
@pytest.mark.parametrize(("header", "language"), [
    ("fa", "fa"), ("fa-IR,fa;q=0.9,en;q=0.8", "fa"), ("en", "en"), (None, "en"), ("fa;q=abc", "en"), ("xx", "en"),
    ("en, fa;q=0.5", "en"), ("fa;q=0", "en"), ("*", "en"), ("de, fa;q=0.1", "fa"),
])
def test_accept_language_chooses_the_reasons_language_only(client, header, language):
    from screener.web.storage import get_store

    headers = {"Accept-Language": header} if header is not None else {}
    response = client.post(SCREEN, data=(PATIENTS / "incomplete.json").read_text(),
                           content_type="application/json", headers=headers)
    assert response.status_code == 200 and response.headers["Content-Language"] == language
    answered = Report.model_validate_json(json.dumps(response.get_json()["report"]))
    with client.application.app_context():
        stored = Report.model_validate_json(get_store().screening(response.get_json()["screening_id"]).report_json)
    assert stored.verdict_text == "INCOMPLETE"  # the screening recorded is English whatever was asked
    if language == "fa":
        _assert_same_report(stored, answered)
        assert answered.verdict_text == "اطلاعات ناکافی" and answered.as_of.isoformat() == "2026-11-22"
        assert all(re.search("[\u0600-\u06ff]", r) for r in answered.to_settle[:1] + [answered.summary])
        assert answered.model_dump(include={"trial_id", "verdict", "counts", "eligible_from"}) == \
            stored.model_dump(include={"trial_id", "verdict", "counts", "eligible_from"})
    else:
        assert answered == stored


def test_accept_language_fa_on_every_trial_and_errors_stay_english(client):
    response = client.post("/api/v1/screen?as_of=2026-11-22", data=(PATIENTS / "eligible.json").read_text(),
                           content_type="application/json", headers={"Accept-Language": "fa"})
    assert response.status_code == 200 and response.headers["Content-Language"] == "fa"
    reports = [Report.model_validate_json(json.dumps(r)) for r in response.get_json()["reports"]]
    assert {r.verdict_text.split("،")[0].split(" — ")[0] for r in reports} <= {
        "واجد شرایط", "فاقد شرایط", "اطلاعات ناکافی", "بدون معیار خروج شناخته‌شده"}
    refused = client.post(SCREEN, data="{}", content_type="application/json", headers={"Accept-Language": "fa"})
    assert refused.status_code == 422 and not re.search("[\u0600-\u06ff]", refused.get_data(as_text=True))


def test_the_openapi_document_describes_accept_language_on_the_screening_operations(client):
    document = client.get("/api/v1/openapi.json").json
    for path in ("/api/v1/trials/{trial_id}/screen", "/api/v1/screen"):
        operation = document["paths"][path]["post"]
        header = next(p for p in operation["parameters"] if p["in"] == "header")
        assert header["name"] == "Accept-Language" and not header["required"]
        assert "fa" in header["description"] and "English" in header["description"]
        assert operation["responses"]["200"]["headers"]["Content-Language"]["schema"]["enum"] == ["en", "fa"]


def test_every_sentence_of_the_reasons_has_its_persian_in_the_catalogue():
    """The reasons, to-dos, summary and verdict line say only msgids the extraction finds (REASONS_SOURCES), and
    each has its Persian, plurals and list punctuation included."""
    from babel.messages.pofile import read_po

    from screener.model.verdict import DRAFT_LABEL, Verdict
    from screener.wording.catalogues import catalogue_path
    from screener.wording.terms import REASONS_SOURCES, reasons_messages

    assert {"explain.py", "todos.py", "screening.py", "model/verdict.py", "wording"} <= set(REASONS_SOURCES)
    with catalogue_path("reasons", "fa").open("rb") as po:
        persian = {(m.id, m.context) for m in read_po(po)
                   if m.id and not m.fuzzy and (all(m.string) if isinstance(m.id, tuple) else m.string)}
    found = reasons_messages()
    assert len(found) > 390
    for message in [(v.label, None) for v in Verdict] + [(DRAFT_LABEL, None), ("; ", "between the clauses of a list"),
                                                         ("%(first)s; or %(then)s", None)]:
        assert message in found
    assert [message for message in found if message not in persian] == []
