"""Models page (registry, trained runs from the store, honest 'not available'), Settings (secrets go to the
keyring store, never settings.json), first run imports the bundled demo, `segue gui --screenshots`."""

from __future__ import annotations

import json

from app import demo
from app.pages.models_api import ModelsApi
from core import secrets
from core.settings import Settings
from core.store.schema import ModelRun
from tests.app.conftest import wait_loaded


def _models_page_with(app, qtbot, model: str):
    """The Models page, loaded, with ``model``'s row selected."""
    app.window.show_page("models")
    page = app.window.pages["models"]
    wait_loaded(qtbot, page)
    names = [r["name"] for r in page.models_model.rows]
    page.models_table.setCurrentIndex(page.models_model.index(names.index(model), 0))
    return page


def test_models_page_lists_models_and_trained_runs(make_app, store_url, qtbot):
    app = make_app(store_url, account="felhag")
    acc = app.ctx.account
    with app.ctx.store.engine.begin() as conn:
        conn.execute(
            ModelRun.__table__.insert(),
            [
                {
                    "account_id": acc.id,
                    "model": "default",
                    "kind": "train",
                    "status": "ok",
                    "started_at": 1_700_000_000,
                    "finished_at": 1_700_000_100,
                    "plays_at_train": 1891,
                }
            ],
        )
    app.window.show_page("models")
    page = app.window.pages["models"]
    wait_loaded(qtbot, page)
    rows = page.models_model.rows
    assert rows and rows[0]["name"] == "default" and rows[0]["plays_at_train"] == 1891
    api = ModelsApi()
    for name in api.names():
        assert name in [r["name"] for r in rows]
    assert page.unavailable.isVisible() == bool(api.missing())
    assert page.train_button.isEnabled() == (page.selected() is not None)


def test_a_later_failed_or_running_training_does_not_hide_the_model_in_use(make_app, store_url, qtbot):
    app = make_app(store_url, account="felhag")
    acc = app.ctx.account
    run = {"account_id": acc.id, "model": "default", "kind": "train"}
    with app.ctx.store.engine.begin() as conn:
        conn.execute(
            ModelRun.__table__.insert(),
            [
                {**run, "status": "ok", "started_at": 1_700_000_000, "finished_at": 1_700_000_100,
                 "plays_at_train": 1891},
                {**run, "status": "running", "started_at": 1_700_500_000, "finished_at": None, "plays_at_train": None},  # e.g. a killed app
            ],
        )  # fmt: skip
    rows, _ = ModelsApi().overview(app.ctx.store.engine, acc.id)
    (row,) = [r for r in rows if r["name"] == "default"]
    assert row["status"] == "running" and row["plays_at_train"] == 1891 and row["trained_at"] == 1_700_000_100


def test_settings_secrets_never_land_in_settings_json(make_app, store_url, qtbot):
    app = make_app(store_url, account="felhag")
    app.window.show_page("settings")
    page = app.window.pages["settings"]
    wait_loaded(qtbot, page)
    page.lastfm_secret.setText("s3cret-shared")
    page._save_secret("lastfm_secret", page.lastfm_secret)
    page.genius.setText("genius-token-123")
    page._save_secret("genius_token", page.genius)
    qtbot.waitUntil(
        lambda: (
            secrets.get_secret("genius:token") == "genius-token-123"
            and secrets.get_secret("lastfm:api_secret") == "s3cret-shared"
        ),
        timeout=5000,
    )
    for name, value in (("lastfm_api_key", "abc123"), ("spotify_client_id", "my-client")):
        page.editors[name].widget.setText(value)
        page.editors[name].widget.editingFinished.emit()
    text = Settings.path().read_text(encoding="utf-8")
    assert "s3cret-shared" not in text and "genius-token-123" not in text
    assert (
        json.loads(text)["lastfm_api_key"] == "abc123"
        and json.loads(text)["spotify_client_id"] == "my-client"
    )
    page.db.setText("not a url at all")
    page._save_db()
    assert "not a database URL" in page.db_note.text()
    page.db.setText("sqlite:////tmp/elsewhere.sqlite")
    page._save_db()
    assert Settings.load().database_url == "sqlite:////tmp/elsewhere.sqlite"


