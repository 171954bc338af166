"""Library & stats: totals and streaks, a daily heatmap calendar, listening by hour and weekday, plays
per month, top artists/tracks/albums by plays or listening time over any range — and the full play
history as a paged, searchable list."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, timedelta

from PySide6.QtCore import QDate, Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app import fmt
from app.pages.base import Page
from app.widgets.charts import BarChart, TimeAreaChart
from app.widgets.common import PageHeader, Segmented, StatCard, card, label, notice, page_scroll
from app.widgets.heatmap import HeatmapCalendar
from app.widgets.paged import Column, PagedTableModel
from app.widgets.ranked import RankedBars, RankedItem

WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


def _utc(d: date) -> int:
    return calendar.timegm((d.year, d.month, d.day, 0, 0, 0))


def load_overview(engine, account_id: int, start: int | None, end: int | None, gap_s: int) -> dict:
    """Everything the overview shows, computed off the GUI thread (one pass over the plays)."""
    from core.reports import stats_report

    report = stats_report(engine, account_id, start, end, limit=12, gap_s=gap_s)
    days = {date.fromisoformat(k): v for k, v in report["daily"].items()}
    months: dict[date, int] = {}
    for d, n in days.items():
        key = d.replace(day=1)
        months[key] = months.get(key, 0) + n
    points: list[tuple[date, float]] = []
    if months:
        cur, last = min(months), max(months)
        while cur <= last:
            points.append((cur, float(months.get(cur, 0))))
            cur = (cur + timedelta(days=32)).replace(day=1)
    report["days"] = days
    report["months"] = points
    return report


def _length(row) -> str:
    ms = row.ms_played if row.ms_played is not None else row.duration_ms
    return fmt.duration(ms / 1000, short=True) if ms else ""


HISTORY_COLUMNS = [
    Column("When", lambda r: fmt.date_time(r.played_at)),
    Column("Track", lambda r: r.track),
    Column("Artist", lambda r: r.artist),
    Column("Album", lambda r: r.album or ""),
    Column("Length", _length, Qt.AlignmentFlag.AlignRight),
    Column("Source", lambda r: r.source),
]


class StatsPage(Page):
    key = "stats"
    title = "Library & stats"

    def __init__(self, ctx, parent: QWidget | None = None):
        super().__init__(ctx, parent)
        self._gen = 0
        self.report: dict | None = None
        self.header = PageHeader("Library & stats")
        self.range = QComboBox()
        self.range.setAccessibleName("Date range")
        self.range.setMinimumWidth(190)
        self.date_from = QDateEdit()
        self.date_to = QDateEdit()
        for w, name in ((self.date_from, "From"), (self.date_to, "To (inclusive)")):
            w.setCalendarPopup(True)
            w.setDisplayFormat("dd MMM yyyy")
            w.setAccessibleName(name)
            w.hide()
        self.header.add(self.range)
        self.header.add(self.date_from)
        self.header.add(self.date_to)
        self.outer.addWidget(self.header)

        self.empty = notice("")
        self.empty.hide()
        self.outer.addWidget(self.empty)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.outer.addWidget(self.tabs, 1)
        self.tabs.addTab(self._build_overview(), "Overview")
        self.tabs.addTab(self._build_history(), "History")

        self.range.activated.connect(self._range_picked)
        self.date_from.dateChanged.connect(lambda _d: self._custom_timer.start())
        self.date_to.dateChanged.connect(lambda _d: self._custom_timer.start())
        self._custom_timer = QTimer(self, singleShot=True, interval=400)
        self._custom_timer.timeout.connect(lambda: self._is_custom() and self.load_overview())
        self.tabs.currentChanged.connect(lambda i: i == 1 and self._history_needed())

    # -- layout -----------------------------------------------------------------------------
    def _build_overview(self) -> QWidget:
        body = QWidget()
        lay = QVBoxLayout(body)
        lay.setContentsMargins(0, 10, 6, 10)
        lay.setSpacing(14)

        cards = QHBoxLayout()
        cards.setSpacing(12)
        self.cards = {
            k: StatCard(t)
            for k, t in (
                ("plays", "Plays"),
                ("time", "Listening time"),
                ("artists", "Artists"),
                ("tracks", "Tracks"),
                ("streak", "Longest streak"),
            )
        }
        for c in self.cards.values():
            cards.addWidget(c)
        lay.addLayout(cards)

        heat = card()
        hl = QVBoxLayout(heat)
        hl.setContentsMargins(16, 12, 16, 12)
        self.heatmap = HeatmapCalendar()
        hl.addWidget(self.heatmap)
        lay.addWidget(heat)

        grid = QGridLayout()
        grid.setSpacing(12)
        top = card()
        tl = QVBoxLayout(top)
        tl.setContentsMargins(16, 12, 16, 12)
        row = QHBoxLayout()
        self.top_title = label("Top artists", "section")
        row.addWidget(self.top_title, 1)
        self.top_by = Segmented([("artist", "Artists"), ("track", "Tracks"), ("album", "Albums")])
        self.top_metric = Segmented([("plays", "Plays"), ("time", "Time")])
        self.top_metric.setToolTip("Rank by number of plays or by listening time")
        row.addWidget(self.top_by)
        row.addSpacing(6)
        row.addWidget(self.top_metric)
        tl.addLayout(row)
        self.top_list = RankedBars(rows=12)
        tl.addWidget(self.top_list)
        tl.addStretch(1)
        grid.addWidget(top, 0, 0, 2, 1)

        self.by_hour = BarChart(height=150, step=3)
        self.by_weekday = BarChart(height=150)
        for r, (title, chart) in enumerate(
            (("By hour of day", self.by_hour), ("By weekday", self.by_weekday))
        ):
            c = card()
            cl = QVBoxLayout(c)
            cl.setContentsMargins(16, 12, 16, 8)
            cl.addWidget(label(title, "section"))
            cl.addWidget(chart)
            grid.addWidget(c, r, 1)
        grid.setColumnStretch(0, 11)
        grid.setColumnStretch(1, 10)
        lay.addLayout(grid)

        months = card()
        ml = QVBoxLayout(months)
        ml.setContentsMargins(16, 12, 16, 8)
        ml.addWidget(label("Plays per month", "section"))
        self.monthly = TimeAreaChart(height=200)
        ml.addWidget(self.monthly)
        lay.addWidget(months)
        lay.addStretch(1)

        self.top_by.changed.connect(lambda _k: self._show_top())
        self.top_metric.changed.connect(lambda _k: self._show_top())
        return page_scroll(body)

    def _build_history(self) -> QWidget:
        w = QWidget()
        lay = QVBoxLayout(w)
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
        hh = self.history.horizontalHeader()
        hh.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for col in (1, 2, 3):
            hh.setSectionResizeMode(col, QHeaderView.ResizeMode.Stretch)
        hh.resizeSection(0, 190)
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
        self._history_stale = True
        return w

    def focus_filter(self) -> bool:
        self.tabs.setCurrentIndex(1)
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()
        return True

    # -- ranges -----------------------------------------------------------------------------
    def _fill_ranges(self) -> None:
        acc = self.ctx.account
        current = self.range.currentData()
        self.range.blockSignals(True)
        self.range.clear()
        self.range.addItem("All time", ("all",))
        if acc is not None and acc.last is not None:
            last = datetime.fromtimestamp(acc.last, UTC).date()
            self.range.addItem("Last 30 days of listening", ("span", 30))
            self.range.addItem("Last 12 months of listening", ("span", 365))
            first = datetime.fromtimestamp(acc.first, UTC).date()
            for y in range(last.year, first.year - 1, -1):
                self.range.addItem(str(y), ("year", y))
            self.date_from.setDateRange(
                QDate(first.year, first.month, first.day), QDate(last.year, last.month, last.day)
            )
            self.date_to.setDateRange(
                QDate(first.year, first.month, first.day), QDate(last.year, last.month, last.day)
            )
            self.date_from.setDate(QDate(first.year, first.month, first.day))
            self.date_to.setDate(QDate(last.year, last.month, last.day))
        self.range.addItem("Custom range…", ("custom",))
        i = self.range.findData(current) if current is not None else 0
        self.range.setCurrentIndex(max(0, i))
        self.range.blockSignals(False)
        self._toggle_custom()

    def _is_custom(self) -> bool:
        return (self.range.currentData() or ("all",))[0] == "custom"

    def _toggle_custom(self) -> None:
        custom = self._is_custom()
        self.date_from.setVisible(custom)
        self.date_to.setVisible(custom)

    def _range_picked(self, _i: int) -> None:
        self._toggle_custom()
        self.load_overview()

    def selected_range(self) -> tuple[int | None, int | None, str]:
        data = self.range.currentData() or ("all",)
        acc = self.ctx.account
        if data[0] == "year":
            y = data[1]
            return _utc(date(y, 1, 1)), _utc(date(y + 1, 1, 1)), str(y)
        if data[0] == "span" and acc is not None and acc.last is not None:
            end = acc.last + 1
            return end - data[1] * 86400, end, self.range.currentText().lower()
        if data[0] == "custom":
            a, b = self.date_from.date(), self.date_to.date()
            start = _utc(date(a.year(), a.month(), a.day()))
            end = _utc(date(b.year(), b.month(), b.day()) + timedelta(days=1))
            return start, max(end, start + 86400), f"{fmt.day(start)} – {fmt.day(end - 86400)}"
        return None, None, "all time"

    # -- loading ----------------------------------------------------------------------------
    def reload(self) -> None:
        self._fill_ranges()
        self._history_stale = True
        self.load_overview()
        if self.tabs.currentIndex() == 1:
            self._history_needed()

    def load_overview(self) -> None:
        self._gen += 1
        acc = self.ctx.account
        if acc is None or self.ctx.store is None:
            self.empty.setText(
                "No listening history yet. Import a file or connect Last.fm under "
                "<b>Accounts &amp; import</b> — the charts fill in as soon as plays arrive."
            )
            self.empty.show()
            self.tabs.hide()
            self.header.set_subtitle("")
            return
        self.empty.hide()
        self.tabs.show()
        start, end, label_text = self.selected_range()
        self._range_label = label_text
        gen, engine, gap_s = self._gen, self.ctx.store.engine, self.ctx.settings.session_gap_minutes * 60
        self.header.set_subtitle(f"{acc.name} · {label_text} · loading…")
        h = self.ctx.run("Computing your stats", lambda _t: load_overview(engine, acc.id, start, end, gap_s))
        h.finished.connect(lambda report: self._overview_ready(gen, acc, report))
        self.track(h)

    def _overview_ready(self, gen: int, acc, report: dict) -> None:
        if gen != self._gen:
            return
        self.report = report
        first, last = report["first"], report["last"]
        span = f"{first[:10]} – {last[:10]}" if first else "no plays in this range"
        self.header.set_subtitle(f"{acc.name} · {self._range_label} · {span}")
        self.cards["plays"].set(f"{report['plays']:,}", fmt.count(report["sessions"], "session"))
        est = report.get("estimated_time_share", 0.0)
        self.cards["time"].set(
            f"{report['hours']:,.0f} h", f"{est:.0%} estimated from gaps" if est >= 0.01 else "as recorded"
        )
        self.cards["artists"].set(f"{report['distinct']['artists']:,}", "distinct")
        self.cards["tracks"].set(f"{report['distinct']['tracks']:,}", "distinct")
        longest, current = report["streaks"]["longest"], report["streaks"]["current"]
        if longest:
            note = f"{longest['start']} – {longest['end']}"
            if current:
                note = f"current: {fmt.count(current['days'], 'day')}"
            self.cards["streak"].set(fmt.count(longest["days"], "day"), note)
        else:
            self.cards["streak"].set("–", "")
        self.heatmap.set_days(report["days"])
        hw = report["hour_weekday"]
        by_hour = [sum(hw[d][h] for d in range(7)) for h in range(24)]
        self.by_hour.set_data(
            [str(h) for h in range(24)], by_hour, labels=[f"{h:02d}:00–{h:02d}:59" for h in range(24)]
        )
        self.by_weekday.set_data(WEEKDAYS, [sum(hw[d]) for d in range(7)])
        self.monthly.set_data(report["months"])
        self._show_top()

    def _show_top(self) -> None:
        if self.report is None:
            return
        by, metric = self.top_by.current(), self.top_metric.current()
        self.top_title.setText({"artist": "Top artists", "track": "Top tracks", "album": "Top albums"}[by])
        rows = self.report.get(f"top_{by}s_by_{metric}", [])
        items = []
        for r in rows:
            value = r["plays"] if metric == "plays" else r["hours"]
            text = f"{r['plays']:,} plays" if metric == "plays" else fmt.hours(r["hours"] * 3600)
            items.append(
                RankedItem(
                    r["name"],
                    float(value),
                    text,
                    f"{r['name']}\n{r['plays']:,} plays · {r['hours']:,.1f} h",
                    r["id"],
                )
            )
        self.top_list.set_items(items)

    # -- history ----------------------------------------------------------------------------
    def _history_needed(self) -> None:
        if self._history_stale:
            self._history_stale = False
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
        more = "" if self.history_model.exhausted else "+ (scroll for more)"
        what = "matching plays" if self.search.text().strip() else "plays loaded"
        self.history_count.setText(f"{n:,}{more} {what}")
