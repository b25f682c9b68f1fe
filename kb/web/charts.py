"""Small SVG charts drawn on the server: no script, no style attributes, colours from kb.css classes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 640
HEIGHT = 200
PAD_LEFT = 48
PAD_RIGHT = 8
PAD_TOP = 12
PAD_BOTTOM = 28


@dataclass(frozen=True)
class Series:
    """One stacked layer of a bar chart: a CSS class and a value per day."""

    css_class: str
    values: Sequence[float]


def _number(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _frame(chart_id: str, title: str, description: str, body: list[str]) -> Markup:
    head = (
        f'<svg class="chart" id="{escape(chart_id)}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>'
        f'<desc id="{escape(chart_id)}-desc">{escape(description)}</desc>'
    )
    return Markup(head + "".join(body) + "</svg>")


def _axes(top_label: str, first_label: str, last_label: str) -> list[str]:
    bottom = HEIGHT - PAD_BOTTOM
    label = '<text class="chart-label" x="{x}" y="{y}"{anchor}>{text}</text>'
    end = ' text-anchor="end"'
    return [
        f'<line class="chart-axis" x1="{PAD_LEFT}" y1="{PAD_TOP}" x2="{PAD_LEFT}" y2="{bottom}"/>',
        f'<line class="chart-axis" x1="{PAD_LEFT}" y1="{bottom}" x2="{WIDTH - PAD_RIGHT}" y2="{bottom}"/>',
        label.format(x=PAD_LEFT - 6, y=PAD_TOP + 8, anchor=end, text=escape(top_label)),
        label.format(x=PAD_LEFT - 6, y=bottom, anchor=end, text="0"),
        label.format(x=PAD_LEFT, y=HEIGHT - 8, anchor="", text=escape(first_label)),
        label.format(x=WIDTH - PAD_RIGHT, y=HEIGHT - 8, anchor=end, text=escape(last_label)),
    ]


def stacked_bars(
    chart_id: str,
    title: str,
    description: str,
    labels: Sequence[str],
    series: Sequence[Series],
    top_label: str | None = None,
) -> Markup:
    """Bars per day, the series stacked bottom-up; each bar has a <title> with its day and values."""
    days = len(labels)
    totals = [sum(s.values[i] for s in series) for i in range(days)]
    peak = max(totals, default=0) or 1
    plot_w = WIDTH - PAD_LEFT - PAD_RIGHT
    plot_h = HEIGHT - PAD_TOP - PAD_BOTTOM
    slot = plot_w / max(days, 1)
    bar_w = max(slot * 0.8, 1.0)
    body = _axes(top_label or _number(peak), labels[0] if labels else "", labels[-1] if labels else "")
    for i, label in enumerate(labels):
        x = PAD_LEFT + i * slot + (slot - bar_w) / 2
        base = float(HEIGHT - PAD_BOTTOM)
        parts = []
        for layer in series:
            height = layer.values[i] / peak * plot_h
            if height <= 0:
                continue
            base -= height
            parts.append(
                f'<rect class="{escape(layer.css_class)}" x="{_number(x)}" y="{_number(base)}" '
                f'width="{_number(bar_w)}" height="{_number(height)}"/>'
            )
        if parts:
            tip = f"{label}: " + " / ".join(_number(s.values[i]) for s in series)
            body.append(f"<g><title>{escape(tip)}</title>{''.join(parts)}</g>")
    return _frame(chart_id, title, description, body)


def share_line(
    chart_id: str,
    title: str,
    description: str,
    labels: Sequence[str],
    shares: Sequence[float | None],
    shown: Callable[[float], str],
) -> Markup:
    """A line of shares (0..1) per day, ``shown`` as percentages; days without data (``None``) break it."""
    plot_w = WIDTH - PAD_LEFT - PAD_RIGHT
    plot_h = HEIGHT - PAD_TOP - PAD_BOTTOM
    step = plot_w / max(len(labels) - 1, 1)
    body = _axes(shown(1.0), labels[0] if labels else "", labels[-1] if labels else "")
    run: list[str] = []
    runs: list[list[str]] = []
    for i, (label, share) in enumerate(zip(labels, shares, strict=True)):
        if share is None:
            if run:
                runs.append(run)
            run = []
            continue
        x = PAD_LEFT + i * step
        y = HEIGHT - PAD_BOTTOM - max(0.0, min(1.0, share)) * plot_h
        run.append(f"{_number(x)},{_number(y)}")
        body.append(
            f'<circle class="chart-point" cx="{_number(x)}" cy="{_number(y)}" r="3">'
            f"<title>{escape(label)}: {escape(shown(share))}</title></circle>"
        )
    if run:
        runs.append(run)
    for points in runs:
        body.insert(6, f'<polyline class="chart-line" points="{" ".join(points)}"/>')
    return _frame(chart_id, title, description, body)
