"""A ranked list with inline bars: '1 ▲2 [cover] Party Girl · Artist ▇▇▇▇ 3,819 plays · 4.1%'.

Painted, so long and non-Latin names are never clipped by a chart axis. A name gets the room it needs
first (the bar shrinks to a minimum before any name is cut); only then is it elided, and the row's
tooltip always holds it whole. The rank change against the period before is shown when there is one
(▲ up, ▼ down, = same, "new" when the item was not in it).
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QFontMetrics, QMouseEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from app import theme

ROW_H = 28
ART = 22
MIN_BAR = 48


@dataclass(frozen=True)
class RankedItem:
    name: str
    value: float
    value_text: str
    tooltip: str = ""
    key: object = None
    detail: str = ""  # drawn muted after the name: the artist of a track or album
    change: str = ""  # "▲3", "▼2", "=", "new" or "" (no period before)
    art_key: int | None = None  # album id for a cover from ``art`` (an ArtCache)


def change_text(rank: int, previous: int | None, has_previous: bool) -> str:
    if not has_previous:
        return ""
    if previous is None:
        return "new"
    delta = previous - rank
    return "=" if delta == 0 else (f"▲{delta}" if delta > 0 else f"▼{-delta}")


class RankedBars(QWidget):
    activated = Signal(object)  # RankedItem

    def __init__(self, parent: QWidget | None = None, rows: int = 10, art=None):
        super().__init__(parent)
        self.items: list[RankedItem] = []
        self.rows = rows
        self.art = art  # ArtCache or None
        self.empty_text = "Nothing to show for this range."
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setFixedHeight(rows * ROW_H + 4)
        self.setMinimumWidth(260)
        theme.on_change(self._theme_changed)
        if art is not None:
            art.ready.connect(self.update)

    def _theme_changed(self, _theme) -> None:
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(420, self.rows * ROW_H + 4)

    def set_items(self, items: list[RankedItem]) -> None:
        self.items = items[: self.rows]
        names = "; ".join(
            f"{i + 1}. {it.name}{' by ' + it.detail if it.detail else ''} ({it.value_text}"
            f"{', ' + it.change if it.change else ''})"
            for i, it in enumerate(self.items)
        )
        self.setAccessibleDescription(names)
        self.update()

    # -- geometry (shared by painting and the layout test) -----------------------------------
    def _columns(self, fm: QFontMetrics) -> dict[str, int]:
        w = self.width()
        rank_w = fm.horizontalAdvance("00") + 8
        change_w = fm.horizontalAdvance("▲00") + 8 if any(it.change for it in self.items) else 0
        art_w = ART + 8 if self.art is not None and any(it.art_key is not None for it in self.items) else 0
        value_w = max((fm.horizontalAdvance(it.value_text) for it in self.items), default=0) + 10
        name_x = rank_w + change_w + art_w
        room = max(40, w - name_x - value_w - MIN_BAR - 12)
        need = max((fm.horizontalAdvance(self._label(it)) for it in self.items), default=0) + 4
        name_w = min(room, max(need, int((w - name_x - value_w) * 0.45)))
        return {
            "rank": rank_w,
            "change": change_w,
            "art": art_w,
            "value": value_w,
            "name_x": name_x,
            "name": name_w,
        }

    @staticmethod
    def _label(it: RankedItem) -> str:
        return f"{it.name}  ·  {it.detail}" if it.detail else it.name

    def elided_names(self) -> list[str]:
        """Names that do not fit whole at the current width (each still whole in its tooltip)."""
        fm = QFontMetrics(self.font())
        cols = self._columns(fm)
        return [it.name for it in self.items if fm.horizontalAdvance(self._label(it)) > cols["name"]]

    # -- painting ---------------------------------------------------------------------------
    def paintEvent(self, _ev: QPaintEvent) -> None:  # noqa: N802
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        fm = QFontMetrics(self.font())
        w = self.width()
        if not self.items:
            p.setPen(theme.color("muted"))
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.empty_text)
            p.end()
            return
        top = max(it.value for it in self.items) or 1.0
        c = self._columns(fm)
        bar_x = c["name_x"] + c["name"] + 8
        bar_max = max(10, w - bar_x - c["value"] - 4)
        for i, it in enumerate(self.items):
            y = i * ROW_H + 2
            p.setPen(theme.color("muted"))
            p.drawText(
                QRect(0, y, c["rank"] - 6, ROW_H),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                str(i + 1),
            )
            if c["change"] and it.change:
                up, down = it.change.startswith("▲"), it.change.startswith("▼")
                p.setPen(theme.color("success" if up else "warning" if down else "muted"))
                p.drawText(
                    QRect(c["rank"], y, c["change"] - 4, ROW_H),
                    Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                    it.change,
                )
            if c["art"]:
                pix = self.art.pixmap(it.art_key)
                box = QRectF(c["rank"] + c["change"], y + (ROW_H - ART) / 2, ART, ART)
                if pix is not None:
                    p.drawPixmap(box.toRect(), pix)
                else:
                    p.setPen(Qt.PenStyle.NoPen)
                    p.setBrush(theme.color("track"))
                    p.drawRoundedRect(box, 3, 3)
            self._draw_name(p, fm, it, QRect(c["name_x"], y, c["name"], ROW_H))
            frac = it.value / top
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(theme.color("track"))
            p.drawRoundedRect(QRectF(bar_x, y + ROW_H / 2 - 5, bar_max, 10), 5, 5)
            p.setBrush(theme.color("accent"))
            p.drawRoundedRect(QRectF(bar_x, y + ROW_H / 2 - 5, max(10.0, bar_max * frac), 10), 5, 5)
            p.setPen(theme.color("muted"))
            p.drawText(
                QRect(w - c["value"], y, c["value"], ROW_H),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                it.value_text,
            )
        p.end()

    def _draw_name(self, p: QPainter, fm: QFontMetrics, it: RankedItem, rect: QRect) -> None:
        align = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        name = fm.elidedText(it.name, Qt.TextElideMode.ElideRight, rect.width())
        p.setPen(theme.color("text"))
        p.drawText(rect, align, name)
        used = fm.horizontalAdvance(name)
        if it.detail and name == it.name:
            rest = rect.adjusted(used, 0, 0, 0)
            p.setPen(theme.color("muted"))
            p.drawText(
                rest, align, fm.elidedText(f"  ·  {it.detail}", Qt.TextElideMode.ElideRight, rest.width())
            )

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
