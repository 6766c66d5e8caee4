"""A fact's words in Persian: every sentence and every word of data through the reasons catalogue, Solar Hijri dates,
Persian digits with the fa locale's separators, units and abbreviations in Latin script; English untouched."""
import json
import re
from datetime import date

import pytest
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

from screener.facts.catalogue import catalogue, category_words
from screener.facts.derive import derive
from screener.facts.keys import DaysSinceFact, Event, LabFact, RecordFact, TransfusionFreeFact
from screener.model.labs import LAB_LABELS, TRANSFUSION_WORDS, UNIT_LABELS
from screener.model.language import persian_digits
from screener.model.ruleset import Lookback
from screener.rules import load_tables
from screener.screening import parse_record
from screener.wording import facts as words
from screener.wording.catalogues import catalogue_path
from screener.wording.terms import data_terms, reasons_messages, reasons_msgids

LOOKBACK = Lookback(labs_days=14, imaging_days=42, findings_days=14, attestations_days=14, rationale="test")
AS_OF = date(2026, 11, 22)  # 1 Azar 1405
STEROID = DaysSinceFact(Event(medication_class="systemic_corticosteroid", min_prednisone_mg_kg_day=0.5), 7)
FA = words.reader("fa")
PLACEHOLDER = re.compile(r"%\((\w+)\)s")
# Latin script a Persian chart keeps: unit labels, dose units, abbreviations, drug names (the test's own inputs).
LATIN_KEPT = sorted(
    {label for label in UNIT_LABELS.values() if label} | {"U/L", "mg/dL", "g/dL", "mg/kg/day", "mg/day", "CYP3A4"},
    key=len, reverse=True,
)
ENGLISH = re.compile(r"\b(recorded|days?|before|after|transfusion|the|not|dated|record|none|ongoing)\b")


def _po() -> dict:
    with catalogue_path("reasons", "fa").open("rb") as po:
        return {m.id: m for m in read_po(po) if m.id}


def _facts(record: dict, *keys) -> dict:
    return derive(parse_record(json.dumps(record)), AS_OF, keys, LOOKBACK, load_tables())


def _persian(text: str) -> str:
    """A Persian text: every placeholder filled, no English word order left, digits Persian outside Latin tokens."""
    assert text and "%(" not in text and "%s" not in text, text
    bare = _bare(text)
    assert not re.search(r"[0-9]", bare), text
    assert not ENGLISH.search(bare), text
    return text


def _bare(text: str) -> str:
    """The text without the Latin script a Persian chart keeps."""
    for kept in LATIN_KEPT:
        text = text.replace(kept, "")
    return text


def _both(fact, what):
    """The English and the Persian words of one part of a fact."""
    part = {"display": words.display, "missing": words.missing}.get(what)
    if part is None:
        return words.settle(fact.settle, words.READER), words.settle(fact.settle, FA)
    return part(fact, words.READER), part(fact, FA)


def _reads(fact, what, english, persian=None) -> str:
    """One part of a fact reads as these English words, and in Persian as these (None: checked by the caller)."""
    got_english, got_persian = _both(fact, what)
    assert got_english == english
    assert persian is None or _persian(got_persian) == persian
    return _persian(got_persian)


# --- the catalogue --------------------------------------------------------------------------------------------
def test_every_msgid_the_wording_says_has_a_persian_translation_with_the_same_placeholders():
    with catalogue_path("reasons", "fa").open("rb") as po:
        catalog = read_po(po)
    said = reasons_messages()
    assert len(said) > 390  # the sentences of the wording, the reasons, the to-dos and the summary, and the data words
    assert set(reasons_msgids()) <= {m for m, _ in said}
    for msgid, context in said:
        message = catalog.get(msgid, context=context)
        assert message is not None and not message.fuzzy, f"untranslated: {msgid!r}"
        # A plural's every Persian form (Persian has one) holds the placeholders of both English forms.
        english = [msgid] if isinstance(msgid, str) else list(msgid)
        persian = [message.string] if isinstance(message.string, str) else list(message.string)
        wanted = sorted(set(PLACEHOLDER.findall("".join(english))))
        for form in persian:
            assert form, f"untranslated: {msgid!r}"
            assert sorted(set(PLACEHOLDER.findall(form))) == wanted, msgid
            assert "%" not in PLACEHOLDER.sub("", form), msgid  # a stray % would break the formatting


