"""Accounts & import: import by dialog path and by drag-and-drop, delete, Last.fm sync, Spotify connect."""

from __future__ import annotations

import httpx
import pytest
from fakes.lastfm_server import DEFAULT_API_KEY, DEFAULT_API_SECRET, load_sqlite_history
from fakes.spotify_server import CLIENT_ID, FakeSpotify
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from core.store.queries import account_by_name
from tests.app.conftest import LISTENING, drain, wait_loaded

KRISH = LISTENING / "lastfm-exports" / "aleex-cs__aleex_cs.csv"  # ghan.nl layout, 6,001 rows
SQLITE_75K = LISTENING / "lastfm-exports" / "spacedlevo__lastfmscrobbles.sqlite"


def accounts_page(app, qtbot):
    app.window.show_page("accounts")
    page = app.window.pages["accounts"]
    wait_loaded(qtbot, page)
    return page


def test_import_files_into_a_new_account(make_app, store_url, qtbot):
    app = make_app(store_url, account="felhag")
    page = accounts_page(app, qtbot)
    handle = page.import_paths([str(KRISH)], account="aleex")
    assert page.import_row.isVisible() or handle.state != "running"
    with qtbot.waitSignal(handle.done, timeout=20000):
        pass
    assert handle.state == "ok", handle.error
    qtbot.waitUntil(lambda: any(a.name == "aleex" for a in app.ctx.accounts), timeout=5000)
    assert "plays added" in page.import_result.text()
    assert app.ctx.account.name == "aleex"
    # the highlighted row follows the sidebar to the new account (not the one picked before)
    qtbot.waitUntil(lambda: page.selected() is not None and page.selected()["name"] == "aleex", timeout=5000)
    acc = account_by_name(app.ctx.store.engine, "aleex")
    assert acc.plays > 5000
    # re-importing adds nothing
    again = page.import_paths([str(KRISH)], account="aleex")
    with qtbot.waitSignal(again.done, timeout=20000):
        pass
    assert again.result.files[0].added == 0


def test_unreadable_file_is_a_readable_banner(make_app, store_url, tmp_path, qtbot):
    bad = tmp_path / "notes.csv"
    bad.write_text("this is not,a history\n1,2\n", encoding="utf-8")
    app = make_app(store_url, account="felhag")
    page = accounts_page(app, qtbot)
    h = page.import_paths([str(bad)], account="oops")
    with qtbot.waitSignal(h.done, timeout=60000):
        pass
    drain(app)
    messages = [m for k, m in app.window.banners.messages() if k == "error"]
    assert messages and "notes.csv" in messages[0] and "Traceback" not in messages[0]
    assert (
        account_by_name(app.ctx.store.engine, "oops") is None
        or account_by_name(app.ctx.store.engine, "oops").plays == 0
    )


