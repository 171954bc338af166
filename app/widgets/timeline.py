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
_LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter


def _date(row) -> str:
    return fmt.local(row.start).strftime("%a %d %b %Y")


def counts_text(row) -> str:
    """'~41 min · 12 plays · 2 skips' — the length rounded like the CLI's; '~' when the last play's
    length is an estimate."""
    text = f"{'~' if row.end_estimated else ''}{fmt.duration(row.end - row.start)}  ·  {fmt.count(row.plays, 'play')}"
    if row.skips:
        text += f"  ·  {fmt.count(row.skips, 'skip')}"
    return text


def _boxes(option_rect: QRect, fm_base: QFontMetrics, counts: str) -> tuple[QRect, int]:
    """(text box, bar width): three lines use the row's whole width — date and hours, the counts with
    the length bar in what they leave, the artists — so a narrow list cuts nothing but long artist lists."""
    r = option_rect.adjusted(6, 3, -6, -3)
    body = QRect(r.left() + 10, r.top() + 4, r.width() - 20, r.height() - 8)
    bar_box = min(110, max(0, body.width() - fm_base.horizontalAdvance(counts) - 16))
    return body, bar_box


class SessionDelegate(QStyledItemDelegate):
    def cut_texts(self, index: QModelIndex, width: int) -> list[str]:
        """Texts of the row that would not fit whole at ``width`` (the layout test's question): the
        date, hours and counts never may; the artists line may (its tooltip holds it whole)."""
        row = index.data(ROW_ROLE)
        if row is None:
            return []
        base = QFont(self.parent().font()) if self.parent() else QFont()
        fm = QFontMetrics(base)
        bold = QFont(base)
        bold.setBold(True)
        counts = counts_text(row)
        body, _bar = _boxes(QRect(0, 0, width, ROW_HEIGHT), fm, counts)
        head = f"{_date(row)}   {fmt.clock(row.start)} – {fmt.clock(row.end)}"
        return [
            t for t, f in ((counts, fm), (head, QFontMetrics(bold))) if f.horizontalAdvance(t) > body.width()
        ]

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

        fm_base = QFontMetrics(base)
        counts = counts_text(row)
        body, bar_box = _boxes(option.rect, fm_base, counts)
        line = body.height() // 3
        painter.setFont(bold)
        painter.setPen(text_c)
        date_text = _date(row)
        painter.drawText(QRect(body.left(), body.top(), body.width(), line), _LEFT, date_text)
        painter.setFont(small)
        painter.setPen(muted)
        dx = QFontMetrics(bold).horizontalAdvance(date_text) + 10
        painter.drawText(
            QRect(body.left() + dx, body.top(), body.width() - dx, line),
            _LEFT,
            f"{fmt.clock(row.start)} – {fmt.clock(row.end)}",
        )
        painter.setFont(base)
        painter.setPen(text_c)
        painter.drawText(
            QRect(body.left(), body.top() + line, body.width(), line),
            _LEFT,
            fm_base.elidedText(counts, Qt.TextElideMode.ElideRight, body.width()),
        )
        frac = math.log1p(max(row.minutes, 0.0)) / math.log1p(MAX_BAR_MINUTES)
        if bar_box >= 24:  # the length bar only where the counts leave room for it
            track = QRectF(body.right() - bar_box, body.top() + line + line / 2 - 4, bar_box, 8)
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
            QRect(body.left(), body.top() + 2 * line, body.width(), body.height() - 2 * line),
            _LEFT,
            fm.elidedText(artists, Qt.TextElideMode.ElideRight, body.width()),
        )
        painter.restore()
