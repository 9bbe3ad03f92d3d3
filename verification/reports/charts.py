"""Charts as SVG, drawn here: a line chart (reports per week by category), a
horizontal bar chart (shares such as SLA compliance, or counts) and a
heatmap (class × week). Every label is escaped; colours and sizes are
presentation attributes, never inline CSS, so the strict
Content-Security-Policy of the web UI holds. The result is ``Markup`` to
embed in a page, or a standalone file (``standalone``)."""

from __future__ import annotations

import math
from collections.abc import Sequence

from markupsafe import Markup, escape

PALETTE = (
    "#1f77b4",
    "#d62728",
    "#2ca02c",
    "#ff7f0e",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#7f7f7f",
    "#bcbd22",
)
FONT = "font-family=\"'Noto Sans CJK SC','Microsoft YaHei',sans-serif\""
XML_HEADER = '<?xml version="1.0" encoding="UTF-8"?>\n'


def _svg(width: int, height: int, title: str, body: list[str]) -> Markup:
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'aria-label="{escape(title)}" {FONT} font-size="12">'
        f"<title>{escape(title)}</title>"
    )
    return Markup(head + "".join(body) + "</svg>")


def standalone(chart: Markup) -> str:
    """The chart as the text of an ``.svg`` file."""
    return XML_HEADER + str(chart) + "\n"


def _nice_max(value: float) -> float:
    """The axis top: the smallest of 1, 2, 2.5, 5 × 10^k at or above ``value``."""
    if value <= 0:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(value))
    for factor in (1, 2, 2.5, 5, 10):
        if value <= factor * magnitude:
            return float(factor * magnitude)
    return float(value)


def line_chart(
    series: dict[str, Sequence[float]],
    labels: Sequence[str],
    *,
    title: str,
    width: int = 720,
    height: int = 300,
    max_series: int = 8,
) -> Markup:
    """One line per series over ``labels`` (weeks), with a legend."""
    left, right, top, bottom = 44, 170, 28, 36
    plot_w, plot_h = width - left - right, height - top - bottom
    names = list(series)[:max_series]
    peak = _nice_max(max((max(series[n], default=0) for n in names), default=0))
    body = [
        f'<text x="{left}" y="16" font-size="14" font-weight="bold">{escape(title)}</text>',
    ]
    for tick in range(5):
        value = peak * tick / 4
        y = top + plot_h - plot_h * tick / 4
        body.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" '
            f'stroke="#ddd" stroke-width="1"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#555">'
            f"{value:g}</text>"
        )
    count = max(len(labels), 1)
    step = plot_w / max(count - 1, 1)
    for i, label in enumerate(labels):
        x = left + (step * i if count > 1 else plot_w / 2)
        body.append(
            f'<text x="{x:.1f}" y="{height - bottom + 18}" text-anchor="middle" fill="#555">'
            f"{escape(label)}</text>"
        )
    if not names:
        body.append(
            f'<text x="{left + plot_w / 2}" y="{top + plot_h / 2}" text-anchor="middle" '
            f'fill="#888">暂无数据</text>'
        )
    for index, name in enumerate(names):
        colour = PALETTE[index % len(PALETTE)]
        points = []
        for i, value in enumerate(series[name]):
            x = left + (step * i if count > 1 else plot_w / 2)
            y = top + plot_h - plot_h * (value / peak)
            points.append((x, y, value))
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _ in points)
        body.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for (x, y, value), label in zip(points, labels, strict=False):
            body.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}">'
                f"<title>{escape(name)} {escape(label)}: {value:g}</title></circle>"
            )
        ly = top + 14 + index * 18
        body.append(
            f'<rect x="{width - right + 12}" y="{ly - 9}" width="12" height="12" fill="{colour}"/>'
            f'<text x="{width - right + 30}" y="{ly + 1}">{escape(name)}</text>'
        )
    return _svg(width, height, title, body)


