"""`screener rules draft` and `screener rules check-source`: rule files from registry records, and whether the words
they quote still match those records. Added to the `rules` group of screener.cli."""
import sys
from pathlib import Path

import click

from .cli import rules_group
from .cli_errors import InputError


def _repo_path(path: Path) -> str:
    """The path as the rule file records it: from the repository root when the file is inside it."""
    from . import config

    root = config.SCREENER_CRITERIA_DIR.parent.resolve()
    resolved = path.resolve()
    return resolved.relative_to(root).as_posix() if resolved.is_relative_to(root) else str(path)


@rules_group.command("draft")
@click.argument("study", type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--output", "out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the draft rule file here (default: standard output).")
def draft_command(study, out):
    """Draft a rule file (status: draft) from a ClinicalTrials.gov API v2 study JSON: every eligibility item a
    criterion with its words verbatim; rules only where a pattern reads them reliably, each marked with that
    pattern; placeholders (always unknown) for the rest, each saying why."""
    from . import config
    from .authoring.draft import DraftInputError, draft_rule_file

    try:
        if study.stat().st_size > config.MAX_BODY_BYTES:
            raise InputError("STUDY", f"larger than {config.MAX_BODY_BYTES} bytes")
        raw = study.read_bytes()
    except OSError as exc:
        raise InputError("STUDY", exc.strerror or "cannot be read") from None
    try:
        text = draft_rule_file(raw, _repo_path(study))
    except DraftInputError as exc:
        pairs = [(e.field, e.message) for e in exc.errors] or [("STUDY", "cannot be read")]
        raise InputError(*pairs[0], *pairs[1:], heading="The study record cannot be drafted from:") from None
    if out is None:
        click.echo(text, nl=False)
        return
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError("--output", exc.strerror or "cannot be written") from None
    click.echo(f"Wrote the draft rule set to {out}: review it before use (`screener rules lint --allow-draft {out}`; "
               "`screener rules status` after it is in the criteria folder).", err=True)


@rules_group.command("check-source")
@click.argument("targets", nargs=-1)
def check_source_command(targets):
    """Check that each rule set's quoted registry words still match its source record (default: every rule set in
    criteria/); TARGETS are trial ids or rule files. Exit 0: all match; 1: drift, with the criteria; 2: bad input."""
    from . import config
    from .authoring.source_check import SourceUnreadable, check_rule_set
    from .rules import load_rule_set, load_rule_sets

    loaded = load_rule_sets()
    rule_sets = []
    for target in targets or list(loaded):
        if target in loaded:
            rule_sets.append(loaded[target])
        elif Path(target).is_file():
            rule_sets.append(load_rule_set(Path(target)))
        else:
            raise InputError("TRIAL_OR_FILE", f"neither a known trial nor a file; known: {', '.join(loaded)}")
    drifted = 0
    for rule_set in rule_sets:
        try:
            drifts = check_rule_set(rule_set, config.SCREENER_CRITERIA_DIR.parent)
        except SourceUnreadable as exc:
            raise InputError(f"{rule_set.trial_id}: {exc.field}", str(exc).split(": ", 1)[1]) from None
        source = rule_set.registry_record.path if rule_set.registry_record else rule_set.source_record
        if not drifts:
            checked = [c for c in rule_set.criteria if rule_set.registry_record or c.basis == "registry"]
            click.echo(f"{rule_set.trial_id}: matches {source} ({len(checked)} criteria checked)")
            continue
        drifted += 1
        click.echo(f"{rule_set.trial_id}: DRIFT from {source}")
        for drift in drifts:
            click.echo(f"  {drift.criterion or '(rule set)'}: {drift.message}")
    click.echo(f"{len(rule_sets)} rule sets, {drifted} drifted", err=bool(drifted))
    sys.exit(1 if drifted else 0)
