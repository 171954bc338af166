"""Settings: look, sessions, sync, services and their keys, feature sources, where data lives.

The form is built from the settings table (``core.settings``: each section's fields, their labels,
ranges and help; ``app.pages.settings_form`` picks each editor). Plain settings go to settings.json
(``ctx.update_settings``); API secrets and tokens are not settings: they go to ``core.secrets`` (OS
keyring or the 0600 fallback file) through a background job — never to settings.json. Fields save
when editing finishes; nothing needs an OK button.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QFormLayout, QFrame, QHBoxLayout, QLineEdit, QVBoxLayout, QWidget

from app.pages.base import Page
from app.pages.settings_form import Editor, editor, refresh
from app.theme import ThemeManager
from app.widgets.common import JobRow, PageHeader, button, card, label, page_scroll, reflow_columns
from core import paths
from core.distkeys import distributor_keys
from core.settings import SECTIONS, on_page, spec_of

SECRET_FIELDS = {"lastfm_secret": "lastfm:api_secret", "genius_token": "genius:token"}
# a packaged build with its distributor's keys (core.distkeys): the user just signs in, no key to create
PACKAGED_NOTES = {
    "lastfm": (
        "lastfm_api_key",
        "This build comes with Segue's own API key: just sign in under Accounts & import. To use your "
        "own key instead, enter it here (the secret is kept in the system keyring).",
    ),
    "spotify": (
        "spotify_client_id",
        "Optional: for links and playlist export only. This build comes with Segue's own client ID: "
        "just connect under Accounts & import, or enter your own here.",
    ),
}


def _note(section: str, note: str) -> str:
    """The section's note, or the packaged-build wording when the distributor supplied that key."""
    key, packaged = PACKAGED_NOTES.get(section, ("", ""))
    return packaged if key and getattr(distributor_keys(), key) else note


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
        self.outer.addWidget(PageHeader("Settings", "Changes are saved as you go"))
        body = QWidget()
        cols = QHBoxLayout(body)
        reflow_columns(cols, self, 1000)  # stacked in a narrow window instead of a sideways scroll (issue 18)
        cols.setContentsMargins(0, 4, 6, 4)
        cols.setSpacing(16)
        columns = {"left": QVBoxLayout(), "right": QVBoxLayout()}
        for col in columns.values():
            col.setSpacing(16)
            cols.addLayout(col, 1)
        self.outer.addWidget(page_scroll(body), 1)

        # what is not a plain setting, placed around the table's rows: field → rows before / after it
        self.lastfm_secret = _secret_edit("shared secret (kept in the keyring)")
        self.lastfm_secret.editingFinished.connect(
            lambda: self._save_secret("lastfm_secret", self.lastfm_secret)
        )
        self.genius = _secret_edit("Genius access token (kept in the keyring)")
        self.genius.editingFinished.connect(lambda: self._save_secret("genius_token", self.genius))
        self.db_note = label("", "small", wrap=True)
        before = {"database_url": [("Data folder", self._data_folder_row())]}
        after = {
            "database_url": [("", self.db_note)],
            "lastfm_api_key": [("Shared secret", self.lastfm_secret)],
            "lyrics_providers": [("Genius token", self.genius)],
        }

        self.editors: dict[str, Editor] = {}
        self.boxes: dict[str, QFrame] = {}
        for section, (title, note, column) in SECTIONS.items():
            box, form = _section(title, _note(section, note))
            for name in on_page(section):
                for text, widget in before.get(name, []):
                    form.addRow(text, widget)
                ed = self.editors[name] = editor(name, getattr(ctx.settings, name), self._save_field)
                form.addRow(spec_of(name).label, ed.widget)
                for text, widget in after.get(name, []):
                    form.addRow(text, widget)
            columns[column].addWidget(box)
            self.boxes[section] = box
        for col in columns.values():
            col.addStretch(1)
        self.db = self.editors["database_url"].widget
        self._add_feature_actions(self.boxes["features"])
        ctx.settingsChanged.connect(lambda s: refresh(self.editors, s))

    def _data_folder_row(self) -> QHBoxLayout:
        self.home = QLineEdit(str(paths.home()))
        self.home.setReadOnly(True)
        open_home = button("Open")
        open_home.clicked.connect(lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(paths.home()))))
        row = QHBoxLayout()
        row.addWidget(self.home, 1)
        row.addWidget(open_home)
        return row

    def _add_feature_actions(self, box: QFrame) -> None:
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

    # -- saving -----------------------------------------------------------------------------
    def _save_field(self, name: str, value) -> None:
        if name == "database_url":
            self._save_db()
            return
        if name == "theme":
            mgr = ThemeManager.instance()
            if mgr is not None:
                mgr.set_mode(value)
        if getattr(self.ctx.settings, name) != value:
            self.ctx.update_settings(**{name: value})

    def set_theme(self, mode: str) -> None:
        self.editors["theme"].set(mode)
        self._save_field("theme", mode)

    def _save_db(self) -> None:
        url = self.db.text().strip()
        if url:
            try:
                from sqlalchemy.engine import make_url

                make_url(url)
            except Exception:  # noqa: BLE001 - any parse failure is the same message
                self.db_note.setText("That is not a database URL (e.g. sqlite:////path/file.sqlite).")
                return
        if url != self.ctx.settings.database_url:
            self.ctx.update_settings(database_url=url)
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

    def fetch_features(self):
        """Run core's feature backlog now (the job and the queue the schedule uses)."""
        if self.ctx.store is None:
            return None
        handle = self.ctx.jobs.start("features", "Fetching track features")
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
        if self.ctx.store is not None:  # the URL in use, not a description of the default (issue 18)
            self.db.setPlaceholderText(f"in use: {self.ctx.db_url_in_use()}")
        engine = self.ctx.store.engine if self.ctx.store else None
        acc = self.ctx.account

        def job(_t):
            from core import secrets

            stored = {f: bool(secrets.get_secret(n)) for f, n in SECRET_FIELDS.items()}
            coverage = None
            if engine is not None and acc is not None:
                from core.features.status import feature_status

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
        if coverage is None:
            self.coverage.setText("Pick an account to see how many of its tracks have each kind of feature.")
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
