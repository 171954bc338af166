"""GUI test fixtures: a real store built once from real histories, copied per test; the app built on it.

Histories (see ../shared/data/listening/*/SOURCES.md; used for tests only, never bundled):
- ``felhag``: lastfmstats.com JSON, 1,891 plays 2005–2012 (MIT);
- ``dudu``: a Last.fm CSV export with mostly Cyrillic names and some CJK, 8,189 rows;
- ``jonas``: one Spotify basic-history file (StreamingHistory5.json, ms_played known, short plays as skips).
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from fakes.lastfm_server import fake_lastfm, fake_lastfm_factory  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]
LISTENING = ROOT.parent / "shared" / "data" / "listening"
HISTORIES = {
    "felhag": LISTENING / "lastfm-exports" / "felhag__lastfmstats-TestUser.json",
    "dudu": LISTENING / "lastfm-exports" / "dudu2i3__scrobbles.csv",
    "jonas": LISTENING / "spotify" / "jonas-mika-basic" / "StreamingHistory5.json",
}


def import_real(url: str, account: str, path: Path) -> None:
    from core.jobs import run_job
    from core.sources.importing import import_files
    from core.store import open_store

    store = open_store(url)
    try:
        report = run_job(import_files(store, [path], account))
        assert report.ok and report.files[0].added > 0, report.to_json()
    finally:
        store.dispose()


@pytest.fixture(scope="session")
def template_db(tmp_path_factory) -> Path:
    missing = [p for p in HISTORIES.values() if not p.exists()]
    if missing:
        pytest.skip(f"shared histories not found: {missing}")
    db = tmp_path_factory.mktemp("template") / "segue.sqlite"
    for account, path in HISTORIES.items():
        import_real(f"sqlite:///{db}", account, path)
    return db


@pytest.fixture
def store_url(template_db, tmp_path) -> str:
    db = tmp_path / "segue.sqlite"
    shutil.copy(template_db, db)
    return f"sqlite:///{db}"


def wait_loaded(qtbot, page, timeout: int = 15000) -> None:
    qtbot.waitUntil(lambda: not page.loading, timeout=timeout)


def drain(app, timeout_ms: int = 15000) -> None:
    """Let queued jobs finish and their results reach the GUI thread."""
    from PySide6.QtWidgets import QApplication

    deadline = time.monotonic() + timeout_ms / 1000
    while app.ctx.jobs.active() and time.monotonic() < deadline:
        QApplication.processEvents()
        time.sleep(0.005)
    QApplication.processEvents()


@pytest.fixture
def make_app(qtbot):
    """``make_app(url, **build kwargs)`` → a built, shown app whose store and accounts are loaded
    (``train_automatically=True``: the app trains ``default`` by itself, as it does for a user)."""
    from app.main import build, shutdown

    apps = []

    def make(url: str | None = None, account: str | None = None, train_automatically: bool = False, **kw):
        from core.settings import Settings

        kw.setdefault("first_run_demo", False)
        kw.setdefault("background", False)
        settings = Settings.load()  # tests that follow a training by itself ask for it
        settings.update(train_automatically=train_automatically)
        settings.save()
        app = build(url, **kw)
        apps.append(app)
        qtbot.waitUntil(lambda: app.ctx.accounts_ready or app.ctx.store_error is not None, timeout=15000)
        if account:
            app.ctx.set_account(account)
        return app

    yield make
    for app in apps:
        shutdown(app)  # cancels what still runs (a first-run training, say) and waits for it
        drain(app)
        app.window.close()
        app.window.deleteLater()
        if app.ctx.store is not None:
            app.ctx.store.dispose()
    from PySide6.QtCore import QCoreApplication, QEvent

    # deleteLater outside a running event loop is only honoured when deferred deletes are flushed
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
