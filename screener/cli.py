"""The `screener` command line: screen records, lint and test rule sets, list the field catalogue."""
import getpass
import json
import os
import sys
import textwrap
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from . import config
from .cli_errors import EXIT_NOT_RECORDED, Commands, InputError, allow_draft_option, record_errors
from .roles import ROLES

if TYPE_CHECKING:
    from .model.errors import ScreenerError

# Everything else is imported inside the command that needs it: `screener --help` should not pay for pydantic,
# SQLAlchemy, the rule sets and durable-rules (about a second on this machine).

EXIT_ENGINES_DISAGREE = 4  # the durable-rules and reference evaluators disagreed: no result, nothing recorded


def _wrap(text: str, indent: str) -> str:
    return textwrap.fill(text, width=110, initial_indent=indent, subsequent_indent=indent)


def _by_title(report) -> list[str]:
    """The failing and open criteria by title and registry place, as the result page names them (the report's
    summary names them by id)."""
    from .explain import registry_label

    lines = []
    for status, words in (("fail", "fails"), ("unknown", "cannot be judged yet")):
        named = [f"{c.title} ({registry_label(c.kind, c.registry_number)})" for c in report.criteria
                 if c.status == status]
        if named:
            lines.append(_wrap(f"{words.capitalize()}: " + "; ".join(named), "  "))
    return lines


def format_text(report, standing=None) -> str:
    """A screening report (model.report.Report) as the text a coordinator reads; standing: whether its rule set is
    the version approved and in force at the site (model.approvals.Standing)."""
    from .explain import registry_label, spell_dates

    coverage = "" if report.coverage.complete else "  [PARTIAL RULE SET: " + report.coverage.statement.strip() + "]"
    lines = [
        f"{report.trial_id}: {report.title}",
        f"  rule set {report.rule_set_version} ({report.rule_set_digest[:19]}…)"
        + (" DRAFT RULES (status: draft, nobody has reviewed them)" if report.rule_set_status == "draft" else "")
        + f", engine {report.engine}, "
        f"as of {spell_dates(report.as_of)}",
        f"  VERDICT: {report.verdict_text} — {spell_dates(report.summary)}{coverage}",
        *_by_title(report),
    ]
    if standing is not None:
        label = "" if standing.status == "approved" else "NOT APPROVED (pre-screening only): "
        lines.insert(2, f"  protocol version at this site: {label}{standing.text}")
    if report.recruitment:
        lines.append(f"  recruitment: {report.recruitment.status} (as of {spell_dates(report.recruitment.as_of)})")
    for warning in report.warnings:
        lines.append(_wrap(f"CHECK {warning.field}: {warning.message} (screened as entered)", "  "))
    if report.coverage.unknown_from_source:
        gaps = "; ".join(item.rstrip(".") for item in report.coverage.unknown_from_source)
        lines.append(_wrap(f"{'not encoded' if not report.coverage.complete else 'not in the source'}: {gaps}", "  "))
    lines.append("")
    for c in report.criteria:
        kind = "INC" if c.kind == "inclusion" else "EXC"
        lines.append(f"  [{c.status.label:7}] {kind} {c.id}: {c.title} [{registry_label(c.kind, c.registry_number)}]")
        lines.append(_wrap(c.reason, "            "))
        if c.eligible_from:
            lines.append(f"            clears by waiting: passes from {spell_dates(c.eligible_from)}")
    if report.to_settle:
        lines += ["", "  To settle the unknowns:"]
        lines += [_wrap(f"- {item}", "    ") for item in report.to_settle]
    return "\n".join(lines)


def _read_record(path: str, as_of: date):
    """A native record or a FHIR R4 Bundle, told apart by resourceType (the API tells them by content type),
    with the FHIR import report (None for a native record)."""
    from .model.errors import FieldError, InvalidRecord

    too_big = InvalidRecord([FieldError(("RECORD",), f"larger than {config.MAX_BODY_BYTES} bytes")])
    if path == "-":
        raw = sys.stdin.buffer.read(config.MAX_BODY_BYTES + 1)
    elif Path(path).stat().st_size > config.MAX_BODY_BYTES:
        raise too_big
    else:
        raw = Path(path).read_bytes()
    if len(raw) > config.MAX_BODY_BYTES:
        raise too_big
    from .model.json_text import load_json
    from .service import Content, content_of, read

    data = load_json(raw, "(record)")  # the one strict reader: UTF-8, no repeated key (InvalidRecord: exit 2)
    content = content_of(data)
    return read(raw if content is Content.NATIVE else data, content, as_of)


def _today() -> date:
    from .model.dates import today  # the one clock (imported here: --help loads no pydantic)

    return today()


def _as_of(value: str | None) -> date | None:
    """--as-of through the same strict parser as the API and the form (strptime took 2026-1-5 and 9999-12-31)."""
    from .model.dates import parse_date
    from .rules import load_tables
    from .wording.plausibility import as_of_problem

    try:
        day = parse_date(value) if value is not None else None
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--as-of") from None
    problem = as_of_problem(load_tables().impossible, day) if day is not None else None
    if problem is not None:
        raise click.BadParameter(problem.message, param_hint="--as-of")
    return day


def _echo_import(imported) -> None:
    """What a FHIR import used, ignored and assumed, on stderr: the report on stdout stays the same shape."""
    click.echo(f"Read a FHIR R4 Bundle: {len(imported.used)} resources used, {len(imported.ignored)} ignored", err=True)
    for assumption in imported.assumptions:
        click.echo(_wrap(f"assumed: {assumption}", "  "), err=True)


class _Store:
    """The audit store, opened only when a screening is ready to be recorded: a record refused or an engine
    disagreement never touches the database."""

    def record(self, *args, **kwargs):
        from .audit import open_store

        return open_store().record(*args, **kwargs)


