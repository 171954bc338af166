"""The Stats page's History tab: every play, newest first, paged off the GUI thread and searchable by
track, artist or album; sources in a listener's words, lengths only where some source knows them."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app import fmt
from app.widgets.common import label
from app.widgets.paged import Column, PagedTableModel


def _length(row) -> str:
    ms = row.ms_played if row.ms_played is not None else row.duration_ms
    return fmt.duration(ms / 1000, short=True) if ms else "–"


HISTORY_COLUMNS = [
    Column("When", lambda r: fmt.date_time(r.played_at)),
    Column("Track", lambda r: r.track),
    Column("Artist", lambda r: r.artist),
    Column("Album", lambda r: r.album or ""),
    Column(
        "Length",
        _length,
        Qt.AlignmentFlag.AlignRight,
        tooltip=lambda r: (
            "how long it played"
            if r.ms_played is not None
            else "the track's length"
            if r.duration_ms
            else "not known: this source does not record lengths"
        ),
    ),
    Column("Source", lambda r: fmt.source_name(r.source), tooltip=lambda r: r.source),
]


class HistoryTab(QWidget):
    def __init__(self, ctx, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.stale = True
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 10, 0, 0)
        lay.setSpacing(8)
        row = QHBoxLayout()
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search plays by track, artist or album  (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName("Search plays")
        self.history_count = label("", "muted")
        row.addWidget(self.search, 1)
        row.addWidget(self.history_count)
        lay.addLayout(row)
        self.history_model = PagedTableModel(self.ctx.jobs, HISTORY_COLUMNS, page_size=200)
        self.history = QTableView()
        self.history.setAccessibleName("Play history, newest first")
        self.history.setModel(self.history_model)
        self.history.verticalHeader().hide()
        self.history.verticalHeader().setDefaultSectionSize(26)
        self.history.setShowGrid(False)
        self.history.setAlternatingRowColors(True)
        self.history.setWordWrap(False)
        self.history.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.history.setTextElideMode(Qt.TextElideMode.ElideRight)
        hh = self.history.horizontalHeader()
        hh.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        for col in (1, 2, 3):
            hh.setSectionResizeMode(col, QHeaderView.ResizeMode.Stretch)
        lay.addWidget(self.history, 1)
        self._search_timer = QTimer(self, singleShot=True, interval=300)
        self._search_timer.timeout.connect(self.load_history)
        self.search.textChanged.connect(lambda _t: self._search_timer.start())
        self.history_model.pageLoaded.connect(self._history_loaded)
        self.history_model.failed.connect(
            lambda err: self.ctx.notify(
                f"Loading plays: {err.message}", "error", retry=self.history_model.retry
            )
        )

    def needed(self) -> None:
        """The tab is shown: load it when the account or data changed meanwhile."""
        if self.stale:
            self.stale = False
            self.load_history()

    def load_history(self) -> None:
        acc = self.ctx.account
        if acc is None or self.ctx.store is None:
            self.history_model.reset(None)
            return
        from core.store.paging import plays_page

        engine, text = self.ctx.store.engine, self.search.text()
        self.history_count.setText("searching…" if text.strip() else "")
        self.history_model.reset(lambda cursor, limit: plays_page(engine, acc.id, cursor, limit, text))

    def _history_loaded(self, n: int) -> None:
        rows = self.history_model.rows
        # scrobble histories rarely know lengths: a column of dashes says nothing, so it goes away
        self.history.setColumnHidden(4, not any(r.ms_played is not None or r.duration_ms for r in rows))
        searching = bool(self.search.text().strip())
        acc = self.ctx.account
        if searching:
            text = f"{n:,} matching plays" if self.history_model.exhausted else f"first {n:,} matching plays"
        elif self.history_model.exhausted or acc is None:
            text = f"{n:,} plays"
        else:
            text = f"newest {n:,} of {acc.plays:,} plays"
        more = "" if self.history_model.exhausted else " · scroll for more"
        self.history_count.setText(text + more)