def test_first_run_imports_the_bundled_demo_in_the_background(make_app, tmp_path, qtbot):
    assert demo.available()
    app = make_app(f"sqlite:///{tmp_path / 'fresh.sqlite'}", first_run_demo=True)
    qtbot.waitUntil(lambda: app.ctx.account is not None and app.ctx.account.name == "demo", timeout=30000)
    assert app.ctx.account.kind == "demo" and app.ctx.account.plays == 32176
    assert app.window.current_key == "stats"
    assert Settings.load().demo_imported is True


def test_screenshots_command_renders_every_page(store_url, tmp_path):
    from app.__main__ import main

    out = tmp_path / "shots"
    assert main(["--db", store_url, "gui", "--screenshots", str(out)]) == 0
    pngs = sorted(p.stem for p in out.glob("*.png"))
    assert pngs == sorted(["suggestions", "sessions", "stats", "models", "accounts", "settings"]) or set(
        pngs
    ) >= {"suggestions", "sessions", "stats", "models", "accounts", "settings"}
    assert all((out / f"{p}.png").stat().st_size > 10_000 for p in pngs)


def test_models_page_evaluates_the_selected_model_on_held_out_plays(make_app, store_url, qtbot):
    app = make_app(store_url, account="felhag")
    page = _models_page_with(app, qtbot, "markov")
    page.eval_set.setCurrentIndex(page.eval_set.findData("selected"))
    handle = page.evaluate()
    with qtbot.waitSignal(handle.done, timeout=120000):
        pass
    assert handle.state == "ok", handle.error
    row = next(r for r in page.eval_model.rows if r["model"] == "markov")
    assert 0.0 <= row["ndcg@10"] <= row["hr@10"] <= 1.0 and row["hr@10_explore"] == 0.0
    assert page.eval_empty.stack.currentWidget() is page.eval_table


def test_the_settings_page_is_built_from_the_settings_table(make_app, store_url, qtbot):
    from core.settings import SECTIONS, on_page, spec_of

    app = make_app(store_url, account="felhag")
    app.window.show_page("settings")
    page = app.window.pages["settings"]
    shown = [n for s in SECTIONS for n in on_page(s)]
    assert sorted(page.editors) == sorted(shown)
    gap = page.editors["session_gap_minutes"].widget
    spec = spec_of("session_gap_minutes")
    assert (gap.minimum(), gap.maximum(), gap.suffix()) == (spec.minimum, spec.maximum, spec.suffix)
    gap.setValue(45)
    gap.editingFinished.emit()
    assert Settings.load().session_gap_minutes == 45
    app.ctx.update_settings(session_gap_minutes=150)  # changed elsewhere (the Sessions page): shown here
    assert gap.value() == 150
    lyrics = page.editors["lyrics_providers"].widget.checks
    lyrics["genius"].setChecked(True)
    assert Settings.load().lyrics_providers == ["lrclib", "local", "genius"]


def test_the_database_field_shows_the_url_in_use(make_app, store_url, qtbot):
    app = make_app(store_url, account="felhag")
    app.window.show_page("settings")
    page = app.window.pages["settings"]
    qtbot.waitUntil(lambda: page.db.placeholderText().startswith("in use: "), timeout=5000)
    assert page.db.placeholderText() == f"in use: {store_url}" and page.db.text() == ""


def test_the_status_column_follows_a_training_and_its_cancel_without_a_reload(make_app, store_url, qtbot):
    """Training runs in a child process; the Status cell says so at once, follows its passes, and says
    'cancelled' when the user cancels — before any reload of the table."""
    app = make_app(store_url, account="felhag")
    page = _models_page_with(app, qtbot, "gru4rec")

    def status() -> str:
        return next(r for r in page.models_model.rows if r["name"] == "gru4rec")["status"]

    handle = page.train_selected()
    assert status().startswith("training")
    qtbot.waitUntil(lambda: "pass" in status() or "%" in status(), timeout=120000)
    assert not page.train_button.isEnabled()
    with qtbot.waitSignal(handle.cancelled, timeout=60000):
        handle.cancel()
    assert status() == "cancelled"  # as the signal lands: no reload in between
    wait_loaded(qtbot, page)
    assert status() == "cancelled"  # and the table read back afterwards keeps it
