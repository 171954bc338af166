"""Sessions: a scrollable timeline (newest first), filters, a session's plays, the gap threshold.

Controller: builds a ``SessionIndex`` off-thread for the chosen account and gap, filters it
off-thread, and pages rows into the timeline model; a selected session's plays load off-thread too.
"""

from __future__ import annotations

import calendar

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QListView,
    QSpinBox,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app import fmt, theme
from app.pages.base import Page
from app.widgets.common import PageHeader, label, notice
from app.widgets.paged import ROW_ROLE, Column, ListTableModel, PagedTableModel
from app.widgets.timeline import SessionDelegate, counts_text

KINDS = [
    ("all", "All sessions", {}),
    ("short", "Short (under 5 plays)", {"max_plays": 4}),
    ("long", "Long (5+ plays)", {"min_plays": 5}),
    ("hour", "Over an hour", {"min_minutes": 60.0}),
]


def _gap_text(p) -> str:
    if p.gap_s is None:
        return ""
    if p.gap_s <= 0:
        return ""
    return fmt.duration(p.gap_s, short=True)


PLAY_COLUMNS = [
    Column("Time", lambda p: fmt.clock(p.played_at)),
    Column("Track", lambda p: p.track),
    Column("Artist", lambda p: p.artist),
    Column(
        "Length",
        lambda p: ("~" if p.estimated else "") + fmt.duration(p.seconds, short=True),
        Qt.AlignmentFlag.AlignRight,
        tooltip=lambda p: (
            "estimated: no source knows this track's length — the gap to the next play, at most the "
            "track's usual gap (or 4 min)"
            if p.estimated
            else "as recorded or the track's known length"
        ),
    ),
    Column(
        "Gap",
        _gap_text,
        Qt.AlignmentFlag.AlignRight,
        tooltip=lambda p: (
            "silence before this play (its start minus the previous play's end); "
            "? when the previous play's length is unknown"
        ),
    ),
    Column(
        "",
        lambda p: "skipped" if p.skipped else "",
        foreground=lambda p: theme.color("warning") if p.skipped else None,
    ),
]


