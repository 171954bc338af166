"""One indicator on the Insights page: title, one plain sentence, its weekly chart (or an honest empty
state saying what data is missing and where to get it), a definition and a coverage note."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from app.widgets.common import button, label, notice
from app.widgets.insights_chart import WeeklyChart

#: Buttons an empty card offers (``core.insights.summary`` names them; the page carries them out).
ACTION_LABELS = {
    "fetch_tags": (
        "Fetch tags from Last.fm",
        "Run the feature backlog for tags now (needs a Last.fm API key)",
    ),
    "import_tags": ("Import a tag table…", "A CSV/TSV of artist, track and tags"),
    "music_folder": ("Set my music folder…", "Audio features are computed from your own files (Settings)"),
    "import_audio": ("Import an audio feature table…", "A CSV of artist, track and audio features"),
}


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class IndicatorCard(QFrame):
    actionRequested = Signal(str)  # an ACTION_LABELS key

    def __init__(self, key: str, title: str, unit: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.key = key
        self.setProperty("card", True)
        self.setObjectName(f"insight-{key}")
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(16, 12, 16, 10)
        lay.setSpacing(4)
        self.title = label(title, "section")
        self.sentence = QLabel()
        self.sentence.setWordWrap(True)
        self.sentence.setTextFormat(Qt.TextFormat.PlainText)
        self.sentence.setStyleSheet("font-size: 10.5pt;")
        self.sentence.setAccessibleName(f"{title}: summary")
        font = QFont(self.sentence.font())
        font.setPointSizeF(10.5)
        self.sentence.setMinimumHeight(2 * QFontMetrics(font).lineSpacing() + 4)
        self.sentence.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.chart = WeeklyChart(height=165, unit=unit)
        self.empty = notice("")
        self.empty.hide()
        self.extra = label("", "small", wrap=True)
        self.extra.setTextFormat(Qt.TextFormat.RichText)
        self.extra.hide()
        self.definition = label("", "small", wrap=True)
        self.actions = QWidget()
        self.actions_row = QHBoxLayout(self.actions)
        self.actions_row.setContentsMargins(0, 0, 0, 0)
        self.actions.hide()
        for w in (
            self.title,
            self.sentence,
            self.chart,
            self.empty,
            self.actions,
            self.extra,
            self.definition,
        ):
            lay.addWidget(w)
        lay.addStretch(1)

    def show_card(self, card) -> None:
        """Fill from a ``core.insights.summary.Card``."""
        self.title.setText(card.title)
        self.sentence.setText(card.sentence)
        self.sentence.setVisible(bool(card.sentence))
        self._set_actions(card.actions if card.empty else ())
        if card.empty:
            self.empty.setText(card.empty)
            self.empty.show()
            self.chart.hide()
            self.chart.set_series([])
        else:
            self.empty.hide()
            self.chart.set_series([(s.name, s.points, s.role) for s in card.series])
            self.chart.setVisible(self.chart.points > 0)
            if self.chart.points == 0:
                self.empty.setText("No week in this period has enough plays to chart (20 or more).")
                self.empty.show()
        if card.extra:
            parts = []
            for mood, recent, usual in card.extra[:6]:
                was = f" <span style='opacity:.7'>(usually {usual:.0%})</span>" if usual is not None else ""
                parts.append(f"{_esc(mood)} {recent:.0%}{was}")
            self.extra.setText("<b>Last 4 weeks:</b> " + " · ".join(parts))
            self.extra.show()
        else:
            self.extra.hide()
        self.definition.setText(card.definition + (f" {card.note}" if card.note else ""))

    def _set_actions(self, keys) -> None:
        while self.actions_row.count():
            item = self.actions_row.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        for key in keys:
            text, tip = ACTION_LABELS.get(key, (key, ""))
            b = button(text, tip=tip)
            b.clicked.connect(lambda _c=False, k=key: self.actionRequested.emit(k))
            self.actions_row.addWidget(b)
        self.actions_row.addStretch(1)
        self.actions.setVisible(bool(keys))
