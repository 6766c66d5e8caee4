"""The screening log (CONSORT-style): screened, eligible, ineligible by first failing criterion, incomplete by item."""
import io
from collections import Counter
from dataclasses import dataclass, field

from ..model.verdict import Status, Verdict
from ._store import report_of


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
        return rows


def screening_log(rows, trial_id: str) -> ScreeningLog:
    """Protocol order is the order of the criteria in each screening's own report (its rule-set version)."""
    log = ScreeningLog(trial_id)
    for row in rows:
        report = report_of(row)
        for c in report.criteria:
            if c.id not in log.order:
                log.order.append(c.id)
            log.titles.setdefault(c.id, c.title)
        log.screened += 1
        if report.verdict == Verdict.ELIGIBLE:
            log.eligible += 1
        elif report.verdict == Verdict.INCOMPLETE:
            log.incomplete += 1
            log.incomplete_by_item.update(report.to_settle)
        elif report.verdict == Verdict.INELIGIBLE:
            fails = [c.id for c in report.criteria if c.status == Status.FAIL]
            log.ineligible_by_first_fail[fails[0]] += 1
            log.fails_by_criterion.update(fails)
        else:
            log.other[report.verdict] += 1
    return log


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
    axes.set_xlabel("screenings")
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))  # screenings are counted: no 0.5 ticks
    axes.set_title(f"{log.trial_id}: {log.screened} screened")
    figure.tight_layout()
    return figure