def bar_chart(
    bars: Sequence[tuple[str, float | None]],
    *,
    title: str,
    percent: bool = False,
    width: int = 520,
    bar_height: int = 22,
) -> Markup:
    """Horizontal bars; ``percent``: values are shares 0..1 shown as %; a
    None value (nothing to count yet) is shown as ``-``."""
    left, right, top = 150, 60, 30
    height = top + len(bars) * (bar_height + 8) + 10
    plot_w = width - left - right
    peak = 1.0 if percent else _nice_max(max((v or 0 for _, v in bars), default=0))
    body = [f'<text x="8" y="16" font-size="14" font-weight="bold">{escape(title)}</text>']
    for index, (label, value) in enumerate(bars):
        y = top + index * (bar_height + 8)
        body.append(
            f'<text x="{left - 8}" y="{y + bar_height * 0.7:.1f}" text-anchor="end">'
            f"{escape(label)}</text>"
            f'<rect x="{left}" y="{y}" width="{plot_w}" height="{bar_height}" fill="#f0f0f0"/>'
        )
        if value is None:
            shown = "-"
        else:
            share = max(0.0, min(value / peak, 1.0))
            colour = (
                "#2ca02c"
                if not percent or value >= 0.9
                else "#ff7f0e"
                if value >= 0.7
                else "#d62728"
            )
            body.append(
                f'<rect x="{left}" y="{y}" width="{plot_w * share:.1f}" height="{bar_height}" '
                f'fill="{colour}"><title>{escape(label)}</title></rect>'
            )
            shown = f"{value:.0%}" if percent else f"{value:g}"
        body.append(
            f'<text x="{left + plot_w + 6}" y="{y + bar_height * 0.7:.1f}">{escape(shown)}</text>'
        )
    return _svg(width, height, title, body)


def _shade(strength: float) -> str:
    """From light blue (few) to dark blue (the most)."""
    red = int(225 - 200 * strength)
    green = int(235 - 160 * strength)
    blue = int(250 - 70 * strength)
    return f"rgb({red},{green},{blue})"


def heatmap(
    rows: Sequence[tuple[str, Sequence[int]]],
    labels: Sequence[str],
    *,
    title: str,
    cell: int = 46,
) -> Markup:
    """A grid of counts: one row per class, one column per week; darker is more."""
    left, top = 190, 44
    width = left + cell * max(len(labels), 1) + 20
    height = top + cell * max(len(rows), 1) + 16
    peak = max((max(values, default=0) for _, values in rows), default=0) or 1
    body = [f'<text x="8" y="16" font-size="14" font-weight="bold">{escape(title)}</text>']
    for i, label in enumerate(labels):
        body.append(
            f'<text x="{left + cell * i + cell / 2:.1f}" y="{top - 8}" text-anchor="middle" '
            f'fill="#555">{escape(label)}</text>'
        )
    if not rows:
        body.append(f'<text x="{left}" y="{top + 20}" fill="#888">暂无数据</text>')
    for r, (name, values) in enumerate(rows):
        y = top + cell * r
        body.append(
            f'<text x="{left - 8}" y="{y + cell * 0.62:.1f}" text-anchor="end">'
            f"{escape(name)}</text>"
        )
        for c, value in enumerate(values):
            strength = value / peak
            fill = _shade(strength) if value else "#fafafa"
            ink = "#fff" if strength > 0.6 else "#222"
            x = left + cell * c
            body.append(
                f'<rect x="{x}" y="{y}" width="{cell - 2}" height="{cell - 2}" fill="{fill}">'
                f"<title>{escape(name)} {escape(labels[c] if c < len(labels) else '')}: "
                f"{value}</title></rect>"
            )
            if value:
                body.append(
                    f'<text x="{x + (cell - 2) / 2:.1f}" y="{y + cell * 0.6:.1f}" '
                    f'text-anchor="middle" fill="{ink}">{value}</text>'
                )
    return _svg(width, height, title, body)
