"""Comparison operators in symbols and in words: the compiled comparisons' text and the reasons' requirements."""

OP_SYMBOLS = {"lt": "<", "le": "≤", "gt": ">", "ge": "≥", "eq": "=", "ne": "≠"}
OP_WORDS = {"lt": "less than", "le": "at most", "gt": "more than", "ge": "at least"}
