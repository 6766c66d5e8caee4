"""The screening form a coordinator fills in: server-rendered, works without JavaScript, server-side validation."""
import math
import re

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request, url_for
from flask_babel import force_locale
from pydantic import ValidationError

from .. import service
from ..audit import ledger, record_of
from ..explain import plain, registry_label
from ..facts.catalogue import catalogue, record_value_kinds
from ..facts.medications import suggested_names
from ..model.calendars import is_calendar
from ..model.children import screening_number_problem, void_words
from ..model.dates import today
from ..model.errors import InvalidRecord, ScreenerError
from ..model.fields import FieldType
from ..model.flat import ValueKind, flat_value, set_path
from ..model.language import LANGUAGES
from ..model.record import Observation
from ..model.validate import validate_data
from ..rules import load_rule_sets, load_tables
from ..screening import rank
from ..wording.plausibility import question_for
from .auth import sees_everything, signed_in
from .calendar_input import date_inputs, in_page_calendar, switched, typed_in
from .drafts import draft_token, drafts
from .form_spec import HISTORY_ROWS, InputKind, form_sections
from .glance import by_status, count, glance, readable, worklist
from .i18n import N_, page_language, remember_language
from .prefill import form_values
from .storage import get_store
from .verdicts import verdict_view

bp = Blueprint("form", __name__)
bp.add_app_template_global(verdict_view)  # every page shows verdicts through the one mapping
bp.add_app_template_global(glance)  # a report's summary on every page that shows one: result and audit views
bp.add_app_template_global(by_status)
bp.add_app_template_global(registry_label)  # "Exclusion 3- (the registry's second list)", as the CLI says it
bp.add_app_template_filter(plain, "plain")  # the same, and no repository file paths (those stay in the JSON)
bp.add_app_template_filter(readable, "readable")  # interpretation notes: plain, and no repository file names
bp.add_app_template_filter(void_words, "void_words")  # a void's reason as the void form offers it
bp.add_app_template_global(draft_token)  # every screening form: what a session ending mid-entry cannot lose
ALL = "all"
PAPER_ROWS = 4  # blank rows a worksheet gives each history list (more than the form starts with: no "add a row")
_PLAIN = [
    (re.compile(r"^birth date is after the as-of date (.*)"), r"The date of birth is after the screening date (\1)."),
    (re.compile(r"^Input should be a valid (number|integer).*"), N_("Enter a number.")),
    (re.compile(r"^Input should be a valid date.*"), N_("Enter a date.")),
    (re.compile(r"^Input should be greater than or equal to (.*)"), r"Must be at least \1."),
    (re.compile(r"^Input should be greater than (.*)"), r"Must be more than \1."),
    (re.compile(r"^Input should be less than or equal to (.*)"), r"Must be at most \1."),
    (re.compile(r"^Input should be less than (.*)"), r"Must be less than \1."),
    (re.compile(r"^Input should be (.*)"), r"Must be \1."),
    (re.compile(r"^Field required$"), N_("Required.")),
]


def _plain(message: str) -> str:
    for pattern, replacement in _PLAIN:
        if pattern.match(message):
            return pattern.sub(replacement, message)
    return message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")


def _field_id(name: str) -> str:
    return "f-" + re.sub(r"[^A-Za-z0-9_-]", "-", name)


def _chosen_trials(value: str | None) -> list[str] | None:
    trials = list(load_rule_sets())
    if value == ALL:
        return trials
    return [value] if value in trials else None


