"""StoreError: the one exception for "the audit store could not be used", raised at the store's public boundary."""
import functools
import inspect

from sqlalchemy.exc import SQLAlchemyError

from ..model.errors import ScreenerError


class StoreError(ScreenerError):
    """The database failed (unreachable, locked, refused, missing a table); nothing was written.

    The SQLAlchemy error is chained as __cause__ for the log; the web layer and the CLI catch this type only, so
    the database library stays inside the audit package. kind names the cause's type, never its message (which
    can quote SQL parameters, that is patient data).
    """

    def __init__(self, cause: BaseException):
        self.kind = type(cause).__name__
        super().__init__(f"the audit store could not be used ({self.kind})")


class StoreTooNew(StoreError):
    """The store's schema revision is not one this release's migrations know: a later release upgraded it."""

    def __init__(self, revision: str):
        self.kind = type(self).__name__
        self.revision = revision
        Exception.__init__(self, f"the store was made by a newer release (schema revision {revision})")


class MigrationFailed(SQLAlchemyError, ScreenerError):
    """An upgrade that would leave the store inconsistent; it is rolled back (and leaves as StoreError)."""


# Dunder methods that touch the database: building a store (a bad URL), iterating a long read.
_DUNDERS = ("__init__", "__iter__")


def store_boundary(target):
    """A class, function or generator function whose SQLAlchemy errors leave as StoreError (chained).

    On a class, every public method and the dunders above are wrapped; a StoreError raised by a wrapped method
    called from another passes through unchanged.
    """
    if isinstance(target, type):
        for name, member in list(vars(target).items()):
            if inspect.isfunction(member) and (not name.startswith("_") or name in _DUNDERS):
                setattr(target, name, store_boundary(member))
        return target
    if inspect.isgeneratorfunction(target):
        @functools.wraps(target)
        def generator(*args, **kwargs):
            try:
                return (yield from target(*args, **kwargs))
            except SQLAlchemyError as exc:
                raise StoreError(exc) from exc
        return generator

    @functools.wraps(target)
    def call(*args, **kwargs):
        try:
            return target(*args, **kwargs)
        except SQLAlchemyError as exc:
            raise StoreError(exc) from exc
    return call
