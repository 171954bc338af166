"""Composition root: settings, theme, the job runner, context (store opened off-thread) and the window.

``run()`` is what ``segue`` / ``segue gui`` call. ``build()`` assembles the same objects without
entering the event loop (tests and benchmarks use it).
"""

from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from app.context import AppContext
from app.jobs import QtJobs
from app.theme import ThemeManager
from app.window import MainWindow
from core.settings import Settings

log = logging.getLogger(__name__)
MAX_THREADS = 4  # quick off-thread calls side by side; heavy jobs run isolated in child processes
SWITCH_INTERVAL_S = 0.001


@dataclass
class App:
    qapp: QApplication
    ctx: AppContext
    window: MainWindow
    theme: ThemeManager


def resolve_db_url(db_url: str | None, settings: Settings) -> str | None:
    """--db beats SEGUE_DB beats the database URL saved in settings; None means the default file."""
    if db_url:
        return db_url
    if os.environ.get("SEGUE_DB"):
        return None
    return settings.database_url or None


def job_runner():
    """The one job runner of the app, with core's and the models' jobs registered (store attached later)."""
    from core.jobs.builtin import follow_new_plays, register_core_jobs
    from core.jobs.runner import REGISTRY, Runner
    from models.jobs import register_model_jobs

    register_core_jobs(REGISTRY)
    register_model_jobs(REGISTRY)
    runner = Runner(None, REGISTRY, lanes=MAX_THREADS)
    follow_new_plays(runner)  # an import or a sync that adds plays trains default in the background
    return runner


def application() -> QApplication:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Segue")
    app.setApplicationDisplayName("Segue")
    app.setOrganizationName("Segue")
    app.setDesktopFileName("app.segue.Segue")  # the .desktop id (packaging/linux)
    from app.icons import app_icon

    app.setWindowIcon(app_icon())
    return app


def build(
    db_url: str | None = None,
    *,
    first_run_demo: bool = True,
    show: bool = True,
    background: bool = True,
    theme: str | None = None,
    open_files: list[str] | None = None,
) -> App:
    """Assemble the app. ``background`` starts the periodic schedule (sync, features, embeddings,
    retraining) once the store is open; the job runner itself always runs. ``theme`` (light, dark,
    system) overrides the saved choice for this run without saving it."""
    qapp = application()
    # hand the GIL over more often than CPython's 5 ms default: a worker thread running Python code then
    # delays the GUI thread by at most about this much per turn (heavy jobs run in child processes anyway)
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    settings = Settings.load()
    mode = theme or settings.theme
    theme = ThemeManager.instance() or ThemeManager(qapp, mode)
    theme.set_mode(mode)
    ctx = AppContext(settings, QtJobs(job_runner()), resolve_db_url(db_url, settings))
    window = MainWindow(ctx)
    ctx.background = None
    if background:
        from app.background import Background

        ctx.background = Background(ctx)
    _install_excepthook(ctx)
    default_page = "suggestions"
    if open_files:
        default_page = "accounts"
        _import_on_open(ctx, window, open_files)
    elif first_run_demo and not settings.demo_imported:
        default_page = "stats"
        _offer_demo_on_first_run(ctx, window)
    window.restore_state(default_page)
    if show:
        window.show()
    QTimer.singleShot(0, ctx.open_store)
    _freeze_heap_when_settled(ctx)
    return App(qapp, ctx, window, theme)


def _freeze_heap_when_settled(ctx: AppContext) -> None:
    """Once the accounts have loaded (store open, pages built), freeze the long-lived heap (app.heap)."""
    from app.heap import freeze_long_lived

    def settled(_accounts) -> None:
        ctx.accountsChanged.disconnect(settled)
        QTimer.singleShot(0, freeze_long_lived)

    ctx.accountsChanged.connect(settled)


