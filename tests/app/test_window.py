"""The window: every page reachable by Ctrl+1..n, state restored, themes, banners instead of tracebacks."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QPalette

from app.pages.base import PAGES, PageSpec, register_page
from app.theme import ThemeManager, load_theme
from tests.app.conftest import wait_loaded


def test_shortcuts_open_every_page(make_app, store_url, qtbot):
    app = make_app(store_url, account="felhag")
    win = app.window
    core = ["suggestions", "sessions", "stats", "models", "accounts", "settings"]
    assert [k for k in win.order if k in core] == core  # optional pages (Insights) may sit in between
    assert win.order[-1] == "settings"
    for i, key in enumerate(win.order):
        # the offscreen platform drops window activation when some pages first show; a desktop keeps it
        win.windowHandle().requestActivate()
        qtbot.waitUntil(lambda: win.isActiveWindow(), timeout=2000)
        qtbot.keyClick(win, Qt.Key.Key_1 + i, Qt.KeyboardModifier.ControlModifier)
        assert win.current_key == key, win.banners.messages()
        wait_loaded(qtbot, win.pages[key])
    assert app.ctx.account.name == "felhag"


def test_window_restores_size_and_page(make_app, store_url, qtbot):
    app = make_app(store_url)
    app.window.resize(1111, 777)
    app.window.show_page("sessions")
    app.window.close()
    again = make_app(store_url)
    assert again.window.current_key == "sessions"
    assert (again.window.width(), again.window.height()) == (1111, 777)


def test_theme_switching_light_dark_and_following_the_system(make_app, store_url, qtbot):
    app = make_app(store_url)
    mgr = ThemeManager.instance()
    dark, light = load_theme("dark"), load_theme("light")
    mgr.set_mode("dark")
    assert (
        QGuiApplication.palette().color(QPalette.ColorRole.Window).name().upper()
        == dark.colors["window"].upper()
    )
    assert dark.colors["accent"] in app.qapp.styleSheet()
    mgr.set_mode("light")
    assert (
        QGuiApplication.palette().color(QPalette.ColorRole.Window).name().upper()
        == light.colors["window"].upper()
    )
    # following the system: the offscreen platform cannot change its scheme, so play the platform's part
    import app.theme as theme_module

    scheme = ["dark"]
    real = theme_module.system_scheme
    theme_module.system_scheme = lambda: scheme[0]
    try:
        mgr.set_mode("system")
        assert mgr.theme.name == "dark"
        scheme[0] = "light"
        QGuiApplication.styleHints().colorSchemeChanged.emit(Qt.ColorScheme.Light)
        assert mgr.theme.name == "light"
        mgr.set_mode("dark")
        scheme[0] = "light"
        mgr._system_changed(Qt.ColorScheme.Light)
        assert mgr.theme.name == "dark"  # an explicit choice ignores the system
    finally:
        theme_module.system_scheme = real
        mgr.set_mode("light")


def test_settings_page_theme_choice_is_saved(make_app, store_url, qtbot):
    from core.settings import Settings

    app = make_app(store_url)
    app.window.show_page("settings")
    page = app.window.pages["settings"]
    theme = page.editors["theme"].widget
    theme.buttons["dark"].click()
    assert ThemeManager.instance().theme.name == "dark"
    assert Settings.load().theme == "dark"
    theme.buttons["light"].click()


def test_store_failure_is_a_banner_with_retry(make_app, tmp_path, qtbot):
    bad = tmp_path / "not-a-db"
    bad.mkdir()
    app = make_app(f"sqlite:///{bad}")
    assert app.ctx.store_error is not None
    kinds = app.window.banners.messages()
    assert kinds and kinds[0][0] == "error" and "Traceback" not in kinds[0][1]
    assert app.window.banners.banners[0].retry_button is not None


def test_an_error_escaping_a_slot_becomes_a_banner(make_app, store_url, qtbot):
    import sys

    app = make_app(store_url)
    try:
        raise ValueError("boom")
    except ValueError:
        sys.excepthook(*sys.exc_info())
    assert any("boom" in m for _k, m in app.window.banners.messages())


def test_a_page_can_be_added_without_touching_the_window(make_app, store_url, qtbot):
    saved = list(PAGES)
    try:
        register_page(PageSpec("extra", "Extra", "app.pages.settings:SettingsPage"), after="models")
        app = make_app(store_url)
        assert app.window.order.index("extra") == app.window.order.index("models") + 1
    finally:
        PAGES[:] = saved


def test_long_lived_heap_is_frozen_once_settled_and_thawed_on_shutdown(make_app, store_url, qtbot):
    """Full GC passes over the whole heap stalled the GUI thread 114–142 ms (bench_gui_stall)."""
    import gc

    from app.main import shutdown

    app = make_app(store_url, account="felhag")
    qtbot.waitUntil(lambda: gc.get_freeze_count() > 0, timeout=5000)
    shutdown(app)
    assert gc.get_freeze_count() == 0
