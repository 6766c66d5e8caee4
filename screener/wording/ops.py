"""Comparison operators in symbols: the compiled comparisons' text and the reasons' requirements (a requirement in
words is a whole sentence of the reasons catalogue: explain._NEEDS)."""

OP_SYMBOLS = {"lt": "<", "le": "≤", "gt": ">", "ge": "≥", "eq": "=", "ne": "≠"}