def _refuse(exc: "ScreenerError", field: str = "--corrects") -> NoReturn:
    """A refusal (service.refusal) as the command line says it: exit 2 naming the fields (or `field`: the screening
    or child asked for) without their values, the unknown trial with the known ones, exit 3 when it could not be
    recorded; anything else re-raised."""
    from .service import Refusal, refusal

    refused = refusal(exc)
    if refused is None:
        raise exc
    if refused.reason is Refusal.INVALID:
        raise record_errors(refused.errors) from None
    if refused.reason is Refusal.UNKNOWN_TRIAL:
        from .rules import load_rule_sets

        raise _unknown_trial("--trial", load_rule_sets()) from None
    if refused.reason is Refusal.NOT_FOUND:
        raise InputError(field, "no such screening or child") from None
    if refused.reason in (Refusal.CONFLICT, Refusal.NOT_PERMITTED):  # their own words: never a record's value
        raise InputError(field, refused.detail or "conflicts with what is stored") from None
    click.echo(f"It could not be recorded ({refused.kind}); nothing was written, no result is given.", err=True)
    sys.exit(EXIT_NOT_RECORDED)


def _unknown_trial(field: str, rule_sets) -> InputError:
    return InputError(field, f"unknown trial; known: {', '.join(rule_sets)}")


@click.group(cls=Commands, help=__doc__)
def main() -> None:
    pass


@main.command("screen")
@click.argument("record", type=click.Path(allow_dash=True))
@allow_draft_option
@click.option("--trial", help="Trial id, e.g. NCT06674265.")
@click.option("--all", "all_trials", is_flag=True, help="Screen against every trial, best prospects first.")
@click.option(
    "--as-of", callback=lambda _c, _p, value: _as_of(value), help="Screening date, YYYY-MM-DD (default: today)."
)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--engine", type=click.Choice([e.value for e in config.Engine]), default=None, help="Evaluator backend.")
@click.option("--screening-number", default=None,
              help="The child's screening number (SCR-0042); a FHIR Bundle has no place for it. Default: the "
                   "record's, else the next free one.")
@click.option("--corrects", default=None, help="Record this screening as the correction of screening ID (--trial).")
@click.option("--reason", "correction_reason", default=None,
              help="Why the corrected screening was wrong (no names or identifiers: kept in the trail).")
def screen_command(record, trial, all_trials, as_of, fmt, engine, screening_number, corrects, correction_reason):
    """Screen a patient RECORD: a JSON record or a FHIR R4 Bundle (a file, or - for standard input)."""
    if bool(trial) == bool(all_trials):
        raise click.UsageError("give exactly one of --trial ID or --all")
    if record != "-" and not Path(record).is_file():
        raise InputError("RECORD", "no such file")
    from . import service
    from .engine import EngineDisagreement
    from .model.errors import ScreenerError

    as_of_date: date = as_of or _today()
    try:
        patient, imported = _read_record(record, as_of_date)
        if imported is not None:
            _echo_import(imported)
        patient = service.with_screening_number(patient, screening_number, "--screening-number")
        if corrects is not None:
            _check_correction(corrects, correction_reason, trial, patient.screening_number)
        screened = service.screen_and_record(
            patient, as_of_date, channel=service.Channel.CLI, actor=f"cli:{getpass.getuser()}", recorder=_Store(),
            engine=engine, trial=None if all_trials else trial, corrects=corrects, correction_reason=correction_reason,
        )
    except EngineDisagreement as exc:
        click.echo(
            f"Screening refused: the two rule evaluators disagreed (incident {exc.incident_id}); nothing was "
            "recorded. Report the incident id.",
            err=True,
        )
        sys.exit(EXIT_ENGINES_DISAGREE)
    except ScreenerError as exc:
        _refuse(exc)
    reports = screened.reports
    from .audit import open_store

    standings = service.standings(open_store(), reports)
    click.echo(f"Recorded as screening {', '.join(screened.ids)} of child {screened.screening_number}", err=True)
    if fmt == "json":
        for r, s in zip(reports, standings, strict=True):  # beside the report, whose JSON content is pinned
            click.echo(f"{r.trial_id}: protocol version at this site: {s.text}", err=True)
        payload = [r.model_dump(mode="json") for r in reports]
        click.echo(json.dumps(payload if all_trials else payload[0], indent=2, ensure_ascii=False))
    else:
        if all_trials:
            click.echo("Trials, best prospects first:")
            for r in reports:
                failing = "; ".join(c.title for c in r.criteria if c.status == "fail")
                click.echo(f"  {r.verdict_text:10} {r.trial_id}: {r.summary}" + (f" — {failing}" if failing else ""))
            click.echo("")
        click.echo("\n\n".join(format_text(r, s) for r, s in zip(reports, standings, strict=True)))


def _check_correction(corrects: str, reason: str | None, trial: str | None, screening_number: str | None) -> None:
    """A correction names a stored screening of the trial screened and the same child that still counts
    (service.check_correction), and why."""
    from .audit import open_store
    from .model.errors import InvalidRecord
    from .service import NotFound, check_correction

    if not trial:
        raise InputError("--corrects", "a correction is of one screening: give its --trial")
    if not reason or not reason.strip() or len(reason) > 500 or not reason.isprintable():
        raise InputError("--reason", "say why the corrected screening was wrong (1 to 500 printable characters)")
    try:
        check_correction(open_store(), corrects, trial=trial, screening_number=screening_number, sees=None)
    except NotFound:
        raise InputError("--corrects", "no such screening") from None
    except InvalidRecord as exc:
        error = exc.errors[0]
        raise InputError("--screening-number" if error.field == "screening_number" else "--corrects",
                         error.message) from None


@main.group("screenings")
def screenings_group():
    """Stored screenings: void one (it stays in the trail, never counted)."""


@screenings_group.command("void")
@click.argument("screening_id")
@click.option("--reason", required=True, type=click.Choice(["entered_in_error", "wrong_patient", "test"]))
@click.option("--note", default=None, help="Optional words (no names or identifiers), at most 500 characters.")
def void_command(screening_id, reason, note):
    """Void SCREENING_ID with a reason: an audit event in the hash chain."""
    from . import service
    from .audit import open_store
    from .model.children import VoidRequest
    from .model.errors import ScreenerError

    try:
        wanted = service.read_request(VoidRequest, json.dumps({"reason": reason, **({"note": note} if note else {})}))
        service.void_screening(open_store(), screening_id, wanted, actor=f"cli:{getpass.getuser()}", sees=None)
    except ScreenerError as exc:
        _refuse(exc, "SCREENING_ID")
    click.echo(f"Voided screening {screening_id} ({reason}).")


