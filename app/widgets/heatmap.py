"""A daily heatmap calendar (53 weeks as columns, Monday..Sunday as rows) with paging by a year.

It opens on the 53 weeks ending at the latest day with plays. Colour levels come from quantiles of
the shown window's non-zero days, so a light listener's calendar is as readable as a heavy one's.
Hovering a day shows its date and plays.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
from PySide6.QtCore import QPoint, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QFontMetrics, QMouseEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import QHBoxLayout, QSizePolicy, QToolButton, QToolTip, QVBoxLayout, QWidget

from app import theme
from app.widgets.common import label

LEVELS = ("heat0", "heat1", "heat2", "heat3", "heat4")
WEEKDAYS = ("Mon", "", "Wed", "", "Fri", "", "Sun")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


class CalendarGrid(QWidget):
    """The painted grid for one year."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.end = date.today()
        self.days: dict[date, int] = {}
        self.thresholds = np.array([1, 2, 3, 4])
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMinimumHeight(self._height_for(11))
        self.setAccessibleName("Daily listening calendar")

    def _height_for(self, cell: float) -> int:
        return int(22 + 7 * (cell + 3))

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(820, self._height_for(13))

    def set_window(self, end: date, days: dict[date, int]) -> None:
        """Show the 53 weeks ending with the week of ``end``."""
        self.end = end
        start = self._start()
        self.days = {d: c for d, c in days.items() if start <= d <= end}
        values = np.array(sorted(self.days.values()), dtype=float)
        if values.size:
            self.thresholds = np.quantile(values, [0.25, 0.5, 0.75, 0.9]) if values.size >= 4 else values
        self.setAccessibleDescription(f"{len(self.days)} listening days from {start} to {end}")
        self.update()

    def _level(self, count: int) -> int:
        if count <= 0:
            return 0
        return int(min(4, 1 + np.searchsorted(self.thresholds[:3], count, side="left")))

    def _geometry(self) -> tuple[float, float, float]:
        left = 34.0
        cell = max(6.0, min(15.0, (self.width() - left - 4) / 53.0 - 3))
        return left, 20.0, cell

    def _start(self) -> date:
        monday = self.end - timedelta(days=self.end.weekday())
        return monday - timedelta(weeks=52)

    def paintEvent(self, _ev: QPaintEvent) -> None:  # noqa: N802
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        left, top, cell = self._geometry()
        step = cell + 3
        small = self.font()
        small.setPointSizeF(max(7.0, small.pointSizeF() * 0.85))
        p.setFont(small)
        muted = theme.color("muted")
        p.setPen(muted)
        for i, name in enumerate(WEEKDAYS):
            if name:
                p.drawText(
                    QRect(0, int(top + i * step), int(left) - 6, int(cell)),
                    Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                    name,
                )
        start = self._start()
        colors = [theme.color(t) for t in LEVELS]
        d = start
        week = 0
        last_month = -1
        end = self.end
        while d <= end:
            for wd in range(7):
                day = d + timedelta(days=wd)
                if day > end:
                    continue
                if day.day <= 7 and wd == 0 and day.month != last_month and week < 51:
                    last_month = day.month
                    p.setPen(muted)
                    p.drawText(
                        QRect(int(left + week * step), 0, 40, int(top) - 4),
                        Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom,
                        MONTHS[day.month - 1],
                    )
                p.setPen(Qt.PenStyle.NoPen)
                p.setBrush(colors[self._level(self.days.get(day, 0))])
                p.drawRoundedRect(QRectF(left + week * step, top + wd * step, cell, cell), 2.5, 2.5)
            d += timedelta(days=7)
            week += 1
        p.end()

    def day_at(self, pos: QPoint) -> date | None:
        left, top, cell = self._geometry()
        step = cell + 3
        week = int((pos.x() - left) // step)
        wd = int((pos.y() - top) // step)
        if week < 0 or not 0 <= wd < 7:
            return None
        day = self._start() + timedelta(days=week * 7 + wd)
        return day if day <= self.end and week < 53 else None

    def mouseMoveEvent(self, ev: QMouseEvent) -> None:  # noqa: N802
        day = self.day_at(ev.position().toPoint())
        if day is None:
            QToolTip.hideText()
            return
        n = self.days.get(day, 0)
        QToolTip.showText(
            ev.globalPosition().toPoint(),
            f"{day.strftime('%a %d %b %Y')}: {n:,} play{'s' if n != 1 else ''}",
            self,
        )


class Legend(QWidget):
    def sizeHint(self) -> QSize:  # noqa: N802
        fm = QFontMetrics(self.font())
        return QSize(fm.horizontalAdvance("Less") + fm.horizontalAdvance("More") + 5 * 15 + 24, 16)

    def paintEvent(self, _ev: QPaintEvent) -> None:  # noqa: N802
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        fm = QFontMetrics(self.font())
        p.setPen(theme.color("muted"))
        x = 0
        p.drawText(QRect(x, 0, 40, self.height()), Qt.AlignmentFlag.AlignVCenter, "Less")
        x += fm.horizontalAdvance("Less") + 6
        for t in LEVELS:
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(theme.color(t))
            p.drawRoundedRect(QRectF(x, (self.height() - 11) / 2, 11, 11), 2.5, 2.5)
            x += 15
        p.setPen(theme.color("muted"))
        p.drawText(QRect(x + 4, 0, 40, self.height()), Qt.AlignmentFlag.AlignVCenter, "More")
        p.end()


class HeatmapCalendar(QWidget):
    """Title with the year, previous/next buttons, the grid and a legend."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.days: dict[date, int] = {}
        self.first = self.last = date.today()
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(6)
        top = QHBoxLayout()
        self.title = label("Daily listening", "section")
        self.summary = label("", "muted")
        self.prev = QToolButton()
        self.prev.setText("‹")
        self.prev.setAccessibleName("Previous year")
        self.prev.setToolTip("Previous year")
        self.next = QToolButton()
        self.next.setText("›")
        self.next.setAccessibleName("Next year")
        self.next.setToolTip("Next year")
        for b in (self.prev, self.next):
            b.setProperty("flat", True)
            b.setStyleSheet("font-size: 14pt;")
        top.addWidget(self.title)
        top.addSpacing(6)
        top.addWidget(self.summary, 1)
        top.addWidget(self.prev)
        top.addWidget(self.next)
        lay.addLayout(top)
        self.grid = CalendarGrid()
        lay.addWidget(self.grid)
        bottom = QHBoxLayout()
        bottom.addStretch(1)
        bottom.addWidget(Legend())
        lay.addLayout(bottom)
        self.prev.clicked.connect(lambda: self.step(-1))
        self.next.clicked.connect(lambda: self.step(1))
        theme.on_change(self._theme_changed)

    def _theme_changed(self, _theme) -> None:
        self.grid.update()
        self.update()

    def set_days(self, days: dict[date, int]) -> None:
        self.days = days
        self.first = min(days) if days else date.today()
        self.last = max(days) if days else date.today()
        self.show_window(self.last)

    def show_window(self, end: date) -> None:
        self.grid.set_window(end, self.days)
        start = max(self.grid._start(), self.first)
        plays = sum(self.grid.days.values())
        self.title.setText(f"Daily listening · {start:%b %Y} – {end:%b %Y}")
        self.summary.setText(f"{plays:,} plays on {len(self.grid.days)} days")
        self.prev.setEnabled(self.grid._start() > self.first)
        self.next.setEnabled(end < self.last)

    def step(self, delta: int) -> None:
        end = self.grid.end + timedelta(weeks=52 * delta)
        end = min(max(end, self.first + timedelta(weeks=52)), self.last)
        self.show_window(end)
