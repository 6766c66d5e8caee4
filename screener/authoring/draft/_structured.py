"""The registry's structured age and sex fields: population bounds, and an age rule only where it is exact.

A rule reads age_years, the age in completed years on the as-of date; ClinicalTrials.gov's "16 Years" maximum
admits a child up to the day before the 17th birthday, which is exactly age_years <= 16. A minimum in months that is
not whole years ("6 Months"), a maximum in any unit but years ("24 Months" admits up to the day before 25 months),
or a bound in weeks, days, hours or minutes, cannot be said in completed years: the age
criterion is then a placeholder and says so, and the population (a pre-filter) is widened to the completed years
that cover it, never narrowed.
"""
import re
from dataclasses import dataclass

from ...model.ctgov import EligibilityModule
from ...model.errors import ScreenerError
from ...model.ruleset import NO_AGE_LIMIT as NO_MAXIMUM

_AGE = re.compile(r"^(?P<value>[0-9]+(?:\.[0-9]+)?) (?P<unit>Years?|Months?|Weeks?|Days?|Hours?|Minutes?)$")
_PER_YEAR = {"Year": 1, "Month": 12, "Week": 52.1775, "Day": 365.25, "Hour": 365.25 * 24, "Minute": 365.25 * 1440}


class AgeFieldError(ValueError, ScreenerError):
    """minimumAge or maximumAge in a unit this project cannot read: the field's name, never its value."""

    def __init__(self, field: str):
        self.field = field
        super().__init__(f"{field}: not a number with Years, Months, Weeks, Days, Hours or Minutes")


@dataclass(frozen=True)
class Bound:
    text: str  # as the record writes it
    whole_years: int | None  # the bound in completed years when it is exactly that
    covering_years: int  # the completed years the population uses: floor of the age


@dataclass(frozen=True)
class Ages:
    minimum: Bound | None
    maximum: Bound | None

    @property
    def population(self) -> tuple[int, int]:
        low = self.minimum.covering_years if self.minimum else 0
        high = self.maximum.covering_years if self.maximum else NO_MAXIMUM
        return low, min(max(high, low), NO_MAXIMUM)

    @property
    def exact(self) -> bool:
        """Every given bound is whole years, so a rule on age_years says exactly what the record says."""
        return all(b.whole_years is not None for b in (self.minimum, self.maximum) if b is not None)

    @property
    def rule_bounds(self) -> tuple[int | None, int | None]:
        return (self.minimum.whole_years if self.minimum else None, self.maximum.whole_years if self.maximum else None)


def _bound(text: str | None, field: str, maximum: bool) -> Bound | None:
    if text is None or text == "N/A":
        return None
    match = _AGE.match(text)
    if match is None:
        raise AgeFieldError(field)
    value, unit = float(match.group("value")), match.group("unit").rstrip("s")
    years = value / _PER_YEAR[unit]
    # A minimum of 24 Months is exactly age_years >= 2. A maximum is not: "24 Months" admits a child up to the day
    # before 25 months, while age_years <= 2 admits one up to the day before 36 months (and "0 Days" only the first
    # day, not the first year). Only a maximum in years says what age_years <= N says.
    if maximum:
        whole = int(years) if unit == "Year" else None
    else:
        whole = int(years) if (value == 0 or (unit in ("Year", "Month") and years.is_integer())) else None
    covering = int(years)
    if covering > NO_MAXIMUM:
        raise AgeFieldError(field)
    return Bound(text, whole, covering)


def ages(eligibility: EligibilityModule) -> Ages:
    return Ages(_bound(eligibility.minimumAge, "protocolSection.eligibilityModule.minimumAge", maximum=False),
                _bound(eligibility.maximumAge, "protocolSection.eligibilityModule.maximumAge", maximum=True))


def sexes(eligibility: EligibilityModule) -> list[str]:
    """The population's sexes: FEMALE or MALE names one; ALL (or absent) every value the record can hold."""
    if eligibility.sex == "FEMALE":
        return ["female"]
    if eligibility.sex == "MALE":
        return ["male"]
    return ["female", "male", "other", "unknown"]
