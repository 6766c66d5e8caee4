"""The screening log (CONSORT-style) counts children: for each screening number its counted screening of the
trial (the latest neither voided nor corrected, _children.py) and its latest outcome; screened, eligible,
ineligible by first failing criterion, incomplete by item, then what became of them."""
import io
from collections import Counter
from dataclasses import dataclass, field

from ..model.children import NOT_ENROLLED_REASONS, OUTCOMES
from ..model.verdict import Status, Verdict
from ..model.verification import STATUS_WORDS
from ._children import Ledger, child_key
from ._store import report_of
from ._verifications import UNVERIFIED_ENROLMENT, VerificationStanding

NOT_COUNTED = {
    "voided": "voided",
    "corrected": "corrected by a later screening",
    "earlier": "an earlier screening of a child screened again",
}


@dataclass
class ScreeningLog:
    trial_id: str
    screened: int = 0
    eligible: int = 0
    incomplete: int = 0
    ineligible_by_first_fail: Counter = field(default_factory=Counter)  # adds up to the ineligible count
    fails_by_criterion: Counter = field(default_factory=Counter)  # a screening counts under every criterion it fails
    incomplete_by_item: Counter = field(default_factory=Counter)  # a screening counts under every open item
    other: Counter[Verdict] = field(default_factory=Counter)  # any further verdict (a partial rule set's)
    order: list[str] = field(default_factory=list)
    titles: dict[str, str] = field(default_factory=dict)  # criterion id -> title, from the screenings' own reports
    screenings: int = 0  # every screening of the period; `screened` counts children
    not_counted: Counter = field(default_factory=Counter)  # NOT_COUNTED key -> screenings
    outcomes: Counter = field(default_factory=Counter)  # OUTCOMES key (or "none") -> children, their latest outcome
    not_enrolled: Counter = field(default_factory=Counter)  # NOT_ENROLLED_REASONS key -> children
    monthly: Counter = field(default_factory=Counter)  # (YYYY-MM of the as-of date, criterion id or "") -> children
    # Eligibility verification (issue 26), when the standings were given: STATUS_WORDS key (or "none") -> children,
    # children with a protocol deviation, the numbers of children enrolled without a signed verification (flagged),
    # and (screening number, standing in words) for each child with a verification, an enrolment or a deviation.
    verification: Counter = field(default_factory=Counter)
    deviated: int = 0
    unverified_enrolments: list[str] = field(default_factory=list)
    by_child: list[tuple[str, str]] = field(default_factory=list)
    # Children whose counted screening ran under DRAFT RULES (status: draft, allowed explicitly; issue 28): counted
    # by their verdict, which is never eligible, and named apart so the log never reads as reviewed rules' counts.
    draft_rules: int = 0

    @property
    def ineligible(self) -> int:
        return sum(self.ineligible_by_first_fail.values())

    def adds_up(self) -> bool:
        return self.eligible + self.ineligible + self.incomplete + sum(self.other.values()) == self.screened

    def rows(self) -> list[tuple[str, str, int]]:
        rows = [("screened", "", self.screened), ("eligible", "", self.eligible)]
        rows += [("ineligible, first failing criterion", cid, self.ineligible_by_first_fail[cid])
                 for cid in self.order if self.ineligible_by_first_fail[cid]]
        rows += [(Verdict(verdict).words, "", n) for verdict, n in sorted(self.other.items())]
        rows += [("incomplete", "", self.incomplete)]
        rows += [
            ("fails (any position)", cid, self.fails_by_criterion[cid])
            for cid in self.order
            if self.fails_by_criterion[cid]
        ]
        rows += [("incomplete, open item", item, n) for item, n in self.incomplete_by_item.most_common()]
        rows += [("screenings recorded", "", self.screenings)]
        rows += [("screenings not counted", NOT_COUNTED[k], n) for k, n in sorted(self.not_counted.items())]
        rows += [("outcome (latest per child)", OUTCOMES.get(k, "none recorded"), self.outcomes[k])
                 for k in [*OUTCOMES, "none"] if self.outcomes[k]]
        rows += [("eligible, not enrolled: reason", NOT_ENROLLED_REASONS[k], n)
                 for k, n in sorted(self.not_enrolled.items())]
        rows += [("eligibility verification (latest per child)", STATUS_WORDS.get(k, "none signed"),
                  self.verification[k]) for k in [*STATUS_WORDS, "none"] if self.verification[k]]
        rows += [("protocol deviation recorded (children)", "", self.deviated)] if self.deviated else []
        rows += [("DRAFT RULES: screened under an unreviewed rule set (children)", "", self.draft_rules)] \
            if self.draft_rules else []
        rows += [(f"FLAG: {UNVERIFIED_ENROLMENT}", number, 1) for number in sorted(self.unverified_enrolments)]
        rows += [("verification and enrolment by child", f"{number}: {words}", 1)
                 for number, words in sorted(self.by_child)]
        return rows

    def months(self) -> list[str]:
        return sorted({month for month, _ in self.monthly})

    def monthly_rows(self) -> list[tuple[str, str, int]]:
        """(month, criterion id or "" for the children screened that month, children): the monthly table."""
        rows = []
        for month in self.months():
            rows.append((month, "", self.monthly[(month, "")]))
            rows += [(month, cid, self.monthly[(month, cid)]) for cid in self.order if self.monthly[(month, cid)]]
        return rows


