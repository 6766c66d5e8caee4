"""Words for facts: the only place derived facts, their reasons and their provenance become text.

The facts layer (screener/facts) holds data; this package words it, for the report's evidence (record paths, ISO
dates, unit codes: what auditors and programs read) and for the sentences a coordinator reads (screener/explain).
"""
