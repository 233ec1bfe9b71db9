"""Server-side SVG charts: geometry computed here, drawn by the templates (no JavaScript,
no inline styles, so the strict CSP holds)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

WIDTH, HEIGHT = 720, 170
LEFT, RIGHT, TOP, BOTTOM = 36, 8, 14, 22


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    value: int
    label: str


@dataclass(frozen=True)
class Tick:
    x: float
    label: str


@dataclass(frozen=True)
class BarChart:
    title: str
    bars: list[Bar]
    ticks: list[Tick]
    top: int  # the value of the highest gridline
    total: int
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    baseline: int = HEIGHT - BOTTOM
    plot_top: int = TOP


_STEPS: list[int] = [n * int(10**k) for k in range(10) for n in (1, 2, 5)]


def _nice_top(value: int) -> int:
    """A round axis maximum at or above the highest value (4, 5, 10, 20, 50, 100, …)."""
    if value <= 4:
        return 4
    return min(step for step in _STEPS if step >= value)


def day_chart(title: str, days: list[date], values: list[int]) -> BarChart:
    top = _nice_top(max(values, default=0))
    plot_width = WIDTH - LEFT - RIGHT
    plot_height = HEIGHT - TOP - BOTTOM
    step = plot_width / max(len(days), 1)
    bars, ticks = [], []
    every = max(1, len(days) // 10)  # at most ~10 date labels
    for index, (day, value) in enumerate(zip(days, values, strict=True)):
        height = plot_height * value / top if top else 0
        x = LEFT + index * step
        bars.append(Bar(round(x + step * 0.15, 1), round(HEIGHT - BOTTOM - height, 1),
                        round(step * 0.7, 1), round(height, 1), value,
                        f"{day.isoformat()}: {value}"))
        if index % every == 0:
            ticks.append(Tick(round(x + step / 2, 1), day.strftime("%b %d")))
    return BarChart(title, bars, ticks, top, sum(values))


@dataclass(frozen=True)
class FunnelStep:
    label: str
    value: int
    percent: int  # of the first step
    width: float
    y: int


def funnel(steps: list[tuple[str, int]], width: int = 420) -> list[FunnelStep]:
    first = steps[0][1] if steps else 0
    return [
        FunnelStep(label, value, round(100 * value / first) if first else 0,
                   round(width * value / first, 1) if first else 0, 8 + index * 34)
        for index, (label, value) in enumerate(steps)
    ]