def test_the_extraction_keeps_plurals_and_contexts():
    """The catalogue's plurals (count/ngettext) and contexts (pgettext) are extracted as such, not as bare msgids."""
    said = reasons_messages()
    plurals = [m for m, _ in said if isinstance(m, tuple)]
    assert ("%(n)s criterion fails (%(ids)s)", "%(n)s criteria fail (%(ids)s)") in plurals
    assert ("%(label)s, %(n)s criterion encoded", "%(label)s, %(n)s criteria encoded") in plurals  # model/verdict.py
    assert len(plurals) >= 8
    assert ("; ", "between the clauses of a list") in said and (", ", "between the items of a list") in said
    assert ("Repeat by %(date)s what this criterion is judged on: its data will be too old by then", None) in said
    assert ("INELIGIBLE", None) in said and ("DRAFT RULES", None) in said  # the verdict labels, chosen from data
    assert (" × age/sex maximum", None) in said  # a threshold's multiple (wording/thresholds.py)


def test_the_words_of_data_are_msgids_not_a_second_copy_of_the_data():
    terms = set(data_terms())
    for info in catalogue().values():
        assert info.description in terms
        assert {w for w in (info.words.label, info.words.yes, info.words.no, info.words.ask, info.words.attested)
                if w} <= terms
        assert {info.value_words(code) for code in info.categories} <= terms
    assert set(category_words().values()) | set(TRANSFUSION_WORDS.values()) | set(LAB_LABELS.values()) <= terms
    # Every field's label reads in Persian (an abbreviation such as ANC may stay as it is).
    unchanged = [info.label for info in catalogue().values() if words.label_of(info, FA) == info.label]
    assert sorted(unchanged) == ["AGC", "ALT", "ANC", "AST", "INR", "PTT"]


@pytest.mark.parametrize("kept", ["ALT", "AST", "ANC", "MIBG", "FDG-PET", "CTCAE v5.0", "CYP3A4", "RxNorm", "ULN",
                                  "mg/kg/day", "Lansky", "Karnofsky", "MYCN", "HIV", "MRI", "CT", "I-123"])
def test_abbreviations_units_and_codes_stay_in_latin_script(kept):
    po = _po()
    def forms(text) -> tuple:  # a plural's msgid and msgstr are tuples of its forms
        return text if isinstance(text, tuple) else (text,)

    holding = [m for m in po.values()
               if any(re.search(rf"(?<![\w-]){re.escape(kept)}(?![\w-])", f) for f in forms(m.id))]
    assert holding, kept
    for message in holding:
        assert all(kept in f for f in forms(message.string)), (kept, message.id, message.string)


# --- the styles -----------------------------------------------------------------------------------------------
def test_english_readers_read_the_reader_style_and_the_persian_style_is_built_once():
    assert words.reader("en") is words.READER and words.reader() is words.READER
    assert words.reader("fa") is FA
    assert FA.language == "fa" and not FA.paths and FA.unit("10*3/uL") == "×10³/µL" and FA.unit("g/dL") == "g/dL"
    assert FA.day(AS_OF) == "۱ آذر ۱۴۰۵"


@pytest.mark.parametrize("english", ["1,234.5", "142,000", "0.57", "6.67", "38", "1,000,000"])
def test_persian_numbers_are_the_fa_locale_s_with_persian_digits(english):
    value = float(english.replace(",", ""))
    babel = format_decimal(value, format="#,##0.##", locale="fa", numbering_system="default")
    assert words.persian_number(english) == persian_digits(babel)


# --- representative facts -------------------------------------------------------------------------------------
def test_a_lab_value_with_its_unit_and_transfusion_date(eligible_json):
    key = TransfusionFreeFact("platelets", 7)
    english, persian = _both(_facts(eligible_json, key)[key], "display")
    assert english == "142 ×10³/µL (= 142,000 /µL); drawn 17 days after the last platelet transfusion (1 Nov 2026)"
    assert _persian(persian) == (
        "۱۴۲ ×10³/µL (= ۱۴۲٬۰۰۰ /µL)؛ نمونه‌گیری ۱۷ روز پس از آخرین ترانسفوزیون پلاکت (۱۰ آبان ۱۴۰۵)"
    )


