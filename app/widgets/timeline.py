"""The sessions timeline: one painted row per session — date and hours, a length bar, counts, artists."""

from __future__ import annotations

import math

from PySide6.QtCore import QModelIndex, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QFont, QFontMetrics, QPainter
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from app import fmt, theme
from app.widgets.paged import ROW_ROLE

ROW_HEIGHT = 66
MAX_BAR_MINUTES = 8 * 60


class SessionDelegate(QStyledItemDelegate):
    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:  # noqa: N802
        return QSize(option.rect.width(), ROW_HEIGHT)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        row = index.data(ROW_ROLE)
        if row is None:
            return super().paint(painter, option, index)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        r = option.rect.adjusted(6, 3, -6, -3)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        hovered = bool(option.state & QStyle.StateFlag.State_MouseOver)
        if selected or hovered:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(theme.color("accentSoft" if selected else "hover"))
            painter.drawRoundedRect(QRectF(r), 8, 8)

        base = QFont(option.font)
        bold = QFont(base)
        bold.setBold(True)
        small = QFont(base)
        small.setPointSizeF(max(7.0, base.pointSizeF() * 0.9))
        text_c, muted = theme.color("text"), theme.color("muted")

        left = QRect(r.left() + 10, r.top() + 6, 170, r.height() - 12)
        painter.setFont(bold)
        painter.setPen(text_c)
        d = fmt.local(row.start)
        painter.drawText(
            left, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop, d.strftime("%a %d %b %Y")
        )
        painter.setFont(small)
        painter.setPen(muted)
        painter.drawText(
            left,
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom,
            f"{fmt.clock(row.start)} – {fmt.clock(row.end)}",
        )

        x0 = left.right() + 12
        body = QRect(x0, r.top() + 6, r.right() - x0 - 10, r.height() - 12)
        bar_box = min(110, max(40, body.width() // 4))
        counts = f"{fmt.duration(row.end - row.start)}  ·  {fmt.count(row.plays, 'play')}"
        if row.skips:
            counts += f"  ·  {fmt.count(row.skips, 'skip')}"
        painter.setFont(base)
        painter.setPen(text_c)
        fm_base = QFontMetrics(base)
        painter.drawText(
            QRect(body.left(), body.top() - 2, body.width() - bar_box - 10, 20),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            fm_base.elidedText(counts, Qt.TextElideMode.ElideRight, body.width() - bar_box - 10),
        )
        frac = math.log1p(max(row.minutes, 0.0)) / math.log1p(MAX_BAR_MINUTES)
        track = QRectF(body.right() - bar_box, body.top() + 4, bar_box, 8)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(theme.color("track"))
        painter.drawRoundedRect(track, 4, 4)
        painter.setBrush(theme.color("accent"))
        painter.drawRoundedRect(
            QRectF(track.left(), track.top(), max(8.0, bar_box * min(1.0, frac)), 8), 4, 4
        )
        painter.setFont(small)
        painter.setPen(muted)
        artists = ", ".join(name for name, _n in row.top_artists)
        fm = QFontMetrics(small)
        painter.drawText(
            QRect(body.left(), body.bottom() - 18, body.width(), 18),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            fm.elidedText(artists, Qt.TextElideMode.ElideRight, body.width()),
        )
        painter.restore()