@main.group("patients")
def patients_group():
    """Children by screening number: their screenings over time and outcomes."""


@patients_group.command("show")
@click.argument("screening_number")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def patient_show(screening_number, fmt):
    """A child's screenings per trial (counted, voided, corrected), outcomes, eligibility verification standing and
    protocol deviations."""
    from . import enrolment
    from .audit import open_store
    from .model.children import OUTCOMES
    from .model.errors import ScreenerError

    try:
        child = enrolment.patient(open_store(), screening_number, sees=None, on=_today())
    except ScreenerError as exc:
        _refuse(exc, "SCREENING_NUMBER")
    if fmt == "json":
        click.echo(child.model_dump_json(indent=2))
        return
    click.echo(f"Child {child.screening_number}")
    for course in child.trials:
        outcome = OUTCOMES[course.outcome.outcome] if course.outcome else "no outcome recorded"
        click.echo(f"  {course.trial_id}: {course.verdict or 'nothing counted'}; {outcome}")
        if course.verification is not None:
            v = course.verification
            through = f", valid through {v.valid_through}" if v.status == "verified" else ""
            click.echo(f"    eligibility verification: {v.status_text}{through} (verified on {v.verified_on} by "
                       f"{v.signed_by}; {v.verification_id})")
        else:
            click.echo("    eligibility verification: none signed")
        for d in course.deviations:
            click.echo(_wrap(f"PROTOCOL DEVIATION against {', '.join(d.criterion_ids)}: {d.reason} (recorded by "
                             f"{d.recorded_by} at {d.recorded_at}; {d.deviation_id})", "    "))
    for entry in child.screenings:
        state = ("counted" if entry.counted else f"VOIDED ({entry.void.reason})" if entry.void
                 else "corrected" if entry.corrected_by else "not counted (an earlier screening)")
        click.echo(f"  {entry.as_of} {entry.trial_id} {entry.verdict:12} {state:36} {entry.screening_id}")


@patients_group.command("outcome")
@click.argument("screening_number")
@click.option("--trial", required=True)
@click.option("--outcome", required=True, type=click.Choice(
    ["screen_failed", "eligible_not_enrolled", "consented", "enrolled", "withdrawn"]))
@click.option("--date", "on_date", default=None, help="YYYY-MM-DD (consented, enrolled, withdrawn).")
@click.option("--reason", default=None, type=click.Choice(["declined", "physician_decision", "other"]),
              help="Why an eligible child was not enrolled.")
@click.option("--note", default=None)
@click.option("--study-number", default=None)
def patient_outcome(screening_number, trial, outcome, on_date, reason, note, study_number):
    """Record what became of child SCREENING_NUMBER for a trial: an audit event in the hash chain."""
    from . import service
    from .audit import open_store
    from .model.children import OutcomeRequest
    from .model.errors import ScreenerError
    from .rules import load_rule_sets

    if trial not in load_rule_sets():
        raise _unknown_trial("--trial", load_rule_sets())
    given = {"trial_id": trial, "outcome": outcome, "date": on_date, "reason": reason, "note": note,
             "study_number": study_number}
    try:
        wanted = service.read_request(OutcomeRequest, json.dumps({k: v for k, v in given.items() if v is not None}))
        stored = service.record_outcome(open_store(), screening_number, wanted, actor=f"cli:{getpass.getuser()}")
    except ScreenerError as exc:
        _refuse(exc, "SCREENING_NUMBER")
    click.echo(f"Recorded outcome {stored.outcome} of {screening_number} for {trial} ({stored.outcome_id}).")


@main.group("verifications")
def verifications_group():
    """Signed enrolment-day eligibility verifications (signed on the web page, password entered again)."""


def format_verification(view) -> str:
    """A signed verification (model.verification.VerificationView) as the text an investigator or monitor reads:
    its standing today, the protocol version and its approval, the signature block, each criterion's status."""
    from .explain import registry_label

    standing = view.status_text + (f" (valid through {view.valid_through})" if view.status == "verified" else "")
    lines = [
        f"Eligibility verification {view.verification_id}",
        f"  child {view.screening_number}, trial {view.trial_id}",
        f"  STATUS: {standing}",
        f"  protocol: rule-set version {view.rule_set_version} ({view.rule_set_digest[:19]}…)",
        f"  approved at the site from {view.approval.approved_from}, reference {view.approval.reference} "
        f"(recorded by {view.approval.recorded_by})",
        f"  verified on {view.verified_on}, valid through {view.valid_through} (registration window "
        f"{view.registration_window_days} days); waivers: {view.waivers}",
        f"  signed by {view.signature.printed_name} ({view.signature.username}) at {view.signature.signed_at}",
        _wrap(f"meaning: {view.signature.meaning}", "  "),
        f"  re-screen signed: {view.screening_id} (content hash {view.screening_content_hash[:16]}…)",
    ]
    if view.supersedes:
        lines.append(f"  supersedes verification {view.supersedes}")
    lines.append("")
    for c in view.report.criteria:
        kind = "INC" if c.kind == "inclusion" else "EXC"
        lines.append(f"  [{c.status.label:7}] {kind} {c.id}: {c.title} [{registry_label(c.kind, c.registry_number)}]")
    return "\n".join(lines)


def _verification(verification_id: str):
    """The signed verification with this id, its standing today; exit 2 naming VERIFICATION_ID when the id is
    malformed or unknown (never looked up malformed, never echoed)."""
    import re

    from .audit import open_store
    from .enrolment import view
    from .model.errors import ScreenerError

    if not re.fullmatch(r"[0-9a-f]{32}", verification_id):
        raise InputError("VERIFICATION_ID", "must be the verification's id: 32 hexadecimal characters")
    try:
        return view(open_store(), verification_id, sees=None, on=_today())
    except ScreenerError as exc:
        _refuse(exc, "VERIFICATION_ID")