def test_drag_and_drop_imports(make_app, store_url, qtbot):
    app = make_app(store_url, account="felhag")
    page = accounts_page(app, qtbot)
    page.into.setEditText("dropped")
    zone = page.drop
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(KRISH))])
    pos = QPointF(zone.rect().center())
    enter = QDragEnterEvent(
        QPoint(int(pos.x()), int(pos.y())),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(zone, enter)
    assert enter.isAccepted()
    drop = QDropEvent(
        pos, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    with qtbot.waitSignal(app.ctx.dataChanged, timeout=20000):
        QApplication.sendEvent(zone, drop)
    assert account_by_name(app.ctx.store.engine, "dropped").plays > 5000


def test_delete_account_asks_inline_then_removes_everything(make_app, store_url, qtbot):
    app = make_app(store_url, account="felhag")
    page = accounts_page(app, qtbot)
    names = [r["name"] for r in page.accounts_model.rows]
    page.table.setCurrentIndex(page.accounts_model.index(names.index("felhag"), 0))
    page.delete_button.click()
    assert page.confirm.isVisible() and "felhag" in page.confirm_text.text()
    page.confirm_no.click()
    assert account_by_name(app.ctx.store.engine, "felhag") is not None
    page.delete_button.click()
    with qtbot.waitSignal(app.ctx.dataChanged, timeout=10000):
        page.confirm_yes.click()
    assert account_by_name(app.ctx.store.engine, "felhag") is None
    qtbot.waitUntil(lambda: all(a.name != "felhag" for a in app.ctx.accounts), timeout=5000)


@pytest.fixture
def lastfm_env(fake_lastfm_factory, monkeypatch):
    if not SQLITE_75K.exists():
        pytest.skip("shared history missing")
    plays = load_sqlite_history(SQLITE_75K, limit=450)
    server = fake_lastfm_factory(users={"spacedlevo": plays})
    monkeypatch.setenv("SEGUE_LASTFM_API_KEY", DEFAULT_API_KEY)
    monkeypatch.setenv("SEGUE_LASTFM_API_SECRET", DEFAULT_API_SECRET)
    monkeypatch.setenv("SEGUE_LASTFM_API_ROOT", server.url)
    return server, plays


def test_add_a_lastfm_profile_and_sync_with_progress(make_app, store_url, qtbot, lastfm_env):
    """The sync job of the one runner, isolated in a child process, against the fake Last.fm."""
    server, plays = lastfm_env
    app = make_app(store_url, account="felhag")
    page = accounts_page(app, qtbot)
    panel = page.connections
    qtbot.waitUntil(lambda: panel.lastfm_add.isEnabled(), timeout=5000)
    panel.lastfm_user.setText("spacedlevo")
    handle = panel.add_lastfm()
    progress = []
    handle.progress.connect(progress.append)
    with qtbot.waitSignal(handle.done, timeout=30000):
        pass
    assert handle.state == "ok", handle.error
    assert handle.result.added == len(plays) - sum(1 for p in plays if not p.track.strip())
    assert progress and progress[-1].total
    qtbot.waitUntil(
        lambda: app.ctx.account is not None and app.ctx.account.name == "spacedlevo", timeout=5000
    )
    assert app.ctx.account.kind == "lastfm"


def test_connect_and_disconnect_spotify(make_app, store_url, qtbot):
    with FakeSpotify(catalogue=[("Muse", "Starlight")]) as fake:
        app = make_app(store_url, account="felhag")
        app.ctx.update_settings(
            spotify_client_id=CLIENT_ID,
            spotify_accounts_root=fake.accounts_root,
            spotify_api_root=fake.api_root,
        )
        page = accounts_page(app, qtbot)
        panel = page.connections
        panel.refresh()
        qtbot.waitUntil(lambda: panel.spotify_connect.isEnabled(), timeout=5000)
        panel.open_browser = lambda url: httpx.get(url, follow_redirects=True, timeout=10)
        handle = panel.connect_spotify()
        with qtbot.waitSignal(handle.done, timeout=15000):
            pass
        assert handle.state == "ok", handle.error
        qtbot.waitUntil(lambda: "JM Wizzler" in panel.spotify_status.text(), timeout=5000)
        assert panel.spotify_disconnect.isEnabled()
        import json

        from core.settings import Settings

        assert "access_token" not in json.dumps(Settings.load().__dict__)
        panel.disconnect_spotify()
        qtbot.waitUntil(lambda: "Not connected" in panel.spotify_status.text(), timeout=5000)


def test_service_buttons_wait_for_the_first_connection_check(make_app, store_url, qtbot, monkeypatch):
    """Before the keys and logins are known a click would find no configuration and do nothing, so
    the buttons start disabled; the check's answer enables the ones that can act."""
    from app.pages.connections import ConnectionsPanel

    monkeypatch.setenv("SEGUE_LASTFM_API_KEY", DEFAULT_API_KEY)
    monkeypatch.setenv("SEGUE_LASTFM_API_SECRET", DEFAULT_API_SECRET)
    app = make_app(store_url, account="felhag")
    page = accounts_page(app, qtbot)
    panel = ConnectionsPanel(app.ctx, page)
    buttons = (
        panel.lastfm_add,
        panel.lastfm_login,
        panel.lastfm_logout,
        panel.spotify_connect,
        panel.spotify_disconnect,
    )
    assert not any(b.isEnabled() for b in buttons) and "Checking" in panel.lastfm_status.text()
    panel.refresh()
    qtbot.waitUntil(lambda: panel.lastfm_cfg is not None, timeout=5000)
    assert panel.lastfm_add.isEnabled() and panel.lastfm_login.isEnabled()
    assert "Checking" not in panel.lastfm_status.text()
    panel.deleteLater()


def test_lastfm_sign_in_through_the_browser(make_app, store_url, qtbot, fake_lastfm_factory, monkeypatch):
    """Desktop auth: token -> the user approves on the (fake) last.fm page -> session key in the keyring."""
    import pylast

    from core import secrets
    from core.sources.lastfm.auth import session_secret_name

    server = fake_lastfm_factory(users={"alice": []}, tls=True)
    monkeypatch.setattr(pylast, "SSL_CONTEXT", server.client_ssl_context())
    monkeypatch.setenv("SEGUE_LASTFM_API_KEY", DEFAULT_API_KEY)
    monkeypatch.setenv("SEGUE_LASTFM_API_SECRET", DEFAULT_API_SECRET)
    monkeypatch.setenv("SEGUE_LASTFM_API_ROOT", server.url)
    app = make_app(store_url, account="felhag")
    page = accounts_page(app, qtbot)
    panel = page.connections
    qtbot.waitUntil(lambda: panel.lastfm_login.isEnabled(), timeout=5000)
    opened = []
    panel.open_browser = opened.append
    panel.lastfm_user.setText("alice")
    panel.begin_lastfm_login()
    qtbot.waitUntil(lambda: bool(opened) or bool(app.window.banners.messages()), timeout=20000)
    assert opened, app.window.banners.messages()
    assert panel.lastfm_approve.isVisible() and opened[0].startswith(server.root)
    server.approve_token(panel.pending_login.token, "alice")  # what the user does in the browser
    with qtbot.waitSignal(app.ctx.dataChanged, timeout=10000):
        panel.lastfm_done.click()
    assert secrets.get_secret(session_secret_name("alice")) in server.sessions
    acc = account_by_name(app.ctx.store.engine, "alice")
    assert acc is not None and acc.kind == "lastfm" and acc.username == "alice"
    assert not panel.lastfm_approve.isVisible()
    app.ctx.jobs.cancel_all()  # the first sync it started would talk TLS to the fake from a child process