class _Builder:
    """Form fields -> record JSON, remembering which input each part came from, so errors land next to it."""

    def __init__(self, form, sections):
        self.form, self.sections = form, sections
        self.dates = typed_in(form)  # in the calendar the form names (a Persian page's), else ISO
        self.errors: dict[str, str] = {}
        self.lab_of_observation: list[str] = []
        self.row_of: dict[tuple[str, int], int] = {}
        self.kinds = record_value_kinds()

    def _value(self, name: str, path: str, kind: InputKind):
        raw = (self.form.get(name) or "").strip()
        if raw == "":
            return None
        integer = self.kinds.get(path) is ValueKind.INTEGER
        if kind is InputKind.NUMBER or integer:  # a grade's select posts "2": the record wants 2
            try:
                number = flat_value(raw, ValueKind.INTEGER if integer else ValueKind.NUMBER)
            except ValueError:
                number = math.nan
            if not math.isfinite(number):  # "nan", "inf", "1e400": not a measurement
                self.errors[name] = "Enter a number."
                return None
            if integer and not isinstance(number, int):
                self.errors[name] = "Enter a whole number."
                return None
            return number
        if kind is InputKind.DATE:
            try:
                return self.dates.read(raw).isoformat()
            except ValueError as exc:
                self.errors[name] = self.dates.error(exc) or "Enter a date (YYYY-MM-DD) between 1900 and 2200."
                return None
        info = catalogue().get(path)
        attestation = info is not None and info.type is FieldType.ATTESTATION
        # an attestation's yes / no / not assessed is kept as the word; any other yes / no select is a boolean
        if kind is InputKind.SELECT and raw in ("yes", "no") and not attestation:
            return flat_value(raw, ValueKind.BOOLEAN)
        return raw

    def build(self) -> dict:
        record: dict = {}
        for section in self.sections:
            for field in section.inputs:
                value = self._value(field.name, field.name, field.kind)
                if value is not None:
                    set_path(record, field.name, value)
            for lab in section.labs:
                entered = (self.form.get(f"lab.{lab.lab}.value") or "").strip() != ""
                value = self._value(f"lab.{lab.lab}.value", "observations.value", InputKind.NUMBER)
                if entered and not (self.form.get(f"lab.{lab.lab}.date") or "").strip():
                    self.errors[f"lab.{lab.lab}.date"] = "Enter the date of this result."
                unit = self.form.get(f"lab.{lab.lab}.unit") or (lab.units[0][0] if len(lab.units) == 1 else None)
                if entered and unit is None:
                    self.errors[f"lab.{lab.lab}.unit"] = "Choose the unit of this result."
                if value is None or unit is None:
                    continue
                observation = {"test": lab.lab, "unit": unit, "value": value}
                day = self._value(f"lab.{lab.lab}.date", "observations.date", InputKind.DATE)
                if day is None and f"lab.{lab.lab}.date" not in self.errors:
                    self.errors[f"lab.{lab.lab}.date"] = "Enter the date of this result."
                observation["date"] = day
                reference = self._value(
                    f"lab.{lab.lab}.reference_high", "observations.reference_high", InputKind.NUMBER
                )
                if reference is not None:
                    observation["reference_high"] = reference
                self.lab_of_observation.append(lab.lab)
                record.setdefault("observations", []).append(observation)
            for history in section.histories:
                rows: list[dict] = []
                for i in range(rows_for(self.form, history.name)):
                    row = {}
                    for column in history.columns:
                        value = self._value(f"history.{history.name}.{i}.{column.name}", column.name, column.kind)
                        if value is not None:
                            row[column.name] = value
                    if row:
                        self.row_of[(history.name, len(rows))] = i
                        rows.append(row)
                status = self.form.get(f"history.{history.name}.status", "not_recorded")
                if status == "complete":
                    record.setdefault("history", {})[history.name] = rows
                elif rows:
                    self.errors[f"history.{history.name}.status"] = (
                        "Rows are filled in: mark the list as complete, or clear them."
                    )
        return record

    def input_for(self, path: str) -> str:
        """The form input a record path came from."""
        match = re.fullmatch(r"observations\[(\d+)\](?:\.(\w+))?", path)
        if match:
            return f"lab.{self.lab_of_observation[int(match[1])]}.{match[2] or 'value'}"
        match = re.fullmatch(r"history\.(\w+)\[(\d+)\](?:\.(\w+))?", path)
        if match:
            row = self.row_of.get((match[1], int(match[2])), int(match[2]))
            field = match[3] or ("end" if match[1] in ("medications", "chemotherapy") else "date")
            return f"history.{match[1]}.{row}.{field}"
        return path


def rows_for(form, name: str) -> int:
    try:
        return max(HISTORY_ROWS[name], min(int(form.get(f"rows.{name}", 0)), 50))
    except ValueError:
        return HISTORY_ROWS[name]


def _date_names(sections, rows) -> list[str]:
    """Every date input of the form: each is typed in the form's calendar."""
    names = ["as_of"]
    for section in sections:
        names += [f.name for f in section.inputs if f.kind is InputKind.DATE]
        names += [f"lab.{lab.lab}.date" for lab in section.labs]
        names += [f"history.{h.name}.{i}.{c.name}" for h in section.histories for i in range(rows.get(h.name, 0))
                  for c in h.columns if c.kind is InputKind.DATE]
    return names


