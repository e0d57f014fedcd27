"""Charts on every report are drawn the same way: a view builds a `Chart` here, the template
includes `core/_chart.html` with it, and `static/js/charts.js` draws it with the vendored
Chart.js (static/vendor/chartjs-4.6.1, nothing from a CDN). The partial loads both scripts, so
pages without a chart never download Chart.js. The numbers are always also in a table on the
page: the chart is for looking, the table for reading and printing.
"""

from dataclasses import dataclass, field
from decimal import Decimal

# Bootstrap's palette, so charts match the pages.
SERIES_COLOURS = ("#198754", "#0d6efd", "#fd7e14", "#6f42c1", "#dc3545", "#20c997")
BUCKET_COLOURS = ("#198754", "#ffc107", "#fd7e14", "#dc3545")


@dataclass
class Chart:
    """What charts.js needs: a kind ("bar", "horizontal-bar", "line"), the labels along one
    axis and one or more series of numbers; `money` formats the value axis in shillings,
    `percent` in per cent."""

    element_id: str
    kind: str
    title: str
    labels: list[str]
    series: list[dict] = field(default_factory=list)
    money: bool = False
    percent: bool = False

    def add_series(self, label: str, values, *, colours=None) -> "Chart":
        colour = SERIES_COLOURS[len(self.series) % len(SERIES_COLOURS)]
        self.series.append(
            {
                "label": str(label),
                # Chart.js draws floats; the exact Decimals stay in the table beside the chart.
                "data": [float(value) if isinstance(value, Decimal) else value for value in values],
                "colours": list(colours) if colours else [colour],
            }
        )
        return self

    def as_json_data(self) -> dict:
        return {
            "kind": self.kind,
            "title": str(self.title),
            "labels": [str(label) for label in self.labels],
            "series": self.series,
            "money": self.money,
            "percent": self.percent,
        }
