"""Rule sets and reference tables: loaded from YAML into the schema (authoring tools: screener.authoring)."""
from ._load import (
                    RuleSetError,
                    SafeLoader,
                    load_rule_set,
                    load_rule_sets,
                    load_tables,
                    rule_set_files,
                    safe_load,
                    validation_problems,
                    yaml_to_json,
)

__all__ = [
    "RuleSetError",
    "SafeLoader",
    "load_rule_set",
    "load_rule_sets",
    "load_tables",
    "rule_set_files",
    "safe_load",
    "validation_problems",
    "yaml_to_json",
]
