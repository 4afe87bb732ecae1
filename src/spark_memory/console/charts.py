"""Charts as inline SVG, drawn on the server: no JavaScript, nothing fetched.

Each chart is an ``<svg role="img">`` with a title and a description that states the
data in words, so a screen reader gets what the picture shows. Markup is built from
numbers and escaped labels only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

_W, _H = 560, 180
_PAD_L, _PAD_R, _PAD_T, _PAD_B = 44, 12, 12, 28
INK = "#1f2933"
LINES = ("#1d5fa8", "#a33d12", "#2f6b35")  # each >= 4.5:1 on white


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float]


def line_chart(
    title: str, labels: Sequence[str], series: Sequence[Series], y_max: float | None = None
) -> Markup:
    """Lines over shared x labels (e.g. dates); y from 0 to ``y_max`` (default: the data's)."""
    points = max((len(s.values) for s in series), default=0)
    top = y_max if y_max is not None else max((max(s.values, default=0) for s in series), default=0)
    top = top or 1.0
    parts = [_axes(top)]
    for n, s in enumerate(series):
        colour = LINES[n % len(LINES)]
        xy = [(_x(i, points), _y(v, top)) for i, v in enumerate(s.values)]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in xy)
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{path}"/>')
        parts += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{colour}"/>' for x, y in xy]
    parts += _x_labels(labels, points)
    legend = ", ".join(f"{s.name}: " + ", ".join(_num(v) for v in s.values[-6:]) for s in series)
    keys = "".join(
        f'<text x="{_PAD_L + 150 * n}" y="{_H - 2}" fill="{LINES[n % len(LINES)]}"'
        f' font-size="11">&#9632; {escape(s.name)}</text>'
        for n, s in enumerate(series)
    )
    return _svg(title, f"latest values, {legend}", "".join(parts) + keys)


def bar_chart(title: str, bars: Sequence[tuple[str, float]]) -> Markup:
    """Horizontal bars, one per label, longest at the data's maximum."""
    top = max((v for _, v in bars), default=0) or 1.0
    row = 22
    height = max(row * len(bars) + 8, 30)
    label_w = 150
    parts = []
    for n, (label, value) in enumerate(bars):
        y = 4 + n * row
        width = (_W - label_w - 60) * value / top
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 14}" text-anchor="end" font-size="12"'
            f' fill="{INK}">{escape(label)}</text>'
            f'<rect x="{label_w}" y="{y + 3}" width="{width:.1f}" height="{row - 8}"'
            f' fill="{LINES[0]}"/>'
            f'<text x="{label_w + width + 4:.1f}" y="{y + 14}" font-size="12"'
            f' fill="{INK}">{_num(value)}</text>'
        )
    words = ", ".join(f"{label} {_num(v)}" for label, v in bars)
    return _svg(title, words or "no data", "".join(parts), height)


def _svg(title: str, description: str, body: str, height: int = _H) -> Markup:
    return Markup(
        f'<svg class="chart" role="img" viewBox="0 0 {_W} {height}" width="{_W}"'
        f' height="{height}" aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(title)}</title><desc>{escape(description)}</desc>{body}</svg>"
    )


def _axes(top: float) -> str:
    bottom = _H - _PAD_B
    lines = [
        f'<line x1="{_PAD_L}" y1="{_PAD_T}" x2="{_PAD_L}" y2="{bottom}" stroke="{INK}"/>',
        f'<line x1="{_PAD_L}" y1="{bottom}" x2="{_W - _PAD_R}" y2="{bottom}" stroke="{INK}"/>',
    ]
    for frac in (0.0, 0.5, 1.0):
        y = _y(top * frac, top)
        lines.append(
            f'<text x="{_PAD_L - 4}" y="{y + 4:.1f}" text-anchor="end" font-size="11"'
            f' fill="{INK}">{_num(top * frac)}</text>'
        )
    return "".join(lines)


def _x_labels(labels: Sequence[str], points: int) -> list[str]:
    if not labels:
        return []
    step = max(1, len(labels) // 5)
    return [
        f'<text x="{_x(i, points):.1f}" y="{_H - _PAD_B + 14}" text-anchor="middle"'
        f' font-size="11" fill="{INK}">{escape(label)}</text>'
        for i, label in enumerate(labels)
        if i % step == 0
    ]


def _x(i: int, points: int) -> float:
    span = _W - _PAD_L - _PAD_R - 10
    return _PAD_L + 5 + (span * i / (points - 1) if points > 1 else span / 2)


def _y(value: float, top: float) -> float:
    return _H - _PAD_B - (_H - _PAD_B - _PAD_T) * min(value, top) / top


def _num(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.2f}"
