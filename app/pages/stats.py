"""Library & stats: totals and streaks, a daily heatmap calendar fitted to the range, listening by hour
and weekday, plays per month (partial months marked), top artists/tracks/albums by plays or listening
time with their share, rank change against the period before and album covers — and the full play
history as a paged, searchable list.

"Last 30 days" / "Last 12 months" are ``core.stats.last_days`` (what ``segue stats --last 30`` reads):
whole UTC calendar days ending with the newest play; the subtitle shows the dates.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from PySide6.QtCore import QDate, Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QGridLayout,
    QHBoxLayout,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app import fmt
from app.pages.base import Page
from app.pages.stats_data import day_of, overview_report, utc_day
from app.pages.stats_history import HistoryTab
from app.widgets.art import ArtCache
from app.widgets.bars import Bar, Bars
from app.widgets.common import PageHeader, Segmented, StatCard, card, label, notice, page_scroll
from app.widgets.heatmap import HeatmapCalendar
from app.widgets.ranked import RankedBars, RankedItem, change_text

WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


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
        self.art = ArtCache(ctx.jobs, self)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.outer.addWidget(self.tabs, 1)
        self.outer.addStretch(0)  # with the tabs hidden (no history yet) the header stays on top
        self.tabs.addTab(self._build_overview(), "Overview")
        self.history_tab = HistoryTab(ctx)
        self.tabs.addTab(self.history_tab, "History")
        # the tab's parts, as the page's own (Ctrl+F, tests)
        self.search, self.history = self.history_tab.search, self.history_tab.history
        self.history_model, self.load_history = self.history_tab.history_model, self.history_tab.load_history

        self.range.activated.connect(self._range_picked)
        self.date_from.dateChanged.connect(lambda _d: self._custom_timer.start())
        self.date_to.dateChanged.connect(lambda _d: self._custom_timer.start())
        self._custom_timer = QTimer(self, singleShot=True, interval=400)
        self._custom_timer.timeout.connect(lambda: self._is_custom() and self.load_overview())
        self.tabs.currentChanged.connect(lambda i: i == 1 and self.history_tab.needed())

    # -- layout -----------------------------------------------------------------------------
    def _build_overview(self) -> QWidget:
        body = QWidget()
        lay = QVBoxLayout(body)
        lay.setContentsMargins(0, 10, 6, 10)
        lay.setSpacing(14)

        self.card_grid = QGridLayout()
        self.card_grid.setSpacing(12)
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
        lay.addLayout(self.card_grid)

        heat = card()
        hl = QVBoxLayout(heat)
        hl.setContentsMargins(16, 12, 16, 12)
        self.heatmap = HeatmapCalendar()
        hl.addWidget(self.heatmap)
        lay.addWidget(heat)

        self.grid = grid = QGridLayout()
        grid.setSpacing(12)
        self.top_card = top = card()
        tl = QVBoxLayout(top)
        tl.setContentsMargins(16, 12, 16, 12)
        self.top_head = QGridLayout()
        self.top_head.setHorizontalSpacing(6)
        self.top_title = label("Top artists", "section")
        self.top_by = Segmented([("artist", "Artists"), ("track", "Tracks"), ("album", "Albums")])
        self.top_metric = Segmented([("plays", "Plays"), ("time", "Time")])
        self.top_metric.setToolTip("Rank by number of plays or by listening time")
        self.top_controls = QWidget()
        cl = QHBoxLayout(self.top_controls)
        cl.setContentsMargins(0, 0, 0, 0)
        cl.setSpacing(6)
        cl.addWidget(self.top_by)
        cl.addWidget(self.top_metric)
        tl.addLayout(self.top_head)
        self.top_list = RankedBars(rows=12, art=self.art)
        tl.addWidget(self.top_list)
        tl.addStretch(1)
        self.chart_cards: list[QWidget] = []

        self.by_hour = Bars(height=150, steps=(1, 2, 3, 4, 6))
        self.by_weekday = Bars(height=150)
        for title, chart in (("By hour of day", self.by_hour), ("By weekday", self.by_weekday)):
            c = card()
            cl = QVBoxLayout(c)
            cl.setContentsMargins(16, 12, 16, 8)
            cl.addWidget(label(title, "section"))
            cl.addWidget(chart)
            self.chart_cards.append(c)
        self._wide: bool | None = None
        self._arrange(True)
        lay.addLayout(grid)

        months = card()
        ml = QVBoxLayout(months)
        ml.setContentsMargins(16, 12, 16, 8)
        self.period_title = label("Plays per month", "section")
        ml.addWidget(self.period_title)
        self.monthly = Bars(height=190)
        ml.addWidget(self.monthly)
        self.partial_note = label("", "small", wrap=True)
        ml.addWidget(self.partial_note)
        lay.addWidget(months)
        lay.addStretch(1)

        self.top_by.changed.connect(lambda _k: self._show_top())
        self.top_metric.changed.connect(lambda _k: self._show_top())
        return page_scroll(body)

    # the overview reflows instead of scrolling sideways: side by side when there is room, stacked when not
    WIDE_PX = 1000

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._arrange(self.width() >= self.WIDE_PX)

    NARROW_PX = 720

    def _arrange(self, wide: bool) -> None:
        narrow = self.width() < self.NARROW_PX
        if narrow != getattr(self, "_narrow", None):  # the top list's switches go under its title
            self._narrow = narrow
            self.top_head.removeWidget(self.top_title)
            self.top_head.removeWidget(self.top_controls)
            self.top_head.addWidget(self.top_title, 0, 0)
            self.top_head.addWidget(
                self.top_controls, 1 if narrow else 0, 0 if narrow else 1, Qt.AlignmentFlag.AlignLeft
            )
            self.top_head.setColumnStretch(0, 1)
        if wide == self._wide:
            return
        self._wide = wide
        per_row = 5 if wide else 3
        for i, c in enumerate(self.cards.values()):
            self.card_grid.addWidget(c, i // per_row, i % per_row)
        for col in range(5):
            self.card_grid.setColumnStretch(col, 1 if col < per_row else 0)
        g = self.grid
        for w in [self.top_card, *self.chart_cards]:
            g.removeWidget(w)
        if wide:
            g.addWidget(self.top_card, 0, 0, 2, 1)
            g.addWidget(self.chart_cards[0], 0, 1)
            g.addWidget(self.chart_cards[1], 1, 1)
            g.setColumnStretch(0, 11)
            g.setColumnStretch(1, 10)
        else:
            g.addWidget(self.top_card, 0, 0, 1, 2)
            g.addWidget(self.chart_cards[0], 1, 0)
            g.addWidget(self.chart_cards[1], 1, 1)
            g.setColumnStretch(0, 1)
            g.setColumnStretch(1, 1)

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
            self.range.addItem("Last 30 days", ("span", 30))
            self.range.addItem("Last 12 months", ("span", 365))
            for i, days in ((1, 30), (2, 365)):
                self.range.setItemData(
                    i,
                    f"The {days} calendar days (UTC) up to your newest play — `segue stats --last {days}`",
                    Qt.ItemDataRole.ToolTipRole,
                )
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
            return utc_day(date(y, 1, 1)), utc_day(date(y + 1, 1, 1)), str(y)
        if data[0] == "span" and acc is not None and acc.last is not None:
            from core.stats import last_days

            start, end = last_days(acc.last, data[1])
            a, b = day_of(start), day_of(end - 1)
            dates = f"{a:%d %b} – {b:%d %b %Y}" if a.year == b.year else f"{a:%d %b %Y} – {b:%d %b %Y}"
            return start, end, f"{self.range.currentText().lower()}, {dates} (UTC days)"
        if data[0] == "custom":
            a, b = self.date_from.date(), self.date_to.date()
            start = utc_day(date(a.year(), a.month(), a.day()))
            end = utc_day(date(b.year(), b.month(), b.day()) + timedelta(days=1))
            return start, max(end, start + 86400), f"{fmt.day(start)} – {fmt.day(end - 86400)}"
        return None, None, "all time"

    # -- loading ----------------------------------------------------------------------------
    def reload(self) -> None:
        self._fill_ranges()
        self.history_tab.stale = True
        self.load_overview()
        if self.tabs.currentIndex() == 1:
            self.history_tab.needed()

    def load_overview(self) -> None:
        self._gen += 1
        acc = self.ctx.account
        if acc is None or self.ctx.store is None:
            self.empty.setText(self.ctx.no_history_html("the charts fill in as soon as plays arrive."))
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
        span = (acc.first, acc.last) if acc.first is not None and acc.last is not None else None
        h = self.ctx.run(
            "Computing your stats", lambda _t: overview_report(engine, acc.id, start, end, gap_s, span)
        )
        h.finished.connect(lambda report: self._overview_ready(gen, acc, report))
        self.track(h)

    def _overview_ready(self, gen: int, acc, report: dict) -> None:
        if gen != self._gen:
            return
        self.report = report
        first, last = report["first"], report["last"]
        span = "no plays in this range"
        if first:
            a, b = date.fromisoformat(first[:10]), date.fromisoformat(last[:10])
            span = f"{report['plays']:,} plays"
            if (self.range.currentData() or ("all",))[0] == "all":
                span += f", {a:%d %b %Y} – {b:%d %b %Y}"
        self.header.set_subtitle(f"{acc.name} · {self._range_label} · {span}")
        self.cards["plays"].set(f"{report['plays']:,}", fmt.count(report["sessions"], "session"))
        est = report.get("estimated_time_share", 0.0)
        self.cards["time"].set(
            f"{report['hours']:,.0f} h",
            "lengths known"
            if est < 0.01
            else f"{est:.0%} of plays estimated"
            if est < 0.995
            else "estimated",
        )
        self.cards["time"].setToolTip(
            "Recorded play time or the track's length where a source knows it; otherwise estimated from "
            "the gap to the next play (capped at the track's usual length, or 4 min)."
        )
        self.cards["artists"].set(f"{report['distinct']['artists']:,}", "distinct")
        self.cards["tracks"].set(f"{report['distinct']['tracks']:,}", "distinct")
        longest, current = report["streaks"]["longest"], report["streaks"]["current"]
        if longest:
            a, b = date.fromisoformat(longest["start"]), date.fromisoformat(longest["end"])
            note = f"{a:%d %b %Y} – {b:%d %b %Y}" if a.year != b.year else f"{a:%d %b} – {b:%d %b %Y}"
            if current:
                note = f"current: {fmt.count(current['days'], 'day')}"
            self.cards["streak"].set(fmt.count(longest["days"], "day"), note)
        else:
            self.cards["streak"].set("–", "")
        covered = report.get("covered")
        self.heatmap.set_days(report["days"], *(covered or (None, None)))
        hw = report["hour_weekday"]
        by_hour = [sum(hw[d][h] for d in range(7)) for h in range(24)]
        self.by_hour.set_bars(
            [
                Bar(str(h), float(n), f"{h:02d}:00–{h:02d}:59: {n:,} plays", align=h)
                for h, n in enumerate(by_hour)
            ]
        )
        self.by_weekday.set_bars(
            [Bar(WEEKDAYS[d], float(sum(hw[d])), f"{WEEKDAYS[d]}: {sum(hw[d]):,} plays") for d in range(7)]
        )
        self.period_title.setText(report["period_title"])
        self.monthly.set_bars(report["period_bars"])
        partial = [b for b in report["period_bars"] if b.full_value is not None]
        self.partial_note.setText(
            "Hatched: a month the history covers only in part; the dashed outline is the same pace over "
            "the whole month."
            if partial
            else ""
        )
        albums = {r.get("album_id") for k in ("track", "album") for r in report.get(f"top_{k}s_by_plays", [])}
        self.art.request(self.ctx.store.engine if self.ctx.store else None, [a for a in albums if a])
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
            amount = f"{r['plays']:,} plays" if metric == "plays" else fmt.hours(r["hours"] * 3600)
            share = r.get("share", 0.0)
            text = f"{amount} · {share:.1%}" if share < 0.1 else f"{amount} · {share:.0%}"
            has_before = "previous_rank" in r
            change = change_text(r.get("rank", 0), r.get("previous_rank"), has_before)
            title = r.get("title", r["name"])
            before = (
                ""
                if not has_before
                else "\nnew in this period"
                if r["previous_rank"] is None
                else f"\n#{r['previous_rank']} in the period before"
            )
            share_of = "plays" if metric == "plays" else "listening time"
            items.append(
                RankedItem(
                    title,
                    float(value),
                    text,
                    f"{title}{' — ' + r['artist'] if r.get('artist') else ''}\n"
                    f"{r['plays']:,} plays · {r['hours']:,.1f} h · {share:.1%} of the {share_of}{before}",
                    r["id"],
                    detail=r.get("artist", ""),
                    change=change,
                    art_key=r.get("album_id"),
                )
            )
        self.top_list.set_items(items)