def screening_log(rows, trial_id: str, found: Ledger | None = None,
                  standings: dict[tuple[str, str], VerificationStanding] | None = None) -> ScreeningLog:
    """Children, not screenings: each child's counted screening of the period (found: the voids, corrections and
    outcomes bearing on the rows; without it none). Protocol order is the order of the criteria in each
    screening's own report (its rule-set version). standings: each child's eligibility verification
    (verification_standings of the same ledger); without them the log says nothing of verification."""
    rows = list(rows)
    found = found or Ledger(rows)
    counted = {row.id for row in found.counted().values()}
    latest = found.latest_outcomes()
    log = ScreeningLog(trial_id)
    for row in rows:
        log.screenings += 1
        if row.id in found.voids:
            log.not_counted["voided"] += 1
            continue
        if found.superseded(row.id):
            log.not_counted["corrected"] += 1
            continue
        if row.id not in counted:
            log.not_counted["earlier"] += 1
            continue
        report = report_of(row)
        for c in report.criteria:
            if c.id not in log.order:
                log.order.append(c.id)
            log.titles.setdefault(c.id, c.title)
        log.screened += 1
        log.draft_rules += report.rule_set_status == "draft"
        month = row.as_of[:7]
        log.monthly[(month, "")] += 1
        if report.verdict == Verdict.ELIGIBLE:
            log.eligible += 1
        elif report.verdict == Verdict.INCOMPLETE:
            log.incomplete += 1
            log.incomplete_by_item.update(report.to_settle)
        elif report.verdict == Verdict.INELIGIBLE:
            fails = [c.id for c in report.criteria if c.status == Status.FAIL]
            log.ineligible_by_first_fail[fails[0]] += 1
            log.fails_by_criterion.update(fails)
            log.monthly.update((month, cid) for cid in fails)
        else:
            log.other[report.verdict] += 1
        outcome = latest.get((child_key(row), trial_id))
        log.outcomes[outcome.outcome if outcome else "none"] += 1
        if outcome is not None and outcome.reason:
            log.not_enrolled[outcome.reason] += 1
        if standings is not None:
            _verification(log, child_key(row), standings.get((child_key(row), trial_id)), outcome)
    return log


def _verification(log: ScreeningLog, number: str, standing: VerificationStanding | None, outcome) -> None:
    standing = standing or VerificationStanding()
    log.verification[standing.status or "none"] += 1
    log.deviated += bool(standing.deviations)
    if standing.unverified_enrolment:
        log.unverified_enrolments.append(number)
    words = standing.words(outcome.outcome if outcome else None)
    if words:
        log.by_child.append((number, words))


def monthly_csv(log: ScreeningLog) -> str:
    import csv

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["trial", "month (as-of date)", "criterion", "criterion title", "children"])
    for month, cid, count in log.monthly_rows():
        writer.writerow([log.trial_id, month, cid or "(children screened)", log.titles.get(cid, ""), count])
    return out.getvalue()


def log_csv(log: ScreeningLog) -> str:
    import csv

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["trial", "group", "criterion or item", "count", "criterion title"])
    for group, key, count in log.rows():
        writer.writerow([log.trial_id, group, key, count, log.titles.get(key, "")])
    return out.getvalue()


def log_chart(log: ScreeningLog) -> bytes:
    """A horizontal bar chart of the outcome groups (PNG), labelled with words and counts, not colour alone."""
    figure = chart_figure(log)  # selects the Agg backend before pyplot is imported here
    from matplotlib import pyplot as plt

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    return buffer.getvalue()


def chart_figure(log: ScreeningLog):
    """The chart as a matplotlib figure (integer axis: screenings are counted)."""
    import textwrap

    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.ticker import MaxNLocator

    failing = [cid for cid in log.order if log.ineligible_by_first_fail[cid]]
    named = lambda cid: textwrap.shorten(f"ineligible: {cid} {log.titles.get(cid, '')}", 60)  # noqa: E731
    labels = (
        ["eligible"]
        + [named(cid) for cid in failing]
        + [Verdict(v).words for v in sorted(log.other)]
        + ["incomplete"]
    )
    counts = (
        [log.eligible]
        + [log.ineligible_by_first_fail[cid] for cid in failing]
        + [log.other[v] for v in sorted(log.other)]
        + [log.incomplete]
    )
    figure, axes = plt.subplots(figsize=(8, 0.45 * len(labels) + 1.2), dpi=100)
    bars = axes.barh(labels[::-1], counts[::-1], color="#4a6fa5", hatch="//")
    axes.bar_label(bars, padding=3)
    axes.set_xlabel("children (each child's counted screening)")
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))  # children are counted: no 0.5 ticks
    axes.set_title(f"{log.trial_id}: {log.screened} children screened")
    figure.tight_layout()
    return figure
