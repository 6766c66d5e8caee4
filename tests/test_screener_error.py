"""One base, ScreenerError, under every exception class the package defines; each keeps the bases it had."""
import importlib
import pkgutil

import screener
from screener.model.errors import ScreenerError

# Not imported here: the WSGI module builds the app on import, and migration scripts run inside Alembic.
_SKIPPED = ("screener.web.wsgi", "screener.audit.migrations")


def _exception_classes() -> dict[str, type]:
    found = {}
    for info in pkgutil.walk_packages(screener.__path__, "screener."):
        if info.name.startswith(_SKIPPED):
            continue
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, BaseException) and value.__module__ == module.__name__:
                found[value.__qualname__] = value
    return found


def test_every_exception_class_of_the_package_has_the_one_base():
    classes = _exception_classes()
    assert {name for name, cls in classes.items() if not issubclass(cls, ScreenerError)} == set()
    assert len(classes) >= 17  # the walk reaches every module (16 classes and the base when this was written)


def test_each_keeps_the_bases_callers_catch_it_by():
    import click
    from sqlalchemy.exc import SQLAlchemyError

    classes = _exception_classes()
    kept = {"InvalidRecord": ValueError, "CompileError": ValueError, "AccountError": ValueError,
            "UnknownTrial": KeyError, "EngineDisagreement": RuntimeError, "EngineFault": RuntimeError,
            "InputError": click.ClickException, "StoreUnavailable": click.ClickException,
            "MigrationFailed": SQLAlchemyError, "RecordingFailed": SQLAlchemyError,
            "StoreTooNew": classes["StoreError"], "CalendarDateError": ValueError}
    assert {name: cls for name, cls in kept.items() if not issubclass(classes[name], cls)} == {}


def test_public_calls_raise_it():
    from datetime import date

    from .helpers import PATIENTS

    record = screener.parse_record((PATIENTS / "eligible.json").read_text())
    unknown_trial = lambda: screener.screen(record, "NO-SUCH-TRIAL", date(2026, 11, 22))
    for call in (lambda: screener.parse_record("{"), unknown_trial):
        try:
            call()
        except ScreenerError:
            continue
        raise AssertionError("no ScreenerError")
