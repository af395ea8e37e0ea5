"""Server-drawn SVG charts: the geometry is computed here, `admin/dashboard_chart.html` draws it.

No chart library, nothing for the browser to run: every chart is an `<svg role="img">` with a
title and a one-sentence summary, and the same figures are in the table beside it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 48, 8, 10, 28
COLORS = ("#1f6f8b", "#e07a1f", "#6a9a3b", "#8b3f8f")
MAX_TICKS = 8


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    color: str
    tip: str


@dataclass(frozen=True)
class Tick:
    x: float
    y: float
    text: str
    anchor: str = "middle"


@dataclass
class Chart:
    key: str
    title: Any
    summary: str
    width: int = WIDTH
    height: int = HEIGHT
    bars: list[Bar] = field(default_factory=list)
    ticks: list[Tick] = field(default_factory=list)  # axis labels
    legend: list[tuple[str, str]] = field(default_factory=list)  # (color, name)
    top: str = ""  # the value at the top of the axis
    empty: bool = False


def nice_max(value: float) -> float:
    """The top of the axis: the first of 1, 2, 2.5 or 5 times a power of ten at or above `value`."""
    if value <= 0:
        return 1
    magnitude = 10 ** math.floor(math.log10(value))
    return next(step * magnitude for step in (1, 2, 2.5, 5, 10) if step * magnitude >= value)


def columns(
    key: str,
    title: Any,
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    summary: str,
    *,
    fmt=lambda v: f"{v:,.0f}",
) -> Chart:
    """Vertical bars, one group per label (a day), one bar per series in the group."""
    chart = Chart(key, title, summary)
    values = [v for _, vs in series for v in vs if v is not None]
    chart.empty = not values or max(values) <= 0
    top = nice_max(max(values, default=0))
    chart.top = fmt(top)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    group_w = plot_w / max(len(labels), 1)
    bar_w = max(group_w * 0.8 / max(len(series), 1), 0.5)
    for s, (name, vs) in enumerate(series):
        color = COLORS[s % len(COLORS)]
        if len(series) > 1:
            chart.legend.append((color, name))
        for i, value in enumerate(vs):
            if not value:
                continue
            h = plot_h * value / top
            x = LEFT + i * group_w + group_w * 0.1 + s * bar_w
            chart.bars.append(
                Bar(
                    round(x, 1),
                    round(TOP + plot_h - h, 1),
                    round(bar_w, 1),
                    round(h, 1),
                    color,
                    f"{labels[i]} · {name}: {fmt(value)}",
                )
            )
    every = max(1, -(-len(labels) // MAX_TICKS))
    for i in range(0, len(labels), every):
        chart.ticks.append(Tick(round(LEFT + (i + 0.5) * group_w, 1), HEIGHT - 8, labels[i]))
    return chart


def bars(key: str, title: Any, labels: Sequence[str], values: Sequence[float], summary: str, *, fmt=str) -> Chart:
    """Horizontal bars, one per label (a warung, a driver), largest first as given."""
    row_h = 22
    height = TOP + row_h * max(len(labels), 1) + 4
    chart = Chart(key, title, summary, height=height)
    chart.empty = not values or max(values) <= 0
    top = max(values, default=0) or 1
    label_w = 200
    plot_w = WIDTH - label_w - 90
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = TOP + i * row_h
        w = plot_w * value / top
        chart.bars.append(Bar(label_w, y + 3, round(max(w, 0.5), 1), row_h - 6, COLORS[0], f"{label}: {fmt(value)}"))
        chart.ticks.append(Tick(label_w - 6, y + row_h - 7, label[:30], "end"))
        chart.ticks.append(Tick(round(label_w + w + 6, 1), y + row_h - 7, fmt(value), "start"))
    return chart
