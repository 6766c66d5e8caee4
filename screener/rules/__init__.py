"""Rule sets: loading, linting and golden cases."""
from ._load import RuleSetError, load_rule_set, load_rule_sets, load_tables, rule_set_digest

__all__ = ["RuleSetError", "load_rule_set", "load_rule_sets", "load_tables", "rule_set_digest"]