def _labels(sections, rows) -> dict[str, str]:
    """The words a coordinator sees beside each input, for the error summary."""
    labels = {"as_of": "Screening date", "screening_number": "Screening number",
              "correction_reason": "Reason for the correction", "(form)": "Form"}
    parts = {"value": "value", "unit": "unit", "date": "date", "reference_high": "upper limit of normal"}
    for section in sections:
        labels.update({f.name: f.label for f in section.inputs})
        for lab in section.labs:
            labels.update({f"lab.{lab.lab}.{k}": f"{lab.label}, {v}" for k, v in parts.items()})
        for h in section.histories:
            labels[f"history.{h.name}.status"] = f"{h.label}: is this list complete?"
            for i in range(rows.get(h.name, 0)):
                labels.update(
                    {f"history.{h.name}.{i}.{c.name}": f"{h.label}, row {i + 1}, {c.label.lower()}" for c in h.columns}
                )
    return labels


@bp.get("/")
def index():
    return render_template("form/index.html", rule_sets=list(load_rule_sets().values()),
                           kept=drafts().kept(signed_in().username))


def _questions(builder: _Builder, record_json: dict) -> dict[str, str]:
    """Lab values a real child can have but that are usually a slip (criteria/tables/values_to_confirm.yaml): the
    question beside each lab input. Asked of every well-formed lab, even while other fields still need correcting,
    so a confirmation once ticked stays on the page."""
    table = load_tables().to_confirm
    questions = {}
    for i, observation in enumerate(record_json.get("observations", [])):
        try:
            question = question_for(validate_data(Observation, observation), table)
        except ValidationError:
            continue
        if question is not None:
            questions[builder.input_for(f"observations[{i}]")] = question
    return questions


def _confirmed(form, name: str) -> bool:
    """A value is confirmed when its box is ticked for the value now in the field (changing it asks again)."""
    return form.get(f"confirm.{name}") is not None and form.get(f"confirm.{name}") == (form.get(name) or "").strip()


def _render(
    trial: str, form, errors: dict[str, str] | None = None, status: int = 200, questions: dict[str, str] | None = None,
    kept=None,
):
    trials = _chosen_trials(trial)
    if trials is None:  # every caller has redirected an unknown choice already
        raise LookupError("the form is rendered only for a known trial choice")
    sections = form_sections(trials)
    rows = {h.name: rows_for(form, h.name) for s in sections for h in s.histories}
    labels = _labels(sections, rows)
    place = {name: i for i, name in enumerate(labels)}  # the summary lists problems in the form's own order
    errors = dict(sorted((errors or {}).items(), key=lambda item: place.get(item[0], len(place))))
    dates = date_inputs(form)
    page = render_template(
        "form/form.html",
        trial=trial,
        trials=trials,
        sections=sections,
        values=in_page_calendar(form, _date_names(sections, rows), dates),
        dates=dates,
        rows=rows,
        errors=errors,
        field_id=_field_id,
        today=dates.shown(today()),
        questions=questions or {},
        unconfirmed=[name for name in (questions or {}) if not _confirmed(form, name)],
        rule_sets=load_rule_sets(),
        labels=labels,
        medication_names=suggested_names(load_tables()) if "medications" in rows else [],
        kept=kept,
        draft_id=kept.id if kept else form.get("draft_id", ""),
    )
    return Response(page, status=status)


def _correction(form, trial: str, errors: dict[str, str]) -> tuple[str, str] | None:
    """(the screening corrected, why) when the form corrects one: service.check_correction's (one this person may
    see, of the trial screened and the same child, still counted); the reason is required."""
    corrects = (form.get("corrects") or "").strip()
    if not corrects:
        return None
    try:
        service.check_correction(get_store(), corrects, trial=trial,
                                 screening_number=(form.get("screening_number") or "").strip() or None,
                                 sees=None if sees_everything() else signed_in().actor)
    except service.NotFound:
        abort(404)
    except InvalidRecord as exc:
        for error in exc.errors:  # the corrected screening is a hidden field: its problem is the form's
            field = "screening_number" if error.field == "screening_number" else "(form)"
            errors[field] = "The screening being corrected " + error.message + "." if field == "(form)" \
                else error.message[:1].upper() + error.message[1:] + "."
    reason = (form.get("correction_reason") or "").strip()
    if not reason:
        errors["correction_reason"] = "Say what was wrong with the screening being corrected."
    elif len(reason) > 500:
        errors["correction_reason"] = "At most 500 characters."
    return corrects, reason