@verifications_group.command("show")
@click.argument("verification_id")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def verification_show(verification_id, fmt):
    """A signed eligibility verification: its standing today, protocol version and approval, the signature (printed
    name, time, meaning) and every criterion with its status."""

    found = _verification(verification_id)
    click.echo(found.model_dump_json(indent=2) if fmt == "json" else format_verification(found))


@main.command("fhir-bundle")
@click.argument("record", type=click.Path(allow_dash=True))
@click.option(
    "--as-of",
    callback=lambda _c, _p, value: _as_of(value),
    help="Date given to an undated weight or height, YYYY-MM-DD (default: today); the Observation says so.",
)
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), help="Write the Bundle here (default: standard output)."
)
def fhir_bundle_command(record, as_of, out):
    """Write a native patient RECORD as a FHIR R4 Bundle: coded Condition, LOINC Observations, RxNorm medications,
    Procedures. What a Bundle cannot carry (imaging, findings, attestations, …) is left out."""
    from .fhir import bundle_from_record
    from .screening import InvalidRecord

    if record != "-" and not Path(record).is_file():
        raise InputError("RECORD", "no such file")
    as_of_date = as_of or _today()
    try:
        patient, imported = _read_record(record, as_of_date)
    except InvalidRecord as exc:
        raise record_errors(exc.errors) from None
    if imported is not None:
        raise InputError("RECORD", "already a FHIR Bundle: give a native record")
    text = json.dumps(bundle_from_record(patient, as_of_date), indent=1, ensure_ascii=False) + "\n"
    if out:
        out.write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)


@main.group("rules")
def rules_group():
    """Rule sets: lint, test against golden cases, show."""


@rules_group.command("lint")
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False))
@allow_draft_option
def lint_command(files):
    """Report every problem in the rule files (default: all of criteria/, and its medication tables). A rule set
    still marked status: draft is refused for screening: reported with the criteria still marked draft, and a
    problem unless --allow-draft. Warnings (a translated title or note that may not be one: no letter of its
    language, the English words copied, other numbers than the English) are shown and do not fail."""
    from .authoring.lint import lint_paths
    from .authoring.lint_tables import lint_tables
    from .rules import RuleSetError, draft_rules_allowed, load_rule_set, rule_set_files

    paths = [Path(f) for f in files] or rule_set_files()
    found = lint_paths(paths) + ([] if files else lint_tables())
    for problem in found:
        click.echo(str(problem))
    problems = [p for p in found if not p.warning]
    warnings = len(found) - len(problems)
    drafts = 0
    for path in paths:
        try:
            rule_set = load_rule_set(path)
        except RuleSetError:
            continue  # reported above
        if rule_set.status == "draft":
            drafts += 1
            marked = [f"{c.id} ({c.draft.pattern})" for c in rule_set.criteria if c.draft is not None]
            click.echo(f"{path}: DRAFT RULES: {rule_set.trial_id} is status: draft, refused for screening"
                       + (" (allowed here by --allow-draft)" if draft_rules_allowed() else "")
                       + "; criteria still marked draft: " + (", ".join(marked) or "none"))
    tables = "" if files else " and the medication tables"
    refused = 0 if draft_rules_allowed() else drafts
    click.echo(f"{len(paths)} rule files{tables}, {len(problems)} problems"
               + (f", {warnings} warning{'s' if warnings != 1 else ''} (not failing)" if warnings else "")
               + (f", {drafts} draft{'s' if drafts != 1 else ''} refused for screening" if refused else ""),
               err=bool(problems or refused))
    sys.exit(1 if problems or refused else 0)


@rules_group.command("test")
@allow_draft_option
@click.option(
    "--engine", type=click.Choice([*(e.value for e in config.Engine), "both"]), default="both", show_default=True
)
def test_command(engine):
    """Run every golden case; fail on any mismatch or any criterion not shown passing, failing and unknown."""
    from .authoring.golden import coverage_gaps, golden_files, load_golden, run_case
    from .engine.compile import compiled
    from .rules import load_rule_sets

    engines = [e.value for e in config.Engine] if engine == "both" else [engine]
    results = []
    for path in golden_files():
        golden = load_golden(path)
        for case in golden.cases:
            for name in engines:
                result = run_case(golden, case, name)
                results.append(result)
                if not result.ok:
                    click.echo(f"FAIL {golden.trial_id} [{name}] {case.name}")
                    for mismatch in result.mismatches:
                        click.echo(f"     {mismatch}")
    rule_sets = load_rule_sets()
    tested = {r.trial_id for r in results}
    gaps = [f"{trial_id}: no golden cases" for trial_id in rule_sets if trial_id not in tested]
    gaps += coverage_gaps(results, {t: _decidable_statuses(compiled(rule_sets[t])) for t in tested if t in rule_sets})
    for gap in gaps:
        click.echo(f"GAP  {gap}")
    failed = sum(not r.ok for r in results)
    click.echo(f"{len(results) - failed} passed, {failed} failed")
    sys.exit(1 if failed or gaps else 0)


def _decidable_statuses(rule_set) -> dict[str, set[str]]:
    from .facts.catalogue import info_for
    from .model.verdict import Status

    return {
        c.id: {Status.PASS, Status.FAIL}
        | (
            {Status.UNKNOWN}
            if any((info := info_for(leaf.fact)) is None or not info.always_known for leaf in c.leaves)
            else set()
        )
        for c in rule_set.criteria
    }