def _install_excepthook(ctx: AppContext) -> None:
    """An error escaping a slot becomes a log entry and a banner — never a traceback dialog or a crash."""
    import traceback

    def hook(kind, exc, tb) -> None:
        log.error("unhandled error: %s", "".join(traceback.format_exception(kind, exc, tb)))
        if issubclass(kind, KeyboardInterrupt):
            QApplication.quit()
            return
        try:
            ctx.notify(f"Something went wrong: {exc} (details are in the log file)", "error")
        except RuntimeError:  # the window is already gone
            pass

    sys.excepthook = hook


def _offer_demo_on_first_run(ctx: AppContext, window: MainWindow) -> None:
    """No account at all on the first launch: import the bundled demo in the background and open on it."""
    from app import demo

    if not demo.available():
        return
    # said while the store opens and the demo imports, instead of a passing "no listening history yet"
    ctx.history_pending = "Loading a demo listening history so you can look around…"

    def check(accounts: list) -> None:
        ctx.accountsChanged.disconnect(check)
        if accounts or ctx.settings.demo_imported:
            ctx.history_pending = ""
            ctx.dataChanged.emit(-1)
            return
        # the one first-run hint: it stays until the user acts on it or closes it
        ctx.notify(
            "Welcome to Segue! This is a demo listening history to look around in. "
            "Connect Last.fm or import your own files under Accounts & import.",
            "info",
            retry=lambda: window.show_page("accounts"),
            action="Use my own history…",
        )

        def arrived(_account) -> None:  # only once the demo account is loaded may pages say "no history"
            ctx.accountChanged.disconnect(arrived)
            ctx.history_pending = ""

        def imported(report) -> None:  # the runner trains default next (``follow_new_plays``)
            ctx.accountChanged.connect(arrived)
            ctx.update_settings(demo_imported=True)
            ctx.data_changed(-1, select=demo.DEMO_ACCOUNT)
            window.show_page("stats")

        def failed(_err) -> None:
            ctx.history_pending = ""
            ctx.dataChanged.emit(-1)

        ctx.start(
            "import",
            "Importing the demo history",
            paths=[str(demo.demo_archive())],
            account=demo.DEMO_ACCOUNT,
            account_kind="demo",
            on_result=imported,
        ).failed.connect(failed)

    ctx.accountsChanged.connect(check)


def _import_on_open(ctx: AppContext, window: MainWindow, files: list[str]) -> None:
    """``segue FILE…`` / "Open with": once the accounts are known, import the files into the current
    account (a new ``my-history`` when there is none, or only the demo) exactly as a drop on the
    Accounts page does, with its summary."""

    def go() -> None:
        current = ctx.account
        account = current.name if current is not None and current.kind != "demo" else "my-history"
        window.show_page("accounts")
        window.pages["accounts"].import_paths(files, account=account)

    def loaded(_accounts: list) -> None:
        ctx.accountsChanged.disconnect(loaded)
        QTimer.singleShot(0, go)  # after the context has chosen the current account

    ctx.accountsChanged.connect(loaded)


def run(
    db_url: str | None = None,
    screenshots: str | None = None,
    after_show=None,
    open_files: list[str] | None = None,
    theme: str | None = None,
) -> int:
    if screenshots:
        from app.screenshots import render_all

        app = build(db_url, first_run_demo=False, background=False, theme=theme)
        code = render_all(app, screenshots)
        shutdown(app)
        return code
    app = build(db_url, theme=theme, open_files=open_files)
    if after_show is not None:
        QTimer.singleShot(0, after_show)
    code = app.qapp.exec()
    shutdown(app)
    return code


def shutdown(app: App) -> None:
    """Stop background work: cancel jobs (they leave the store consistent) and wait a little for them."""
    if getattr(app.ctx, "background", None) is not None:
        app.ctx.background.shutdown()
    app.ctx.jobs.runner.shutdown(cancel=True, timeout=5)
    from app.heap import thaw

    thaw()