def test_a_too_old_value(eligible_json):
    eligible_json["observations"][0]["date"] = "2026-10-01"  # platelets, 52 days before the as-of date
    key = LabFact("platelets")
    fact = _facts(eligible_json, key)[key]
    english, persian = _both(fact, "missing")
    assert english == ("too old: the last Platelet count (1 Oct 2026) is 52 days before 22 Nov 2026; this rule set "
                       "uses values up to 14 days old")
    assert _persian(persian) == ("قدیمی‌تر از حد مجاز: آخرین شمارش پلاکت (۹ مهر ۱۴۰۵)، ۵۲ روز پیش از ۱ آذر ۱۴۰۵ است؛ "
                                 "این مجموعه قواعد مقادیر حداکثر ۱۴ روزه را می‌پذیرد")
    english, persian = _both(fact, "settle")
    assert "dated within the last 14 days" in english
    assert _persian(persian).startswith("شمارش پلاکت") and "۱۴ روز اخیر" in persian


def test_a_value_that_may_be_transfusion_supported(eligible_json):
    eligible_json["history"]["transfusions"] = [{"product": "platelets", "date": "2026-11-16"}]
    key = TransfusionFreeFact("platelets", 7)
    fact = _facts(eligible_json, key)[key]
    _reads(fact, "missing", "the Platelet count of 18 Nov 2026 was drawn 2 days after a platelet transfusion on "
           "16 Nov 2026: it may be transfusion-supported",
           "شمارش پلاکت مورخ ۲۷ آبان ۱۴۰۵، ۲ روز پس از ترانسفوزیون پلاکت در ۲۵ آبان ۱۴۰۵ گرفته شده است: ممکن است "
           "متأثر از ترانسفوزیون باشد")
    _reads(fact, "settle", "repeat the Platelet count on or after 23 Nov 2026 (7 days after the platelet transfusion)",
           "شمارش پلاکت را در ۲ آذر ۱۴۰۵ یا پس از آن تکرار کنید (۷ روز پس از ترانسفوزیون پلاکت)")


def test_a_medication_window_with_a_concurrent_steroid_sum(eligible_json):
    eligible_json["history"]["medications"] = [
        {"name": "hydrocortisone", "route": "oral", "dose": 1.2, "dose_unit": "mg/kg/day", "start": "2026-11-10"},
        {"name": "dexamethasone", "route": "iv", "dose": 0.04, "dose_unit": "mg/kg/day", "start": "2026-11-10"},
    ]
    english, persian = _both(_facts(eligible_json, STEROID)[STEROID], "display")
    assert "hydrocortisone 0.30 + dexamethasone 0.27 = 0.57 mg/kg/day prednisone-equivalent" in english
    _persian(persian)
    assert "hydrocortisone ۰٫۳۰ + dexamethasone ۰٫۲۷ = ۰٫۵۷ mg/kg/day معادل پردنیزون" in persian
    assert persian.startswith("مجموع ۲ مورد کورتیکواستروئید سیستمیک از ۱۹ آبان ۱۴۰۵ تا ۱ آذر ۱۴۰۵")
    assert "وریدی (IV)" in persian and "خوراکی" in persian and "(به‌تنهایی کمتر از ۰٫۵)" in persian
    assert "۰٫۵)؛ dexamethasone" in persian  # the entries listed with the Persian semicolon


def test_a_missing_value(eligible_json):
    eligible_json["findings"]["seizures"] = None
    eligible_json["observations"] = [o for o in eligible_json["observations"] if o["test"] != "777-3"]
    seizures, platelets = RecordFact("findings.seizures"), LabFact("platelets")
    got = _facts(eligible_json, seizures, platelets)
    assert _both(got[seizures], "missing") == ("seizures (none, controlled with anticonvulsants, not controlled): not "
                                                "recorded", "تشنج (ندارد، کنترل‌شده با داروی ضدتشنج، کنترل‌نشده): ثبت "
                                                "نشده است")
    assert _both(got[platelets], "missing") == ("no Platelet count recorded on or before 22 Nov 2026",
                                                 "تا تاریخ ۱ آذر ۱۴۰۵ هیچ شمارش پلاکت ثبت نشده است")
    assert words.why(got[platelets].why, FA, labelled=False) == "تا تاریخ ۱ آذر ۱۴۰۵ موردی ثبت نشده است"
    english, persian = _both(got[seizures], "settle")
    assert english.startswith("record seizures") and _persian(persian).endswith("را ثبت کنید")


def test_an_unknown_route(eligible_json):
    eligible_json["history"]["medications"] = [
        {"name": "prednisone", "route": "unknown", "dose": 1, "dose_unit": "mg/kg/day", "start": "2026-11-20"}
    ]
    fact = _facts(eligible_json, STEROID)[STEROID]
    _reads(fact, "missing", "route of prednisone recorded as unknown: systemic or not cannot be told (from 20 Nov "
           "2026, no end date (ongoing))",
           "راه مصرف prednisone به‌صورت نامعلوم ثبت شده است: سیستمیک بودن یا نبودن آن معلوم نیست (از ۲۹ آبان ۱۴۰۵، "
           "بدون تاریخ پایان (ادامه دارد))")
    persian = _reads(fact, "settle", "record the route of prednisone (oral, iv, im, sc, inhaled, topical or "
                     "intrathecal)")
    assert persian.startswith("راه مصرف prednisone را ثبت کنید (خوراکی، وریدی (IV)")