@rules_group.command("show")
@click.argument("trial_id")
def show_command(trial_id):
    """Show a rule set: every criterion with its source words, citation, interpretation and encoded logic."""
    from .engine.compile import compiled, describe
    from .rules import load_rule_sets

    rule_sets = load_rule_sets(allow_draft=True)  # showing screens nothing: a draft is shown, marked
    if trial_id not in rule_sets:
        raise _unknown_trial("TRIAL_ID", rule_sets)
    rule_set = compiled(rule_sets[trial_id])
    meta = rule_set.rule_set
    click.echo(
        f"{meta.trial_id} — {meta.title}\nversion {meta.version}, {rule_set.digest}"
        + (" — DRAFT RULES (status: draft): refused for screening" if meta.status == "draft" else "") + "\n"
        f"registry ids: {', '.join(meta.registry_ids)}; source record: {meta.source_record}\n"
        f"coverage: {'complete' if meta.coverage.complete else 'PARTIAL'} — {meta.coverage.statement.strip()}"
    )
    enrolment = meta.enrolment
    click.echo(_wrap(f"waivers: {enrolment.waivers} — {enrolment.waiver_policy.strip()}", ""))
    click.echo(_wrap(
        f"registration window: {enrolment.registration_window_days} days (day 0 = the verification day; registration"
        f" up to and including day {enrolment.registration_window_days}) — {enrolment.rationale.strip()}", ""
    ) + "\n")
    for c in rule_set.criteria:
        crit = c.criterion
        click.echo(f"{crit.id} ({crit.kind}, registry item {crit.registry_number or '-'}): {crit.title}")
        if crit.draft is not None:
            click.echo(_wrap(f"DRAFT: drafted by pattern {crit.draft.pattern}"
                             + (f' from "{crit.draft.matched}"' if crit.draft.matched else "")
                             + ": check it against the source", "    "))
        click.echo(_wrap(f'source: "{crit.source_text}"', "    "))
        click.echo(_wrap(f"citation: {crit.citation.reference}, {crit.citation.section}", "    "))
        if crit.interpretation:
            click.echo(_wrap(f"interpretation: {crit.interpretation.strip()}", "    "))
        click.echo(_wrap("encoded: " + describe(c.tree), "    ") + "\n")


@rules_group.command("approve")
@click.argument("trial_id")
@click.option("--version", "version", required=True, help="The rule set's version as loaded now (rules show).")
@click.option("--from", "approved_from", required=True, help="The date it is in force from, YYYY-MM-DD.")
@click.option("--reference", required=True, help="The ethics committee's approval reference (no names).")
@click.option("--withdraw", is_flag=True, help="Record that no version is in force from the date (a withdrawal).")
def approve_command(trial_id, version, approved_from, reference, withdraw):
    """Record that the ethics committee approved TRIAL_ID's rule set (this version, as loaded now: its content
    digest is stored) for use at this site from a date. An audit event; never edited (a later approval or a
    withdrawal supersedes it from its own date)."""
    from . import service
    from .audit import open_store
    from .model.approvals import ApprovalRequest
    from .model.errors import ScreenerError

    body = {"version": version, "approved_from": approved_from, "reference": reference,
            "kind": "withdrawn" if withdraw else "approved"}
    try:
        request = service.read_request(ApprovalRequest, json.dumps(body))
        entry = service.record_approval(open_store(), trial_id, request, actor=_admin_actor())
    except ScreenerError as exc:
        _refuse_approval(exc)
    click.echo(f"{entry.trial_id} v{entry.rule_set_version} ({entry.rule_set_digest[:19]}…) {entry.kind} at this "
               f"site from {entry.approved_from.isoformat()}, reference {entry.reference}, recorded by "
               f"{entry.recorded_by}.")


_APPROVAL_OPTIONS = {"version": "--version", "approved_from": "--from", "reference": "--reference"}


def _refuse_approval(exc: "ScreenerError") -> NoReturn:
    from .model.errors import InvalidRecord
    from .service import Refusal, refusal

    refused = refusal(exc)
    if refused is not None and refused.reason is Refusal.UNKNOWN_TRIAL:
        from .rules import load_rule_sets

        raise _unknown_trial("TRIAL_ID", load_rule_sets()) from None
    if isinstance(exc, InvalidRecord):
        first = exc.errors[0]
        name = str(first.path[-1]) if first.path else "(body)"
        raise InputError(_APPROVAL_OPTIONS.get(name, name), first.message) from None
    _refuse(exc)


@rules_group.command("approvals")
@click.argument("trial_id", required=False)
def approvals_command(trial_id):
    """The amendment history at this site: each trial's approvals and withdrawals, and the version in force today."""
    from . import service
    from .audit import open_store
    from .model.errors import ScreenerError
    from .rules import load_rule_sets

    store = open_store()
    trials = [trial_id] if trial_id else list(load_rule_sets())
    for trial in trials:
        try:
            found = service.approvals_of(store, trial)
        except ScreenerError as exc:
            _refuse_approval(exc)
        today = found.in_force_today
        click.echo(f"{trial}: loaded v{found.current_version} ({found.current_digest[:19]}…); in force today: "
                   + (f"v{today.rule_set_version} (ref {today.reference}, from {today.approved_from})"
                      if today else "none (not approved at this site)"))
        for e in found.history:
            click.echo(f"  {e.approved_from}  {e.kind:9} v{e.rule_set_version} ({e.rule_set_digest[:19]}…) "
                       f"ref {e.reference}; recorded by {e.recorded_by} at {e.recorded_at}")


@rules_group.command("diff")
@click.argument("old", type=click.Path(exists=True, dir_okay=False))
@click.argument("new", type=click.Path(exists=True, dir_okay=False))
def diff_command(old, new):
    """What changed between two rule files, old and new side by side: the rule set's own fields (version,
    population, lookbacks, coverage, recruitment, changelog entries), then criteria added, removed and changed."""
    from .authoring.diff import diff, rule_set_diff
    from .rules import load_rule_set

    before, after = load_rule_set(Path(old)), load_rule_set(Path(new))
    click.echo(f"{before.trial_id}: version {before.version} -> {after.version}")
    whole = rule_set_diff(before, after)
    if whole:
        click.echo("\nRULE SET")
        _echo_sides(whole)
    changes = diff(before, after)
    for change in changes:
        click.echo(f"\n{change.change.upper()} {change.id}")
        _echo_sides(change.fields)
    click.echo(f"\n{len(whole)} rule-set field{'s' if len(whole) != 1 else ''} and {len(changes)} criteria differ")


def _echo_sides(fields: dict) -> None:
    for name, (a, b) in fields.items():
        click.echo(_wrap(f"{name} (old): {a if a not in (None, '') else '-'}", "    "))
        click.echo(_wrap(f"{name} (new): {b if b not in (None, '') else '-'}", "    "))