def _prefilled(row, trial: str, as_of: str, **extra):
    """The form for trial filled in from a stored screening's record (its screening number included)."""
    values = form_values(record_of(row))
    if row.screening_number:
        values["screening_number"] = row.screening_number
    return _render(trial, {**values, "as_of": as_of, **extra})


@bp.get("/results/<request_id>/rescreen")
def rescreen(request_id: str):
    """Screen the same child again, on a new as-of date (today by default), from the stored record."""
    rows = _request_rows(request_id)
    # A voided screening's record may be another child's (voided as the wrong patient) or a test: filling the form
    # from it would screen that record again under this child's number. Re-screen from a screening that stands.
    if ledger(get_store(), rows).voids:
        abort(409)
    trial = rows[0].trial_id if len(rows) == 1 else ALL
    return _prefilled(rows[0], trial, today().isoformat())


@bp.get("/screenings/<screening_id>/correct")
def correct(screening_id: str):
    """The form filled in from a screening, to be recorded as its correction (same as-of date, a reason)."""
    try:
        row = service.screening_for(get_store(), screening_id, None if sees_everything() else signed_in().actor)
        service.check_correction(get_store(), row.id, trial=row.trial_id, screening_number=None,
                                 sees=None)  # seen above
    except service.NotFound:
        abort(404)
    except InvalidRecord:
        abort(409)  # voided, or corrected already: the form would be refused when sent
    return _prefilled(row, row.trial_id, row.as_of, corrects=row.id)


@bp.get("/screen")
def screen_form():
    trial = request.args.get("trial")
    if trial is None or _chosen_trials(trial) is None:
        return redirect(url_for("form.index"))
    return _render(trial, request.args)


@bp.get("/screen/worksheet")
def worksheet():
    """The form on paper: every field the chosen trials need, grouped as the form groups them, with a blank."""
    trial = request.args.get("trial")
    trials = _chosen_trials(trial)
    if trials is None:
        return redirect(url_for("form.index"))
    return render_template(
        "form/worksheet.html",
        trial=trial,
        trials=trials,
        sections=form_sections(trials),
        paper_rows={name: max(rows, PAPER_ROWS) for name, rows in HISTORY_ROWS.items()},
        dates=date_inputs(request.args),
    )


@bp.post("/screen")
def screen_submit():
    form = request.form
    trial = form.get("trial")
    trials = _chosen_trials(trial)
    if trial is None or trials is None:
        abort(400)
    action = form.get("action", "")
    verb, _, name = action.partition(":")
    if verb == "add":  # "add:<history list>": one more empty row; no validation yet
        copy = form.to_dict()
        if name in HISTORY_ROWS:
            copy[f"rows.{name}"] = str(rows_for(form, name) + 1)
        return _render(trial, copy)
    if verb == "language" and name in LANGUAGES:  # the switch on the form: what is typed, in the other language
        with force_locale(name):
            return remember_language(_render(trial, form), name)
    if verb == "calendar" and is_calendar(name):  # "calendar:<calendar>": the dates typed so far, shown in it
        sections = form_sections(trials)
        rows = {h.name: rows_for(form, h.name) for s in sections for h in s.histories}
        return _render(trial, switched(form, _date_names(sections, rows), name))
    builder = _Builder(form, form_sections(trials))
    record_json = builder.build()
    correcting = _correction(form, trial, builder.errors)
    number = (form.get("screening_number") or "").strip()
    if number:
        problem = screening_number_problem(number)
        if problem is None:
            record_json["screening_number"] = number
        else:
            builder.errors["screening_number"] = problem[:1].upper() + problem[1:] + "."
    as_of_raw = (form.get("as_of") or "").strip()
    try:
        as_of = builder.dates.read(as_of_raw)
    except ValueError as exc:
        as_of = None
        builder.errors["as_of"] = builder.dates.error(exc) or "Enter the screening date (YYYY-MM-DD)."
    # Every problem in one round trip: the form's own (not a number, not a date), the record schema's, and the
    # checks across fields (born after the screening date, an end before its start).
    errors = dict(builder.errors)
    record = None
    try:
        record = service.read_data(record_json, as_of)
    except InvalidRecord as exc:
        for error in exc.errors:
            errors.setdefault(builder.input_for(error.field), _plain(error.message))
    questions = _questions(builder, record_json)
    if errors or record is None or as_of is None:  # without an error each is set: the checks above read both
        return _render(trial, form, errors, 422, questions)
    if any(not _confirmed(form, name) for name in questions):  # nothing is screened until each is confirmed
        return _render(trial, form, status=422, questions=questions)
    try:
        screened = service.screen_and_record(
            record, as_of, channel=service.Channel.FORM, actor=signed_in().actor, recorder=get_store(),
            engine=current_app.config["SCREENER_ENGINE"], trial=None if trial == ALL else trial, trials=trials,
            corrects=correcting[0] if correcting else None, correction_reason=correcting[1] if correcting else None,
        )
    except ScreenerError as exc:
        refused = service.refusal(exc)
        if refused is None or refused.reason is service.Refusal.UNKNOWN_TRIAL:  # chosen from the loaded rule sets
            raise
        if refused.reason is service.Refusal.INVALID:  # a backstop: parse_data has run the checks needing as_of
            return _render(trial, form, {builder.input_for(e.field): _plain(e.message) for e in refused.errors}, 422)
        return _render(
            trial,
            form,
            {"(form)": "The screening could not be recorded, so no result is shown. Nothing was saved; try again."},
            503,
        )
    if form.get("draft_id"):  # a kept form, now screened: its draft has done its work
        drafts().discard(form["draft_id"], signed_in().username)
    return redirect(url_for("form.result", request_id=screened.request_id), code=303)


