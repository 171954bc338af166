"""A weekly indicator chart: one main line, lighter extra lines and a dashed "your usual" baseline,
over a date axis (QtCharts, themed like ``app.widgets.charts``)."""

from __future__ import annotations

from datetime import date, datetime

from PySide6.QtCharts import QDateTimeAxis, QLegend, QLineSeries, QScatterSeries, QValueAxis
from PySide6.QtCore import QDateTime, QPointF, Qt
from PySide6.QtGui import QColor, QFont, QPen
from PySide6.QtWidgets import QWidget

from app import theme
from app.widgets.charts import _nice_max, _ThemedChart

ROLE_COLOURS = {"main": "chart1", "extra": ("chart2", "chart3", "muted"), "baseline": "muted"}


def _ms(d: date) -> float:
    return float(datetime(d.year, d.month, d.day).timestamp() * 1000)


def _runs(points: list[tuple[date, float]], max_gap_days: int = 7) -> list[list[tuple[date, float]]]:
    """Split a weekly series where weeks are missing, so a line never bridges a gap in the data."""
    runs: list[list[tuple[date, float]]] = []
    for p in points:
        if runs and (p[0] - runs[-1][-1][0]).days <= max_gap_days:
            runs[-1].append(p)
        else:
            runs.append([p])
    return runs


class WeeklyChart(_ThemedChart):
    """``set_series([(name, [(date, value)], role)])``; ``unit`` "share" shows 0-1 values as percent."""

    def __init__(self, parent: QWidget | None = None, height: int = 170, unit: str = "share"):
        super().__init__(parent, height)
        self.unit = unit
        chart = self.chart()
        self.x = QDateTimeAxis()
        self.x.setFormat("MMM yy")
        self.x.setTickCount(5)
        self.y = QValueAxis()
        self.y.setTickCount(3)
        chart.addAxis(self.x, Qt.AlignmentFlag.AlignBottom)
        chart.addAxis(self.y, Qt.AlignmentFlag.AlignLeft)
        legend = chart.legend()
        legend.setAlignment(Qt.AlignmentFlag.AlignBottom)
        legend.setMarkerShape(QLegend.MarkerShape.MarkerShapeFromSeries)
        self.lines: list[tuple[QLineSeries, str, int]] = []  # series, role, index among its role
        self.points = 0
        self.restyle()

    def restyle(self) -> None:
        super().restyle()
        legend = self.chart().legend()
        font = QFont(self.font())
        font.setPointSizeF(max(7.0, font.pointSizeF() * 0.85))
        legend.setFont(font)
        legend.setLabelColor(theme.color("muted"))
        for series, role, i in getattr(self, "lines", []):
            series.setPen(self._pen(role, i))

    def _pen(self, role: str, i: int) -> QPen:
        token = ROLE_COLOURS[role]
        if isinstance(token, tuple):
            token = token[i % len(token)]
        c = QColor(theme.color(token))
        pen = QPen(c)
        if role == "main":
            pen.setWidthF(2.2)
        elif role == "extra":
            c.setAlpha(170)
            pen.setColor(c)
            pen.setWidthF(1.3)
        else:
            pen.setWidthF(1.4)
            pen.setStyle(Qt.PenStyle.DashLine)
        return pen

    def set_series(self, series: list[tuple[str, list[tuple[date, float]], str]]) -> None:
        chart = self.chart()
        for s, _role, _i in self.lines:
            chart.removeSeries(s)
            s.deleteLater()
        self.lines = []
        scale = 100.0 if self.unit == "share" else 1.0
        counts: dict[str, int] = {}
        first: date | None = None
        last: date | None = None
        top = 0.0
        self.points = 0
        for name, points, role in series:
            if not points:
                continue
            i = counts.get(role, 0)
            counts[role] = i + 1
            for n_run, run in enumerate(_runs(points)):
                line = QScatterSeries() if len(run) == 1 else QLineSeries()
                line.setName(name)
                line.append([QPointF(_ms(d), v * scale) for d, v in run])
                chart.addSeries(line)
                line.attachAxis(self.x)
                line.attachAxis(self.y)
                if isinstance(line, QScatterSeries):
                    line.setMarkerSize(6 if role != "main" else 7)
                    line.setColor(self._pen(role, i).color())
                    line.setBorderColor(self._pen(role, i).color())
                else:
                    line.setPen(self._pen(role, i))
                if n_run:  # one legend entry per named series
                    for marker in chart.legend().markers(line):
                        marker.setVisible(False)
                self.lines.append((line, role, i))
            first = min(first or points[0][0], points[0][0])
            last = max(last or points[-1][0], points[-1][0])
            top = max(top, max(v * scale for _d, v in points))
            if role == "main":
                self.points += len(points)
        chart.legend().setVisible(len({n for n, p, _r in series if p}) > 1)
        if first is not None and last is not None:
            self.x.setRange(
                QDateTime(first.year, first.month, first.day, 0, 0, 0),
                QDateTime(last.year, last.month, last.day, 12, 0, 0),
            )
            self.x.setFormat("yyyy" if (last - first).days > 3 * 365 else "MMM yy")
        if self.unit == "share":
            y_top = min(100.0, _nice_max(top))
            self.y.setRange(0, y_top)
            # three ticks over a small range need decimals: 0%, 0.6%, 1.2% — never 0%, 0%, 1%
            step = y_top / max(1, self.y.tickCount() - 1)
            decimals = next((d for d in range(4) if abs(round(step, d) - step) < 1e-9), 3)
            self.y.setLabelFormat(f"%.{decimals}f%%")
        elif self.unit == "level":
            self.y.setRange(0, 1)
            self.y.setLabelFormat("%.1f")
        else:
            self.y.setRange(0, _nice_max(top))
            self.y.setLabelFormat(("%d" if top > 5 else "%.1f") + (" min" if self.unit == "min" else " bits"))
        self.restyle()
        names = ", ".join(name for name, pts, _r in series if pts)
        self.setAccessibleDescription(f"{self.points} weeks; lines: {names}" if self.points else "no data")