class SessionsPage(Page):
    key = "sessions"
    title = "Sessions"

    def __init__(self, ctx, parent: QWidget | None = None):
        super().__init__(ctx, parent)
        self.index = None
        self._gen = 0
        self.header = PageHeader("Sessions", "")
        self.outer.addWidget(self.header)

        controls = QHBoxLayout()
        controls.setSpacing(8)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Filter by artist or track  (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName("Filter sessions by artist or track")
        self.kind = QComboBox()
        self.kind.setAccessibleName("Session length")
        for key, text, _f in KINDS:
            self.kind.addItem(text, key)
        self.year = QComboBox()
        self.year.setAccessibleName("Year")
        self.year.addItem("All years", None)
        self.gap = QSpinBox()
        self.gap.setRange(5, 24 * 60)
        self.gap.setSingleStep(15)
        self.gap.setSuffix(" min")
        self.gap.setAccessibleName("Gap that ends a session, in minutes")
        self.gap.setToolTip("A pause longer than this starts a new session (default 2 h)")
        self.gap.setValue(int(ctx.settings.session_gap_minutes))
        self.gap.setMaximumWidth(110)
        self.search.setMinimumWidth(200)
        controls.addWidget(self.search, 1)
        controls.addWidget(self.kind)
        controls.addWidget(self.year)
        controls.addSpacing(12)
        controls.addWidget(label("Gap", "muted"))
        controls.addWidget(self.gap)
        self.outer.addLayout(controls)

        self.empty = notice("")
        self.empty.hide()
        self.outer.addWidget(self.empty)

        self.split = QSplitter(Qt.Orientation.Horizontal)
        self.model = PagedTableModel(ctx.jobs, [Column("Session", self._row_text)], page_size=150)
        self.list = QListView()
        self.list.setAccessibleName("Sessions, newest first")
        self.list.setModel(self.model)
        self.list.setItemDelegate(SessionDelegate(self.list))
        self.list.setMouseTracking(True)
        self.list.setUniformItemSizes(True)
        self.list.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.selectionModel().currentChanged.connect(self._selected)
        self.split.addWidget(self.list)

        detail = QWidget()
        dl = QVBoxLayout(detail)
        dl.setContentsMargins(12, 0, 0, 0)
        dl.setSpacing(6)
        self.detail_title = label("Pick a session", "section")
        self.detail_sub = label("", "muted", wrap=True)
        self.plays_model = ListTableModel(PLAY_COLUMNS)
        self.plays = QTableView()
        self.plays.setAccessibleName("Plays of the selected session")
        self.plays.setModel(self.plays_model)
        self.plays.verticalHeader().hide()
        self.plays.setShowGrid(False)
        self.plays.setAlternatingRowColors(True)
        self.plays.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.plays.setWordWrap(False)
        self.plays.setTextElideMode(Qt.TextElideMode.ElideRight)
        hh = self.plays.horizontalHeader()
        hh.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        hh.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        hh.setSectionResizeMode(2, QHeaderView.ResizeMode.Interactive)
        # track titles stretch, artists are fitted to at most 40%: both may end in "…" (tooltip: whole)
        self.plays.setProperty("elideColumns", [1, 2])
        self.plays.verticalHeader().setDefaultSectionSize(26)
        dl.addWidget(self.detail_title)
        dl.addWidget(self.detail_sub)
        dl.addWidget(self.plays, 1)
        self.split.addWidget(detail)
        self.split.setStretchFactor(0, 2)
        self.split.setStretchFactor(1, 3)  # the plays table gets the room: track names stay whole
        self.split.setChildrenCollapsible(False)
        self.list.setMinimumWidth(300)
        self.split.splitterMoved.connect(lambda *_a: self._fit_columns())
        self.outer.addWidget(self.split, 1)
        self.outer.addStretch(0)  # with the list hidden (no history yet) the header stays on top

        self._filter_timer = QTimer(self, singleShot=True, interval=300)
        self._filter_timer.timeout.connect(self.apply_filter)
        self._gap_timer = QTimer(self, singleShot=True, interval=500)
        self._gap_timer.timeout.connect(self._gap_changed)
        self.search.textChanged.connect(lambda _t: self._filter_timer.start())
        self.kind.currentIndexChanged.connect(lambda _i: self.apply_filter())
        self.year.currentIndexChanged.connect(lambda _i: self.apply_filter())
        self.gap.valueChanged.connect(lambda _v: self._gap_timer.start())
        self.model.failed.connect(
            lambda err: ctx.notify(f"Loading sessions: {err.message}", "error", retry=self.model.retry)
        )
        ctx.settingsChanged.connect(self._settings_changed)
        self.setTabOrder(self.search, self.kind)
        self.setTabOrder(self.kind, self.year)
        self.setTabOrder(self.year, self.gap)
        self.setTabOrder(self.gap, self.list)
        self.setTabOrder(self.list, self.plays)

    @staticmethod
    def _row_text(row) -> str:
        artists = ", ".join(n for n, _c in row.top_artists)
        return f"{fmt.date_time(row.start)} — {counts_text(row).replace('  ·  ', ', ')} — {artists}"

    def focus_filter(self) -> bool:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()
        return True

    # -- loading ----------------------------------------------------------------------------
    def reload(self) -> None:
        self._gen += 1
        self.index = None
        self.model.reset(None)
        self.plays_model.set_rows([])
        acc = self.ctx.account
        if acc is None:
            self._show_empty(self.ctx.no_history_html())
            return
        self.header.set_subtitle(f"Loading {acc.name}'s sessions…")
        from core.store.paging import build_session_index

        gen, gap_s = self._gen, int(self.gap.value()) * 60
        h = self.ctx.run(
            "Finding sessions", lambda _t: build_session_index(self.ctx.store.engine, acc.id, gap_s)
        )
        h.finished.connect(lambda index: self._index_ready(gen, index))
        self.track(h)

    def _show_empty(self, html: str) -> None:
        self.empty.setText(html)
        self.empty.show()
        self.split.hide()
        self.header.set_subtitle("")

    def _index_ready(self, gen: int, index) -> None:
        if gen != self._gen:
            return
        self.index = index
        if not len(index):
            self._show_empty("This account has no plays yet.")
            return
        self.empty.hide()
        self.split.show()
        current = self.year.currentData()
        self.year.blockSignals(True)
        self.year.clear()
        self.year.addItem("All years", None)
        for y in index.years():
            self.year.addItem(str(y), y)
        i = self.year.findData(current)
        self.year.setCurrentIndex(max(0, i))
        self.year.blockSignals(False)
        self.apply_filter()

    def apply_filter(self) -> None:
        index = self.index
        if index is None:
            return
        self._gen += 1
        gen, text = self._gen, self.search.text()
        opts = dict(next(f for k, _t, f in KINDS if k == self.kind.currentData()))
        year = self.year.currentData()
        if year is not None:
            opts["start"] = calendar.timegm((year, 1, 1, 0, 0, 0))
            opts["end"] = calendar.timegm((year + 1, 1, 1, 0, 0, 0))
        engine = self.ctx.store.engine

        def job(_token):
            from core.store.paging import matching_ids

            if text.strip():
                artists, tracks = matching_ids(engine, text)
                opts.update(artist_ids=artists, track_ids=tracks)
            return index.filter(**opts)

        h = self.ctx.run("Filtering sessions", job)
        h.finished.connect(lambda ids: self._filtered(gen, index, ids))
        self.track(h)

    def _filtered(self, gen: int, index, ids) -> None:
        if gen != self._gen:
            return
        engine = self.ctx.store.engine
        total = len(index)
        shown = f"{len(ids):,} of {total:,} sessions" if len(ids) != total else f"{total:,} sessions"
        self.header.set_subtitle(f"{shown} · a pause over {fmt.duration(index.gap_s)} starts a new one")

        def fetch(offset, limit):
            offset = offset or 0
            chunk = ids[offset : offset + limit]
            rows = index.rows(engine, chunk.tolist())
            nxt = offset + limit if offset + limit < len(ids) else None
            return rows, nxt

        self.model.reset(fetch if len(ids) else None)
        self.track_model()
        if not len(ids):
            self.detail_title.setText("No session matches the filter")
            self.detail_sub.setText("")
            self.plays_model.set_rows([])

    def track_model(self) -> None:
        """Count the first page as a load (screenshots wait for it) and select the newest session."""
        if self.model.loading:
            self._pending += 1
            if self._pending == 1:
                self.loadingChanged.emit(True)

            def arrived(_n):
                self.model.pageLoaded.disconnect(arrived)
                self.model.failed.disconnect(failed)
                self._load_done()
                if self.list.currentIndex().row() < 0 and self.model.rowCount():
                    self.list.setCurrentIndex(self.model.index(0, 0))

            def failed(_err):
                self.model.pageLoaded.disconnect(arrived)
                self.model.failed.disconnect(failed)
                self._load_done()

            self.model.pageLoaded.connect(arrived)
            self.model.failed.connect(failed)

    def _selected(self, current, _previous) -> None:
        row = current.data(ROW_ROLE) if current.isValid() else None
        if row is None or self.index is None:
            return
        index, engine = self.index, self.ctx.store.engine
        self.detail_title.setText(fmt.date_time(row.start))
        length = fmt.duration(row.end - row.start)
        parts = [f"about {length} (the last play's length is estimated)" if row.end_estimated else length]
        parts.append(fmt.count(row.plays, "play"))
        if row.skips:
            parts.append(fmt.count(row.skips, "skip"))
        parts.append("top: " + ", ".join(f"{n} ({c})" for n, c in row.top_artists))
        self.detail_sub.setText("  ·  ".join(parts))
        gen = self._gen
        h = self.ctx.run("Loading the session", lambda _t: index.plays(engine, row.index))
        h.finished.connect(lambda plays: gen == self._gen and self._show_plays(plays))
        self.track(h)

    def _show_plays(self, plays: list) -> None:
        self.plays_model.set_rows(plays)
        # scrobble histories rarely know track lengths: then no gap can be told and the column goes away
        self.plays.setColumnHidden(4, all(p.gap_s is None for p in plays[1:]))
        self._fit_columns()

    def _fit_columns(self) -> None:
        """Artists get what their names need up to 40% of the table; track titles the rest."""
        fm = self.plays.fontMetrics()
        need = max((fm.horizontalAdvance(p.artist) for p in self.plays_model.rows), default=60) + 28
        self.plays.setColumnWidth(2, max(60, min(need, int(self.plays.viewport().width() * 0.4))))

    SIDE_BY_SIDE_PX = 800  # narrower: the session's plays go under the list, with the whole width

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        wide = self.width() >= self.SIDE_BY_SIDE_PX
        orientation = Qt.Orientation.Horizontal if wide else Qt.Orientation.Vertical
        if self.split.orientation() != orientation:
            self.split.setOrientation(orientation)
            self.list.setMinimumWidth(300 if wide else 0)
            self.list.setMinimumHeight(0 if wide else 150)
        self._fit_columns()

    # -- settings ---------------------------------------------------------------------------
    def _gap_changed(self) -> None:
        minutes = int(self.gap.value())
        if minutes != self.ctx.settings.session_gap_minutes:
            self.ctx.update_settings(session_gap_minutes=minutes)
        self._stale = True
        if self.isVisible():
            self.activated()

    def _settings_changed(self, settings) -> None:
        if self.gap.value() != settings.session_gap_minutes:
            self.gap.blockSignals(True)
            self.gap.setValue(int(settings.session_gap_minutes))
            self.gap.blockSignals(False)
            self._stale = True
            if self.isVisible():
                self.activated()
