"""How the command line reports failures: one plain line per problem and an exit status, never a traceback.

Exit status 2: the arguments or the input (a missing file, an unknown trial, user or token, a record or rule
file that does not validate). 3: the audit store could not be reached, so nothing is shown or changed. 1: a
failure the program did not foresee; SCREENER_DEBUG=1 shows its traceback. Messages never echo record values.
"""
import os
import sys

import click

from .model.errors import FieldError, ScreenerError

EXIT_INVALID_INPUT = 2
EXIT_NOT_RECORDED = 3


class InputError(click.ClickException, ScreenerError):
    """A bad argument or input: `Error: FIELD: message` (more lines for more problems), exit 2."""

    exit_code = EXIT_INVALID_INPUT

    def __init__(self, field: str, message: str, *more: tuple[str, str], heading: str | None = None):
        problems = [(field, message), *more]
        lines = [f"  {f}: {m}" for f, m in problems] if heading else [f"{f}: {m}" for f, m in problems]
        super().__init__("\n".join(([heading] if heading else []) + lines))
        self.heading = heading

    def show(self, file=None) -> None:
        # A record's problems open with their own heading; a single bad argument reads like click's own errors.
        click.echo(self.message if self.heading else f"Error: {self.message}", err=True)


class StoreUnavailable(click.ClickException, ScreenerError):
    exit_code = EXIT_NOT_RECORDED


def record_errors(errors: list[FieldError]) -> InputError:
    """A record that cannot be screened, every offending field named (never its value)."""
    pairs = [(e.field, e.message) for e in errors] or [("(record)", "cannot be read")]
    return InputError(*pairs[0], *pairs[1:], heading="The record cannot be screened:")


def translate(exc: Exception) -> click.ClickException:
    """The one-line report for an exception a command let through."""
    from .audit import AccountError, MissingKey, StoreError, StoreTooNew
    from .rules import DraftRulesRefused, RuleSetError
    from .screening import InvalidRecord

    if isinstance(exc, InvalidRecord):
        return record_errors(exc.errors)
    if isinstance(exc, DraftRulesRefused):
        return InputError(str(exc.file), exc.problems[0].message, heading="Draft rules refused for screening:")
    if isinstance(exc, RuleSetError):
        # A YAML error's later lines draw the offending text with a caret; its position is the line worth keeping.
        first, *rest = [
            (
                path,
                "; ".join(
                    line.strip()
                    for i, line in enumerate(message.splitlines())
                    if i == 0 or line.strip().startswith("in ")
                )
                .replace('in "<unicode string>", ', "at ")
                .rstrip(":"),
            )
            for path, message in ((p.field, p.message) for p in exc.problems)
        ]
        return InputError(*first, *rest, heading=f"The rule file {exc.file} cannot be loaded:")
    if isinstance(exc, AccountError):
        return InputError("account", str(exc))
    if isinstance(exc, MissingKey):
        return InputError("audit key", str(exc))
    if isinstance(exc, StoreTooNew):
        # Run the release that upgraded it, or restore the backup taken before the upgrade: this code cannot read it.
        return InputError("store", f"made by a newer release (schema revision {exc.revision}); use that release or "
                          "restore the backup taken before the upgrade; nothing was changed")
    if isinstance(exc, StoreError):
        return StoreUnavailable(f"the audit store could not be used ({exc.kind}); nothing was changed")
    if isinstance(exc, (FileNotFoundError, PermissionError, IsADirectoryError)):
        return InputError(exc.filename or "file", exc.strerror or type(exc).__name__)
    return click.ClickException(f"unexpected failure ({type(exc).__name__}); SCREENER_DEBUG=1 shows the traceback")


def _allow_draft(_ctx, _param, allowed: bool) -> None:
    if allowed:
        from .rules import allow_draft_rules

        allow_draft_rules(True)


# On every command that screens: rule sets with `status: draft` are refused (exit 2 naming the file and trial)
# unless this is given; every result is then labelled DRAFT RULES (docs/rule-files.md#review-before-use).
allow_draft_option = click.option(
    "--allow-draft", is_flag=True, expose_value=False, is_eager=True, callback=_allow_draft,
    help="Screen under rule sets still marked status: draft (unreviewed); every result is labelled DRAFT RULES.")


class Commands(click.Group):
    """A command group whose commands end in one line on any failure, not a traceback."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except BrokenPipeError:
            # The reader went away (`screener rules diff … | head`): stop quietly, as other tools do. Python's
            # documented recipe: point stdout at devnull so the interpreter's final flush cannot fail again.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise click.exceptions.Exit(1) from None
        except Exception as exc:
            if os.environ.get("SCREENER_DEBUG"):
                raise
            raise translate(exc) from None