@bp.get("/screen/kept/<draft_id>")
def kept_form(draft_id: str):
    """A form kept when its session ended, with everything typed in it: for the user who typed it only."""
    kept = drafts().open(draft_id, signed_in().username) if re.fullmatch(r"[0-9a-f]{32}", draft_id) else None
    if kept is None or _chosen_trials(kept.trial) is None:
        abort(404)
    return _render(kept.trial, kept.fields, kept=kept)


@bp.post("/screen/kept/<draft_id>/discard")
def discard_kept(draft_id: str):
    drafts().discard(draft_id, signed_in().username)
    return redirect(url_for("form.index"), code=303)


def _request_rows(request_id: str):
    if not re.fullmatch(r"[0-9a-f]{32}", request_id):
        abort(404)
    rows = get_store().request(request_id)
    if not sees_everything():  # a screener sees their own screenings only
        rows = [row for row in rows if row.actor == signed_in().actor]
    if not rows:
        abort(404)
    return rows


@bp.get("/results/<request_id>")
def result(request_id: str):
    rows = _request_rows(request_id)
    # The reports in the page's language (the print page is this page printed); stored English if not re-wordable.
    worded = {row.id: service.worded(row, page_language()) for row in rows}
    pairs = sorted(((row, worded[row.id].report) for row in rows), key=lambda p: rank(p[1]))
    everything = worklist(report for _, report in pairs) if len(pairs) > 1 else []
    found = ledger(get_store(), rows)  # a voided screening offers no correction or second void
    voids, corrected = found.voids, {row.id for row in rows if found.superseded(row.id)}  # nor a corrected one
    # One submit is one record: every row of the request holds the same record, screened by the same person.
    return render_template(
        "form/result.html",
        pairs=pairs,
        glances=[glance(report) for _, report in pairs],
        everything=everything,
        everything_count=count(everything),
        request_id=request_id,
        first=rows[0],
        record=record_of(rows[0]),
        voids=voids,
        corrected=corrected,
        # Screenings whose rule set changed since: shown as stored (English), for the page to say so.
        not_reworded={row.id for row in rows if not worded[row.id].reworded},
        standings=dict(zip((r.trial_id for _, r in pairs), service.standings(get_store(), [r for _, r in pairs]),
                           strict=True)),
    )


@bp.get("/results/<request_id>/record.json")
def result_record(request_id: str):
    row = _request_rows(request_id)[0]
    body = record_of(row).model_dump_json(indent=2, exclude_none=True)
    return Response(
        body,
        mimetype="application/json",
        headers={"Content-Disposition": f"attachment; filename=record-{request_id[:12]}.json"},
    )
