"""The QtCharts base styled from the active theme (the Insights weekly charts build on it; bar charts
are painted by ``app.widgets.bars``, which never elides an axis label)."""

from __future__ import annotations

from PySide6.QtCharts import (
    QChart,
    QChartView,
)
from PySide6.QtCore import QMargins, Qt
from PySide6.QtGui import QFont, QPainter, QPen
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