def test_the_evidence_stays_english_whatever_the_reader_reads(eligible_json):
    eligible_json["history"]["transfusions"] = [{"product": "platelets", "date": "2026-11-16"}]
    key = TransfusionFreeFact("platelets", 7)
    fact = _facts(eligible_json, key)[key]
    words.display(fact, FA)  # wording for a Persian reader first changes nothing cached for the evidence
    shown, source, why = words.evidence(fact)
    assert why == ("the Platelet count of 2026-11-18 was drawn 2 days after a platelet transfusion on 2026-11-16: it "
                   "may be transfusion-supported")
    assert shown.startswith("142 10*3/uL (= 142,000 /uL)")


def test_every_fact_of_the_pinned_screenings_reads_in_persian():
    """The report snapshot's records (demo patients, golden cases, generated records): every fact's reading, reason
    and instruction in Persian, every word looked up found in the catalogue."""
    from dataclasses import replace

    from screener.screening import _judge, compiled, rule_set_for
    from screener.wording.catalogues import translations
    from tests import report_cases

    catalogue_fa, translated, absent = translations("reasons", "fa"), set(_po()), set()

    def text(msgid: str) -> str:
        if msgid not in translated:
            absent.add(msgid)
        return catalogue_fa.gettext(msgid)

    checked, kinds = replace(FA, text=text), set()
    for _, record, trial, as_of in report_cases.cases():
        facts, _, _ = _judge(parse_record(record), compiled(rule_set_for(trial)), as_of, "reference")
        for fact in facts.values():
            kinds |= {type(part).__name__ for part in (fact.shown, fact.why, fact.settle) if part is not None}
            for part in (words.display(fact, checked), words.missing(fact, checked),
                         fact.settle and words.settle(fact.settle, checked)):
                assert not part or ("%(" not in part and not ENGLISH.search(_bare(part))), part
    assert not absent
    assert len(kinds) > 40, kinds  # readings, reasons and instructions of most kinds, not a few


def test_the_words_no_pinned_screening_shows(eligible_json):
    from screener.facts import provenance as p
    from screener.facts import reasons as r

    assert words.why(r.LimitDiffersBySex("other"), FA) == (
        "حد سنی/جنسی بر حسب جنس متفاوت است و جنس ثبت‌شده در پرونده دیگر است"
    )
    assert _persian(words.why(r.NoCreatinineLimitUnderOneMonth(), FA)).startswith("برای سن کمتر از ۱ ماه")
    assert words.why(r.NotEncoded("c1"), FA) == "هنوز کدگذاری نشده است: پیش‌نویس را بازبینی کنید"
    assert words.settle(r.RecordSex(), FA) == "جنس بیمار را ثبت کنید"
    assert _persian(words.settle(r.ReviewDraft("c1"), FA)).startswith("این معیار باید توسط یک بازبین")
    assert _persian(words.shown(p.Ongoing(), FA)).startswith("در تاریخ مبنای غربالگری ادامه دارد")
    assert words.limit_basis(p.ReportingLabLimit(), FA) == "حد بالای طبیعی آزمایشگاه گزارش‌دهنده"
    assert words.limit_basis(p.DefaultUln(40, "U/L", "Lexicomp"), FA) == "ULN پیش‌فرض ۴۰ U/L (Lexicomp)"
    assert words.limit_basis(p.CogMaximum(0.7, "female", 30, False), FA) == (
        "حداکثر COG ۰٫۷ mg/dL برای جنس مؤنث از سن ۲ سال؛ ردیف تأییدنشده"
    )
    assert words.limit_basis(p.CogMaximum(0.7, "female", 30, False), words.READER) == (
        "COG maximum 0.7 mg/dL for female from 2 years; UNVERIFIED row"
    )
    assert _persian(words.caveat(p.DefaultLimitCaveat(40, "U/L"), FA)).startswith("ULN ۴۰ U/L مقدار پیش‌فرض")
    assert _persian(words.caveat(p.UnverifiedRowCaveat(0.7, 6), FA)).startswith("حد COG ۰٫۷ mg/dL از سن ۶ ماه")
