"""What keeps the command line quick to start: lazy imports, the C YAML parser, no alembic when the schema is current.

No timings here (benchmarks/startup.py prints them); these tests pin down the causes, which can be checked exactly.
"""
import subprocess
import sys

import yaml

from screener.rules import SafeLoader, rule_set_files, safe_load

from .helpers import REPO


def _modules_after(code: str, env_path: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", code + "\nimport sys; print(' '.join(sorted(sys.modules)))"],
                         capture_output=True, text=True, check=True, cwd=REPO,
                         env={"SCREENER_INSTANCE_PATH": env_path, "PATH": "/usr/bin:/bin"})
    return set(out.stdout.split())


def test_importing_the_cli_loads_no_heavy_library(tmp_path):
    loaded = _modules_after("import screener.cli", str(tmp_path))
    assert not loaded & {"sqlalchemy", "pydantic", "durable", "yaml", "dask", "alembic", "screener.screening"}


def test_rule_files_read_the_same_with_the_c_parser():
    assert SafeLoader is getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    files = (
        rule_set_files()
        + sorted((REPO / "criteria" / "tables").glob("*.yaml"))
        + sorted((REPO / "criteria" / "golden").glob("*.yaml"))
    )
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert safe_load(text) == yaml.safe_load(text), path


def test_head_revision_read_from_the_files_is_alembics_head():
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from screener.audit._store import _MIGRATIONS, head_revision

    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    assert head_revision() == ScriptDirectory.from_config(config).get_current_head()


def test_a_current_schema_is_not_migrated_again_and_a_new_one_is(tmp_path):
    opening = "from screener.audit import open_store\nopen_store()"
    first = _modules_after(opening, str(tmp_path))  # a new database: alembic creates the schema
    assert "alembic" in first
    again = _modules_after(opening, str(tmp_path))
    assert "alembic" not in again
