"""`screener rules review|comment|status`: review before use (issue 28), added to the `rules` group by
screener.cli (register), so this module stays below it and needs nothing of it.

Recorded from the command line under `cli:<login>` as every CLI change is; on the web only an investigator reviews
and comments (docs/access-control.md). Refusals: exit 2 naming the argument, never echoing the words given.
"""
import getpass
import json
import textwrap
from typing import NoReturn

import click

from .cli_errors import InputError
from .model.errors import ScreenerError

_OPTIONS = {"note": "--note", "text": "--text", "criterion_id": "CRITERION_ID"}


def _refuse(exc: ScreenerError) -> NoReturn:
    from .model.errors import InvalidRecord
    from .screening import UnknownTrial

    if isinstance(exc, UnknownTrial):
        from .review import trials

        raise InputError("TRIAL_ID", f"unknown trial; known: {', '.join(trials())}") from None
    if isinstance(exc, InvalidRecord):
        first = exc.errors[0]
        name = str(first.path[-1]) if first.path else "(body)"
        raise InputError(_OPTIONS.get(name, name), first.message) from None
    raise exc


@click.command("review")
@click.argument("trial_id")
@click.option("--note", required=True, help="What was checked (one line, at most 500 characters, no names).")
def review_command(trial_id, note):
    """Record that you reviewed TRIAL_ID's rule set as loaded now, every criterion against its source words: an
    audit event naming its content digest (a later edit of the file is unreviewed again)."""
    from . import review, service
    from .audit import open_store
    from .model.review import ReviewRequest

    try:
        request = service.read_request(ReviewRequest, json.dumps({"note": note}))
        entry = review.record_review(open_store(), trial_id, request, actor=f"cli:{getpass.getuser()}")
    except ScreenerError as exc:
        _refuse(exc)
    click.echo(f"{trial_id} v{entry.rule_set_version} ({entry.rule_set_digest[:19]}…): review recorded by "
               f"{entry.recorded_by} at {entry.recorded_at}.")


@click.command("comment")
@click.argument("trial_id")
@click.argument("criterion_id")
@click.option("--text", required=True, help="The comment (one line, at most 1000 characters, no names).")
def comment_command(trial_id, criterion_id, text):
    """Record a reviewer's comment on CRITERION_ID of TRIAL_ID's rule set as loaded now: an audit event."""
    from . import review, service
    from .audit import open_store
    from .model.review import CommentRequest

    try:
        request = service.read_request(CommentRequest, json.dumps({"criterion_id": criterion_id, "text": text}))
        entry = review.record_comment(open_store(), trial_id, request, actor=f"cli:{getpass.getuser()}")
    except ScreenerError as exc:
        _refuse(exc)
    click.echo(f"{trial_id} {criterion_id}: comment recorded by {entry.recorded_by} at {entry.recorded_at}.")


@click.command("status")
@click.argument("trial_id", required=False)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def status_command(trial_id, fmt):
    """Each rule set's standing: draft (its file says so), reviewed (with the reviews recorded of this content) or
    approved (an approval of this content in force today), with reviewers' comments."""
    from . import review
    from .audit import open_store

    store = open_store()
    try:
        found = [review.standing(store, trial_id)] if trial_id else review.standings(store)
    except ScreenerError as exc:
        _refuse(exc)
    if fmt == "json":
        click.echo(json.dumps([s.model_dump(mode="json") for s in found], indent=2, ensure_ascii=False))
        return
    for s in found:
        click.echo(f"{s.trial_id} v{s.version} ({s.digest[:19]}…): {s.status.upper()}")
        click.echo(_wrap(s.text, "  "))
        for r in s.reviews:
            click.echo(_wrap(f"reviewed by {r.recorded_by} at {r.recorded_at}: {r.text}", "  "))
        for c in s.comments:
            where = "" if c.current else f" (on earlier content, v{c.rule_set_version})"
            click.echo(_wrap(f"comment on {c.criterion_id} by {c.recorded_by} at {c.recorded_at}{where}: {c.text}",
                             "  "))


def _wrap(text: str, indent: str) -> str:
    return textwrap.fill(text, width=110, initial_indent=indent, subsequent_indent=indent)


def register(rules_group: click.Group) -> None:
    for command in (review_command, comment_command, status_command):
        rules_group.add_command(command)
