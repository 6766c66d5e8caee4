"""Rule-set authoring: lint rule files and tables, run the golden cases, diff two versions of a rule set."""
