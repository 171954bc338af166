"""The window as a new listener meets it (issue 18): banners that never move the page, a welcome that
waits to be acted on, no premature "no history", ``segue gui --theme``, covers in the top lists."""

from __future__ import annotations

from PySide6.QtCore import QPoint

from tests.app.conftest import wait_loaded


def test_banners_float_over_the_page_and_never_move_it(make_app, store_url, qtbot):
    app = make_app(store_url, account="jonas")
    win = app.window
    win.resize(1024, 680)
    win.show_page("sessions")
    page = win.pages["sessions"]
    wait_loaded(qtbot, page)
    before = page.list.mapTo(win, QPoint(0, 0))
    for i in range(3):
        app.ctx.notify(f"Something happened #{i}", "error")
    qtbot.waitUntil(lambda: win.banners.isVisible() and win.banners.height() > 40, timeout=3000)
    assert page.list.mapTo(win, QPoint(0, 0)) == before  # the row under the mouse stays under it
    top_of_banners = win.banners.mapTo(win, QPoint(0, 0)).y()
    assert top_of_banners > page.header.mapTo(win, QPoint(0, 0)).y() + page.header.height()
    for b in list(win.banners.banners):
        b.dismiss()
    qtbot.waitUntil(lambda: not win.banners.isVisible(), timeout=3000)
    assert page.list.mapTo(win, QPoint(0, 0)) == before


def test_a_banner_with_an_action_stays_until_acted_on(make_app, store_url, qtbot):
    from app.widgets import banner

    app = make_app(store_url)
    opened = []
    app.ctx.notify("Welcome", "info", retry=lambda: opened.append(1), action="Use my own history…")
    app.ctx.notify("Saved", "info")
    qtbot.wait(banner.AUTO_HIDE_MS["info"] + 300)
    assert [m for _k, m in app.window.banners.messages()] == ["Welcome"]
    app.window.banners.banners[0].retry_button.click()
    assert opened == [1] and not app.window.banners.banners


def test_pages_say_loading_not_no_history_before_the_accounts_are_known(make_app, tmp_path, qtbot):
    from app.main import build, shutdown

    app = build(f"sqlite:///{tmp_path / 'fresh.sqlite'}", first_run_demo=True, background=False)
    try:
        app.window.show_page("stats")
        page = app.window.pages["stats"]
        seen = []
        qtbot.waitUntil(lambda: page.empty.isVisible() or app.ctx.account is not None, timeout=20000)
        while app.ctx.account is None:
            if page.empty.isVisible():
                seen.append(page.empty.text())
            qtbot.wait(20)
            if len(seen) > 2000:
                break
        assert seen and not any("No listening history yet" in t for t in seen), set(seen)
        assert any("demo" in t for t in seen)
        # the welcome offers the way to one's own history and is still there
        welcome = [b for b in app.window.banners.banners if b.message.startswith("Welcome")]
        assert welcome and welcome[0].retry_button is not None
        welcome[0].retry_button.click()
        assert app.window.current_key == "accounts"
    finally:
        shutdown(app)
        app.window.close()
        app.window.deleteLater()
        if app.ctx.store is not None:
            app.ctx.store.dispose()


def test_gui_theme_option_overrides_without_saving(make_app, store_url, qtbot):
    import argparse

    from app.commands import register
    from core.settings import Settings

    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    assert parser.parse_args(["gui", "--theme", "dark"]).theme == "dark"
    saved = Settings.load().theme
    app = make_app(store_url, theme="dark")
    assert app.theme.theme.name == "dark"
    assert Settings.load().theme == saved


def test_top_albums_show_their_artist_and_cover(make_app, store_url, qtbot, tmp_path):
    from fakes.coverart_server import TINY_JPEG
    from sqlalchemy import select

    from core.features.providers.rows import save_artwork
    from core.reports import stats_report
    from core.store import open_store
    from core.store.queries import account_by_name

    store = open_store(store_url)
    acc = account_by_name(store.engine, "jonas")
    top = stats_report(store.engine, acc.id, limit=3)["top_albums_by_plays"][0]
    cover = tmp_path / "cover.jpg"
    cover.write_bytes(TINY_JPEG)
    with store.engine.begin() as conn:
        save_artwork(conn, top["id"], path=str(cover), source_url="http://127.0.0.1/x", now=1)
        from core.store.schema import Artwork

        assert conn.execute(select(Artwork.path)).scalar() == str(cover)
    store.dispose()
    app = make_app(store_url, account="jonas")
    app.window.show_page("stats")
    page = app.window.pages["stats"]
    wait_loaded(qtbot, page)
    page.top_by.set_current("album")
    first = page.top_list.items[0]
    assert first.name == top["title"] and first.detail == top["artist"] and first.art_key == top["id"]
    qtbot.waitUntil(lambda: page.art.pixmap(top["id"]) is not None, timeout=5000)
    assert first.value_text.endswith("%")
