"""Numbers as the evidence shows them."""


def fmt(number: float) -> str:
    """A measured value: thousands grouped, three significant digits below 100, one decimal at most above."""
    if number == int(number) and abs(number) >= 1000:
        return f"{number:,.0f}"
    return f"{number:.3g}" if abs(number) < 100 else f"{number:,.1f}".rstrip("0").rstrip(".")


def threshold(number: float) -> str:
    """A threshold as a rule file states it: thousands grouped when whole, else as written."""
    return f"{number:,.0f}" if number >= 1000 and number == int(number) else f"{number:g}"
