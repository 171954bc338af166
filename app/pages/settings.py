"""Settings: look, sessions, sync, services and their keys, feature sources, where data lives.

Plain settings go to settings.json (``ctx.update_settings``); API secrets and tokens go to
``core.secrets`` (OS keyring or the 0600 fallback file) through a background job — never to
settings.json. Fields save when editing finishes; nothing needs an OK button.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.pages.base import Page
from app.theme import ThemeManager
from app.widgets.common import JobRow, PageHeader, Segmented, button, card, label, page_scroll
from core import paths

SECRET_FIELDS = {"lastfm_secret": "lastfm:api_secret", "genius_token": "genius:token"}
LYRICS_PROVIDERS = [
    ("lrclib", "LRCLIB (online, no key)"),
    ("local", "Local .lrc files and embedded tags"),
    ("genius", "Genius (needs your token; may be blocked)"),
]


def _section(title: str, note: str = "") -> tuple[QFrame, QFormLayout]:
    box = card()
    lay = QVBoxLayout(box)
    lay.setContentsMargins(18, 12, 18, 14)
    lay.setSpacing(8)
    lay.addWidget(label(title, "section"))
    if note:
        lay.addWidget(label(note, "small", wrap=True))
    form = QFormLayout()
    form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    form.setHorizontalSpacing(14)
    form.setVerticalSpacing(8)
    form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
    lay.addLayout(form)
    return box, form


def _secret_edit(placeholder: str) -> QLineEdit:
    e = QLineEdit()
    e.setEchoMode(QLineEdit.EchoMode.Password)
    e.setPlaceholderText(placeholder)
    return e


class SettingsPage(Page):
    key = "settings"
    title = "Settings"

    def __init__(self, ctx, parent: QWidget | None = None):
        super().__init__(ctx, parent)
        s = ctx.settings
        self.outer.addWidget(PageHeader("Settings", "Changes are saved as you go"))
        body = QWidget()
        cols = QHBoxLayout(body)
        cols.setContentsMargins(0, 4, 6, 4)
        cols.setSpacing(16)
        left, right = QVBoxLayout(), QVBoxLayout()
        left.setSpacing(16)
        right.setSpacing(16)
        cols.addLayout(left, 1)
        cols.addLayout(right, 1)
        self.outer.addWidget(page_scroll(body), 1)

        # appearance & listening
        box, form = _section("Look and listening")
        self.theme = Segmented([("system", "System"), ("light", "Light"), ("dark", "Dark")], s.theme)
        self.theme.setAccessibleName("Theme")
        self.theme.changed.connect(self.set_theme)
        form.addRow("Theme", self.theme)
        self.gap = QSpinBox()
        self.gap.setRange(5, 24 * 60)
        self.gap.setSingleStep(15)
        self.gap.setSuffix(" min")
        self.gap.setValue(s.session_gap_minutes)
        self.gap.setToolTip("A pause longer than this starts a new session")
        self.gap.editingFinished.connect(lambda: self._save(session_gap_minutes=self.gap.value()))
        form.addRow("Session gap", self.gap)
        self.timezone = QLineEdit(s.timezone)
        self.timezone.setPlaceholderText("this computer's time zone")
        self.timezone.setToolTip("IANA name such as Europe/Berlin; empty uses this computer's zone")
        self.timezone.editingFinished.connect(lambda: self._save(timezone=self.timezone.text().strip()))
        form.addRow("Time zone", self.timezone)
        left.addWidget(box)

        # sync & models
        box, form = _section("Background work")
        self.interval = QSpinBox()
        self.interval.setRange(0, 7 * 24 * 60)
        self.interval.setSingleStep(15)
        self.interval.setSuffix(" min")
        self.interval.setSpecialValueText("only when I ask")
        self.interval.setValue(s.sync_interval_minutes)
        self.interval.editingFinished.connect(lambda: self._save(sync_interval_minutes=self.interval.value()))
        form.addRow("Sync Last.fm every", self.interval)
        self.retrain = QSpinBox()
        self.retrain.setRange(0, 100000)
        self.retrain.setSingleStep(100)
        self.retrain.setSuffix(" new plays")
        self.retrain.setSpecialValueText("never by itself")
        self.retrain.setValue(s.retrain_after_plays)
        self.retrain.editingFinished.connect(lambda: self._save(retrain_after_plays=self.retrain.value()))
        form.addRow("Retrain after", self.retrain)
        left.addWidget(box)

        # storage
        box, form = _section(
            "Where your data lives",
            "Everything stays on this computer. To move the data folder, start Segue with "
            "--home FOLDER (or set SEGUE_HOME).",
        )
        self.home = QLineEdit(str(paths.home()))
        self.home.setReadOnly(True)
        open_home = button("Open")
        open_home.clicked.connect(lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(paths.home()))))
        row = QHBoxLayout()
        row.addWidget(self.home, 1)
        row.addWidget(open_home)
        form.addRow("Data folder", row)
        self.db = QLineEdit(s.extra.get("database_url", ""))
        self.db.setPlaceholderText("the SQLite file in the data folder")
        self.db.setToolTip(
            "A SQLAlchemy URL, e.g. postgresql+psycopg://user@host/segue; takes effect after a "
            "restart. --db and SEGUE_DB override it."
        )
        self.db.editingFinished.connect(self._save_db)
        form.addRow("Database URL", self.db)
        self.db_note = label("", "small", wrap=True)
        form.addRow("", self.db_note)
        left.addWidget(box)
        left.addStretch(1)

        # services
        box, form = _section(
            "Last.fm",
            "Your own API account (free): last.fm/api/account/create. The secret is "
            "kept in the system keyring, never in the settings file.",
        )
        self.lastfm_key = QLineEdit(s.lastfm_api_key)
        self.lastfm_key.setPlaceholderText("API key")
        self.lastfm_key.editingFinished.connect(
            lambda: self._save(lastfm_api_key=self.lastfm_key.text().strip())
        )
        form.addRow("API key", self.lastfm_key)
        self.lastfm_secret = _secret_edit("shared secret (kept in the keyring)")
        self.lastfm_secret.editingFinished.connect(
            lambda: self._save_secret("lastfm_secret", self.lastfm_secret)
        )
        form.addRow("Shared secret", self.lastfm_secret)
        right.addWidget(box)

        box, form = _section(
            "Spotify",
            "Optional: for links and playlist export only. Create an app at "
            "developer.spotify.com with the redirect URI http://127.0.0.1/callback.",
        )
        self.spotify_id = QLineEdit(s.spotify_client_id)
        self.spotify_id.setPlaceholderText("client ID")
        self.spotify_id.editingFinished.connect(
            lambda: self._save(spotify_client_id=self.spotify_id.text().strip())
        )
        form.addRow("Client ID", self.spotify_id)
        self.spotify_port = QSpinBox()
        self.spotify_port.setRange(0, 65535)
        self.spotify_port.setSpecialValueText("any free port")
        self.spotify_port.setValue(int(s.extra.get("spotify_redirect_port") or 0))
        self.spotify_port.editingFinished.connect(
            lambda: self._save_extra(spotify_redirect_port=self.spotify_port.value() or None)
        )
        form.addRow("Redirect port", self.spotify_port)
        right.addWidget(box)

        box, form = _section(
            "Feature sources",
            "What the models may learn from besides your plays. Lyrics stay on this computer.",
        )
        self.lyrics: dict[str, QCheckBox] = {}
        for key, text in LYRICS_PROVIDERS:
            cb = QCheckBox(text)
            cb.setChecked(key in s.lyrics_providers)
            cb.toggled.connect(self._save_lyrics)
            self.lyrics[key] = cb
            form.addRow("Lyrics" if key == "lrclib" else "", cb)
        self.genius = _secret_edit("Genius access token (kept in the keyring)")
        self.genius.editingFinished.connect(lambda: self._save_secret("genius_token", self.genius))
        form.addRow("Genius token", self.genius)
        self.music = QLineEdit(s.music_folder)
        self.music.setPlaceholderText("not set: no audio analysis")
        self.music.setToolTip("Your own audio files, analysed locally for tempo, loudness, key and more")
        self.music.editingFinished.connect(lambda: self._save(music_folder=self.music.text().strip()))
        pick = button("Choose…")
        pick.clicked.connect(self._pick_music)
        row = QHBoxLayout()
        row.addWidget(self.music, 1)
        row.addWidget(pick)
        form.addRow("Music folder", row)
        self.embedding = QLineEdit(s.embedding_model)
        self.embedding.setPlaceholderText("packaged all-MiniLM-L6-v2")
        self.embedding.editingFinished.connect(
            lambda: self._save(embedding_model=self.embedding.text().strip())
        )
        form.addRow("Text model", self.embedding)
        self.coverage = label("", "small", wrap=True)
        box.layout().addWidget(self.coverage)
        row = QHBoxLayout()
        self.fetch_button = button(
            "Fetch features now",
            tip="Tags, lyrics, audio analysis, IDs, art and bios for "
            "your tracks (normally on a schedule in the background)",
        )
        self.fetch_button.clicked.connect(self.fetch_features)
        row.addWidget(self.fetch_button)
        row.addStretch(1)
        box.layout().addLayout(row)
        self.fetch_row = JobRow()
        box.layout().addWidget(self.fetch_row)
        right.addWidget(box)
        right.addStretch(1)
        ctx.settingsChanged.connect(self._settings_changed)

    # -- saving -----------------------------------------------------------------------------
    def _save(self, **changes) -> None:
        if any(getattr(self.ctx.settings, k) != v for k, v in changes.items()):
            self.ctx.update_settings(**changes)

    def _save_extra(self, **changes) -> None:
        extra = dict(self.ctx.settings.extra)
        for k, v in changes.items():
            if v is None:
                extra.pop(k, None)
            else:
                extra[k] = v
        if extra != self.ctx.settings.extra:
            self.ctx.update_settings(extra=extra)

    def _save_db(self) -> None:
        url = self.db.text().strip()
        if url:
            try:
                from sqlalchemy.engine import make_url

                make_url(url)
            except Exception:  # noqa: BLE001 - any parse failure is the same message
                self.db_note.setText("That is not a database URL (e.g. sqlite:////path/file.sqlite).")
                return
        self._save_extra(database_url=url or None)
        self.db_note.setText("Saved — Segue uses it from the next start." if url else "")

    def _save_secret(self, field: str, edit: QLineEdit) -> None:
        value = edit.text().strip()
        if not value:
            return
        name = SECRET_FIELDS[field]

        def job(_t):
            from core import secrets

            secrets.set_secret(name, value)

        def saved(_r):
            edit.clear()
            edit.setPlaceholderText("saved in the keyring — type to replace")
            self.ctx.settingsChanged.emit(self.ctx.settings)

        # one queue: the keyring's file fallback is read-modify-write, two writers at once would lose one
        self.ctx.run("Saving a key", job, on_result=saved, resource="secrets")

    def _save_lyrics(self) -> None:
        chosen = [k for k, cb in self.lyrics.items() if cb.isChecked()]
        self._save(lyrics_providers=chosen)

    def _pick_music(self) -> None:
        path = QFileDialog.getExistingDirectory(
            self, "Your music folder", self.music.text() or str(paths.home())
        )
        if path:
            self.music.setText(path)
            self._save(music_folder=path)

    def set_theme(self, mode: str) -> None:
        self._save(theme=mode)
        mgr = ThemeManager.instance()
        if mgr is not None:
            mgr.set_mode(mode)

    def _settings_changed(self, s) -> None:
        if self.gap.value() != s.session_gap_minutes:
            self.gap.setValue(s.session_gap_minutes)

    def fetch_features(self):
        """Run core's feature backlog now, through the background runner (the same queue as the schedule)."""
        bg = self.ctx.background
        if bg is None or not bg.ready:
            self.ctx.notify(
                "Background jobs are not running in this session; start Segue normally to fetch features.",
                "warning",
            )
            return None
        handle = bg.submit("features", "Fetching track features")
        self.fetch_row.track(handle, "Fetching track features")
        handle.failed.connect(
            lambda err: self.ctx.notify(
                f"Fetching features: {err.message}",
                "error",
                retry=self.fetch_features if err.retryable else None,
            )
        )
        handle.finished.connect(lambda _r: (self.ctx.notify("Features fetched.", "success"), self.reload()))
        return handle

    # -- loading ----------------------------------------------------------------------------
    def reload(self) -> None:
        """Show which secrets are stored and the feature coverage of the chosen account."""
        engine = self.ctx.store.engine if self.ctx.store else None
        acc = self.ctx.account

        def job(_t):
            from core import secrets

            stored = {f: bool(secrets.get_secret(n)) for f, n in SECRET_FIELDS.items()}
            coverage = None
            if engine is not None and acc is not None:
                try:
                    from core.features.status import feature_status
                except ImportError:
                    coverage = "unavailable"
                else:
                    coverage = feature_status(engine, acc.id)
            return stored, coverage

        h = self.ctx.run("Reading settings", job, on_result=self._loaded, quiet=True)
        self.track(h)

    def _loaded(self, result) -> None:
        stored, coverage = result
        for field, edit in (("lastfm_secret", self.lastfm_secret), ("genius_token", self.genius)):
            if stored.get(field):
                edit.setPlaceholderText("saved in the keyring — type to replace")
        acc = self.ctx.account
        if coverage == "unavailable" or coverage is None:
            self.coverage.setText(
                "Feature fetching is not available in this build yet."
                if coverage
                else "Pick an account to see how many of its tracks have each kind of feature."
            )
            return
        mods = coverage.get("modalities", {})
        parts = []
        for m, c in mods.items():
            total = sum(c.values()) or 1
            parts.append(f"{m} {c.get('ok', 0) / total:.0%}")
        self.coverage.setText(
            f"{acc.name}: " + ", ".join(parts) + " of tracks have features (ok)."
            if parts
            else f"{acc.name}: no features fetched yet."
        )
