"""Rule sets and reference tables: loaded from YAML into the schema (authoring tools: screener.authoring)."""
from ._load import (
                    DraftRulesRefused,
                    RuleSetError,
                    SafeLoader,
                    allow_draft_rules,
                    draft_rules_allowed,
                    load_rule_set,
                    load_rule_sets,
                    load_tables,
                    rule_set_files,
                    safe_load,
                    validation_problems,
                    yaml_to_json,
)

__all__ = [
    "DraftRulesRefused",
    "RuleSetError",
    "allow_draft_rules",
    "draft_rules_allowed",
    "SafeLoader",
    "load_rule_set",
    "load_rule_sets",
    "load_tables",
    "rule_set_files",
    "safe_load",
    "validation_problems",
    "yaml_to_json",
]
