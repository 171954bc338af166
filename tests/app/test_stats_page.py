"""Library & stats on real histories: totals equal the core report, ranges, tops by time, paged history."""

from __future__ import annotations

from app import fmt
from core.reports import stats_report
from core.store import open_store
from core.store.queries import account_by_name
from tests.app.conftest import wait_loaded


def test_overview_matches_the_report_and_ranges_change_it(make_app, store_url, qtbot):
    app = make_app(store_url, account="jonas")
    app.window.show_page("stats")
    page = app.window.pages["stats"]
    wait_loaded(qtbot, page)
    store = open_store(store_url)
    acc = account_by_name(store.engine, "jonas")
    report = stats_report(store.engine, acc.id, limit=12)
    store.dispose()
    assert page.cards["plays"].value.text() == f"{report['plays']:,}"
    assert page.cards["artists"].value.text() == f"{report['distinct']['artists']:,}"
    assert page.top_list.items[0].name == report["top_artists_by_plays"][0]["name"]
    assert sum(page.heatmap.grid.days.values()) > 0
    assert sum(page.by_weekday.values) == report["plays"]
    # listening time ranks differently from plays for a Spotify history (ms_played is known)
    page.top_metric.set_current("time")
    assert page.top_list.items[0].value_text.split(" · ")[0].endswith("h")
    page.top_by.set_current("track")
    assert page.top_title.text() == "Top tracks"
    # a year range
    i = page.range.findData(("year", 2022))
    page.range.setCurrentIndex(i)
    page._range_picked(i)
    wait_loaded(qtbot, page)
    assert "2022" in page.header.subtitle.text()
    assert page.report["first"].startswith("2022")


def test_history_is_paged_and_searchable(make_app, store_url, qtbot):
    app = make_app(store_url, account="dudu")
    app.window.show_page("stats")
    page = app.window.pages["stats"]
    wait_loaded(qtbot, page)
    page.tabs.setCurrentIndex(1)
    model = page.history_model
    qtbot.waitUntil(lambda: model.rowCount() == 200, timeout=5000)
    assert model.rows[0].played_at >= model.rows[-1].played_at
    # a listener's words: the source as a name, the count with how to see more, no column of dashes
    plays = app.ctx.account.plays
    qtbot.waitUntil(lambda: page.history_tab.history_count.text() != "", timeout=5000)
    assert page.history_tab.history_count.text() == f"newest 200 of {plays:,} plays · scroll for more"
    source = model.data(model.index(0, 5))
    assert source == fmt.source_name(model.rows[0].source) and source != model.rows[0].source, source
    known = any(r.ms_played is not None or r.duration_ms for r in model.rows)
    assert page.history.isColumnHidden(4) == (not known)
    page.history.scrollToBottom()
    qtbot.waitUntil(lambda: model.rowCount() == 400, timeout=5000)
    assert model.rows[199].played_at >= model.rows[200].played_at
    app.window.focus_filter()
    assert page.search.hasFocus() or page.tabs.currentIndex() == 1
    page.search.setText("КИНО")
    page.load_history()
    qtbot.waitUntil(lambda: not model.loading and model.rowCount() > 0, timeout=5000)
    assert all("кино" in (r.artist + r.track + (r.album or "")).casefold() for r in model.rows)
