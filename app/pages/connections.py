"""Connecting services: Last.fm (add a public profile, or sign in through the browser) and Spotify
(PKCE on a 127.0.0.1 loopback redirect, bring-your-own client ID). Shown beside the accounts list."""

from __future__ import annotations

import webbrowser
from collections.abc import Callable

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLineEdit, QVBoxLayout, QWidget

from app.widgets.common import JobRow, button, card, label
from core.distkeys import spotify_client_id


def spotify_roots(settings) -> tuple[str, str]:
    from core.sources.spotify import auth

    return (settings.spotify_accounts_root or auth.ACCOUNTS_ROOT, settings.spotify_api_root or auth.API_ROOT)


def _open_in_browser(url: str) -> None:
    if not QDesktopServices.openUrl(QUrl(url)):
        webbrowser.open(url)


class ConnectionsPanel(QWidget):
    def __init__(self, ctx, page, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.page = page
        self.pending_login = None
        self.lastfm_cfg = None
        self.spotify_tokens = None
        #: how a login URL is opened (tests replace it with a scripted "browser")
        self.open_browser: Callable[[str], object] = webbrowser.open
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(16)
        lay.addWidget(self._build_lastfm())
        lay.addWidget(self._build_spotify())
        # Until the first check (refresh) answers, the keys and logins are unknown: a click then would
        # find no configuration and do nothing, so the buttons wait for _apply_status to enable them.
        for b in (
            self.lastfm_add,
            self.lastfm_login,
            self.lastfm_logout,
            self.spotify_connect,
            self.spotify_disconnect,
        ):
            b.setEnabled(False)
        self.lastfm_status.setText("Checking your Last.fm key and sign-ins…")
        self.spotify_status.setText("Checking…")

    # -- Last.fm ----------------------------------------------------------------------------
    def _build_lastfm(self) -> QFrame:
        box = card()
        lay = QVBoxLayout(box)
        lay.setContentsMargins(16, 12, 16, 14)
        lay.setSpacing(8)
        lay.addWidget(label("Last.fm", "section"))
        self.lastfm_status = label("", "muted", wrap=True)
        lay.addWidget(self.lastfm_status)
        self.lastfm_user = QLineEdit()
        self.lastfm_user.setPlaceholderText("Last.fm username")
        self.lastfm_user.setAccessibleName("Last.fm username")
        lay.addWidget(self.lastfm_user)
        row = QHBoxLayout()
        self.lastfm_add = button(
            "Add && sync", accent=True, tip="Sync a public profile with your API key — no sign-in needed"
        )
        self.lastfm_login = button("Sign in…", tip="Approve Segue on last.fm (needed for private profiles)")
        self.lastfm_logout = button(
            "Sign out", tip="Forget the Last.fm session of the selected account (plays stay)"
        )
        row.addWidget(self.lastfm_add)
        row.addWidget(self.lastfm_login)
        row.addStretch(1)
        row.addWidget(self.lastfm_logout)
        lay.addLayout(row)
        self.lastfm_approve = QFrame()
        self.lastfm_approve.setProperty("banner", "info")
        al = QHBoxLayout(self.lastfm_approve)
        al.setContentsMargins(12, 8, 8, 8)
        al.addWidget(label("Approve Segue on last.fm in your browser, then:", wrap=True), 1)
        self.lastfm_done = button("I've approved it", accent=True)
        self.lastfm_cancel = button("Cancel")
        al.addWidget(self.lastfm_done)
        al.addWidget(self.lastfm_cancel)
        self.lastfm_approve.hide()
        lay.addWidget(self.lastfm_approve)
        self.lastfm_add.clicked.connect(self.add_lastfm)
        self.lastfm_login.clicked.connect(self.begin_lastfm_login)
        self.lastfm_done.clicked.connect(self.finish_lastfm_login)
        self.lastfm_cancel.clicked.connect(self._cancel_lastfm_login)
        self.lastfm_logout.clicked.connect(self.lastfm_sign_out)
        self.lastfm_user.returnPressed.connect(self.add_lastfm)
        return box

    def refresh(self) -> None:
        """Re-read keys and logins (keyring access) off the GUI thread, then update the cards."""

        def job(_t):
            from core.sources.spotify import auth

            return self._lastfm_config(), auth.load_tokens()

        self.ctx.run("Checking connections", job, on_result=lambda r: self._apply_status(*r), quiet=True)

    def _apply_status(self, cfg, tokens) -> None:
        self.lastfm_cfg, self.spotify_tokens = cfg, tokens
        has_key = bool(cfg and cfg.api_key)
        n = sum(1 for a in self.ctx.accounts if a.kind == "lastfm")
        if not has_key:
            self.lastfm_status.setText(
                "Add your Last.fm API key (and secret, for signing in) under Settings "
                "first — it is free at last.fm/api/account/create."
            )
        else:
            self.lastfm_status.setText(
                f"{n} Last.fm account{'s' if n != 1 else ''} in Segue. Enter a username "
                "to add a public profile, or sign in for a private one."
            )
        self.lastfm_add.setEnabled(has_key)
        self.lastfm_login.setEnabled(has_key and bool(cfg.api_secret))
        acc = self.ctx.account
        self.lastfm_logout.setEnabled(acc is not None and acc.kind == "lastfm")
        self._show_spotify(tokens)

    def _lastfm_config(self):
        try:
            from core.sources.lastfm.config import load_config

            return load_config("", self.ctx.settings)
        except Exception:  # noqa: BLE001 - a broken keyring must not break the page
            return None

    def add_lastfm(self):
        username = self.lastfm_user.text().strip()
        if not username:
            self.lastfm_user.setFocus()
            return None
        return self.page.sync_account(username, username)

    def begin_lastfm_login(self) -> None:
        cfg = self.lastfm_cfg
        if cfg is None:
            return
        from core.sources.lastfm.auth import begin_login

        def started(pending):
            self.pending_login = pending
            self.lastfm_approve.show()
            self.open_browser(pending.url)

        self.ctx.run(
            "Starting the Last.fm sign-in",
            lambda _t: begin_login(cfg.api_key, cfg.api_secret or "", cfg.root),
            on_result=started,
        )

    def finish_lastfm_login(self) -> None:
        pending = self.pending_login
        if pending is None:
            return
        from core.sources.lastfm.auth import finish_login

        account = self.lastfm_user.text().strip() or None
        store = self.ctx.store

        def job(_t):
            from core.store.catalog import get_or_create_account

            username = finish_login(pending, account or "__pending__")
            name = account or username
            if name != (account or "__pending__"):
                from core import secrets
                from core.sources.lastfm.auth import session_secret_name

                key = secrets.get_secret(session_secret_name("__pending__"))
                secrets.delete_secret(session_secret_name("__pending__"))
                if key:
                    secrets.set_secret(session_secret_name(name), key)
            with store.engine.begin() as conn:
                get_or_create_account(conn, name, kind="lastfm", username=username)
            return name, username

        def done(result):
            self.pending_login = None
            self.lastfm_approve.hide()
            name, username = result
            self.ctx.notify(f"Connected Last.fm user {username}. Fetching the history…", "success")
            self.ctx.data_changed(-1, select=name)
            self.page.sync_account(name, username)

        self.ctx.run("Finishing the Last.fm sign-in", job, on_result=done)

    def _cancel_lastfm_login(self) -> None:
        self.pending_login = None
        self.lastfm_approve.hide()

    def lastfm_sign_out(self) -> None:
        acc = self.ctx.account
        if acc is None or acc.kind != "lastfm":
            return
        from core.sources.lastfm.auth import logout

        name = acc.name
        self.ctx.run(
            "Signing out of Last.fm",
            lambda _t: logout(name),
            on_result=lambda _r: self.ctx.notify(f"Signed {name} out of Last.fm; its plays stay.", "info"),
        )

    # -- Spotify ----------------------------------------------------------------------------
    def _build_spotify(self) -> QFrame:
        box = card()
        lay = QVBoxLayout(box)
        lay.setContentsMargins(16, 12, 16, 14)
        lay.setSpacing(8)
        lay.addWidget(label("Spotify", "section"))
        self.spotify_status = label("", wrap=True)
        lay.addWidget(self.spotify_status)
        lay.addWidget(
            label(
                "Optional. Used only to open tracks in Spotify and to save suggestions as a private "
                "playlist — never to train models. Needs your own client ID (Settings) whose app lists "
                "the redirect URI http://127.0.0.1/callback.",
                "small",
                wrap=True,
            )
        )
        row = QHBoxLayout()
        self.spotify_connect = button("Connect Spotify…", accent=True)
        self.spotify_disconnect = button("Disconnect")
        row.addWidget(self.spotify_connect)
        row.addStretch(1)
        row.addWidget(self.spotify_disconnect)
        lay.addLayout(row)
        self.spotify_row = JobRow()
        lay.addWidget(self.spotify_row)
        self.spotify_connect.clicked.connect(self.connect_spotify)
        self.spotify_disconnect.clicked.connect(self.disconnect_spotify)
        return box

    def _show_spotify(self, tokens) -> None:
        client = spotify_client_id(self.ctx.settings.spotify_client_id)
        if tokens is not None:
            self.spotify_status.setText(
                f"Connected as <b>{tokens.display_name or tokens.user_id or 'you'}</b>."
            )
        elif not client:
            self.spotify_status.setText(
                "Not connected. Add your Spotify client ID under Settings to connect."
            )
        else:
            self.spotify_status.setText("Not connected.")
        self.spotify_connect.setEnabled(bool(client) and tokens is None)
        self.spotify_disconnect.setEnabled(tokens is not None)

    def connect_spotify(self):
        from core.sources.spotify import auth

        client = spotify_client_id(self.ctx.settings.spotify_client_id)
        accounts_root, api_root = spotify_roots(self.ctx.settings)
        port = self.ctx.settings.spotify_redirect_port
        opener = self.open_browser
        handle = self.ctx.run(
            "Connecting Spotify",
            lambda token: auth.login(
                client,
                open_browser=opener,
                port=port,
                accounts_root=accounts_root,
                api_root=api_root,
                cancel=token,
            ),
            resource="spotify",
            on_result=self._spotify_connected,
        )
        self.spotify_row.track(handle, "Connecting Spotify")
        self.spotify_connect.setEnabled(False)
        handle.done.connect(self.refresh)
        return handle

    def _spotify_connected(self, tokens) -> None:
        self.ctx.notify(f"Spotify connected as {tokens.display_name or tokens.user_id}.", "success")
        self.ctx.settingsChanged.emit(self.ctx.settings)  # pages that show Spotify actions re-check

    def disconnect_spotify(self) -> None:
        from core.sources.spotify import auth

        def done(_r):
            self.refresh()
            self.ctx.notify(
                "Spotify disconnected. You can also remove Segue's access on spotify.com.", "info"
            )
            self.ctx.settingsChanged.emit(self.ctx.settings)

        self.ctx.run("Disconnecting Spotify", lambda _t: auth.forget(), on_result=done)
