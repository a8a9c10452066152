"""Line charts drawn on the server as inline SVG, each with the table of its figures (`/statistiques/`).

No JavaScript: the chart prints, works without scripts and under the portal's CSP (no inline style: the colours
are DSFR variables set by class in `static/portal/charts.css`, so they follow the light and dark schemes). The SVG is
an image (`role="img"`) named by its title and a sentence summing up each line; the table next to it
(`titles/_line_chart.html`) gives every figure to whoever cannot see the drawing. Lines differ by colour, dash and
marker, never by colour alone (RGAA 3.1).
"""

import math
from dataclasses import dataclass, field

from django.utils.formats import number_format

WIDTH, HEIGHT = 720, 300
LEFT, RIGHT, TOP, BOTTOM = 56, 40, 16, 36  # room for the last label, centred on the last point
# How many line styles there are (charts.css: .chart-series--0 … --4); a sixth line reuses the first.
STYLES = 5
DASHES = ("", "8 4", "2 4", "12 4 2 4", "4 2")
MARKERS = ("circle", "square", "diamond", "circle", "square")


@dataclass
class Point:
    x: float
    y: float
    value: float


@dataclass
class PlottedSeries:
    label: str
    values: list
    style: int
    dash: str
    marker: str
    paths: list = field(default_factory=list)  # one "M … L …" per run of known values
    points: list = field(default_factory=list)


@dataclass
class Tick:
    position: float
    label: str


@dataclass
class LineChart:
    chart_id: str
    title: str
    unit: str
    x_labels: list  # short labels under the axis
    x_names: list  # the same points in full words, for the table
    series: list
    y_ticks: list
    x_ticks: list
    summary: str
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    plot_right: int = WIDTH - RIGHT
    plot_bottom: int = HEIGHT - BOTTOM

    @property
    def rows(self):
        """Return the table's rows: each point's full name and every series' figure there."""
        return [
            (name, [format_value(s.values[index], self.unit) for s in self.series])
            for index, name in enumerate(self.x_names)
        ]

    @property
    def is_empty(self):
        return not any(value for s in self.series for value in s.values if value is not None)


def format_value(value, unit):
    """Return a figure in French words ("3", "4,5 jours"), or a dash with its reason when unknown."""
    if value is None:
        return "—"
    text = number_format(value, decimal_pos=0 if float(value).is_integer() else 1)
    if unit.endswith("s") and abs(value) < 2:  # French: singular below two ("1,5 jour")
        unit = unit[:-1]
    return f"{text} {unit}" if unit else text


def nice_ceiling(value):
    """Return a round top for the axis (1, 2, 5 × a power of ten, at least 5) at or above `value`, and its step
    (five steps)."""
    if value <= 5:
        return 5, 1
    magnitude = 10 ** math.floor(math.log10(value))
    top = next(factor * magnitude for factor in (1, 2, 5, 10) if factor * magnitude >= value)
    return top, top / 5


def summarise(series, x_names, unit):
    """Return one French sentence per series: its last figure and its range over the period."""
    parts = []
    for s in series:
        known = [(name, value) for name, value in zip(x_names, s.values, strict=True) if value is not None]
        if not known:
            parts.append(f"{s.label} : trop peu de données")
            continue
        last_name, last = known[-1]
        low, high = min(v for _, v in known), max(v for _, v in known)
        part = f"{s.label} : {format_value(last, unit)} ({last_name})"
        if low != high:
            part += f", entre {format_value(low, unit)} et {format_value(high, unit)} sur la période"
        parts.append(part)
    return " ; ".join(parts) + "."


def line_chart(chart_id, title, series, *, x_labels, x_names, unit=""):
    """Lay out a line chart of `series` (objects with `label` and `values`, None for an unknown point) over the
    points named by `x_labels` (short, under the axis) and `x_names` (in full, in the table and summary)."""
    count = len(x_labels)
    plot_width, plot_height = WIDTH - RIGHT - LEFT, HEIGHT - BOTTOM - TOP
    known = [v for s in series for v in s.values if v is not None]
    top, step = nice_ceiling(max(known, default=0))

    def x_at(index):
        return LEFT + (plot_width * index / (count - 1) if count > 1 else plot_width / 2)

    def y_at(value):
        return TOP + plot_height * (1 - value / top)

    plotted = []
    for index, s in enumerate(series):
        style = index % STYLES
        line = PlottedSeries(s.label, list(s.values), style, DASHES[style], MARKERS[style])
        run = []
        for position, value in enumerate(s.values):
            if value is None:
                if run:
                    line.paths.append(run)
                run = []
                continue
            point = Point(round(x_at(position), 1), round(y_at(value), 1), value)
            line.points.append(point)
            run.append(point)
        if run:
            line.paths.append(run)
        line.paths = ["M " + " L ".join(f"{p.x} {p.y}" for p in path) for path in line.paths if len(path) > 1]
        plotted.append(line)

    ticks, value = [], 0
    while value <= top + 1e-9:
        ticks.append(Tick(round(y_at(value), 1), format_value(value, "")))
        value += step
    # Every label when they fit, else one in two or three, the last always.
    every = max(1, math.ceil(count / 7))
    x_ticks = [Tick(round(x_at(i), 1), x_labels[i]) for i in range(count) if (count - 1 - i) % every == 0]
    return LineChart(
        chart_id=chart_id,
        title=title,
        unit=unit,
        x_labels=list(x_labels),
        x_names=list(x_names),
        series=plotted,
        y_ticks=ticks,
        x_ticks=x_ticks,
        summary=summarise(series, x_names, unit),
    )