@rules_group.command("impact")
@click.argument("new", type=click.Path(exists=True, dir_okay=False))
@allow_draft_option
def impact_command(new):
    """Amendment impact: re-screen stored screenings under a new rule file; list whose verdict would change and why.
    A new file still marked status: draft is refused unless --allow-draft (its verdicts then never read eligible)."""
    from .audit import AmendmentImpact, open_store
    from .rules import DraftRulesRefused, draft_rules_allowed, load_rule_set

    rule_set = load_rule_set(Path(new))
    if rule_set.status == "draft" and not draft_rules_allowed():
        raise DraftRulesRefused(Path(new), rule_set.trial_id)
    store = open_store()
    run = AmendmentImpact(store, rule_set)
    changed = verdicts = 0
    for impact in run:  # streamed: each affected screening is printed as it is found
        changed += 1
        verdicts += impact.old_verdict != impact.new_verdict
        click.echo(f"screening {impact.screening_id}: {impact.old_verdict} -> {impact.new_verdict}")
        for cid, before, after, reason in impact.criteria:
            click.echo(_wrap(f"{cid}: {before} -> {after}. {reason}", "    "))
    store.note(
        f"cli:{getpass.getuser()}",
        "rules.impact",
        rule_set.trial_id,
        {"version": rule_set.version, "rescreened": run.rescreened, "changed": changed},
    )
    click.echo(
        f"{run.rescreened} screenings of {rule_set.trial_id} re-screened under version {rule_set.version}: "
        f"{verdicts} verdicts would change, {changed} screenings change in some criterion"
    )


@main.group("audit")
def audit_group():
    """The audit trail: verify the chain, list and export."""


@audit_group.command("verify")
@click.option(
    "--anchor",
    "anchors",
    multiple=True,
    metavar="SEQ:HASH",
    help="An event hash recorded outside the database earlier (repeatable); catches a trail cut back at its tail.",
)
def verify_command(anchors):
    """Walk the hash chain; name the first bad entry; check the users, api_tokens and append-only triggers against
    it. Exit 1 if the trail was tampered with.

    The last verified head is remembered in the instance folder (audit.anchor) and checked on the next run, which
    catches a trail cut back at its tail. Record the printed head (SEQ:HASH) on another machine too; pass it back
    with --anchor on later runs.
    """
    from .audit import open_store, remember, remembered

    parsed = {}
    for anchor in anchors:
        seq, _, digest = anchor.partition(":")
        if not seq.isdigit() or len(digest) != 64:
            raise click.BadParameter("use SEQ:HASH as printed by a previous verify", param_hint="--anchor")
        parsed[int(seq)] = digest
    store = open_store()
    instance = config.SCREENER_INSTANCE_PATH
    try:
        kept = remembered(instance, store.url)
    except ValueError as exc:
        click.echo(f"TAMPERED outside the chain: the remembered head {exc}")
        sys.exit(1)
    conflicting = [seq for seq in kept if seq in parsed and parsed[seq] != kept[seq]]
    if conflicting:
        click.echo(f"TAMPERED at event {conflicting[0]}: --anchor and the remembered head (audit.anchor) differ")
        sys.exit(1)
    result = store.verify({**kept, **parsed})
    click.echo(str(result))
    if result.ok:
        click.echo(f"anchor: {result.anchor}")
        remember(instance, store.url, result.events, result.head)
    sys.exit(0 if result.ok else 1)


@audit_group.command("rotate-key")
def rotate_key_command():
    """Put a new audit key in use, announced by an event signed with the old key; the old keys stay in the ring
    (instance/audit.key) to verify earlier events. Stop the service first; back up afterwards."""
    from .audit import RotationRefused, open_store, rotate_key

    try:
        seq = rotate_key(open_store(), config.SCREENER_INSTANCE_PATH, _admin_actor(), bool(config.SCREENER_AUDIT_KEY))
    except RotationRefused as exc:
        raise InputError("audit key", str(exc)) from None
    click.echo(f"rotated: event {seq} puts the new key in use; instance/audit.key holds the ring (keep a copy apart "
               "from the data, as before)")


@audit_group.command("events")
@click.option("--limit", type=click.IntRange(min=1), default=50, show_default=True)
def events_command(limit):
    """The most recent audit events."""
    from .audit import open_store

    for event in open_store().events()[-limit:]:
        click.echo(
            f"{event.seq:>6} {event.recorded_at} {event.actor:24} {event.action:20} {event.subject} {event.hash[:12]}"
        )


@audit_group.command("export")
@click.argument("what", type=click.Choice(["screenings", "events"]))
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default="json", show_default=True)
def export_command(what, fmt):
    """Export screenings or audit events (marshmallow schemas derived from the ORM models)."""
    from .audit import export, open_store

    _, chunks = export(open_store(), what, fmt, _admin_actor())
    for chunk in chunks:  # streamed: memory does not grow with the table
        click.echo(chunk, nl=False)


