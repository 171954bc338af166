"""A ranked list with inline bars: '1  Arctic Monkeys  ▇▇▇▇▇▇  3,819 plays'. Painted, so long and
non-Latin names elide cleanly instead of being clipped by a chart axis."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QFontMetrics, QMouseEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from app import theme

ROW_H = 28


@dataclass(frozen=True)
class RankedItem:
    name: str
    value: float
    value_text: str
    tooltip: str = ""
    key: object = None


class RankedBars(QWidget):
    activated = Signal(object)  # RankedItem

    def __init__(self, parent: QWidget | None = None, rows: int = 10):
        super().__init__(parent)
        self.items: list[RankedItem] = []
        self.rows = rows
        self.empty_text = "Nothing to show for this range."
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setFixedHeight(rows * ROW_H + 4)
        theme.on_change(self._theme_changed)

    def _theme_changed(self, _theme) -> None:
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(420, self.rows * ROW_H + 4)

    def set_items(self, items: list[RankedItem]) -> None:
        self.items = items[: self.rows]
        names = "; ".join(f"{i + 1}. {it.name} ({it.value_text})" for i, it in enumerate(self.items))
        self.setAccessibleDescription(names)
        self.update()

    def paintEvent(self, _ev: QPaintEvent) -> None:  # noqa: N802
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        fm = QFontMetrics(self.font())
        w = self.width()
        if not self.items:
            p.setPen(theme.color("muted"))
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.empty_text)
            p.end()
            return
        top = max(it.value for it in self.items) or 1.0
        rank_w = fm.horizontalAdvance("00") + 8
        value_w = max(fm.horizontalAdvance(it.value_text) for it in self.items) + 10
        name_w = int((w - rank_w - value_w) * 0.5)
        bar_x = rank_w + name_w + 8
        bar_max = max(10, w - bar_x - value_w - 4)
        for i, it in enumerate(self.items):
            y = i * ROW_H + 2
            p.setPen(theme.color("muted"))
            p.drawText(
                QRect(0, y, rank_w - 6, ROW_H),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                str(i + 1),
            )
            p.setPen(theme.color("text"))
            p.drawText(
                QRect(rank_w, y, name_w, ROW_H),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                fm.elidedText(it.name, Qt.TextElideMode.ElideRight, name_w),
            )
            frac = it.value / top
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(theme.color("track"))
            p.drawRoundedRect(QRectF(bar_x, y + ROW_H / 2 - 5, bar_max, 10), 5, 5)
            p.setBrush(theme.color("accent"))
            p.drawRoundedRect(QRectF(bar_x, y + ROW_H / 2 - 5, max(10.0, bar_max * frac), 10), 5, 5)
            p.setPen(theme.color("muted"))
            p.drawText(
                QRect(w - value_w, y, value_w, ROW_H),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                it.value_text,
            )
        p.end()

    def item_at(self, y: float) -> RankedItem | None:
        i = int((y - 2) // ROW_H)
        return self.items[i] if 0 <= i < len(self.items) else None

    def mouseMoveEvent(self, ev: QMouseEvent) -> None:  # noqa: N802
        it = self.item_at(ev.position().y())
        if it is None:
            QToolTip.hideText()
        else:
            QToolTip.showText(
                ev.globalPosition().toPoint(), it.tooltip or f"{it.name}: {it.value_text}", self
            )

    def mouseDoubleClickEvent(self, ev: QMouseEvent) -> None:  # noqa: N802
        it = self.item_at(ev.position().y())
        if it is not None:
            self.activated.emit(it)
