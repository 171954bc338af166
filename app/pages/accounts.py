"""Accounts & import: the accounts in the store, import by dialog or drag-and-drop, sync now, delete.

Connecting Last.fm and Spotify lives in ``connections.py`` (the right-hand column of this page).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app import fmt
from app.pages.base import Page
from app.pages.connections import ConnectionsPanel
from app.widgets.common import JobRow, PageHeader, button, card, label, page_scroll, reflow_columns
from app.widgets.dropzone import DropZone, local_paths
from app.widgets.paged import Column, ListTableModel

KIND_NAMES = {"lastfm": "Last.fm", "local": "Imported files", "demo": "Demo"}

ACCOUNT_COLUMNS = [
    Column("Account", lambda r: r["name"]),
    Column(
        "Source",
        lambda r: KIND_NAMES.get(r["kind"], r["kind"]) + (f" · {r['username']}" if r["username"] else ""),
    ),
    Column("Plays", lambda r: f"{r['plays']:,}", Qt.AlignmentFlag.AlignRight),
    Column("From", lambda r: fmt.day(r["first"])),
    Column("To", lambda r: fmt.day(r["last"])),
    Column("Synced", lambda r: fmt.ago(r["synced"]) if r["kind"] == "lastfm" else "–"),
]


def summarise(report) -> str:
    """One readable line for an ImportReport."""
    files = report.files
    added = sum(s.added for s in files)
    dup = sum(s.duplicates for s in files)
    skipped: dict[str, int] = {}
    for s in files:
        for k, v in s.skipped.items():
            skipped[k] = skipped.get(k, 0) + v
    parts = [f"{fmt.count(len(files), 'file')}: {added:,} plays added", f"{dup:,} already there"]
    if skipped:
        parts.append(
            "skipped " + ", ".join(f"{v:,} {k.replace('_', ' ')}" for k, v in sorted(skipped.items()))
        )
    if report.failures:
        parts.append(f"{fmt.count(len(report.failures), 'file')} could not be read")
    return "; ".join(parts)


class AccountsPage(Page):
    key = "accounts"
    title = "Accounts & import"

    def __init__(self, ctx, parent: QWidget | None = None):
        super().__init__(ctx, parent)
        self.setAcceptDrops(True)
        self.outer.addWidget(PageHeader("Accounts & import", "Where your listening comes from"))
        body = QWidget()
        cols = QHBoxLayout(body)
        reflow_columns(cols, self, 1000)  # narrower: the connections go under the accounts
        cols.setContentsMargins(0, 4, 6, 4)
        cols.setSpacing(16)
        left = QVBoxLayout()
        left.setSpacing(16)
        left.addWidget(self._build_accounts())
        left.addWidget(self._build_import())
        left.addStretch(1)
        cols.addLayout(left, 3)
        self.connections = ConnectionsPanel(ctx, self)
        cols.addWidget(self.connections, 2, Qt.AlignmentFlag.AlignTop)
        self.outer.addWidget(page_scroll(body), 1)
        ctx.accountsChanged.connect(lambda _a: self._invalidate())
        ctx.accountChanged.connect(lambda _a: self._highlight_current())

    # -- accounts ---------------------------------------------------------------------------
    def _build_accounts(self) -> QFrame:
        box = card()
        lay = QVBoxLayout(box)
        lay.setContentsMargins(16, 12, 16, 14)
        lay.setSpacing(8)
        lay.addWidget(label("Your accounts", "section"))
        self.accounts_model = ListTableModel(ACCOUNT_COLUMNS)
        self.table = QTableView()
        self.table.setAccessibleName("Accounts")
        self.table.setModel(self.accounts_model)
        self.table.verticalHeader().hide()
        self.table.setShowGrid(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setDefaultSectionSize(28)
        hh = self.table.horizontalHeader()
        hh.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        hh.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.setMinimumHeight(150)
        self.table.setMaximumHeight(230)
        self.table.selectionModel().currentChanged.connect(lambda *_a: self._update_buttons())
        lay.addWidget(self.table)
        row = QHBoxLayout()
        self.sync_button = button(
            "Sync now", accent=True, tip="Fetch new plays from Last.fm for this account"
        )
        self.delete_button = button(
            "Delete account data…",
            danger=True,
            tip="Remove the account with all its plays, models, feedback and insights",
        )
        self.sync_button.clicked.connect(self.sync_selected)
        self.delete_button.clicked.connect(self._ask_delete)
        row.addWidget(self.sync_button)
        row.addStretch(1)
        row.addWidget(self.delete_button)
        lay.addLayout(row)

        self.confirm = QFrame()
        self.confirm.setProperty("banner", "warning")
        cl = QHBoxLayout(self.confirm)
        cl.setContentsMargins(12, 8, 8, 8)
        self.confirm_text = label("", wrap=True)
        self.confirm_yes = button("Delete", danger=True)
        self.confirm_no = button("Keep it")
        cl.addWidget(self.confirm_text, 1)
        cl.addWidget(self.confirm_yes)
        cl.addWidget(self.confirm_no)
        self.confirm.hide()
        self.confirm_yes.clicked.connect(self._delete_confirmed)
        self.confirm_no.clicked.connect(self.confirm.hide)
        lay.addWidget(self.confirm)
        self.sync_row = JobRow()
        lay.addWidget(self.sync_row)
        return box

    def selected(self) -> dict | None:
        i = self.table.currentIndex()
        if not i.isValid():
            return None
        return self.accounts_model.rows[i.row()]

    def _update_buttons(self) -> None:
        acc = self.selected()
        syncing = acc is not None and self.ctx.jobs.busy(f"sync:{acc['name']}")
        self.sync_button.setEnabled(acc is not None and acc["kind"] == "lastfm" and not syncing)
        self.sync_button.setToolTip(
            "Fetch new plays from Last.fm"
            if acc is None or acc["kind"] == "lastfm"
            else "Only Last.fm accounts sync; import files to add to this one"
        )
        self.delete_button.setEnabled(acc is not None)

    def reload(self) -> None:
        if self.ctx.store is None:
            return
        from core.store.paging import sync_states

        engine, accounts = self.ctx.store.engine, list(self.ctx.accounts)

        def job(_t):
            rows = []
            for a in accounts:
                synced = max((s.updated_at or 0 for s in sync_states(engine, a.id)), default=0) or None
                rows.append(
                    {
                        "id": a.id,
                        "name": a.name,
                        "kind": a.kind,
                        "username": a.username,
                        "plays": a.plays,
                        "first": a.first,
                        "last": a.last,
                        "synced": synced,
                    }
                )
            return rows

        h = self.ctx.run("Loading accounts", job)
        h.finished.connect(self._accounts_loaded)
        self.track(h)
        names = [a.name for a in accounts]
        current = self.into.currentText()
        self.into.clear()
        self.into.addItems(names)
        self.into.setCurrentText(
            current
            or (
                self.ctx.account.name
                if self.ctx.account and self.ctx.account.kind != "demo"
                else "my-history"
            )
        )
        self.connections.refresh()

    def _accounts_loaded(self, rows: list[dict]) -> None:
        self.accounts_model.set_rows(rows)
        self._highlight_current()

    def _highlight_current(self) -> None:
        """The highlighted row is the account the sidebar shows (after an import, the new one)."""
        wanted = self.ctx.account.name if self.ctx.account else None
        for i, r in enumerate(self.accounts_model.rows):
            if r["name"] == wanted:
                self.table.setCurrentIndex(self.accounts_model.index(i, 0))
                break
        self._update_buttons()

    def sync_selected(self) -> None:
        acc = self.selected()
        if acc is None or acc["kind"] != "lastfm":
            return
        self.sync_account(acc["name"], acc["username"] or acc["name"])

    def sync_account(self, account: str, username: str):
        """Sync through the job runner: one queue per account with the scheduled syncs."""
        handle = self.ctx.start(
            "sync",
            f"Syncing {account} with Last.fm",
            account=account,
            username=username,
            on_result=lambda report: self._synced(account, report),
        )
        self.sync_row.track(handle, f"Syncing {account}")
        handle.done.connect(self._update_buttons)
        self._update_buttons()
        return handle

    def _synced(self, account: str, report) -> None:
        self.ctx.notify(
            f"{account}: {report.added:,} new plays from Last.fm"
            + (
                f", {report.deleted} removed, {report.edited} edited"
                if report.deleted or report.edited
                else ""
            ),
            "success",
        )
        self.ctx.data_changed(-1, select=account)

    def _ask_delete(self) -> None:
        acc = self.selected()
        if acc is None:
            return
        self.confirm_text.setText(
            f"Delete <b>{acc['name']}</b> with its {acc['plays']:,} plays, trained models, "
            "feedback and insights? This cannot be undone."
        )
        self.confirm.show()
        self.confirm_no.setFocus()

    def _delete_confirmed(self) -> None:
        acc = self.selected()
        self.confirm.hide()
        if acc is None:
            return
        from core.reports import delete_account

        store, name, kind = self.ctx.store, acc["name"], acc["kind"]

        def job(_t):
            delete_account(store, name)
            if kind == "lastfm":
                from core.sources.lastfm.auth import logout

                logout(name)
            return name

        def deleted(_name):
            self.ctx.notify(f"Deleted account '{name}' and its data.", "success")
            if self.ctx.account is not None and self.ctx.account.name == name:
                self.ctx.account = None
            self.ctx.data_changed(-1)

        self.ctx.run(f"Deleting {name}", job, on_result=deleted)

    # -- import -----------------------------------------------------------------------------
    def _build_import(self) -> QFrame:
        box = card()
        lay = QVBoxLayout(box)
        lay.setContentsMargins(16, 12, 16, 14)
        lay.setSpacing(8)
        lay.addWidget(label("Import history files", "section"))
        lay.addWidget(
            label(
                "Last.fm exports (CSV, lastfmstats JSON, the old Last.fm archive, Last.fm-1K TSV), Spotify "
                "“Account data” and “Extended streaming history” (JSON or the whole .zip), Apple Music "
                "Play Activity, YouTube Music (Takeout watch history), Tidal, ListenBrainz, Libre.fm, "
                "Maloja, Pano Scrobbler, a Rockbox .scrobbler.log, or any CSV with artist, track and time "
                "columns. Importing the same file twice adds nothing.",
                "muted",
                wrap=True,
            )
        )
        row = QHBoxLayout()
        row.addWidget(label("Into account"))
        self.into = QComboBox()
        self.into.setEditable(True)
        self.into.setAccessibleName("Account to import into")
        self.into.setToolTip("Pick an account or type a new name")
        self.into.setMinimumWidth(180)
        row.addWidget(self.into, 1)
        self.files_button = button("Choose files…")
        self.folder_button = button("Choose folder…")
        self.files_button.clicked.connect(self._choose_files)
        self.folder_button.clicked.connect(self._choose_folder)
        row.addWidget(self.files_button)
        row.addWidget(self.folder_button)
        lay.addLayout(row)
        self.drop = DropZone("Drop files, folders or a .zip here")
        self.drop.dropped.connect(self.import_paths)
        lay.addWidget(self.drop)
        self.import_row = JobRow()
        lay.addWidget(self.import_row)
        self.import_result = label("", "muted", wrap=True)
        lay.addWidget(self.import_result)
        return box

    def _choose_files(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(
            self,
            "Import listening history",
            str(Path.home()),
            "History files (*.csv *.tsv *.txt *.json *.jsonl *.zip *.sqlite *.db *.backup);;All files (*)",
        )
        if paths:
            self.import_paths(paths)

    def _choose_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Import a folder of history files", str(Path.home()))
        if path:
            self.import_paths([path])

    def import_paths(self, paths: list[str], account: str | None = None):
        """Import files/folders/zips into ``account`` (default: the 'Into account' field) in the background."""
        if self.ctx.store is None:
            self.ctx.notify("The library is not open yet; try again in a moment.", "warning")
            return None
        account = (account or self.into.currentText()).strip() or "my-history"
        names = ", ".join(Path(p).name for p in paths[:3]) + (" …" if len(paths) > 3 else "")
        # parsing is pure Python: the import job runs isolated, so the window never waits for the GIL
        handle = self.ctx.start(
            "import",
            f"Importing {names}",
            paths=[str(p) for p in paths],
            account=account,
            on_result=lambda report: self._imported(account, report),
        )
        self.import_row.track(handle, f"Importing into {account}")
        self.import_result.setText("")
        return handle

    def _imported(self, account: str, report) -> None:
        """Every refused file gets a banner with exactly the sentence ``segue import`` prints for it; what
        did import is stored (each file is its own transaction) and refreshes the accounts."""
        self.import_result.setText(summarise(report))
        for failure in report.failures:
            self.ctx.notify(str(failure), "error")
        if report.files:
            self.ctx.notify(f"Imported into {account}: {summarise(report)}", "success")
            self.ctx.data_changed(-1, select=account)

    # whole-page drop target (the drop zone is the visible hint)
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if local_paths(event):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        paths = local_paths(event)
        if paths:
            event.acceptProposedAction()
            self.import_paths(paths)
