"""`screener rules export-fhir`: a rule set as a FHIR R4 Bundle (docs/fhir-publishing.md).

A module of its own, one layer below cli.py, which adds the command to its `rules` group: the rules commands of
issue 28 grow beside cli.py rather than inside it, and nothing here imports cli.py back."""
from pathlib import Path

import click

from .cli_errors import InputError


@click.command("export-fhir")
@click.argument("trial_id")
@click.option("-o", "--output", "out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the Bundle here (default: standard output).")
@click.option("--allow-draft", is_flag=True,
              help="Export a rule set still marked draft; every resource then says DRAFT RULES.")
def export_fhir_command(trial_id, out, allow_draft):
    """Write TRIAL_ID's rule set as a FHIR R4 Bundle (collection): its ResearchStudy and the definitional Group of
    its eligibility criteria, one characteristic per criterion. The same rule set always gives the same bytes."""
    from .authoring.fhir_publish import publish_bundle, to_json
    from .rules import load_rule_sets

    rule_sets = load_rule_sets(allow_draft=True)  # refused below unless --allow-draft, with its own words
    if trial_id not in rule_sets:
        raise InputError("TRIAL_ID", f"unknown trial; known: {', '.join(rule_sets)}")
    rule_set = rule_sets[trial_id]
    if rule_set.status == "draft" and not allow_draft:
        raise InputError("TRIAL_ID", "its rule set is a draft, not reviewed: it is not published; --allow-draft "
                         "exports it labelled DRAFT RULES")
    text = to_json(publish_bundle(rule_set))
    if out is None:
        click.echo(text, nl=False)
    else:
        try:
            out.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise InputError("--output", f"cannot be written ({exc.strerror or 'error'})") from None
        click.echo(f"Wrote {trial_id} version {rule_set.version} as a FHIR R4 Bundle to {out}.", err=True)
    if rule_set.status == "draft":
        click.echo("DRAFT RULES: this rule set has not been reviewed; every resource is labelled so.", err=True)