@main.command("batch")
@click.argument("input_path", metavar="INPUT", type=click.Path(exists=True, path_type=Path))
@allow_draft_option
@click.option("--trial", "trials", multiple=True, help="Trial id (repeatable).")
@click.option("--all", "all_trials", is_flag=True, help="Every trial.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), required=True)
@click.option(
    "--as-of", callback=lambda _c, _p, value: _as_of(value), help="Screening date, YYYY-MM-DD (default: today)."
)
@click.option("--scheduler", help="Address of an existing Dask scheduler (default: a local cluster).")
@click.option("--workers", type=click.IntRange(min=1), help="Local cluster size (default: one per core).")
@click.option("--chunk-size", type=click.IntRange(min=1), default=config.BATCH_CHUNK_RECORDS, show_default=True)
def batch_command(input_path, trials, all_trials, out_dir, as_of, scheduler, workers, chunk_size):
    """Pre-screen every record in INPUT (NDJSON, CSV, a folder of FHIR R4 Bundles or a FHIR Bulk Data export).

    Small inputs run in this process; larger ones (see BATCH_IN_PROCESS_MAX_* in screener/config.py), or any run
    given --scheduler or --workers, on a Dask cluster.
    """
    from .batch import connect, in_process, local_client, run_batch
    from .bulk_export import ExportRefused

    if bool(trials) == bool(all_trials):
        raise click.UsageError("give --trial ID (repeatable) or --all")
    from .rules import load_rule_sets

    known = load_rule_sets()  # a draft not allowed is refused here, before anything is written
    unknown = [t for t in trials if t not in known]
    if unknown:
        raise _unknown_trial("--trial", load_rule_sets())
    from .audit import StoreError

    client = None
    if scheduler:
        try:
            client = connect(scheduler)
        except (OSError, TimeoutError):
            raise InputError("--scheduler", "no Dask scheduler answered at that address") from None
    else:
        try:
            small = in_process(input_path)
        except ExportRefused as exc:
            raise InputError("INPUT", exc.args[0]) from None
        if workers is not None or not small:
            client = local_client(workers)
    click.echo(
        f"screening on {'the Dask cluster' if client else 'this process (a small input: no cluster started)'}", err=True
    )
    try:
        summary = run_batch(
            input_path, out_dir, list(trials) or None, as_of or _today(), client=client, chunk_size=chunk_size
        )
    except ExportRefused as exc:  # checked before the run writes anything
        raise InputError("INPUT", exc.args[0]) from None
    finally:
        if client is not None:
            client.close()
    try:
        from .audit import open_store

        open_store().note(
            f"cli:{getpass.getuser()}",
            "batch.run",
            summary.input_sha256[:64],
            {
                "records": summary.records,
                "malformed": summary.malformed,
                "verdicts": summary.verdicts,
                "out": str(out_dir),
            },
        )
    except StoreError as exc:
        click.echo(f"warning: the batch run could not be noted in the audit trail ({exc.kind})", err=True)
    click.echo(json.dumps(summary.as_dict(), indent=2))
    for trial, counts in summary.candidates.items():
        click.echo(f"{trial}: {counts['candidates']} candidates / {counts['screened']} screened", err=True)
    click.echo(f"candidates, best first, with what to record next: {out_dir / 'candidates.csv'}", err=True)


@main.command("backup")
@click.argument("dest", type=click.Path(file_okay=False, path_type=Path))
def backup_command(dest):
    """Back the store up into the new folder DEST: the database (SQLite online backup, or pg_dump), the audit key
    and a manifest (chain head, counts, digests). The copy is verified before it is accepted.

    DEST holds the key: keep it as carefully as instance/audit.key (docs/operations.md).
    """
    from .audit import BackupError, backup, open_store

    try:
        manifest = backup(open_store(), dest, _admin_actor())
    except BackupError as exc:
        raise InputError("DEST", str(exc)) from None
    head = manifest["chain_head"]
    counts = ", ".join(f"{n} {name}" for name, n in manifest["counts"].items())
    click.echo(f"backed up to {dest}: {counts}; chain head {head['seq']}:{head['hash']}")


@main.command("restore")
@click.argument("src", type=click.Path(exists=True, file_okay=False, path_type=Path))
def restore_command(src):
    """Restore a backup folder SRC (made by `screener backup`) into the configured store, which must be new and
    empty; its key goes to instance/audit.key. Refused (exit 2) unless the restored trail verifies and matches the
    manifest."""
    from .audit import BackupError, database_url, key_path, open_store, private_folder, remember, restore

    instance = private_folder(config.SCREENER_INSTANCE_PATH)
    url = database_url(instance)
    env_key = config.SCREENER_AUDIT_KEY.encode() if config.SCREENER_AUDIT_KEY else None
    try:
        manifest = restore(src, url, key_path(instance), env_key, _admin_actor())
    except BackupError as exc:
        raise InputError("SRC", str(exc)) from None
    head = manifest["chain_head"]
    remember(instance, url, head["seq"], head["hash"])
    store = open_store(url, instance)  # migrates a backup made by an earlier release
    store.note(_admin_actor(), "backup.restored", manifest["database"],
               {"chain_head": f"{head['seq']}:{head['hash']}", "made_by": manifest["made_by"],
                "created_at": manifest["created_at"]})
    click.echo(f"restored {src} (made {manifest['created_at']} by {manifest['made_by']}); the trail verifies to "
               f"event {head['seq']}:{head['hash']}")


@main.group("users")
def users_group():
    """Web users: add, list, disable, enable, set-role, reset-password. Every change is an audit event."""


def _accounts():
    from .audit import Accounts, open_store

    return Accounts(open_store())


@contextmanager
def _account_errors(field: str):
    """An account refusal (no such user, name taken, …) as one line naming the argument."""
    from .audit import AccountError

    try:
        yield
    except AccountError as exc:
        raise InputError(field, str(exc).removeprefix("username: ")) from None


def _admin_actor() -> str:
    return f"cli:{getpass.getuser()}"


@users_group.command("add")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), required=True)
def users_add(username, role):
    """Create a user with a generated password, shown once and replaced by the user at first sign-in."""
    with _account_errors("USERNAME"):
        # Whoever ran this saw the password: the user chooses their own before any page opens.
        password = _accounts().create_user(username, role, None, _admin_actor(), must_change=True)
    click.echo(f"created {username} ({role}); generated password, shown only now (to be replaced at first "
               f"sign-in): {password}")


@users_group.command("list")
def users_list():
    for user in _accounts().users():
        click.echo(
            f"{user.username:24} {user.role:12} {'active' if user.active else 'disabled'}  created {user.created_at}"
            + ("  (must choose a new password at next sign-in)" if user.must_change_password else "")
        )


@users_group.command("disable")
@click.argument("username")
def users_disable(username):
    with _account_errors("USERNAME"):
        _accounts().set_active(username, False, _admin_actor())
    click.echo(f"disabled {username}")


@users_group.command("enable")
@click.argument("username")
def users_enable(username):
    with _account_errors("USERNAME"):
        _accounts().set_active(username, True, _admin_actor())
    click.echo(f"enabled {username}")


@users_group.command("set-role")
@click.argument("username")
@click.argument("role", type=click.Choice(ROLES))
def users_set_role(username, role):
    """Change a user's role (an audit event)."""
    with _account_errors("USERNAME"):
        _accounts().set_role(username, role, _admin_actor())
    click.echo(f"{username} is now {role}")


