"""A daily heatmap calendar (weeks as columns, Monday..Sunday as rows) fitted to the range shown.

A range of up to 53 weeks is shown whole (30 days are 5 columns, not 53 mostly empty ones); a longer
one opens on the 53 weeks ending at its last day and pages by a year. Days outside the range are not
drawn. Colour levels come from quantiles of the shown window's non-zero days, so a light listener's
calendar is as readable as a heavy one's. Hovering a day shows its date and plays.
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
MAX_WEEKS = 53
MAX_CELL = 15.0


def monday(d: date) -> date:
    return d - timedelta(days=d.weekday())


def weeks_between(first: date, last: date) -> int:
    """Columns needed to show ``first`` .. ``last`` (Monday-start weeks)."""
    return (monday(last) - monday(first)).days // 7 + 1


class CalendarGrid(QWidget):
    """The painted grid for one year."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.end = date.today()
        self.first = self.end - timedelta(weeks=MAX_WEEKS - 1)
        self.weeks = MAX_WEEKS
        self.days: dict[date, int] = {}
        self.thresholds = np.array([1, 2, 3, 4])
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setAccessibleName("Daily listening calendar")

    def _height_for(self, cell: float) -> int:
        return int(22 + 7 * (cell + 3))

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(400, self._height_for(13))

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(200, self._height_for(6))

    def resizeEvent(self, event) -> None:  # noqa: N802 - the grid is as tall as its cells need
        super().resizeEvent(event)
        self._fit_height()

    def _fit_height(self) -> None:
        h = self._height_for(self._geometry()[2])
        if h != self.height():
            self.setFixedHeight(h)

    def set_window(self, end: date, days: dict[date, int], first: date | None = None) -> None:
        """Show ``first`` .. ``end`` (at most 53 weeks: without ``first``, the 53 ending with ``end``)."""
        self.end = end
        if first is None or weeks_between(first, end) > MAX_WEEKS:
            first = monday(end) - timedelta(weeks=MAX_WEEKS - 1)
        self.first = first
        self.weeks = weeks_between(first, end)
        start = self._start()
        self.days = {d: c for d, c in days.items() if max(start, first) <= d <= end}
        values = np.array(sorted(self.days.values()), dtype=float)
        if values.size:
            self.thresholds = np.quantile(values, [0.25, 0.5, 0.75, 0.9]) if values.size >= 4 else values
        self.setAccessibleDescription(f"{len(self.days)} listening days from {start} to {end}")
        self._fit_height()
        self.update()

    def _level(self, count: int) -> int:
        if count <= 0:
            return 0
        return int(min(4, 1 + np.searchsorted(self.thresholds[:3], count, side="left")))

    def _geometry(self) -> tuple[float, float, float]:
        left = 34.0
        cell = max(6.0, min(MAX_CELL, (self.width() - left - 4) / self.weeks - 3))
        return left, 20.0, cell

    def _start(self) -> date:
        """The Monday of the first column."""
        return monday(self.first)

    def grid_width(self) -> int:
        """Width the drawn grid needs at the smallest cell (the layout test checks it fits)."""
        left, _top, _cell = self._geometry()
        return int(left + self.weeks * (6.0 + 3))

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
        line_h = QFontMetrics(small).height()
        for i, name in enumerate(WEEKDAYS):
            if name:  # every other row: a label may be taller than its own cell
                p.drawText(
                    QRect(0, int(top + i * step + cell / 2 - line_h / 2), int(left) - 6, line_h),
                    Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                    name,
                )
        start = self._start()
        colors = [theme.color(t) for t in LEVELS]
        fm = QFontMetrics(small)
        end = self.end
        next_free = 0.0  # x where the next month label may start without touching the previous one
        last_month = None
        for week in range(self.weeks):
            col = start + timedelta(weeks=week)
            shown = [col + timedelta(days=wd) for wd in range(7)]
            shown = [d for d in shown if self.first <= d <= end]
            if not shown:
                continue
            new_month = next((d for d in shown if d.day == 1), shown[0] if week == 0 else None)
            x = left + week * step
            name = MONTHS[new_month.month - 1] if new_month is not None else ""
            fits = x + fm.horizontalAdvance(name) + 2 <= self.width()
            if (
                new_month is not None
                and (new_month.year, new_month.month) != last_month
                and x >= next_free
                and fits
            ):
                p.setPen(muted)
                p.drawText(
                    QRect(int(x), 0, fm.horizontalAdvance(name) + 4, int(top) - 4),
                    Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom,
                    name,
                )
                last_month = (new_month.year, new_month.month)
                next_free = x + fm.horizontalAdvance(name) + 6
            for day in shown:
                p.setPen(Qt.PenStyle.NoPen)
                p.setBrush(colors[self._level(self.days.get(day, 0))])
                p.drawRoundedRect(QRectF(x, top + day.weekday() * step, cell, cell), 2.5, 2.5)
        p.end()

    def day_at(self, pos: QPoint) -> date | None:
        left, top, cell = self._geometry()
        step = cell + 3
        week = int((pos.x() - left) // step)
        wd = int((pos.y() - top) // step)
        if week < 0 or not 0 <= wd < 7:
            return None
        day = self._start() + timedelta(days=week * 7 + wd)
        return day if self.first <= day <= self.end and week < self.weeks else None

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
        heading = QVBoxLayout()
        heading.setSpacing(0)
        heading.addWidget(self.title)
        heading.addWidget(self.summary)
        top.addLayout(heading, 1)
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

    def set_days(self, days: dict[date, int], first: date | None = None, last: date | None = None) -> None:
        """Show ``days`` over ``first`` .. ``last`` (the range; default: the first and last day played)."""
        self.days = days
        today = date.today()
        self.first = first or (min(days) if days else today)
        self.last = last or (max(days) if days else today)
        paged = weeks_between(self.first, self.last) > MAX_WEEKS
        self.prev.setVisible(paged)
        self.next.setVisible(paged)
        self.show_window(self.last)

    def show_window(self, end: date) -> None:
        self.grid.set_window(end, self.days, self.first)
        start = max(self.grid._start(), self.first)
        plays = sum(self.grid.days.values())
        span = f"{start:%b %Y}" if (start.year, start.month) == (end.year, end.month) else None
        self.title.setText(
            f"Daily listening · {span}" if span else f"Daily listening · {start:%b %Y} – {end:%b %Y}"
        )
        self.summary.setText(f"{plays:,} plays on {len(self.grid.days)} days")
        self.prev.setEnabled(self.grid._start() > self.first)
        self.next.setEnabled(end < self.last)

    def step(self, delta: int) -> None:
        end = self.grid.end + timedelta(weeks=52 * delta)
        end = min(max(end, self.first + timedelta(weeks=MAX_WEEKS - 1)), self.last)
        self.show_window(end)
