"""Sessions page on real histories: timeline newest first, filters (Cyrillic text), detail, gap setting."""

from __future__ import annotations

from app.widgets.paged import ROW_ROLE
from core.reports import session_rows
from core.settings import Settings
from core.store import open_store
from core.store.queries import account_by_name
from tests.app.conftest import wait_loaded


def open_sessions(make_app, url, account, qtbot):
    app = make_app(url, account=account)
    app.window.show_page("sessions")
    page = app.window.pages["sessions"]
    wait_loaded(qtbot, page)
    return app, page


def test_timeline_lists_sessions_newest_first_with_detail(make_app, store_url, qtbot):
    app, page = open_sessions(make_app, store_url, "jonas", qtbot)
    store = open_store(store_url)
    expected = session_rows(store.engine, account_by_name(store.engine, "jonas").id, gap_s=7200)
    store.dispose()
    assert f"{len(expected):,} sessions" in page.header.subtitle.text()
    first = page.model.index(0, 0).data(ROW_ROLE)
    assert first.plays == expected[-1]["plays"]
    assert [n for n, _c in first.top_artists] == [a["name"] for a in expected[-1]["top_artists"][:3]]
    qtbot.waitUntil(lambda: page.plays_model.rowCount() == first.plays, timeout=5000)
    assert page.plays_model.rows[0].track and page.detail_title.text()
    # the list is paged: scrolling to the end asks for more
    assert page.model.rowCount() == min(150, len(expected))
    if len(expected) > 150:
        page.list.scrollToBottom()
        qtbot.waitUntil(lambda: page.model.rowCount() > 150, timeout=5000)


def test_filter_by_cyrillic_artist_and_length(make_app, store_url, qtbot):
    app, page = open_sessions(make_app, store_url, "dudu", qtbot)
    total = page.model.rowCount()
    page.search.setText("кино")  # keyClicks aborts on non-ASCII: setText
    qtbot.waitUntil(lambda: "of" in page.header.subtitle.text() and not page.loading, timeout=5000)
    n = page.model.rowCount()
    assert 0 < n < max(total, 2) or page.model.canFetchMore()
    row = page.model.index(0, 0).data(ROW_ROLE)
    plays = page.index.plays(app.ctx.store.engine, row.index)
    assert any("кино" in (p.artist + " " + p.track).casefold() for p in plays)
    page.kind.setCurrentIndex(page.kind.findData("long"))
    qtbot.waitUntil(lambda: not page.loading, timeout=5000)
    assert all(page.model.rows[i].plays >= 5 for i in range(page.model.rowCount()))


def test_gap_threshold_is_a_saved_setting_and_resessionizes(make_app, store_url, qtbot):
    app, page = open_sessions(make_app, store_url, "felhag", qtbot)
    before = len(page.index)
    page.gap.setValue(30)
    page._gap_changed()
    qtbot.waitUntil(
        lambda: page.index is not None and page.index.gap_s == 1800 and not page.loading, timeout=5000
    )
    assert len(page.index) > before
    assert Settings.load().session_gap_minutes == 30
