"""Training follows the data in the app: an import from the Accounts page is followed by a training of
``default`` on the same job runner — with progress in the sidebar — and the Suggestions page then
shows real suggestions for the new account (real import job, real training, real window)."""

from __future__ import annotations

import pytest

from tests.app.conftest import HISTORIES, wait_loaded

pytestmark = pytest.mark.slow


def test_an_import_trains_default_in_the_background_with_progress_in_the_sidebar(make_app, store_url, qtbot):
    app = make_app(store_url, train_automatically=True)
    accounts = app.window.pages["accounts"]
    started = []
    app.ctx.jobs.jobStarted.connect(started.append)
    handle = accounts.import_paths([str(HISTORIES["felhag"])], account="fresh")
    with qtbot.waitSignal(handle.done, timeout=120000):
        pass
    assert handle.state == "ok", handle.error
    qtbot.waitUntil(
        lambda: any(h.core.name == "train" and h.core.params.get("account") == "fresh" for h in started),
        timeout=30000,
    )
    trains = [h for h in started if h.core.name == "train" and h.core.params.get("account") == "fresh"]
    assert len(trains) == 1, "one training, whoever asked first (the runner after the import, or the page)"
    train = trains[0]
    assert train.core.params["model"] == "default"
    panel = app.window.jobs_panel
    in_sidebar = []
    train.progress.connect(lambda _p: in_sidebar.append(any(r.handle is train for r in panel.rows.values())))
    if train.active:
        with qtbot.waitSignal(train.done, timeout=180000):
            pass
    assert train.state == "ok", train.error
    assert in_sidebar and all(in_sidebar), "the training showed its progress in the sidebar"
    app.ctx.set_account("fresh")
    app.window.show_page("suggestions")
    page = app.window.pages["suggestions"]
    wait_loaded(qtbot, page, timeout=60000)
    qtbot.waitUntil(lambda: page.state is not None and page.state.pool is not None, timeout=60000)
    assert page.shown and not page.state.needs_training
