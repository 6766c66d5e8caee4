"""The parts of the schema the trail's protection rests on: the append-only triggers and the migration revision.

Someone with write access to the database can drop or disable a trigger and then edit freely; the chain catches
the edits it covers, and this check reports the missing protection itself (run by `screener audit verify`, at
start and before a backup is accepted).
"""
import re

from sqlalchemy import inspect, text

APPEND_ONLY = ("screenings", "audit_events", "voids", "outcomes", "approvals", "verifications", "deviations",
               "rule_set_reviews")
TABLES = (*APPEND_ONLY, "users", "api_tokens", "rate_limits", "alembic_version")


def _sqlite_trigger(table: str, event: str) -> str:
    # The text migration 0001 creates (compared without case and spacing).
    return (f"CREATE TRIGGER {table}_no_{event.lower()} BEFORE {event} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END")


def _normal(sql: str | None) -> str:
    return re.sub(r"\s+", " ", (sql or "").strip()).lower()


def _enabled(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def schema_problems(connection, head: str | None) -> list[str]:
    """One line per missing or altered protection: a table gone, a trigger dropped, disabled or replaced, the
    migration revision not this release's."""
    present = set(inspect(connection).get_table_names())
    problems = [f"table {name} is missing" for name in TABLES if name not in present]
    if connection.dialect.name == "sqlite":
        found = {row.name: row.sql for row in connection.execute(
            text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"))}
        for table in APPEND_ONLY:
            for event in ("UPDATE", "DELETE"):
                name, expected = f"{table}_no_{event.lower()}", _sqlite_trigger(table, event)
                if name not in found:
                    problems.append(f"the append-only trigger {name} is gone: {table} can be edited")
                elif _normal(found[name]) != _normal(expected):
                    problems.append(f"the append-only trigger {name} was replaced: {table} can be edited")
    elif connection.dialect.name == "postgresql":
        rows = connection.execute(text(
            "SELECT t.tgname, c.relname, t.tgenabled, p.proname, p.prosrc FROM pg_trigger t "
            "JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_proc p ON p.oid = t.tgfoid "
            "WHERE NOT t.tgisinternal")).all()
        found = {(row.relname, row.tgname): row for row in rows}
        for table in APPEND_ONLY:
            for name in (f"{table}_append_only", f"{table}_no_truncate"):
                row = found.get((table, name))
                if row is None:
                    problems.append(f"the append-only trigger {name} is gone: {table} can be edited")
                elif _enabled(row.tgenabled) not in ("O", "A"):  # D: disabled; R: fires only on replicas
                    problems.append(f"the append-only trigger {name} is disabled: {table} can be edited")
                elif row.proname != "screener_append_only" or "RAISE EXCEPTION" not in row.prosrc.upper():
                    problems.append(f"the append-only trigger {name} was replaced: {table} can be edited")
    if head is not None and "alembic_version" in present:
        revisions = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
        if revisions != [head]:
            problems.append(f"the schema is at revision {', '.join(revisions) or 'none'}, this release's is {head}")
    return problems
