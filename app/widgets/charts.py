"""QtCharts wrappers styled from the active theme: a labelled bar chart and a time-series area chart."""

from __future__ import annotations

from datetime import date, datetime

from PySide6.QtCharts import (
    QAreaSeries,
    QBarCategoryAxis,
    QBarSeries,
    QBarSet,
    QChart,
    QChartView,
    QDateTimeAxis,
    QLineSeries,
    QValueAxis,
)
from PySide6.QtCore import QDateTime, QMargins, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from app import theme


def _nice_max(v: float) -> float:
    if v <= 0:
        return 1.0
    import math

    mag = 10 ** math.floor(math.log10(v))
    for m in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if v <= m * mag:
            return m * mag
    return 10 * mag


class _ThemedChart(QChartView):
    def __init__(self, parent: QWidget | None = None, height: int = 180):
        chart = QChart()
        chart.legend().hide()
        chart.setBackgroundRoundness(0)
        chart.setMargins(QMargins(4, 4, 4, 4))
        chart.layout().setContentsMargins(0, 0, 0, 0)
        chart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
        super().__init__(chart, parent)
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setMinimumHeight(height)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.setStyleSheet("background: transparent; border: none;")
        theme.on_change(self._theme_changed)

    def _theme_changed(self, _theme) -> None:
        self.restyle()

    def _style_axis(self, axis) -> None:
        font = QFont(self.font())
        font.setPointSizeF(max(7.0, font.pointSizeF() * 0.85))
        axis.setLabelsFont(font)
        axis.setLabelsColor(theme.color("muted"))
        axis.setLinePenColor(theme.color("border"))
        axis.setGridLineColor(theme.color("chartGrid"))
        axis.setShadesVisible(False)

    def restyle(self) -> None:
        chart = self.chart()
        chart.setBackgroundBrush(theme.color("surface"))
        chart.setBackgroundPen(QPen(Qt.PenStyle.NoPen))
        chart.setPlotAreaBackgroundVisible(False)
        for axis in chart.axes():
            self._style_axis(axis)


class BarChart(_ThemedChart):
    """Vertical bars over categories (weekdays) or positions 0..n-1 labelled every ``step`` (hours)."""

    def __init__(
        self, parent: QWidget | None = None, height: int = 170, unit: str = "plays", step: int | None = None
    ):
        super().__init__(parent, height)
        self.step = step
        self.unit = unit
        self.series = QBarSeries()
        self.set = QBarSet(unit)
        self.series.append(self.set)
        self.series.setBarWidth(0.72)
        chart = self.chart()
        chart.addSeries(self.series)
        if step:
            self.x = QValueAxis()
            self.x.setTickType(QValueAxis.TickType.TicksDynamic)
            self.x.setTickAnchor(0)
            self.x.setTickInterval(step)
            self.x.setLabelFormat("%d")
            self.x.setGridLineVisible(False)
        else:
            self.x = QBarCategoryAxis()
        self.y = QValueAxis()
        self.y.setLabelFormat("%d")
        self.y.setTickCount(3)
        chart.addAxis(self.x, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(self.y, Qt.AlignmentFlag.AlignLeft)
        self.series.attachAxis(self.x)
        self.series.attachAxis(self.y)
        self.set.hovered.connect(self._hovered)
        self.categories: list[str] = []
        self.restyle()

    def restyle(self) -> None:
        super().restyle()
        self.set.setColor(theme.color("chart1"))
        self.set.setBorderColor(theme.color("chart1"))

    def set_data(self, categories: list[str], values: list[float], labels: list[str] | None = None) -> None:
        self.categories = labels or categories
        self.set.remove(0, self.set.count())
        self.set.append([float(v) for v in values])
        if self.step:
            self.x.setRange(-0.5, len(values) - 0.5)
        else:
            self.x.setCategories(categories)
        self.y.setRange(0, _nice_max(max(values) if values else 0))
        desc = ", ".join(f"{c}: {int(v)}" for c, v in zip(self.categories, values, strict=False))
        self.setAccessibleDescription(desc)

    def _hovered(self, status: bool, index: int) -> None:
        if status and 0 <= index < len(self.categories):
            self.setToolTip(f"{self.categories[index]}: {int(self.set.at(index)):,} {self.unit}")
        else:
            self.setToolTip("")


class TimeAreaChart(_ThemedChart):
    """Plays per month (or any period) as a filled line over a date axis."""

    def __init__(self, parent: QWidget | None = None, height: int = 190):
        super().__init__(parent, height)
        self.upper = QLineSeries()
        self.area = QAreaSeries(self.upper)
        chart = self.chart()
        chart.addSeries(self.area)
        self.x = QDateTimeAxis()
        self.x.setFormat("MMM yyyy")
        self.x.setTickCount(6)
        self.y = QValueAxis()
        self.y.setLabelFormat("%d")
        self.y.setTickCount(3)
        chart.addAxis(self.x, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(self.y, Qt.AlignmentFlag.AlignLeft)
        self.area.attachAxis(self.x)
        self.area.attachAxis(self.y)
        self.restyle()

    def restyle(self) -> None:
        super().restyle()
        c = theme.color("chart1")
        fill = QColor(c)
        fill.setAlpha(90)
        self.area.setBrush(fill)
        pen = QPen(c)
        pen.setWidthF(1.6)
        self.area.setPen(pen)

    def set_data(self, points: list[tuple[date, float]]) -> None:
        self.upper.clear()
        for d, v in points:
            ms = int(datetime(d.year, d.month, d.day).timestamp() * 1000)
            self.upper.append(float(ms), float(v))
        if points:
            first, last = points[0][0], points[-1][0]
            self.x.setRange(
                QDateTime(first.year, first.month, first.day, 0, 0, 0),
                QDateTime(last.year, last.month, last.day, 0, 0, 0),
            )
            span_days = (last - first).days
            self.x.setFormat("yyyy" if span_days > 3 * 365 else "MMM yyyy")
            self.x.setTickCount(min(8, max(2, len(points))))
            self.y.setRange(0, _nice_max(max(v for _d, v in points)))
        self.setAccessibleDescription(
            f"{len(points)} points from {points[0][0]} to {points[-1][0]}" if points else "no data"
        )
