"""The Reach page's charts, drawn on the server as inline SVG: grouped bars (each issue's readers in its first
1, 3, 7 and 30 days) and stacked columns (one issue's readers by source, day by day).

Hand-written rather than a library: pygal, the maintained one that fits, puts its styles in a ``<style>``
element, which the console's Content-Security-Policy (``style-src 'self'``) refuses; these use presentation
attributes only, scale to the page's width (``viewBox``), and say every figure in a ``<title>`` (hover, and
screen readers). Labels come translated from the caller; every text is escaped here."""

from __future__ import annotations

from html import escape

PALETTE = ("#1f4e79", "#3f7fbf", "#7fb0de", "#c4dcf2", "#b35c1e", "#6b7785")
WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 720, 240, 44, 38, 12
MAX_GROUP, MAX_COLUMN = 110, 40  # widest group of bars, widest column (few issues or days: narrow bars)


def _frame(label: str, top: int) -> list[str]:
    base = HEIGHT - BOTTOM
    return [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
            f'aria-label="{escape(label)}" class="chart" preserveAspectRatio="xMinYMin meet">',
            f'<text x="0" y="{TOP + 4}" font-size="12" fill="#4b5661">{top}</text>',
            f'<text x="0" y="{base}" font-size="12" fill="#4b5661">0</text>',
            f'<line x1="{LEFT - 4}" y1="{base}" x2="{WIDTH}" y2="{base}" stroke="#999"/>']


def _legend(names: list[str]) -> list[str]:
    parts, x = [], LEFT
    for index, name in enumerate(names):
        parts.append(f'<rect x="{x}" y="{HEIGHT - 14}" width="10" height="10" fill="{PALETTE[index % len(PALETTE)]}"/>'
                     f'<text x="{x + 14}" y="{HEIGHT - 5}" font-size="12" fill="#1d2329">{escape(name)}</text>')
        x += 24 + 8 * max(len(name), 3)
    return parts


def _height(value: int, top: int) -> float:
    return (HEIGHT - BOTTOM - TOP) * value / top


def grouped_bars(label: str, groups: list[tuple[str, list[int | None]]], series: list[str]) -> str:
    """One group of bars per ``(name, values)`` (None: no bar, the figure is not there yet), a bar per series."""
    top = max((v for _, values in groups for v in values if v), default=0) or 1
    parts = _frame(label, top)
    slot = min((WIDTH - LEFT) / max(len(groups), 1), MAX_GROUP)  # one issue: a group, not the whole width
    bar = max(2.0, (slot - 10) / max(len(series), 1))
    base = HEIGHT - BOTTOM
    for g, (name, values) in enumerate(groups):
        x0 = LEFT + g * slot
        for s, value in enumerate(values):
            if value is None:
                continue
            tall = _height(value, top)
            parts.append(f'<rect x="{x0 + s * bar:.1f}" y="{base - tall:.1f}" width="{bar - 1:.1f}" height="{tall:.1f}" '
                         f'fill="{PALETTE[s % len(PALETTE)]}"><title>{escape(name)} · {escape(series[s])}: {value}'
                         f'</title></rect>')
        parts.append(f'<text x="{x0:.1f}" y="{base + 14}" font-size="12" fill="#1d2329">{escape(name)}</text>')
    parts.extend(_legend(series))
    parts.append("</svg>")
    return "".join(parts)


def stacked_columns(label: str, columns: list[tuple[str, list[int]]], series: list[str]) -> str:
    """One column per ``(name, values)``, its values stacked bottom up in the order of ``series``."""
    top = max((sum(values) for _, values in columns), default=0) or 1
    parts = _frame(label, top)
    slot = min((WIDTH - LEFT) / max(len(columns), 1), MAX_COLUMN)
    base = HEIGHT - BOTTOM
    for c, (name, values) in enumerate(columns):
        x, y = LEFT + c * slot, float(base)
        for s, value in enumerate(values):
            tall = _height(value, top)
            y -= tall
            parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(slot - 2, 1):.1f}" height="{tall:.1f}" '
                         f'fill="{PALETTE[s % len(PALETTE)]}"><title>{escape(name)} · {escape(series[s])}: {value}'
                         f'</title></rect>')
        if c % max(1, len(columns) // 8) == 0:
            parts.append(f'<text x="{x:.1f}" y="{base + 14}" font-size="12" fill="#1d2329">{escape(name)}</text>')
    parts.extend(_legend(series))
    parts.append("</svg>")
    return "".join(parts)
