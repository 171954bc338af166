"""A painted bar chart that never elides its axis: plays per month, by hour, by weekday.

Painted rather than QtCharts because a category axis there turns labels into "…" in a narrow window
and a date axis puts its ticks where it likes ("Jan 2024, Jan 2024, Mar" with Feb missing). Here
every bar is one category; when the labels do not all fit, every n-th is shown (n from ``steps``)
and a group label (the year) marks where each group starts. A bar can be *partial* (a month the
history or the range covers only in part): it is hatched and a dashed outline shows what the same
pace would give over the whole period, so a half month reads as half a month, not as a plunge.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QBrush, QColor, QFontMetrics, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from app import theme


@dataclass(frozen=True)
class Bar:
    label: str  # under the bar ("Mar", "9")
    value: float
    tooltip: str = ""
    group: str = ""  # drawn under the first bar of each group ("2024")
    full_value: float | None = None  # for a partial bar: the value at the same pace over the whole period
    align: int | None = None  # thinned labels keep bars whose align % step == 0 (month - 1: Jan, Apr …)


def nice_ticks(top: float, count: int = 3) -> list[float]:
    """0 and up to ``count`` round steps covering ``top`` (1, 2, 2.5, 5 × 10^k)."""
    if top <= 0:
        return [0.0, 1.0]
    raw = top / count
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    n = math.ceil(top / step - 1e-9)
    return [i * step for i in range(n + 1)]


def tick_text(v: float, step: float) -> str:
    if step >= 1 or v == 0:
        return f"{v:,.0f}"
    return f"{v:,.{max(1, -math.floor(math.log10(step)))}f}"


class Bars(QWidget):
    """``set_bars([Bar])``; ``unit`` names what a bar counts in tooltips ("plays")."""

    LEFT_PAD = 6

    def __init__(
        self,
        parent: QWidget | None = None,
        height: int = 160,
        unit: str = "plays",
        steps: tuple[int, ...] = (1, 2, 3, 4, 6, 12),
    ):
        super().__init__(parent)
        self.bars: list[Bar] = []
        self.unit = unit
        self.steps = steps
        self.setMinimumHeight(height)
        self.setMinimumWidth(160)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.setMouseTracking(True)
        theme.on_change(self._theme_changed)  # a bound method: disconnected when the widget goes

    def _theme_changed(self, _theme) -> None:
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(360, self.minimumHeight())

    def set_bars(self, bars: list[Bar]) -> None:
        self.bars = list(bars)
        parts = [f"{b.group + ' ' if b.group else ''}{b.label}: {b.value:,.0f}" for b in self.bars]
        partial = [b for b in self.bars if b.full_value is not None]
        self.setAccessibleDescription(
            "; ".join(parts) + (f" ({len(partial)} partial)" if partial else "") if parts else "no data"
        )
        self.update()

    @property
    def values(self) -> list[float]:
        return [b.value for b in self.bars]

    # -- geometry ---------------------------------------------------------------------------
    def _fonts(self):
        small = self.font()
        small.setPointSizeF(max(7.0, small.pointSizeF() * 0.85))
        return small, QFontMetrics(small)

    def _layout(self) -> tuple[QRectF, list[float], int]:
        """(plot rectangle, y ticks, label step)."""
        _small, fm = self._fonts()
        top = max([b.value for b in self.bars] + [b.full_value or 0 for b in self.bars] + [0.0])
        ticks = nice_ticks(top)
        step = ticks[1] - ticks[0] if len(ticks) > 1 else 1.0
        axis_w = max(fm.horizontalAdvance(tick_text(t, step)) for t in ticks) + 8
        groups = any(b.group for b in self.bars)
        bottom = fm.height() * (2 if groups else 1) + 6
        plot = QRectF(axis_w + self.LEFT_PAD, fm.height() / 2 + 2, 0, 0)
        plot.setRight(self.width() - 4)
        plot.setBottom(self.height() - bottom)
        n = max(1, len(self.bars))
        slot = plot.width() / n
        widest = max((fm.horizontalAdvance(b.label) for b in self.bars), default=0) + 6
        label_step = next((s for s in self.steps if s * slot >= widest), None)
        if label_step is None:
            label_step = max(self.steps[-1], math.ceil(widest / max(slot, 1e-6)))
        return plot, ticks, label_step

    def bar_at(self, x: float) -> int | None:
        if not self.bars:
            return None
        plot, _t, _s = self._layout()
        if not plot.left() <= x <= plot.right():
            return None
        i = int((x - plot.left()) / (plot.width() / len(self.bars)))
        return i if 0 <= i < len(self.bars) else None

    def labels_shown(self) -> list[str]:
        """The x labels drawn at the current width (tests: none is cut, every group is named)."""
        if not self.bars:
            return []
        _plot, _ticks, step = self._layout()
        return [b.label for i, b in enumerate(self.bars) if self._label_index(i, step)]

    def _label_index(self, i: int, step: int) -> bool:
        if step == 1:
            return True
        align = self.bars[i].align
        return (i if align is None else align) % step == 0

    # -- painting ---------------------------------------------------------------------------
    def paintEvent(self, _ev: QPaintEvent) -> None:  # noqa: N802
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        small, fm = self._fonts()
        p.setFont(small)
        muted, grid = theme.color("muted"), theme.color("chartGrid")
        if not self.bars:
            p.setPen(muted)
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "No plays in this range")
            p.end()
            return
        plot, ticks, label_step = self._layout()
        top = ticks[-1] or 1.0
        tick_step = ticks[1] - ticks[0] if len(ticks) > 1 else 1.0
        for t in ticks:
            y = plot.bottom() - plot.height() * t / top
            p.setPen(QPen(grid, 1))
            p.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            p.setPen(muted)
            p.drawText(
                QRectF(0, y - fm.height() / 2, plot.left() - 6, fm.height()),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                tick_text(t, tick_step),
            )
        slot = plot.width() / len(self.bars)
        width = max(1.0, slot * 0.72)
        colour = theme.color("chart1")
        partial_fill = QColor(colour)
        partial_fill.setAlpha(110)
        last_group = None
        for i, b in enumerate(self.bars):
            x = plot.left() + i * slot + (slot - width) / 2
            h = plot.height() * b.value / top
            rect = QRectF(x, plot.bottom() - h, width, h)
            if b.full_value is not None:
                p.setPen(Qt.PenStyle.NoPen)
                p.setBrush(partial_fill)
                p.drawRect(rect)
                p.setBrush(QBrush(colour, Qt.BrushStyle.BDiagPattern))
                p.drawRect(rect)
                full_h = plot.height() * b.full_value / top
                pen = QPen(colour, 1.2, Qt.PenStyle.DashLine)
                p.setPen(pen)
                p.setBrush(Qt.BrushStyle.NoBrush)
                p.drawRect(QRectF(x, plot.bottom() - full_h, width, full_h))
            else:
                p.setPen(Qt.PenStyle.NoPen)
                p.setBrush(colour)
                p.drawRoundedRect(rect, min(2.0, width / 4), min(2.0, width / 4))
            p.setPen(muted)
            centre = plot.left() + (i + 0.5) * slot
            if self._label_index(i, label_step):
                lw = fm.horizontalAdvance(b.label) + 4
                p.drawText(
                    QRectF(centre - lw / 2, plot.bottom() + 3, lw, fm.height()),
                    Qt.AlignmentFlag.AlignCenter,
                    b.label,
                )
            if b.group and b.group != last_group:
                gw = fm.horizontalAdvance(b.group) + 4
                gx = min(max(plot.left() + i * slot, 0.0), self.width() - gw)
                p.drawText(
                    QRectF(gx, plot.bottom() + 3 + fm.height(), gw, fm.height()),
                    Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                    b.group,
                )
                last_group = b.group
        p.end()

    def mouseMoveEvent(self, ev: QMouseEvent) -> None:  # noqa: N802
        i = self.bar_at(ev.position().x())
        if i is None:
            QToolTip.hideText()
            return
        b = self.bars[i]
        text = b.tooltip or f"{b.label}: {b.value:,.0f} {self.unit}"
        QToolTip.showText(ev.globalPosition().toPoint(), text, self)
