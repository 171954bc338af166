"""What every page shares: settings, the store, the jobs, the chosen account, notifications.

Pages never open the store or start threads themselves; they ask the context: ``run`` for quick
off-thread work, ``start`` for a registered job (sync, import, train, …). The store is opened off
the GUI thread at start-up (``open_store``; the job runner attaches to it there), and every page
loads its data only after ``storeReady``. ``dataChanged`` tells pages an account's plays changed
(import, sync, delete).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from app.jobs import JobError, JobHandle, QtJobs
from core.settings import Settings

log = logging.getLogger(__name__)


class AppContext(QObject):
    storeReady = Signal()
    accountsChanged = Signal(list)  # list[AccountInfo]
    accountChanged = Signal(object)  # AccountInfo | None
    dataChanged = Signal(int)  # account id whose data changed; -1 = several
    settingsChanged = Signal(object)  # Settings
    notified = Signal(
        str, str, object, str
    )  # message, kind (info|success|warning|error), action or None, its label

    def __init__(
        self, settings: Settings, jobs: QtJobs, db_url: str | None = None, parent: QObject | None = None
    ):
        super().__init__(parent)
        self.settings = settings
        self.jobs = jobs
        self.db_url = db_url
        self.store = None
        self.accounts: list = []
        self.account = None
        self.store_error: JobError | None = None
        self.accounts_ready = False  # True once the account list was loaded at least once
        self.background = None  # app.background.Background when the schedule runs
        self.history_pending = ""  # what is on its way while there is no account yet (the first-run demo)

    # -- store and accounts -----------------------------------------------------------------
    def open_store(self) -> JobHandle:
        runner = self.jobs.runner

        def job(_token):
            from core.store import open_store

            store = open_store(self.db_url)
            runner.attach(store)  # marks runs a crash left "running" as interrupted
            return store

        handle = self.jobs.submit("Opening your library", job)
        handle.finished.connect(self._store_opened)
        handle.failed.connect(self._store_failed)
        return handle

    def _store_opened(self, store) -> None:
        self.store = store
        self.store_error = None
        self.storeReady.emit()
        self.refresh_accounts()
        if self.jobs.runner.interrupted:
            self.notify(
                f"{self.jobs.runner.interrupted} background job(s) were cut short when Segue last closed; "
                "they resume on their next run.",
                "info",
            )

    def _store_failed(self, err: JobError) -> None:
        self.store_error = err
        self.notify(err.message, "error", retry=self.open_store)

    def refresh_accounts(self, select: str | None = None) -> JobHandle | None:
        """Reload the account list (off-thread); keeps the chosen account unless ``select`` names one."""
        if self.store is None:
            return None
        from core.store.queries import list_accounts

        handle = self.jobs.call("Loading accounts", list_accounts, self.store.engine)
        handle.finished.connect(lambda accounts: self._accounts_loaded(accounts, select))
        handle.failed.connect(lambda err: self.notify(err.message, "error", retry=self.refresh_accounts))
        return handle

    def _accounts_loaded(self, accounts: list, select: str | None) -> None:
        self.accounts = list(accounts)
        self.accounts_ready = True
        self.accountsChanged.emit(self.accounts)
        wanted = select or (self.account.name if self.account else None) or self.settings.last_account
        chosen = next((a for a in self.accounts if a.name == wanted), None)
        if chosen is None and self.accounts:
            chosen = max(self.accounts, key=lambda a: a.plays)
        changed = (chosen is None) != (self.account is None) or (
            chosen is not None
            and self.account is not None
            and (chosen.id != self.account.id or chosen.plays != self.account.plays)
        )
        self.account = chosen
        if changed:
            self.accountChanged.emit(chosen)

    def set_account(self, name: str) -> None:
        chosen = next((a for a in self.accounts if a.name == name), None)
        if chosen is None or (self.account is not None and chosen.id == self.account.id):
            return
        self.account = chosen
        self.update_settings(last_account=name)
        self.accountChanged.emit(chosen)

    def db_url_in_use(self) -> str:
        """The open store's URL (password hidden), for the Settings page to show; '' before it opens."""
        if self.store is None:
            return ""
        return self.store.engine.url.render_as_string(hide_password=True)

    def no_history_html(self, hint: str = "") -> str:
        """What a page says while it has no account to show: loading (the store, the accounts, the
        first-run demo) — never a premature "no history" — or where to get some."""
        if self.history_pending:
            return f"{self.history_pending} The page fills in as soon as it is in."
        if not self.accounts_ready and self.store_error is None:
            return "Opening your library…"
        return (
            "No listening history yet. Import a file or connect Last.fm under <b>Accounts &amp; import</b>"
            + (f"; {hint}" if hint else ".")
        )

    @property
    def account_id(self) -> int | None:
        return self.account.id if self.account is not None else None

    def data_changed(self, account_id: int = -1, select: str | None = None) -> None:
        """Call after writing plays: refreshes the account list and tells pages to reload."""
        self.dataChanged.emit(account_id)
        self.refresh_accounts(select)

    # -- settings ---------------------------------------------------------------------------
    def update_settings(self, **changes: Any) -> None:
        """Change and save settings (a tiny JSON write; the one disk write the GUI thread does)."""
        self.settings.update(**changes)
        try:
            self.settings.save()
        except OSError as exc:
            self.notify(f"Could not save settings: {exc.strerror or exc}", "error")
            return
        self.settingsChanged.emit(self.settings)

    # -- jobs and messages ------------------------------------------------------------------
    def notify(
        self, message: str, kind: str = "info", retry: Callable[[], Any] | None = None, action: str = "Retry"
    ) -> None:
        """Show a banner; ``retry`` (labelled ``action``) is offered as a button."""
        log.info("%s: %s", kind, message)
        self.notified.emit(message, kind, retry, action)

    def start(
        self,
        name: str,
        title: str | None = None,
        *,
        on_result: Callable[[Any], Any] | None = None,
        quiet: bool = False,
        **params: Any,
    ) -> JobHandle:
        """Start the registered job ``name``; a failure shows a banner with a Retry that starts it again."""
        handle = self.jobs.start(name, title, **params)
        return self._follow(
            handle, lambda: self.start(name, title, on_result=on_result, **params), on_result, quiet
        )

    def run(
        self,
        name: str,
        job,
        *,
        resource: str | None = None,
        on_result: Callable[[Any], Any] | None = None,
        quiet: bool = False,
    ) -> JobHandle:
        """Submit a job; a failure shows a banner with a Retry that submits it again."""
        handle = self.jobs.submit(name, job, resource=resource)
        return self._follow(
            handle, lambda: self.run(name, job, resource=resource, on_result=on_result), on_result, quiet
        )

    def _follow(self, handle: JobHandle, again: Callable[[], Any], on_result, quiet: bool) -> JobHandle:
        if on_result is not None:
            handle.finished.connect(on_result)
        if not quiet:
            handle.failed.connect(
                lambda err: self.notify(
                    f"{handle.name}: {err.message}", "error", retry=again if err.retryable else None
                )
            )
        return handle