@users_group.command("reset-password")
@click.argument("username")
def users_reset_password(username):
    """A generated password, shown once, to be replaced at the next sign-in; ends the user's sessions."""
    with _account_errors("USERNAME"):
        password = _accounts().reset_password(username, _admin_actor())
    click.echo(f"reset {username}; generated password, shown only now (to be replaced at sign-in): {password}")


def _interactive() -> bool:
    return sys.stdout.isatty()


@users_group.command("ensure-admin")
def users_ensure_admin():
    """On first start (no users yet): create 'admin' and print its generated password, once."""
    password = _accounts().ensure_first_admin()
    if not password:
        return
    if _interactive():
        click.echo(
            f"First start: created user 'admin' with generated password {password}  (shown only now; you will "
            "choose your own at first sign-in)"
        )
        return
    # Not a terminal: the output is probably a log (systemd, docker, CI), which must not hold a password.
    from .audit import FIRST_ADMIN_PASSWORD_FILE

    path = config.SCREENER_INSTANCE_PATH / FIRST_ADMIN_PASSWORD_FILE
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(password + "\n")
    click.echo(
        f"First start: created user 'admin'; its generated password is in {path} (readable by this user only; "
        "removed when admin chooses a new password at first sign-in)"
    )


@main.group("tokens")
def tokens_group():
    """API tokens for integrations: create (shown once), list, revoke."""


@tokens_group.command("create")
@click.argument("username")
@click.option("--name", required=True, help="What the token is for, e.g. the EHR interface.")
@click.option("--days", type=click.IntRange(1, 366), default=90, show_default=True)
@click.option("--quiet", is_flag=True, help="Print only the secret (for TOKEN=$(…) in scripts).")
def tokens_create(username, name, days, quiet):
    with _account_errors("USERNAME"):
        token_id, secret = _accounts().create_token(username, name, days, _admin_actor())
    if quiet:
        click.echo(secret)
    else:
        click.echo(f"token {token_id} for {username}, valid {days} days; the secret, shown only now:\n{secret}")


@tokens_group.command("list")
def tokens_list():
    for token, username in _accounts().tokens():
        state = f"revoked {token.revoked_at}" if token.revoked_at else f"expires {token.expires_at}"
        click.echo(f"{token.id}  {username:20} {token.name:30} {state}")


@tokens_group.command("revoke")
@click.argument("token_id")
def tokens_revoke(token_id):
    with _account_errors("TOKEN_ID"):
        _accounts().revoke_token(token_id, _admin_actor())
    click.echo(f"revoked {token_id}")


@main.group("drafts")
def drafts_group():
    """Screening forms kept (encrypted) when a session ended before they were sent."""


@drafts_group.command("purge")
def drafts_purge():
    """Delete every expired draft now (the service also does at each keep and look-up): for a cron entry, so a
    store nobody signs in to keeps none past its expiry."""
    from .audit import Drafts, open_store

    deleted = Drafts(open_store()).purge()
    click.echo(f"deleted {deleted} expired form draft{'s' if deleted != 1 else ''}")


@main.command("fields")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def fields_command(fmt):
    """The field catalogue: every fact a criterion may use, with type, unit, accepted units and LOINC codes."""
    from .facts.catalogue import catalogue, record_path_of
    from .model.labs import unit_label

    fields = catalogue()
    if fmt == "json":
        click.echo(
            json.dumps(
                [
                    {
                        "name": f.name,
                        "type": f.type,
                        "label": f.label,
                        "description": f.description,
                        "unit": f.unit,
                        "categories": list(f.categories),
                        "loinc": list(f.loinc),
                        "accepted_units": list(f.accepted_units),
                        "always_known": f.always_known,
                        "record_path": record_path_of(f),
                    }
                    for f in fields.values()
                ],
                indent=2,
            )
        )
        return
    for f in fields.values():
        extra = []
        if f.unit:
            extra.append(f"unit {f.unit}")
        if f.accepted_units:  # the UCUM codes the API takes, each with the way people write it
            extra.append(
                "accepts "
                + ", ".join(
                    code + (f" ({unit_label(code)})" if unit_label(code) not in (code, "") else "")
                    for code in f.accepted_units
                )
            )
        if f.loinc:
            extra.append("LOINC " + ", ".join(f.loinc))
        if f.categories:
            extra.append("one of " + ", ".join(f.categories))
        click.echo(f"{f.name} ({f.type}): {f.description}" + (f" [{'; '.join(extra)}]" if extra else ""))


# --- Signed eligibility verifications as PDF (the `verifications` group is defined above, with `show`) ---


def write_checklist_pdf(verification_id: str, out: Path) -> None:
    """The signed checklist of VERIFICATION_ID, as of today, written to `out`; exit 2 naming the argument when the id
    is malformed or unknown (never echoed) or the file cannot be written."""
    from .checklist_pdf import checklist_pdf

    found = _verification(verification_id)
    data = checklist_pdf(found, printed_on=_today())
    try:
        out.write_bytes(data)
    except OSError as exc:
        raise InputError("FILE", f"cannot be written ({exc.strerror or 'error'})") from None
    click.echo(f"Wrote the signed checklist of verification {verification_id} ({found.status_text}) to {out}.",
               err=True)


@verifications_group.command("pdf")
@click.argument("verification_id")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def verification_pdf(verification_id, file):
    """Write the signed eligibility checklist of VERIFICATION_ID to FILE as PDF (A4, one or two pages): the child's
    screening number, the trial, protocol version and approval, every criterion with its status and evidence, the
    signature block; one no longer standing says so at the top."""
    write_checklist_pdf(verification_id, file)


from .cli_rules_fhir import export_fhir_command  # noqa: E402  (issue 28: a rule set as FHIR)

rules_group.add_command(export_fhir_command)

from . import cli_rules_draft  # noqa: E402,F401  (its commands join rules_group)
from .cli_rules_review import register as _review_commands  # noqa: E402  rules review|comment|status (issue 28)

_review_commands(rules_group)

if __name__ == "__main__":
    main()
