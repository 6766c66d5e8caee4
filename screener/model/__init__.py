"""The one schema of patient records, rule files and screening reports (pydantic, strict)."""
